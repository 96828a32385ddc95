import type { FastifyReply, FastifyRequest } from "fastify";
import type { PlaneError } from "../../../core/errors.js";
import type { WireDialect } from "../../../http/wire.js";
import { ImdsError } from "../../imds/managed-identity.js";

/** The instance metadata service's `{error, error_description}`. */
export const imdsDialect: WireDialect = {
  render(error: PlaneError, _request: FastifyRequest, reply: FastifyReply): boolean {
    if (!(error instanceof ImdsError)) return false;
    void reply.status(error.status).send({ error: error.error, error_description: error.description });
    return true;
  },
  badRequest: (message) => new ImdsError(400, "invalid_request", message),
  tooLarge: () => new ImdsError(413, "invalid_request", "Request entity too large"),
  notFound: () => new ImdsError(404, "not_found", "Resource not found"),
  internal: () => new ImdsError(500, "unknown", "An unexpected error occurred"),
};
