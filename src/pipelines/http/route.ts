import type { FastifyReply, FastifyRequest } from "fastify";
import type { PipelineCaller } from "../ports.js";
import type { ViewBase } from "./views.js";

export type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string>; Body: unknown }>;

/** A handler given the caller and project; the route renders its answer as Azure DevOps does. */
export type Route = (handler: (request: Req, reply: FastifyReply, caller: PipelineCaller, base: ViewBase) => Promise<unknown>) => (request: Req, reply: FastifyReply) => Promise<unknown>;
