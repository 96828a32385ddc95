/**
 * npm run bench:devops-list — listing a project's service connections (GET …/serviceendpoint/endpoints through the
 * route: authentication, the caller's role on every connection, the hidden-connection check, rendering) with 100
 * and 1000 connections, beside the limit measured in the same run: reading the same rows from the store alone.
 * Target: the list costs at most 5× the raw read, and per connection no more at 1000 than at 100 (× 1.5).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../src/core/config.js";
import { readEndpointInput } from "../src/devops/endpoint-input.js";
import { createRuntime } from "../src/server/runtime.js";
import { DEMO } from "../src/world/demo.js";

const SIZES = (process.env.LIST_SIZES ?? "100,1000").split(",").map(Number);
const ROUNDS = Number(process.env.LIST_ROUNDS ?? 30);
const auth = `Basic ${Buffer.from(`:${DEMO.pats.dev}`).toString("base64")}`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function time(rounds: number, work: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

console.log(`bench:devops-list — Node ${process.version}, ${ROUNDS} rounds per size, caller: a Contributor (roles inherited)`);
const perConnection: number[] = [];
for (const size of SIZES) {
  const runtime = await createRuntime(resolveConfig({ memory: true, dataDir: mkdtempSync(join(tmpdir(), "svcconn-list-")), tls: false, logLevel: "error", adminKey: "bench-admin-key" }, {}));
  const org = await runtime.devops.identities.organization(DEMO.organization.name);
  const admin = await runtime.devops.identities.authenticate(org, `Basic ${Buffer.from(`:${DEMO.pats.admin}`).toString("base64")}`);
  for (let i = 0; i < size; i++) {
    await runtime.devops.endpoints.create(admin, readEndpointInput({
      name: `conn-${i}`,
      type: "azurerm",
      authorization: { scheme: "ServicePrincipal", parameters: { tenantid: DEMO.tenantId, serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: "bench" } },
      data: { subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", creationMode: "Manual" },
      serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id }, name: `conn-${i}` }],
    }));
  }
  const list = () =>
    runtime.listeners.devops.inject({ method: "GET", url: `/${DEMO.organization.name}/${DEMO.project.name}/_apis/serviceendpoint/endpoints?api-version=7.1`, headers: { authorization: auth, host: "127.0.0.1" } });
  const check = await list();
  if (check.statusCode !== 200 || check.json().count !== size) throw new Error(`list answered ${check.statusCode} with ${check.json().count} connections`);
  await time(3, list);
  const raw = await time(ROUNDS, () => runtime.store.devops.endpointsOfProject(DEMO.project.id));
  const route = await time(ROUNDS, list);
  perConnection.push(route.p50 / size);
  console.log(
    `${String(size).padStart(5)} connections: list p50 ${route.p50.toFixed(1)} ms, p99 ${route.p99.toFixed(1)} ms; raw read p50 ${raw.p50.toFixed(1)} ms → ${(route.p50 / raw.p50).toFixed(2)}× the raw read (target ≤ 5); ${((route.p50 / size) * 1000).toFixed(0)} µs per connection`,
  );
  await runtime.close();
}
if (perConnection.length > 1) console.log(`per-connection cost at ${SIZES.at(-1)} / at ${SIZES[0]}: ${(perConnection.at(-1)! / perConnection[0]!).toFixed(2)} (target ≤ 1.5)`);
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
