import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../../core/clock.js";
import type { PlaneError } from "../../../core/errors.js";
import { baseUrl, entraTimestamp, type WireDialect } from "../../../http/wire.js";
import { AadstsError, aadsts } from "../../errors.js";

/** The Entra token-endpoint error format, with trace and correlation ids (`docs/reference/identity-arm-api.md` §1.3). */
export function entraDialect(clock: Clock): WireDialect {
  return {
    render(error: PlaneError, request: FastifyRequest, reply: FastifyReply): boolean {
      if (!(error instanceof AadstsError)) return false;
      const traceId = randomUUID();
      const correlationId = correlationIdOf(request) ?? randomUUID();
      const timestamp = entraTimestamp(clock.nowMs());
      void reply
        .status(error.status)
        .headers({ "cache-control": "no-store, no-cache", pragma: "no-cache", "x-ms-request-id": traceId })
        .send({
          error: error.errorClass,
          error_description: `${error.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
          error_codes: [error.aadsts],
          timestamp,
          trace_id: traceId,
          correlation_id: correlationId,
          error_uri: `${baseUrl(request)}/error?code=${error.aadsts}`,
        });
      return true;
    },
    badRequest: () => aadsts.missingParameter("grant_type"),
    // The token endpoint reads forms only: a JSON body there is a request without grant_type.
    invalidJson: (_problem, request) => (/\/oauth2\/(v2\.0\/)?token$/i.test(request.url.split("?")[0]!) ? aadsts.missingParameter("grant_type") : aadsts.malformedJson()),
    tooLarge: () => new AadstsError(413, "invalid_request", 90100, "The request body is too large."),
    notFound: (request) => new AadstsError(404, "invalid_request", 90100, `The endpoint '${request.method} ${request.url.split("?")[0]}' does not exist.`),
    internal: () => aadsts.unexpected(),
  };
}

function correlationIdOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = typeof query?.["client-request-id"] === "string" ? (query["client-request-id"] as string) : undefined;
  const header = request.headers["client-request-id"];
  const form = (request as FastifyRequest & { form?: Record<string, string> }).form;
  return fromQuery ?? (typeof header === "string" ? header : undefined) ?? form?.["client-request-id"];
}
