import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANES } from "../../src/core/config.js";
import type { Runtime } from "../../src/server/runtime.js";
import { ADMIN_KEY, testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

describe("admin API and health on every listener", () => {
  it.each(PLANES)("%s has a health route and refuses the admin API without the key (imds has none)", async (plane) => {
    const listener = runtime.listeners[plane];
    const health = await listener.inject({ method: "GET", url: "/_svcconn/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: "ok", plane });
    const denied = await listener.inject({ method: "GET", url: "/_admin/clock" });
    if (plane === "imds") {
      // Plain HTTP that any local process can reach: no admin API there at all.
      expect(denied.statusCode).toBe(404);
      expect(denied.json().error).toBe("not_found");
      return;
    }
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error.code).toBe("AdminKeyRequired");
    const wrong = await listener.inject({ method: "GET", url: "/_admin/clock", headers: { "x-svcconn-admin-key": "nope" } });
    expect(wrong.statusCode).toBe(401);
  });

  it("reads and moves the clock forward, never back", async () => {
    const headers = { "x-svcconn-admin-key": ADMIN_KEY };
    const before = (await runtime.listeners.arm.inject({ method: "GET", url: "/_admin/clock", headers })).json();
    const moved = await runtime.listeners.login.inject({ method: "POST", url: "/_admin/clock", headers, payload: { advanceSeconds: 86_400 } });
    expect(moved.statusCode).toBe(200);
    expect(Date.parse(moved.json().now) - Date.parse(before.now)).toBeGreaterThanOrEqual(86_400_000);
    expect(moved.json().offsetSeconds).toBe(86_400);
    for (const payload of [{ advanceSeconds: -5 }, { advanceSeconds: "x" }, {}, { advanceSeconds: 1, extra: true }]) {
      const bad = await runtime.listeners.graph.inject({ method: "POST", url: "/_admin/clock", headers, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.json().error.code).toBe("InvalidClockChange");
    }
    const after = (await runtime.listeners.devops.inject({ method: "GET", url: "/_admin/clock", headers })).json();
    expect(after.offsetSeconds).toBe(86_400);
  });

  it("answers unknown paths in each plane's own error format", async () => {
    // ARM authenticates before it routes.
    const arm = await runtime.listeners.arm.inject({ method: "GET", url: "/nothing/here" });
    expect(arm.statusCode).toBe(401);
    expect(arm.json().error.code).toBe("AuthenticationFailed");
    expect(arm.headers["www-authenticate"]).toMatch(/^Bearer authorization_uri=/);
    const graph = await runtime.listeners.graph.inject({ method: "GET", url: "/v1.0/nothing" });
    expect(graph.json().error.innerError["request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const devops = await runtime.listeners.devops.inject({ method: "GET", url: "/org/_apis/nothing" });
    expect(devops.json()).toMatchObject({ $id: "1", typeKey: expect.any(String), message: expect.any(String) });
    const login = await runtime.listeners.login.inject({ method: "GET", url: "/nothing" });
    expect(login.json().error_codes).toHaveLength(1);
  });
});
