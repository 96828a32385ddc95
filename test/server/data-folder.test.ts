import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/core/config.js";
import { SecretBox } from "../../src/core/crypto.js";
import { openKeyFolder } from "../../src/server/data-folder.js";
import { createRuntime, type Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";

const folder = () => mkdtempSync(join(tmpdir(), "svcconn-data-"));
const open = (dataDir: string, extra: Record<string, unknown> = {}) => createRuntime(resolveConfig({ dataDir, tls: false, logLevel: "silent", ...extra }, {}));
const mode = (path: string) => statSync(path).mode & 0o777;
const keysOf = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, "keys.json"), "utf8")) as { secretKey: string; adminKey: string };

/** Everything on disk except the key file: what someone who copied the database would have. */
const databaseBytes = (dataDir: string) => ["svcconn.db", "svcconn.db-wal"].filter((f) => existsSync(join(dataDir, f))).map((f) => readFileSync(join(dataDir, f)).toString("latin1")).join("");

async function connectionWithSecret(runtime: Runtime, secret: string) {
  return createEndpoint(runtime, "admin", azurerm({ name: `manual-${Math.random().toString(36).slice(2, 8)}`, scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: secret } }));
}

describe("secrets at rest", () => {
  it("keeps key material in an owner-only key file, seals signing keys, and a copy of the database reveals no secret", async () => {
    const dir = folder();
    const runtime = await open(dir);
    try {
      const secret = DEMO.bootstrapSecret;
      await connectionWithSecret(runtime, secret);
      // A token makes the tenant's signing key.
      const token = await runtime.listeners.login.inject({ method: "POST", url: `/${DEMO.tenantId}/oauth2/v2.0/token`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: new URLSearchParams({ grant_type: "client_credentials", client_id: DEMO.bootstrapAppId, client_secret: secret, scope: "https://management.azure.com/.default" }).toString() });
      expect(token.statusCode).toBe(200);

      expect(mode(dir)).toBe(0o700);
      for (const file of ["svcconn.db", "svcconn.db-wal", "svcconn.db-shm", "keys.json"]) expect(mode(join(dir, file)), file).toBe(0o600);
      const keys = keysOf(dir);
      expect(Buffer.from(keys.secretKey, "base64")).toHaveLength(32);
      expect(runtime.adminKey).toBe(keys.adminKey);

      const rows = (await sql<{ key: string }>`select key from meta`.execute(runtime.store.db)).rows.map((r) => r.key);
      expect(rows).not.toContain("secretKey");
      expect(rows).not.toContain("adminKey");
      const signing = await runtime.store.keys.all();
      expect(signing.length).toBeGreaterThan(0);
      for (const key of signing) expect(key.privatePem.startsWith("v1.")).toBe(true);

      const bytes = databaseBytes(dir);
      for (const needle of [secret, keys.adminKey, keys.secretKey, "PRIVATE KEY", DEMO.userPassword]) expect(bytes.includes(needle), needle).toBe(false);
    } finally {
      await runtime.close();
    }
  });

  it("moves the keys of an older store (kept in its own table) into the key file, sealing its signing keys", async () => {
    const dir = folder();
    const first = await open(dir);
    const endpoint = await connectionWithSecret(first, DEMO.bootstrapSecret);
    await first.listeners.login.inject({ method: "POST", url: `/${DEMO.tenantId}/oauth2/v2.0/token`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: new URLSearchParams({ grant_type: "client_credentials", client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret, scope: "https://management.azure.com/.default" }).toString() });
    // Turn it into the older layout: keys in `meta`, signing keys in plain PEM, no key file.
    const keys = keysOf(dir);
    const box = new SecretBox(Buffer.from(keys.secretKey, "base64"));
    await first.store.meta.set("secretKey", keys.secretKey);
    await first.store.meta.set("adminKey", keys.adminKey);
    for (const key of await first.store.keys.all()) await first.store.keys.setPrivatePem(key.kid, box.open(key.privatePem));
    await first.close();
    rmSync(join(dir, "keys.json"));

    const second = await open(dir);
    try {
      expect(keysOf(dir)).toEqual(keys);
      expect(mode(join(dir, "keys.json"))).toBe(0o600);
      expect(second.adminKey).toBe(keys.adminKey);
      expect(await second.store.meta.get("secretKey")).toBeUndefined();
      for (const key of await second.store.keys.all()) expect(key.privatePem.startsWith("v1.")).toBe(true);
      // The connection's secret still works: Verify gets a token with it.
      const verify = await devops(second, "admin", "POST", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpointproxy?endpointId=${endpoint.id}`, { dataSourceDetails: { dataSourceName: "TestConnection" } });
      expect(verify.body.statusCode).toBe("ok");
      expect(databaseBytes(dir).includes("PRIVATE KEY")).toBe(false);
    } finally {
      await second.close();
    }
  });

  it("refuses a store whose key file is gone, naming the file", async () => {
    const dir = folder();
    await (await open(dir)).close();
    rmSync(join(dir, "keys.json"));
    await expect(open(dir)).rejects.toThrow(`The key file ${join(dir, "keys.json")} is missing`);
  });

  it("refuses a key file made with other keys, naming it, before any secret is read", async () => {
    const dir = folder();
    await (await open(dir)).close();
    writeFileSync(join(dir, "keys.json"), JSON.stringify({ secretKey: Buffer.alloc(32, 7).toString("base64"), adminKey: "another-admin-key" }));
    await expect(open(dir)).rejects.toThrow(`The key file ${join(dir, "keys.json")} does not open this store's secrets`);
  });
});

describe("a key folder shared by processes (--keys)", () => {
  it("refuses --join without a database, or with --reset, naming the flag", () => {
    expect(() => resolveConfig({ join: true }, {})).toThrow("joining other processes needs their PostgreSQL --database");
    expect(() => resolveConfig({ join: true, reset: true, database: "postgres://db/svcconn" }, {})).toThrow("a process joining others cannot --reset the database they serve");
    expect(resolveConfig({}, { SVCCONN_KEYS: "/shared/keys", SVCCONN_LEASE_SECONDS: "5" })).toMatchObject({ keysDir: "/shared/keys", leaseSeconds: 5 });
    expect(() => resolveConfig({ leaseSeconds: 0 }, {})).toThrow(/leaseSeconds/);
  });

  it("is made once when several processes open it at the same moment: one key file, one CA", async () => {
    const dir = join(folder(), "keys");
    const opened = await Promise.all(Array.from({ length: 6 }, () => openKeyFolder(dir)));
    expect(new Set(opened.map((o) => o.keys.secretKey.toString("base64"))).size).toBe(1);
    expect(new Set(opened.map((o) => o.keys.adminKey)).size).toBe(1);
    expect(opened[0]!.caDir).toBe(join(dir, "tls"));
    expect(mode(join(dir, "keys.json"))).toBe(0o600);
    expect(mode(join(dir, "tls", "ca.key"))).toBe(0o600);
    const ca = readFileSync(join(dir, "tls", "ca.crt"), "utf8");
    // Opened again later: read, not made again.
    await openKeyFolder(dir);
    expect(readFileSync(join(dir, "tls", "ca.crt"), "utf8")).toBe(ca);
    expect(existsSync(join(dir, ".making"))).toBe(false);
  });

  it("serves a store from its keys, and the data folder keeps none", async () => {
    const keys = join(folder(), "keys");
    const dir = folder();
    const runtime = await open(dir, { keysDir: keys });
    try {
      expect(existsSync(join(dir, "keys.json"))).toBe(false);
      expect(runtime.adminKey).toBe(JSON.parse(readFileSync(join(keys, "keys.json"), "utf8")).adminKey);
    } finally {
      await runtime.close();
    }
  });
});

describe("the data folder", () => {
  it("refuses a zero-length or corrupt database, naming the file, and seeds only a new folder", async () => {
    const empty = folder();
    writeFileSync(join(empty, "svcconn.db"), "");
    await expect(open(empty)).rejects.toThrow(`The database file ${join(empty, "svcconn.db")} is empty`);
    const corrupt = folder();
    writeFileSync(join(corrupt, "svcconn.db"), "this is not a database, it is a text file that happens to be long enough".repeat(100));
    writeFileSync(join(corrupt, "keys.json"), JSON.stringify({ secretKey: Buffer.alloc(32).toString("base64"), adminKey: "k" }));
    await expect(open(corrupt)).rejects.toThrow(`The database file ${join(corrupt, "svcconn.db")} cannot be opened as a svcconn store`);
    // --reset makes a new store where the empty file was.
    const reset = await open(empty, { reset: true });
    expect((await reset.store.tenants.list()).length).toBeGreaterThan(0);
    await reset.close();
  });

  it("lets one server at a time use a folder, and takes over the lock of one that died", async () => {
    const dir = folder();
    const first = await open(dir);
    try {
      await expect(open(dir)).rejects.toThrow(`Another svcconn (process ${process.pid}`);
    } finally {
      await first.close();
    }
    expect(existsSync(join(dir, "svcconn.lock"))).toBe(false);
    // A lock whose process is gone (kill -9) does not block.
    writeFileSync(join(dir, "svcconn.lock"), "999999999");
    chmodSync(join(dir, "svcconn.lock"), 0o600);
    const again = await open(dir);
    await again.close();
    // Right after kill -9 the holder can still be a zombie (its parent has not reaped it yet): it holds nothing.
    const parent = spawn("sh", ["-c", "sleep 0.05 & exec sleep 30"], { stdio: "ignore" });
    try {
      let zombie = 0;
      for (let i = 0; i < 100 && !zombie; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const children = spawnSync("ps", ["-o", "pid=,stat=", "--ppid", String(parent.pid)], { encoding: "utf8" }).stdout.trim().split("\n");
        zombie = Number(children.find((line) => /\sZ/.test(line))?.trim().split(/\s+/)[0] ?? 0);
      }
      expect(zombie).toBeGreaterThan(0);
      writeFileSync(join(dir, "svcconn.lock"), String(zombie));
      const afterZombie = await open(dir);
      await afterZombie.close();
    } finally {
      parent.kill("SIGKILL");
    }
    // A PID now used by another process (a restart of the machine) does not block either: its start time differs.
    writeFileSync(join(dir, "svcconn.lock"), `${process.pid} 1`);
    const reused = await open(dir);
    await reused.close();
  });
});

describe("automatic creations across restarts", () => {
  it("fails and undoes a creation the last run left InProgress; saving again then works, and so does deleting", async () => {
    const dir = folder();
    const first = await open(dir);
    const made = await createEndpoint(first, "admin", azurerm({ name: "interrupted", scheme: "ServicePrincipal" }));
    expect(made.operationStatus.state).toBe("Ready");
    const { appObjectId, azureSpnRoleAssignmentId, subscriptionId } = made.data;
    // As if svcconn had been killed after step 3: the connection still InProgress, its application and role there.
    const stored = (await first.devops.endpoints.load(made.id))!;
    await first.devops.endpoints.save({ ...stored.endpoint, isReady: false, operationStatus: { state: "InProgress", statusMessage: "" } }, stored.secrets);
    await first.close();

    const second = await open(dir);
    try {
      const after = (await devops(second, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${made.id}`)).body;
      expect(after.operationStatus).toEqual({
        state: "Failed",
        statusMessage: "The service connection was not created: svcconn stopped while it was being created. What the creation had made in Azure was removed. Save the service connection again to retry.",
      });
      expect(after.data.appObjectId).toBeUndefined();
      expect(await second.store.applications.get(DEMO.tenantId, appObjectId)).toBeUndefined();
      const assignment = await second.store.rbac.assignment(azureSpnRoleAssignmentId);
      expect(assignment === undefined || assignment.removedAt !== null).toBe(true);

      // Saving again runs the four steps anew.
      const retried = await devops(second, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${made.id}`, { ...after, data: { ...after.data, subscriptionId } });
      expect(retried.status).toBe(200);
      await second.devops.creation.settled();
      const ready = (await devops(second, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${made.id}`)).body;
      expect(ready.operationStatus.state).toBe("Ready");
      expect(ready.data.appObjectId).toMatch(/^[0-9a-f-]{36}$/);
      expect(ready.data.appObjectId).not.toBe(appObjectId);
      expect((await devops(second, "admin", "DELETE", `/${ORG}/_apis/serviceendpoint/endpoints/${made.id}?projectIds=${DEMO.project.id}`)).status).toBe(204);
    } finally {
      await second.close();
    }
  });

  it("a graceful stop lets a creation under way finish", async () => {
    const dir = folder();
    const first = await open(dir);
    const created = await devops(first, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "stopping", scheme: "WorkloadIdentityFederation" }));
    expect(created.body.operationStatus.state).toBe("InProgress");
    await first.close();
    const second = await open(dir);
    try {
      expect((await devops(second, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${created.body.id}`)).body.operationStatus.state).toBe("Ready");
    } finally {
      await second.close();
    }
  });
});
