/**
 * npm run bench:doctor — `doctor scan` over HTTPS with the official SDKs against svcconn holding 100 and then 1 000
 * Azure Resource Manager connections (half with a secret, half with workload identity federation, each with its
 * own application, service principal and role assignment), served by `svcconn serve` in its own process. Prints
 * the scan time of each, the ratio of the two (linear is 10), and the HTTP requests the scan sent per connection,
 * counted in the client (target: 1 000 connections in under 10 s, at most 3 requests per connection amortised).
 */
import { subscribe } from "node:diagnostics_channel";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trustBenchCa } from "./trusted-ca.js";

const caDir = trustBenchCa();

const { ClientSecretCredential } = await import("@azure/identity");
const { sdkDoctorTarget } = await import("../src/clients/doctor-target.js");
const { scan } = await import("../src/doctor/scan/scan.js");
const { resolveConfig } = await import("../src/core/config.js");
const { createRuntime } = await import("../src/server/runtime.js");
const { DEMO } = await import("../src/world/demo.js");
const { assignSubscriptionRole } = await import("../test/helpers/arm.js");
const { azurerm, devops, ORG } = await import("../test/helpers/devops.js");
const { startServe } = await import("../test/helpers/cli.js");

// The store lives in a data folder: seeded in this process, then served by `svcconn serve` in its own process, as
// users run it (the scan and the server then each have a core of their own).
const data = mkdtempSync(join(tmpdir(), "svcconn-bench-"));
const ADMIN_KEY = "bench-admin-key-0123456789";

/** Requests the scan sends, counted in the client: node's http(s) (node-api, Azure SDKs) and undici (Graph's fetch). */
let requests = 0;
subscribe("http.client.request.start", () => {
  requests++;
});
subscribe("undici:request:create", () => {
  requests++;
});

let made = 0;
async function seed(upTo: number): Promise<void> {
  const runtime = await createRuntime(resolveConfig({ dataDir: data, caDir, adminKey: ADMIN_KEY, logLevel: "silent", tls: false }, {}));
  try {
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
  } finally {
    await runtime.close();
  }
}

async function measure(count: number): Promise<{ seconds: number; perConnection: number }> {
  await seed(count);
  const server = await startServe(data, ["--ca-dir", caDir]);
  try {
    const instance = JSON.parse(readFileSync(join(data, "instance.json"), "utf8")) as { devops: string; login: string; graph: string; arm: string };
    const target = sdkDoctorTarget({
      organizationUrl: `${instance.devops}/${ORG}`,
      pat: DEMO.pats.admin,
      credential: new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, { authorityHost: instance.login, disableInstanceDiscovery: true }),
      graphUrl: instance.graph,
      armUrl: instance.arm,
      caFile: join(caDir, "ca.crt"),
    });
    await scan(target, { now: new Date() }); // warm: tokens, TLS sessions, JIT
    const before = requests;
    const started = performance.now();
    const report = await scan(target, { now: new Date() });
    const seconds = (performance.now() - started) / 1000;
    if (report.connections.length !== count || report.partial) throw new Error(`scanned ${report.connections.length} of ${count} (partial: ${report.partial})`);
    return { seconds, perConnection: (requests - before) / count };
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}

console.log(`bench:doctor — doctor scan over HTTPS with the official SDKs against svcconn serve (its own process), Node ${process.version}`);
const small = await measure(100);
console.log(`  100 connections: ${small.seconds.toFixed(2)} s, ${small.perConnection.toFixed(2)} requests per connection`);
const large = await measure(1000);
console.log(` 1000 connections: ${large.seconds.toFixed(2)} s, ${large.perConnection.toFixed(2)} requests per connection (targets: < 10 s, ≤ 3)`);
console.log(`time ratio 1000 / 100: ${(large.seconds / small.seconds).toFixed(2)} (linear is 10)`);
