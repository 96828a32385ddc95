import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.js";
import { AdminError, PlaneError } from "../core/errors.js";
import type { Logger } from "../core/logging.js";

/**
 * How one plane speaks its errors on the wire. Each listener installs one, so that whatever goes wrong — a
 * service error, a malformed body, an unknown path, an unexpected exception — the client reads the answer in
 * the format of the service it thinks it is talking to.
 */
export interface WireDialect {
  /** Renders a plane error of this dialect; returns false when the error belongs to another dialect. */
  render(error: PlaneError, request: FastifyRequest, reply: FastifyReply): boolean;
  badRequest(message: string): PlaneError;
  tooLarge(): PlaneError;
  notFound(request: FastifyRequest): PlaneError;
  internal(): PlaneError;
}

export interface WireContext {
  clock: Clock;
  logger: Logger;
}

/** Installs error and not-found handlers that answer in `dialect`. */
export function speak(app: FastifyInstance, dialect: WireDialect, context: WireContext): void {
  const send = (error: PlaneError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AdminError) {
      void reply.status(error.status).send({ error: { code: error.code, message: error.message } });
      return;
    }
    if (!dialect.render(error, request, reply)) {
      // An error of another plane surfaced here (should not happen): keep the status, speak this dialect.
      const translated = error.status >= 500 ? dialect.internal() : dialect.badRequest(error.message);
      dialect.render(translated, request, reply);
    }
  };
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof PlaneError) return send(error, request, reply);
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return send(dialect.tooLarge(), request, reply);
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return send(dialect.badRequest(error.message), request, reply);
    }
    context.logger.error({ err: error, url: request.url, method: request.method }, "unexpected error");
    return send(dialect.internal(), request, reply);
  });
  app.setNotFoundHandler((request, reply) => send(dialect.notFound(request), request, reply));
}

/** `https://{host}` as the client addressed this listener. */
export function baseUrl(request: FastifyRequest): string {
  const host = request.headers.host ?? `${request.hostname}`;
  return `${request.protocol}://${host}`;
}

/** The Entra timestamp format: `2016-01-09 02:02:12Z`. */
export const entraTimestamp = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
