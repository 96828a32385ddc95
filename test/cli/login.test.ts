import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { ADMIN_KEY, TEST_CA_DIR, testServer } from "../helpers/runtime.js";

const execFileAsync = promisify(execFile);
let server: RunningServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => server?.close());

const cli = (...args: string[]) => execFileAsync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { timeout: 30_000 });

describe("svcconn login / logout", () => {
  it("signs a user in, prints the tokens, and signs the user out everywhere", async () => {
    const common = ["--login-url", server.login, "--ca", join(TEST_CA_DIR, "ca.crt")];
    const login = await cli("login", "--user", DEMO.users.dev.upn, "--tenant", DEMO.tenantDomain, "--password", DEMO.userPassword, "--json", ...common);
    const tokens = JSON.parse(login.stdout);
    expect(tokens).toMatchObject({ token_type: "Bearer", refresh_token: expect.any(String), access_token: expect.any(String) });
    const human = await cli("login", "--user", DEMO.users.dev.upn, "--tenant", DEMO.tenantId, "--password", DEMO.userPassword, ...common);
    expect(human.stdout).toContain(`Signed in as ${DEMO.users.dev.upn} to tenant ${DEMO.tenantId}`);
    await expect(cli("login", "--user", DEMO.users.dev.upn, "--tenant", DEMO.tenantId, "--password", "wrong", ...common)).rejects.toMatchObject({
      stderr: expect.stringContaining("AADSTS50126"),
    });

    const logout = await cli("logout", "--user", DEMO.users.dev.upn, "--admin-key", ADMIN_KEY, "--json", ...common);
    // Two CLI sign-ins plus the session the demo world opens for dev as a DevOps member.
    expect(JSON.parse(logout.stdout)).toMatchObject({ user: DEMO.users.dev.upn, tenantId: DEMO.tenantId, revokedSessions: 3 });
    const refresh = await fetch(`${server.login}/${DEMO.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", refresh_token: tokens.refresh_token, scope: "https://management.azure.com/.default" }),
    });
    expect((await refresh.json()).error_codes).toEqual([50173]);
  });
});

describe("svcconn login / logout find the instance of a data folder", () => {
  it("reads the running instance's URLs and the admin key from --data, and shows people no whole token", async () => {
    const data = mkdtempSync(join(tmpdir(), "svcconn-login-"));
    const local = await testServer({ memory: false, dataDir: data, adminKey: undefined });
    try {
      expect(JSON.parse(readFileSync(join(data, "instance.json"), "utf8"))).toMatchObject({ login: local.login, caFile: local.caFile });
      const human = await cli("login", "--user", DEMO.users.dev.upn, "--tenant", DEMO.tenantId, "--password", DEMO.userPassword, "--data", data);
      expect(human.stdout).toContain(`Signed in as ${DEMO.users.dev.upn}`);
      expect(human.stdout).toMatch(/Access token: eyJ[\w-]{13}… \(the tokens in full: --json\)/);
      expect(human.stdout).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
      // What the store holds, read beside the running server.
      const held = JSON.parse((await cli("world", "show", "--data", data, "--json")).stdout);
      expect(held.tenants.map((t: { id: string }) => t.id)).toEqual([DEMO.tenantId, DEMO.otherTenantId]);
      expect(held.organizations).toEqual([{ name: DEMO.organization.name, id: DEMO.organization.id, projects: 1 }]);
      expect(held.users.map((u: { userPrincipalName: string }) => u.userPrincipalName)).toContain(DEMO.users.dev.upn);
      const logout = await cli("logout", "--user", DEMO.users.dev.upn, "--data", data, "--json");
      expect(JSON.parse(logout.stdout)).toMatchObject({ user: DEMO.users.dev.upn, revokedSessions: expect.any(Number) });
    } finally {
      await local.close();
    }
    expect(existsSync(join(data, "instance.json"))).toBe(false);
  });
});
