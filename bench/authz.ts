/**
 * npm run bench:authz — latency of ARM's authorization check with 1 k, 100 k and 1 M role assignments spread
 * over 10 k subscriptions: p50/p99 in process (Authorizer.isAllowed) and over HTTPS (a GET on a resource, which
 * authenticates, checks and answers), plus RSS. Target: p99 at 1 M ≤ 1.5 × p99 at 1 k. On SQLite, or on the
 * PostgreSQL database AUTHZ_DATABASE names (bench:cluster runs both).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ArmCaller } from "../src/arm/authorize.js";
import { BUILTIN_ROLE_IDS } from "../src/arm/builtin-roles.js";
import { resolveConfig } from "../src/core/config.js";
import { createRuntime } from "../src/server/runtime.js";
import { DEMO } from "../src/world/demo.js";

const SIZES = (process.env.AUTHZ_SIZES ?? "1000,100000,1000000").split(",").map(Number);
const SUBSCRIPTIONS = 10_000;
const CHECKS = 5_000;
const REQUESTS = 2_000;

const data = mkdtempSync(join(tmpdir(), "svcconn-authz-"));
const caDir = resolve(".svcconn-test/bench-ca");
const runtime = await createRuntime(resolveConfig({ dataDir: data, caDir, logLevel: "error", adminKey: "bench-admin-key", database: process.env.AUTHZ_DATABASE || undefined }, {}));
const db = runtime.store.db;
const roles = [BUILTIN_ROLE_IDS.Reader, BUILTIN_ROLE_IDS.Contributor, BUILTIN_ROLE_IDS.Owner];
const subscriptionIds: string[] = [];

// 10 k subscriptions under the demo tenant's management group.
{
  const now = new Date().toISOString();
  const rows = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const id = randomUUID();
    subscriptionIds.push(id);
    rows.push({ id, tenantId: DEMO.tenantId, displayName: `bench-${i}`, state: "Enabled" as const, managementGroup: DEMO.managementGroup, tags: "{}", createdAt: now });
  }
  for (let i = 0; i < rows.length; i += 1000) await db.insertInto("subscriptions").values(rows.slice(i, i + 1000)).execute();
}

// The principal whose checks are timed: a Reader on 20 subscriptions and a Contributor on 5 resource groups.
const app = await runtime.entra.directory.createApplication({ tenantId: DEMO.tenantId, displayName: "bench" });
const secret = (await runtime.entra.directory.addPassword(app.id)).secretText!;
const sp = await runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.tenantId, appId: app.appId });
const caller: ArmCaller = { tenantId: DEMO.tenantId, objectId: sp.id, clientLabel: app.appId, kind: "app" };
for (let i = 0; i < 20; i++) await runtime.arm.seedRoleAssignment({ tenantId: DEMO.tenantId, scope: `/subscriptions/${subscriptionIds[i]}`, roleDefinitionId: BUILTIN_ROLE_IDS.Reader, principalId: sp.id, principalType: "ServicePrincipal" });
for (let i = 20; i < 25; i++) await runtime.arm.seedRoleAssignment({ tenantId: DEMO.tenantId, scope: `/subscriptions/${subscriptionIds[i]}/resourceGroups/rg-1`, roleDefinitionId: BUILTIN_ROLE_IDS.Contributor, principalId: sp.id, principalType: "ServicePrincipal" });

let inserted = 0;
async function grow(to: number) {
  const epoch = new Date(0).toISOString();
  while (inserted < to) {
    const rows = [];
    for (let i = 0; i < Math.min(1000, to - inserted); i++) {
      const sub = subscriptionIds[Math.floor(Math.random() * SUBSCRIPTIONS)]!;
      const scope = Math.random() < 0.5 ? `/subscriptions/${sub}` : `/subscriptions/${sub}/resourceGroups/rg-${Math.floor(Math.random() * 10)}`;
      rows.push({
        name: randomUUID(),
        tenantId: DEMO.tenantId,
        scope,
        scopeKey: scope.toLowerCase(),
        subscriptionId: sub,
        roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${roles[i % 3]}`,
        principalId: randomUUID(),
        principalType: "ServicePrincipal",
        description: null,
        condition: null,
        conditionVersion: null,
        createdOn: epoch,
        updatedOn: epoch,
        createdBy: null,
        effectiveAt: epoch,
        removedAt: null,
        removalEffectiveAt: null,
      });
    }
    await db.insertInto("roleAssignments").values(rows).execute();
    inserted += rows.length;
  }
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { p50: at(50), p99: at(99) };
}

const target = () => {
  const i = Math.floor(Math.random() * 40);
  const sub = subscriptionIds[i]!;
  return `/subscriptions/${sub}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/st${i}`;
};

async function inProcess() {
  const samples: number[] = [];
  for (let i = 0; i < CHECKS; i++) {
    const scope = target();
    const start = process.hrtime.bigint();
    await runtime.arm.authorizer.isAllowed(caller, i % 2 ? "Microsoft.Storage/storageAccounts/read" : "Microsoft.Storage/storageAccounts/write", scope);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return percentiles(samples);
}

// Over HTTPS: the ARM listener alone, a keep-alive client trusting the bench CA.
const armListener = runtime.listeners.arm;
await armListener.listen({ host: "127.0.0.1", port: 0 });
const port = (armListener.server.address() as AddressInfo).port;
runtime.bindPort("arm", port);
const ca = readFileSync(join(caDir, "ca.crt"));
let agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
const tokenResponse = await runtime.listeners.login.inject({
  method: "POST",
  url: `/${DEMO.tenantId}/oauth2/v2.0/token`,
  headers: { "content-type": "application/x-www-form-urlencoded" },
  payload: new URLSearchParams({ grant_type: "client_credentials", client_id: app.appId, client_secret: secret, scope: "https://management.azure.com/.default" }).toString(),
});
const token = tokenResponse.json().access_token as string;

function get(path: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port, path: `${path}?api-version=2023-01-01`, method: "GET", agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => ok(res.statusCode ?? 0));
    });
    req.on("error", fail);
    req.end();
  });
}

async function overHttps() {
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const path = target();
    const start = process.hrtime.bigint();
    const status = await get(path);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (status !== 403 && status !== 404) throw new Error(`unexpected status ${status} for ${path}`);
  }
  return percentiles(samples);
}

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;

console.log(`bench:authz on ${process.env.AUTHZ_DATABASE ? "PostgreSQL" : "SQLite"} — ${SUBSCRIPTIONS} subscriptions, ${CHECKS} checks in process and ${REQUESTS} HTTPS requests per size, Node ${process.version}`);
const results: Array<{ size: number; inProc: { p50: number; p99: number }; https: { p50: number; p99: number } }> = [];
for (const size of SIZES) {
  const t0 = Date.now();
  await grow(size);
  const load = (Date.now() - t0) / 1000;
  // Collect the insert phase's garbage so it does not land in the timed checks (run with --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  // The server closed idle keep-alive sockets while rows were inserted: start a fresh connection.
  agent.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  await inProcess(); // warm-up
  await overHttps();
  const inProc = await inProcess();
  const https = await overHttps();
  results.push({ size, inProc, https });
  console.log(
    `${String(size).padStart(9)} assignments (+${load.toFixed(1)} s to insert): in process p50 ${inProc.p50.toFixed(1)} µs  p99 ${inProc.p99.toFixed(1)} µs | HTTPS p50 ${https.p50.toFixed(2)} ms  p99 ${https.p99.toFixed(2)} ms | RSS ${rss().toFixed(0)} MiB`,
  );
}
const first = results[0]!;
const last = results[results.length - 1]!;
console.log(`p99 at 1M / p99 at 1k: in process ${(last.inProc.p99 / first.inProc.p99).toFixed(2)}, over HTTPS ${(last.https.p99 / first.https.p99).toFixed(2)} (target ≤ 1.50)`);
agent.destroy();
await runtime.close();
