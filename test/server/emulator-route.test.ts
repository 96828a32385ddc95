import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { devops } from "../helpers/devops.js";
import { testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

const PANEL = `/${DEMO.organization.name}/_apis/svcconn/emulator`;

describe("the emulator panel's API (organization administrators only)", () => {
  it("shows an administrator the clock and who is signed in", async () => {
    const { status, body } = await devops(runtime, "admin", "GET", PANEL);
    expect(status).toBe(200);
    expect(Math.abs(Date.parse(body.now) - runtime.clock.nowMs())).toBeLessThan(5_000);
    const admin = body.members.find((m: { uniqueName: string }) => m.uniqueName === DEMO.users.admin.upn);
    expect(admin).toMatchObject({ displayName: "Contoso Admin", signedIn: true });
    expect(body.members).toHaveLength(5);
  });

  it("moves the one clock forward for an administrator, and refuses bad values without moving it", async () => {
    const before = runtime.clock.nowMs();
    for (const bad of [{ advanceSeconds: -5 }, { advanceSeconds: 0 }, { advanceSeconds: "86400" }, { advanceSeconds: 1.5 }, { advanceSeconds: 11 * 365 * 86_400 }, { advanceSeconds: 60, extra: 1 }, []]) {
      const refused = await devops(runtime, "admin", "POST", `${PANEL}/clock`, bad);
      expect(refused.status).toBe(400);
      expect(refused.body.typeKey).toBe("ArgumentException");
    }
    expect(runtime.clock.nowMs() - before).toBeLessThan(5_000);
    const moved = await devops(runtime, "admin", "POST", `${PANEL}/clock`, { advanceSeconds: 86_400 });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.now) - before).toBeGreaterThanOrEqual(86_400_000);
    expect(runtime.clock.nowMs() - before).toBeGreaterThanOrEqual(86_400_000);
  });

  it("refuses everyone else with Azure DevOps' access-denied answer, and the clock stays", async () => {
    expect((await devops(runtime, "admin", "GET", `${PANEL}/access`)).body).toEqual({ administrator: true });
    for (const who of ["dev", "reader", "guest"] as const) {
      expect((await devops(runtime, who, "GET", PANEL)).status).toBe(403);
      // What the pages ask instead: no 403 for a person who may not open the panel.
      expect(await devops(runtime, who, "GET", `${PANEL}/access`)).toMatchObject({ status: 200, body: { administrator: false } });
      const before = runtime.clock.nowMs();
      const refused = await devops(runtime, who, "POST", `${PANEL}/clock`, { advanceSeconds: 3600 });
      expect(refused.status).toBe(403);
      expect(refused.body.typeKey).toBe("AccessCheckException");
      expect(runtime.clock.nowMs() - before).toBeLessThan(5_000);
    }
    const anonymous = await runtime.listeners.devops.inject({ method: "GET", url: PANEL });
    expect(anonymous.statusCode).toBe(401);
  });
});
