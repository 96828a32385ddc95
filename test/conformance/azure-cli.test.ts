import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { ADMIN_KEY, testServer } from "../helpers/runtime.js";
import { makeApp } from "../helpers/entra.js";
import { runAz } from "../helpers/az.js";

const azPath = spawnSync("sh", ["-c", "command -v az"], { encoding: "utf8" }).stdout.trim();
if (!azPath) console.log("skipping Azure CLI conformance: 'az' is not installed (scripts/install-system-deps.sh installs it from Debian)");

// The Azure CLI from Debian, unchanged, against svcconn. The server runs in this process, so az runs asynchronously.
let server: RunningServer;
let env: NodeJS.ProcessEnv;

const az = (...args: string[]) => runAz(args, env);

describe.skipIf(!azPath)("Azure CLI (Debian azure-cli)", () => {
  beforeAll(async () => {
    server = await testServer();
    const configDir = mkdtempSync(join(tmpdir(), "svcconn-az-"));
    env = { ...process.env, AZURE_CONFIG_DIR: configDir, AZURE_CORE_COLLECT_TELEMETRY: "false", AZURE_CORE_NO_COLOR: "true", AZURE_CORE_ONLY_SHOW_ERRORS: "true" };
    const cloud = join(configDir, "cloud.json");
    writeFileSync(
      cloud,
      JSON.stringify({
        endpoints: {
          activeDirectory: `${server.login}/adfs`,
          activeDirectoryResourceId: "https://management.core.windows.net/",
          activeDirectoryGraphResourceId: "https://graph.windows.net/",
          resourceManager: `${server.arm}/`,
          management: "https://management.core.windows.net/",
          microsoftGraphResourceId: `${server.graph}/`,
        },
      }),
    );
    expect((await az("cloud", "register", "-n", "svcconn", "--cloud-config", `@${cloud}`)).code).toBe(0);
    expect((await az("cloud", "set", "-n", "svcconn")).code).toBe(0);
  }, 120_000);
  afterAll(async () => server?.close());

  it("az login --service-principal succeeds and lists the subscriptions the principal can see", { timeout: 120_000 }, async () => {
    const login = await az("login", "--service-principal", "-u", DEMO.bootstrapAppId, "-p", DEMO.bootstrapSecret, "--tenant", DEMO.tenantId, "-o", "json");
    expect(login.code, login.stderr).toBe(0);
    const subscriptions = JSON.parse(login.stdout) as Array<{ id: string; tenantId: string; user: { name: string; type: string } }>;
    expect(subscriptions.map((s) => s.id).sort()).toEqual([DEMO.subscriptionId, DEMO.devSubscriptionId].sort());
    expect(subscriptions[0]!.user).toEqual({ name: DEMO.bootstrapAppId, type: "servicePrincipal" });
    const accounts = await az("account", "list", "-o", "json");
    expect(JSON.parse(accounts.stdout).map((s: { tenantId: string }) => s.tenantId)).toContain(DEMO.tenantId);
  });

  it("az group create and list work for an Owner", { timeout: 120_000 }, async () => {
    await az("account", "set", "-s", DEMO.subscriptionId);
    const created = await az("group", "create", "-n", "rg-from-az", "-l", "westeurope", "-o", "json");
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "rg-from-az", location: "westeurope", properties: { provisioningState: "Succeeded" } });
    const listed = await az("group", "list", "-o", "json");
    expect(JSON.parse(listed.stdout).map((g: { name: string }) => g.name)).toContain("rg-from-az");
  });

  it("az login fails with AADSTS7000215 on a wrong secret", { timeout: 120_000 }, async () => {
    const result = await az("login", "--service-principal", "-u", DEMO.bootstrapAppId, "-p", "not-the-secret", "--tenant", DEMO.tenantId);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("AADSTS7000215: Invalid client secret provided.");
  });

  // `--password=` as the AzureCLI task passes it: a generated secret may start with "-", which `-p SECRET` reads as an option.
  it("az login fails with AADSTS7000222 once the secret has expired on the clock", { timeout: 120_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "az-expiring", secret: { endDateTime: new Date(server.runtime.clock.nowMs() + 90 * 86_400_000).toISOString() } });
    const before = await az("login", "--service-principal", "-u", app.appId, `--password=${app.secret!}`, "--tenant", DEMO.tenantId, "--allow-no-subscriptions");
    expect(before.code, before.stderr).toBe(0);
    const moved = await fetch(`${server.login}/_admin/clock`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY },
      body: JSON.stringify({ advanceSeconds: 91 * 86_400 }),
    });
    expect(moved.status).toBe(200);
    const after = await az("login", "--service-principal", "-u", app.appId, `--password=${app.secret!}`, "--tenant", DEMO.tenantId, "--allow-no-subscriptions");
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain(`AADSTS7000222: The provided client secret keys for app '${app.appId}' are expired.`);
  });
});
