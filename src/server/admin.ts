import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { AdminError } from "../core/errors.js";
import type { Plane } from "../core/config.js";

const advanceBody = z.object({ advanceSeconds: z.number().finite().min(0).max(100 * 365 * 86_400) }).strict();

/**
 * svcconn's own admin API, on every listener: `/_admin/...` (needs `x-svcconn-admin-key`) and an unauthenticated
 * health route. These paths do not exist on the real services, so they cannot collide with a client's call.
 */
/** An onRequest hook refusing requests without the admin key. */
export function adminKeyCheck(adminKey: string): (request: FastifyRequest) => Promise<void> {
  const expected = Buffer.from(adminKey);
  return async (request: FastifyRequest) => {
    const presented = request.headers["x-svcconn-admin-key"];
    const given = Buffer.from(typeof presented === "string" ? presented : "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AdminError(401, "AdminKeyRequired", "The admin API needs the header 'x-svcconn-admin-key' with the key printed when svcconn started.");
    }
  };
}

export function healthRoute(app: FastifyInstance, plane: Plane, clock: Clock): void {
  app.get("/_svcconn/health", async () => ({ status: "ok", plane, now: clock.now().toISOString() }));
}

export function adminRoutes(app: FastifyInstance, plane: Plane, clock: Clock, adminKey: string): void {
  const requireKey = adminKeyCheck(adminKey);
  healthRoute(app, plane, clock);

  app.get("/_admin/clock", { onRequest: requireKey }, async () => ({ now: clock.now().toISOString(), offsetSeconds: Math.round(clock.offsetMs() / 1000) }));
  app.post("/_admin/clock", { onRequest: requireKey }, async (request) => {
    const parsed = advanceBody.safeParse(request.body);
    if (!parsed.success) {
      throw new AdminError(400, "InvalidClockChange", "The body must be {\"advanceSeconds\": N} with N a non-negative number of seconds; the clock only moves forward.");
    }
    clock.advance(parsed.data.advanceSeconds);
    return { now: clock.now().toISOString(), offsetSeconds: Math.round(clock.offsetMs() / 1000) };
  });
}
