import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../../core/clock.js";
import type { PlaneError } from "../../../core/errors.js";
import type { WireDialect } from "../../../http/wire.js";
import { GraphError, graphErrors } from "../../graph/graph-errors.js";

/** Graph's OData error envelope with `innerError` (date, request-id, client-request-id). */
export function graphDialect(clock: Clock): WireDialect {
  return {
    render(error: PlaneError, request: FastifyRequest, reply: FastifyReply): boolean {
      if (!(error instanceof GraphError)) return false;
      const requestId = randomUUID();
      const clientRequestId = typeof request.headers["client-request-id"] === "string" ? request.headers["client-request-id"] : requestId;
      void reply
        .status(error.status)
        .headers({ "request-id": requestId, "client-request-id": clientRequestId })
        .send({
          error: {
            code: error.code,
            message: error.message,
            innerError: { date: clock.now().toISOString().replace(/\.\d{3}Z$/, ""), "request-id": requestId, "client-request-id": clientRequestId },
          },
        });
      return true;
    },
    badRequest: (message) => graphErrors.badRequest(message),
    invalidJson: () => new GraphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."),
    tooLarge: () => new GraphError(413, "Request_EntityTooLarge", "The request is too large."),
    notFound: (request) =>
      new GraphError(400, "BadRequest", `Resource not found for the segment '${request.url.split("?")[0]!.split("/").filter(Boolean).pop() ?? ""}'.`),
    internal: () => new GraphError(500, "UnknownError", "An unexpected error occurred."),
  };
}
