import type { FastifyReply, FastifyRequest } from "fastify";
import { PlaneError } from "../core/errors.js";
import type { WireDialect } from "../server/wire.js";

/** An Azure Resource Manager failure, rendered as `{"error":{"code","message"}}`. */
export class ArmError extends PlaneError {
  readonly plane = "arm" as const;
}

export const armDialect: WireDialect = {
  render(error: PlaneError, _request: FastifyRequest, reply: FastifyReply): boolean {
    if (!(error instanceof ArmError)) return false;
    void reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    return true;
  },
  badRequest: (message) => new ArmError(400, "BadRequest", message),
  tooLarge: () => new ArmError(413, "RequestEntityTooLarge", "The request content length exceeds the maximum allowed."),
  notFound: (request) =>
    new ArmError(404, "NotFound", `The requested path '${request.url.split("?")[0]}' is not a known Azure Resource Manager route.`),
  internal: () => new ArmError(500, "InternalServerError", "Encountered an internal server error."),
};
