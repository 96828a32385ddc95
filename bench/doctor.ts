/**
 * npm run bench:doctor — `doctor scan` over HTTPS with the official SDKs against svcconn holding 100 and then 1 000
 * Azure Resource Manager connections (half with a secret, half with workload identity federation, each with its
 * own application, service principal and role assignment). Prints the scan time of each, the ratio of the two
 * (linear is 10), and the HTTP requests the scan made per connection, counted at the server (target: 1 000
 * connections in under 10 s, at most 3 requests per connection amortised).
 */
import { spawnSync } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const caDir = resolve(".svcconn-test/bench-ca");
// The SDKs read NODE_EXTRA_CA_CERTS at start: make the CA, then run again trusting it.
if (process.env.NODE_EXTRA_CA_CERTS !== join(caDir, "ca.crt")) {
  const made = spawnSync(process.execPath, ["--import", "tsx", "scripts/test-ca.ts", caDir], { stdio: "inherit" });
  if (made.status !== 0) process.exit(made.status ?? 1);
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: join(caDir, "ca.crt") } });
  process.exit(again.status ?? 1);
}

const { ClientSecretCredential } = await import("@azure/identity");
const { sdkDoctorTarget } = await import("../src/clients/doctor-target.js");
const { scan } = await import("../src/doctor/scan/scan.js");
const { startServer } = await import("../src/server/start.js");
const { DEMO } = await import("../src/world/demo.js");
const { assignSubscriptionRole } = await import("../test/helpers/arm.js");
const { azurerm, devops, ORG } = await import("../test/helpers/devops.js");

const server = await startServer({ memory: true, dataDir: mkdtempSync(join(tmpdir(), "svcconn-bench-")), ports: "auto", caDir, adminKey: "bench-admin-key-0123456789", logLevel: "silent" });
const runtime = server.runtime;
let requests = 0;
subscribe("http.server.request.start", () => {
  requests++;
});

let made = 0;
async function seed(upTo: number): Promise<void> {
  for (; made < upTo; made++) {
    const app = await runtime.entra.directory.createApplication({ tenantId: DEMO.tenantId, displayName: `bench-${made}` });
    const secret = made % 2 === 0 ? (await runtime.entra.directory.addPassword(app.id, {})).secretText! : undefined;
    const sp = await runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.tenantId, appId: app.appId });
    await assignSubscriptionRole(runtime, sp.id, "Contributor");
    const parameters: Record<string, string> = secret ? { serviceprincipalid: app.appId, serviceprincipalkey: secret, authenticationType: "spnKey" } : { serviceprincipalid: app.appId };
    const body = azurerm({ name: `bench-${made}`, scheme: secret ? "ServicePrincipal" : "WorkloadIdentityFederation", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, parameters });
    const created = await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body);
    if (created.status !== 200) throw new Error(`connection ${made}: ${created.status} ${JSON.stringify(created.body)}`);
  }
}

const target = sdkDoctorTarget({
  organizationUrl: `${server.devops}/${ORG}`,
  pat: DEMO.pats.admin,
  credential: new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, { authorityHost: server.login, disableInstanceDiscovery: true }),
  graphUrl: server.graph,
  armUrl: server.arm,
  caFile: join(caDir, "ca.crt"),
});

async function measure(count: number): Promise<{ seconds: number; perConnection: number }> {
  await seed(count);
  await scan(target, { now: new Date(runtime.clock.nowMs()) }); // warm: tokens, TLS sessions, JIT
  const before = requests;
  const started = performance.now();
  const report = await scan(target, { now: new Date(runtime.clock.nowMs()) });
  const seconds = (performance.now() - started) / 1000;
  if (report.connections.length !== count || report.partial) throw new Error(`scanned ${report.connections.length} of ${count} (partial: ${report.partial})`);
  return { seconds, perConnection: (requests - before) / count };
}

console.log(`bench:doctor — doctor scan over HTTPS with the official SDKs, Node ${process.version}`);
const small = await measure(100);
console.log(`  100 connections: ${small.seconds.toFixed(2)} s, ${small.perConnection.toFixed(2)} requests per connection`);
const large = await measure(1000);
console.log(` 1000 connections: ${large.seconds.toFixed(2)} s, ${large.perConnection.toFixed(2)} requests per connection (targets: < 10 s, ≤ 3)`);
console.log(`time ratio 1000 / 100: ${(large.seconds / small.seconds).toFixed(2)} (linear is 10)`);
await server.close();
