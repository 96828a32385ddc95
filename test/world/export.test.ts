import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkDoctorTarget } from "../../src/clients/doctor-target.js";
import { type ScanReport, scan } from "../../src/doctor/scan/scan.js";
import type { RunningServer } from "../../src/server/start.js";
import { readWorld } from "../../src/world/load.js";
import { runCli } from "../helpers/cli.js";
import { TEST_CA_DIR, testServer } from "../helpers/runtime.js";

// Export the seeded-fault world from a data folder, load the export into a new store, and compare.
const WORLD_FILE = "scenarios/doctor-faults.yaml";
const source = readWorld(WORLD_FILE);
const tenantId = source.tenants[0]!.id!;
const clientId = source.tenants[0]!.applications.find((a) => a.displayName === source.bootstrap!.application)!.appId!;
const pat = source.bootstrap!.pat!;

const dir = mkdtempSync(join(tmpdir(), "svcconn-export-"));
const first = mkdtempSync(join(tmpdir(), "svcconn-export-data-"));
const second = mkdtempSync(join(tmpdir(), "svcconn-export-data-"));
let original: RunningServer;
let reloaded: RunningServer;

const scanOf = (server: RunningServer) =>
  scan(
    sdkDoctorTarget({
      organizationUrl: `${server.devops}/contoso`,
      pat,
      credential: new ClientSecretCredential(tenantId, clientId, source.bootstrap!.secretText, { authorityHost: server.login, disableInstanceDiscovery: true }),
      graphUrl: server.graph,
      armUrl: server.arm,
      caFile: `${TEST_CA_DIR}/ca.crt`,
    }),
    { now: new Date(server.runtime.clock.nowMs()) },
  );
const shape = (r: ScanReport) => ({ connections: r.connections.map((c) => [c.name, c.scheme, c.findings.map((f) => f.id)]), other: r.other.map((f) => f.id), notEvaluated: r.notEvaluated });

beforeAll(async () => {
  original = await testServer({ world: WORLD_FILE, memory: false, dataDir: first });
}, 60_000);

afterAll(async () => {
  await original?.close();
  await reloaded?.close();
});

describe("svcconn world export", () => {
  it("writes the store as a world file that loads into a new store with the same ids, secrets and faults", async () => {
    const file = join(dir, "exported.yaml");
    const result = await runCli(["world", "export", "--data", first, "--include-secrets", "--out", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^# Written by `svcconn world export`/);
    // Hashes, never the client secrets or passwords themselves.
    expect(text).not.toContain(source.bootstrap!.secretText);
    expect(text).not.toContain("Passw0rd!Scenario");
    expect(text).not.toContain(pat);
    // Variable groups, their secrets (asked for) and their Key Vault link come along.
    expect(text).toContain("Scn8Q~group.secret.for.scenario.0001");
    expect(text).toContain("vault: contoso-scenario-kv");
    // Installed extensions.
    expect(text).toMatch(/extensions:\n\s+- ms-devlabs\.custom-terraform-tasks/);
    // Environments, with who may deploy to them.
    expect(text).toMatch(/environments:\n\s+- name: production\n\s+description: What deploy-with-reader deploys to\n[\s\S]*?pipelines:\n\s+- deploy-with-reader/);
    expect((await runCli(["world", "check", file])).stdout).toBe("ok: 1 tenant(s)\n");

    reloaded = await testServer({ world: file, memory: false, dataDir: second });
    // The bootstrap secret, the admin's PAT (both kept as hashes) and every connection secret work on the new store.
    const before = await scanOf(original);
    const after = await scanOf(reloaded);
    expect(after.partial).toBe(false);
    expect(shape(after)).toEqual(shape(before));

    // Exporting the reloaded store gives the same file: nothing is lost or invented on the way round.
    const again = await runCli(["world", "export", "--data", second, "--include-secrets"]);
    expect(again.stdout).toBe(text);
  }, 120_000);

  it("round-trips the demo world: guests, managed identities, VMs, management groups, resources", async () => {
    const demo = mkdtempSync(join(tmpdir(), "svcconn-export-data-"));
    const again = mkdtempSync(join(tmpdir(), "svcconn-export-data-"));
    const server = await testServer({ memory: false, dataDir: demo });
    let copy: RunningServer | undefined;
    try {
      const file = join(dir, "demo.yaml");
      expect((await runCli(["world", "export", "--data", demo, "--out", file])).code).toBe(0);
      const text = readFileSync(file, "utf8");
      expect(text).toContain("invitedFrom:");
      expect(text).toContain("userAssignedIdentities:");
      copy = await testServer({ world: file, memory: false, dataDir: again });
      expect((await runCli(["world", "export", "--data", again])).stdout).toBe(text);
    } finally {
      await server.close();
      await copy?.close();
    }
  }, 60_000);

  it("signs the admin in with the exported password hash", async () => {
    const response = await fetch(`${reloaded.login}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "password", client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", username: "admin@contoso.onmicrosoft.com", password: "Passw0rd!Scenario", scope: "https://management.azure.com/.default" }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it("leaves connection secrets out unless asked, and says what a world cannot carry", async () => {
    const result = await runCli(["world", "export", "--data", first]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("secret: \"(not exported: run world export --include-secrets)\"");
    expect(result.stdout).toContain("#   - connection secrets (written as a placeholder; --include-secrets writes them)");
    expect(result.stdout).toContain("#   - runs, logs and usage history");
    expect(result.stdout).not.toContain("Scn8Q~connection.secret.for.scenario.0001");
    expect(result.stdout).not.toContain("Scn8Q~group.secret.for.scenario.0001");
    expect(result.stdout).toContain("#   - variable group secrets (written as a placeholder; --include-secrets writes them)");
    const missing = await runCli(["world", "export", "--data", join(dir, "nowhere")]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`no store at ${join(dir, "nowhere", "svcconn.db")}`);
  }, 60_000);
});
