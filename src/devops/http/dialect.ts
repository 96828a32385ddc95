import type { FastifyReply, FastifyRequest } from "fastify";
import type { PlaneError } from "../../core/errors.js";
import type { WireDialect } from "../../http/wire.js";
import { DevOpsError } from "../errors.js";

/** Azure DevOps' WrappedException JSON, which azure-devops-node-api and the az devops extension both read. */
export const devopsDialect: WireDialect = {
  render(error: PlaneError, _request: FastifyRequest, reply: FastifyReply): boolean {
    if (!(error instanceof DevOpsError)) return false;
    void reply.status(error.status).send({
      $id: "1",
      innerException: null,
      message: error.message,
      typeName: error.typeName,
      typeKey: error.code,
      errorCode: 0,
      eventId: error.eventId,
    });
    return true;
  },
  badRequest: (message) => new DevOpsError(400, "VssServiceException", message),
  tooLarge: () => new DevOpsError(413, "VssRequestContentTooLargeException", "The request content is too large."),
  notFound: (request) =>
    new DevOpsError(404, "VssResourceNotFoundException", `The requested resource '${request.url.split("?")[0]}' does not exist.`),
  internal: () => new DevOpsError(500, "VssServiceException", "An unexpected error occurred."),
};
