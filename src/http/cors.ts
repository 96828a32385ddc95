import type { FastifyInstance } from "fastify";

/**
 * A listener that browsers call from other origins with a bearer token (single-page apps, the web UI): every answer
 * allows the caller's origin and exposes `expose`; preflights answer 204 with `methods` and the headers asked for.
 */
export function answerBrowsers(app: FastifyInstance, options: { methods: readonly string[]; expose: readonly string[] }): void {
  app.addHook("onSend", async (request, reply) => {
    if (request.headers.origin) void reply.headers({ "access-control-allow-origin": String(request.headers.origin), vary: "Origin", "access-control-expose-headers": options.expose.join(", ") });
  });
  app.options("/*", async (request, reply) => {
    const requested = request.headers["access-control-request-headers"];
    return reply
      .status(204)
      .headers({ "access-control-allow-methods": options.methods.join(", "), ...(typeof requested === "string" ? { "access-control-allow-headers": requested } : {}), "access-control-max-age": "86400" })
      .send();
  });
}
