import type { FastifyReply, FastifyRequest } from "fastify";
import { organizationUrl } from "../../http/wire.js";
import { endpointView, } from "./endpoint-views.js";
import type { StoredEndpoint } from "../endpoints.js";
import { devopsErrors } from "../errors.js";
import type { DevOpsCaller } from "../identities.js";
import type { DevOpsService } from "../service.js";
import type { Project, ServiceEndpoint } from "../model.js";

export type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string> }>;

const VERSION = /^(\d+)\.(\d+)(?:-preview(?:\.\d+)?)?$/i;

/** The api-version from the Accept header (what the SDKs send) or the query string. */
export function apiVersion(request: Req): string | undefined {
  const accept = String(request.headers.accept ?? "");
  const fromAccept = /api-version=([^;,\s]+)/i.exec(accept)?.[1];
  return fromAccept ?? request.query["api-version"];
}

export function requireVersion(request: Req): string {
  const version = apiVersion(request);
  if (!version) throw devopsErrors.versionMissing(request.method);
  const match = VERSION.exec(version);
  if (!match) throw devopsErrors.invalidVersion(version);
  if (Number(match[1]) > 7 || (Number(match[1]) === 7 && Number(match[2]) > 2)) throw devopsErrors.versionOutOfRange(version);
  return version;
}

export const list = <T>(value: T[]) => ({ count: value.length, value });
/** A comma-separated query value (already decoded once by the router: decoding again would misread `%25`). */
export const csv = (value: string | undefined) => (value ? value.split(",").map((s) => s.trim()).filter(Boolean) : undefined);
export const flag = (value: string | undefined) => value !== undefined && value.toLowerCase() === "true";


/** The route wrapper and the endpoint view every DevOps route module shares. */
export function devopsHttp(devops: DevOpsService) {
  /** Resolves the organization and the caller, checks the api-version, and renders JSON with its version. */
  const route = (versioned: boolean, handler: (request: Req, reply: FastifyReply, caller: DevOpsCaller) => Promise<unknown>) => async (request: Req, reply: FastifyReply) => {
    const org = await devops.identities.organization(request.params.org!);
    const caller = await devops.identities.authenticate(org, request.headers.authorization);
    const version = versioned ? requireVersion(request) : apiVersion(request);
    const result = await handler(request, reply, caller);
    if (reply.sent) return reply;
    if (result === undefined) return reply.status(204).send();
    void reply.header("content-type", `application/json; charset=utf-8${version ? `; api-version=${version}` : ""}`);
    return result;
  };

  const view = async (request: Req, caller: DevOpsCaller, stored: StoredEndpoint | ServiceEndpoint, listMode: boolean, inProject?: Project) => {
    const endpoint = "endpoint" in stored ? stored.endpoint : stored;
    const secretKeys = "endpoint" in stored ? devops.endpoints.secretKeys(stored) : [];
    return endpointView(endpoint, {
      organization: caller.organization,
      projects: await devops.projectsOf(caller.organization, endpoint),
      identities: await devops.endpoints.identitiesOf([endpoint]),
      base: organizationUrl(request, caller.organization.name),
      secretKeys,
      list: listMode,
      inProject,
    });
  };

  return { route, view };
}
