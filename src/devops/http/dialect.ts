import type { FastifyReply, FastifyRequest } from "fastify";
import type { PlaneError } from "../../core/errors.js";
import type { WireDialect } from "../../http/wire.js";
import { DevOpsError } from "../errors.js";

/** Azure DevOps' WrappedException JSON, which azure-devops-node-api and the az devops extension both read. */
export const devopsDialect: WireDialect = {
  render(error: PlaneError, _request: FastifyRequest, reply: FastifyReply): boolean {
    // The pipelines plane's errors are Azure DevOps errors too (same service, same envelope).
    if (error.plane !== "devops") return false;
    const e = error as PlaneError & { typeName?: string; eventId?: number; customProperties?: Record<string, unknown> };
    void reply.status(error.status).send({
      $id: "1",
      ...(e.customProperties ? { customProperties: e.customProperties } : {}),
      innerException: null,
      message: error.message,
      typeName: e.typeName ?? `Microsoft.VisualStudio.Services.WebApi.${error.code}, Microsoft.VisualStudio.Services.WebApi`,
      typeKey: error.code,
      errorCode: 0,
      eventId: e.eventId ?? 3000,
    });
    return true;
  },
  badRequest: (message) => new DevOpsError(400, "VssServiceException", message),
  tooLarge: () => new DevOpsError(413, "VssRequestContentTooLargeException", "The request content is too large."),
  notFound: (request) =>
    new DevOpsError(404, "VssResourceNotFoundException", `The requested resource '${request.url.split("?")[0]}' does not exist.`),
  internal: () => new DevOpsError(500, "VssServiceException", "An unexpected error occurred."),
};
