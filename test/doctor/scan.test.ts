import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import * as azdev from "azure-devops-node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkDoctorTarget } from "../../src/clients/doctor-target.js";
import { applyFixes, planFixes } from "../../src/doctor/fix/plan.js";
import { toSarif } from "../../src/doctor/scan/sarif.js";
import { type ScanReport, scan } from "../../src/doctor/scan/scan.js";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { assignSubscriptionRole } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT, twoProjectWorld } from "../helpers/devops.js";
import { makeApp, type TestApp } from "../helpers/entra.js";
import { runPermitted } from "../helpers/pipelines.js";
import { ADMIN_KEY, TEST_CA_DIR, testServer } from "../helpers/runtime.js";

let server: RunningServer;
const DAY = 86_400;
/** The seeded world: each faulty connection's name is the one finding kind it must produce; healthy-* none. */
const expected = new Map<string, string[]>();
let report: ScanReport;
let orphanAppId: string;

const credential = () => new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, { authorityHost: server.login, disableInstanceDiscovery: true });
const target = (pat = DEMO.pats.admin) =>
  sdkDoctorTarget({ organizationUrl: `${server.devops}/${ORG}`, pat, credential: credential(), graphUrl: server.graph, armUrl: server.arm, caFile: `${TEST_CA_DIR}/ca.crt` });

async function manualSecret(name: string, app: TestApp, kind: string | null) {
  const endpoint = await createEndpoint(server.runtime, "admin", azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, parameters: { serviceprincipalid: app.appId, serviceprincipalkey: app.secret ?? "unknown-secret", authenticationType: "spnKey" } }));
  expected.set(name, kind ? [kind] : []);
  return endpoint;
}

async function manualWif(name: string, app: TestApp, kind: string | null) {
  const endpoint = await createEndpoint(server.runtime, "admin", azurerm({ name, creationMode: "Manual", subscriptionId: DEMO.subscriptionId, parameters: { serviceprincipalid: app.appId } }));
  expected.set(name, kind ? [kind] : []);
  return endpoint;
}

type SecretSpec = boolean | { endDateTime: string };
const contributorApp = async (name: string, secret: SecretSpec = true) => {
  const app = await makeApp(server.runtime, { name, secret });
  await assignSubscriptionRole(server.runtime, app.servicePrincipalId!, "Contributor");
  return app;
};

const fic = (app: TestApp, endpoint: any, subject = endpoint.authorization.parameters.workloadIdentityFederationSubject) =>
  server.runtime.entra.directory.addFederatedCredential(app.objectId, { name: "azure-devops", issuer: endpoint.authorization.parameters.workloadIdentityFederationIssuer, subject, audiences: ["api://AzureADTokenExchange"] });

beforeAll(async () => {
  server = await testServer({ world: twoProjectWorld() });
  const runtime = server.runtime;
  const now = () => runtime.clock.nowMs();

  // Created long ago and never used.
  await createEndpoint(runtime, "admin", azurerm({ name: "unused", subscriptionId: DEMO.subscriptionId }));
  expected.set("unused", ["unused"]);
  await runtime.clock.advance(11 * DAY);

  await createEndpoint(runtime, "admin", azurerm({ name: "healthy-wif", subscriptionId: DEMO.subscriptionId }));
  expected.set("healthy-wif", []);
  await createEndpoint(runtime, "admin", azurerm({ name: "healthy-secret", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }));
  expected.set("healthy-secret", []);

  await manualSecret("secret-expired", await contributorApp("expired", { endDateTime: new Date(now() + DAY * 1000).toISOString() }), "secret-expired");
  await manualSecret("secret-expiring", await contributorApp("expiring", { endDateTime: new Date(now() + 20 * DAY * 1000).toISOString() }), "secret-expiring");
  await manualSecret("application-missing", { objectId: "", appId: crypto.randomUUID(), secret: "whatever-secret" }, "application-missing");
  await manualSecret("service-principal-missing", await makeApp(runtime, { name: "no-sp", servicePrincipal: false }), "service-principal-missing");
  const disabled = await contributorApp("disabled");
  await manualSecret("service-principal-disabled", disabled, "service-principal-disabled");
  await manualSecret("no-role-at-scope", await makeApp(runtime, { name: "no-role" }), "no-role-at-scope");
  const owner = await makeApp(runtime, { name: "owner" });
  await assignSubscriptionRole(runtime, owner.servicePrincipalId!, "Owner");
  await manualSecret("over-privileged", owner, "over-privileged");
  // A connection whose application lives in another tenant (Fabrikam): the scan reads Contoso's directory only.
  await createEndpoint(runtime, "admin", azurerm({ name: "other-tenant", scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, parameters: { tenantid: DEMO.otherTenantId, serviceprincipalid: crypto.randomUUID(), serviceprincipalkey: "fabrikam-secret", authenticationType: "spnKey" } }));
  expected.set("other-tenant", []);
  const shared = await contributorApp("shared");
  await manualSecret("shared-application-1", shared, "shared-application");
  await manualSecret("shared-application-2", shared, "shared-application");

  await manualWif("federated-credential-missing", await contributorApp("no-fic", false), "federated-credential-missing");
  const wrong = await contributorApp("wrong-fic", false);
  await fic(wrong, await manualWif("federated-credential-mismatch", wrong, "federated-credential-mismatch"), "sc://contoso/web/someone-else");
  const matching = await contributorApp("good-fic", false);
  await fic(matching, await manualWif("healthy-manual-wif", matching, null));

  const open = await createEndpoint(runtime, "admin", azurerm({ name: "open-access", subscriptionId: DEMO.subscriptionId }));
  expected.set("open-access", ["open-access"]);
  const opened = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${open.id}`, { allPipelines: { authorized: true } }, { version: "7.1-preview.1" });
  expect(opened.status).toBe(200);

  const ops = (await devops(runtime, "admin", "GET", `/_apis/projects/ops`)).body;
  await createEndpoint(runtime, "admin", azurerm({ name: "shared-across-projects", subscriptionId: DEMO.subscriptionId, projects: [{ id: DEMO.project.id, name: PROJECT }, { id: ops.id, name: "ops" }] }));
  expected.set("shared-across-projects", ["shared-across-projects"]);

  const failed = await createEndpoint(runtime, "guest", azurerm({ name: "connection-not-ready" }));
  expect(failed.isReady).toBe(false);
  expected.set("connection-not-ready", ["connection-not-ready"]);

  // Deleted without its clean-up: the application and its role assignment stay behind.
  const gone = await createEndpoint(runtime, "admin", azurerm({ name: "deleted", subscriptionId: DEMO.subscriptionId }));
  orphanAppId = gone.authorization.parameters.serviceprincipalid;
  expect((await devops(runtime, "admin", "DELETE", `/${ORG}/_apis/serviceendpoint/endpoints/${gone.id}?projectIds=${DEMO.project.id}&deep=false`)).status).toBe(204);

  // Its last run ran AzureFileCopy@4, a version without workload identity federation: a finding before any conversion.
  const copier = await manualSecret("task-without-federation", await contributorApp("copier"), "task-without-federation");
  const copy = await runPermitted(runtime, "steps:\n  - task: AzureFileCopy@4\n    inputs:\n      SourcePath: site\n      azureSubscription: task-without-federation\n      Destination: AzureBlob\n      storage: stcopy\n      ContainerName: web\n", [copier.id]);
  expect(copy.result).toBe("failed");

  // The legacy issuer, last: the organization's setting changes new connections only.
  await runtime.listeners.devops.inject({ method: "PATCH", url: `/_admin/organizations/${ORG}`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify({ federationIssuer: "devops" }) });
  const legacy = await contributorApp("legacy", false);
  await fic(legacy, await manualWif("legacy-issuer", legacy, "legacy-issuer"));

  const graph = Client.initWithMiddleware({ authProvider: new TokenCredentialAuthenticationProvider(credential(), { scopes: ["https://graph.microsoft.com/.default"] }), baseUrl: `${server.graph}/`, customHosts: new Set([new URL(server.graph).hostname]) });
  await graph.api(`/servicePrincipals/${disabled.servicePrincipalId}`).patch({ accountEnabled: false });

  // Two days on: the one-day secret has expired, the twenty-day one has eighteen left.
  await runtime.clock.advance(2 * DAY);
  report = await scan(target(), { now: new Date(runtime.clock.nowMs()), unusedDays: 10 });
}, 180_000);

afterAll(async () => server?.close());

describe("doctor scan over HTTPS with the official SDKs (SPEC B1)", () => {
  it("finds every seeded fault and nothing else", () => {
    const got = new Map(report.connections.map((c) => [c.name, c.findings.map((f) => f.kind).sort()]));
    for (const [name, kinds] of expected) expect(got.get(name), name).toEqual(kinds);
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(report.other.map((f) => [f.kind, f.application?.appId])).toEqual([["orphaned-application", orphanAppId]]);
    // Not "application-missing": the application of another tenant's connection is not evaluated, and says why.
    expect(report.notEvaluated).toEqual([{ connection: "other-tenant", check: "application", reason: `its application is in tenant ${DEMO.otherTenantId}; the scan reads the directory of tenant ${DEMO.tenantId} (scan with a credential of that tenant to check it)` }]);
    expect(report.partial).toBe(true);
  });

  it("names the task versions without federation that a secret connection's last run ran, and the version to move to", () => {
    const lacking = report.connections.find((c) => c.name === "task-without-federation")!.findings[0]!;
    expect(lacking).toMatchObject({ severity: "medium", explanation: "task-lacks-wif-support" });
    expect(lacking.evidence).toMatchObject({ run: { pipeline: expect.any(String) }, tasks: [{ task: "AzureFileCopy@4", version: expect.stringMatching(/^4\./), federationIn: "AzureFileCopy@6" }] });
  });

  it("explains a failed connection by the failure its operation status stored", () => {
    const failed = report.connections.find((c) => c.name === "connection-not-ready")!.findings[0]!;
    const stored = (failed.evidence.operationStatus as { statusMessage: string }).statusMessage;
    expect(stored).toBeTruthy();
    expect(failed.explanation).toBe("guest-permission");
  });

  it("gives each finding a stable id, evidence and the fix", () => {
    const expired = report.connections.find((c) => c.name === "secret-expired")!.findings[0]!;
    expect(expired.id).toBe(`secret-expired/${report.connections.find((c) => c.name === "secret-expired")!.id}`);
    expect(expired).toMatchObject({ severity: "critical", explanation: "secret-expired" });
    expect((expired.evidence.credentials as Array<{ endDateTime: string }>)[0]!.endDateTime).toBeTruthy();
    const owner = report.connections.find((c) => c.name === "over-privileged")!.findings[0]!;
    expect(owner.evidence.assignments).toEqual([{ scope: `/subscriptions/${DEMO.subscriptionId}`, role: "Owner" }]);
    const orphan = report.other[0]!;
    expect(orphan.evidence.roleAssignments).toEqual([expect.objectContaining({ scope: `/subscriptions/${DEMO.subscriptionId}`, role: "Contributor" })]);
    expect(report.counts.critical).toBeGreaterThan(0);
  });

  it("writes SARIF 2.1.0 that Microsoft's SARIF validator accepts (the published schema and its rules)", () => {
    const sarif = toSarif(report, { organizationUrl: `${server.devops}/${ORG}`, version: "0.1.0" }) as any;
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(report.connections.flatMap((c) => c.findings).length + report.other.length);
    const expired = results.find((r: any) => r.ruleId === "secret-expired");
    expect(expired).toMatchObject({ level: "error", partialFingerprints: { "svcconnFindingId/v1": expect.stringMatching(/^secret-expired\//) } });
    expect(sarif.runs[0].tool.driver.rules[expired.ruleIndex].id).toBe("secret-expired");
    // A path relative to the organization, which the run resolves: what code-scanning tools can show.
    const connection = report.connections.find((c) => c.name === "secret-expired")!;
    expect(expired.locations[0]).toEqual({
      physicalLocation: { artifactLocation: { uri: `${PROJECT}/_settings/adminservices?resourceId=${connection.id}`, uriBaseId: "ORGANIZATION" }, region: { startLine: 1 } },
      logicalLocations: [{ name: "secret-expired", fullyQualifiedName: `${ORG}/${PROJECT}/secret-expired`, kind: "resource" }],
    });
    expect(sarif.runs[0].originalUriBaseIds.ORGANIZATION.uri).toBe(`${server.devops}/${ORG}/`);
    const file = join(mkdtempSync(join(tmpdir(), "svcconn-sarif-")), "scan.sarif");
    writeFileSync(file, JSON.stringify(sarif));
    const validator = createRequire(import.meta.url)("@microsoft/sarif-multitool") as string;
    chmodSync(validator, 0o755);
    const run = spawnSync(validator, ["validate", file], { encoding: "utf8", env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1" } });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/: error /);
  }, 60_000);

  it("says what it could not evaluate for lack of rights instead of guessing", async () => {
    const reader = await scan(
      sdkDoctorTarget({ organizationUrl: `${server.devops}/${ORG}`, pat: DEMO.pats.admin, credential: new ClientSecretCredential(DEMO.tenantId, crypto.randomUUID(), "nope", { authorityHost: server.login, disableInstanceDiscovery: true }), graphUrl: server.graph, armUrl: server.arm, caFile: `${TEST_CA_DIR}/ca.crt` }),
      { now: new Date(server.runtime.clock.nowMs()), project: PROJECT },
    );
    expect(reader.partial).toBe(true);
    expect(reader.notEvaluated.some((n) => n.check === "application")).toBe(true);
    expect(reader.connections.find((c) => c.name === "secret-expired")!.findings).toEqual([]);
  });
});

describe("doctor fix: plans, applies one finding at a time, re-scans (SPEC B2)", () => {
  const verify = async (name: string) => {
    const api = await new azdev.WebApi(`${server.devops}/${ORG}`, azdev.getPersonalAccessTokenHandler(DEMO.pats.admin), { cert: { caFile: `${TEST_CA_DIR}/ca.crt` } }).getServiceEndpointApi();
    const id = report.connections.find((c) => c.name === name)!.id;
    return api.executeServiceEndpointRequest({ dataSourceDetails: { dataSourceName: "TestConnection" } as never, resultTransformationDetails: {} as never, serviceEndpointDetails: undefined as never }, PROJECT, id);
  };
  const now = () => new Date(server.runtime.clock.nowMs());

  it("plans exactly the calls, before and after, and says which findings have no automatic fix", () => {
    const { plans } = planFixes(report, [], now());
    expect(plans.map((p) => p.kind).sort()).toEqual(["no-role-at-scope", "open-access", "orphaned-application", "secret-expired", "secret-expiring", "service-principal-disabled"]);
    const orphan = plans.find((p) => p.kind === "orphaned-application")!;
    expect(orphan.steps.map((s) => s.call.split(" ")[0])).toEqual(["DELETE", "DELETE"]);
    expect(orphan.steps.at(-1)!.call).toMatch(/^DELETE https:\/\/graph\.microsoft\.com\/v1\.0\/applications\//);
    const open = plans.find((p) => p.kind === "open-access")!;
    expect(open.steps[0]).toMatchObject({ before: { allPipelines: { authorized: true } }, after: { allPipelines: { authorized: false }, pipelines: [] } });
    const asked = planFixes(report, [`over-privileged/${report.connections.find((c) => c.name === "over-privileged")!.id}`, "nope/1"], now());
    expect(asked.plans).toEqual([]);
    expect(asked.unfixable.map((u) => u.reason)).toEqual(["no such finding in this scan", expect.stringMatching(/^no automatic fix for 'over-privileged'/)]);
  });

  it("does not convert a connection whose last run ran a task version without federation, and says where to move it", () => {
    const lacking = report.connections.find((c) => c.name === "task-without-federation")!;
    const expiring = { ...report.connections.find((c) => c.name === "secret-expiring")!.findings[0]!, id: `secret-expiring/${lacking.id}`, connection: lacking.findings[0]!.connection };
    const crafted = { ...report, connections: [{ ...lacking, findings: [...lacking.findings, expiring] }], other: [] };
    const converted = planFixes(crafted, [expiring.id], now(), { convert: true });
    expect(converted.plans).toEqual([]);
    expect(converted.unfixable[0]!.reason).toMatch(/^not converted: the last run of .+ ran task versions without workload identity federation \(AzureFileCopy@4 → AzureFileCopy@6\)/);
    expect(planFixes(crafted, [expiring.id], now()).plans.map((p) => p.kind)).toEqual(["secret-expiring"]);
  });

  it("applies each fix, re-scans clean for it, and the connection works again", async () => {
    const target = sdkDoctorTarget({ organizationUrl: `${server.devops}/${ORG}`, pat: DEMO.pats.admin, credential: credential(), graphUrl: server.graph, armUrl: server.arm, caFile: `${TEST_CA_DIR}/ca.crt` });
    expect((await verify("secret-expired")).errorMessage).toContain("AADSTS7000222");
    const { plans } = planFixes(report, [], now());
    const outcomes = await applyFixes(plans, target, () => scan(target, { now: now(), unusedDays: 10 }));
    expect(outcomes.map((o) => [o.findingId.split("/")[0], o.status])).toEqual(plans.map((p) => [p.kind, "fixed"]));
    const after = await scan(target, { now: now(), unusedDays: 10 });
    for (const name of ["secret-expired", "secret-expiring", "no-role-at-scope", "open-access", "service-principal-disabled"]) expect(after.connections.find((c) => c.name === name)!.findings, name).toEqual([]);
    expect(after.other).toEqual([]);
    expect(await verify("secret-expired")).toMatchObject({ statusCode: "ok" });
    expect(await verify("service-principal-disabled")).toMatchObject({ statusCode: "ok" });
  });

  it("stops at the first failure and says which call failed, with what it had done", async () => {
    const failing = { ...sdkDoctorTarget({ organizationUrl: `${server.devops}/${ORG}`, pat: DEMO.pats.reader, credential: credential(), graphUrl: server.graph, armUrl: server.arm, caFile: `${TEST_CA_DIR}/ca.crt` }) };
    const plan = { findingId: "open-access/x", kind: "open-access", summary: "", project: PROJECT, steps: [{ call: "PATCH permissions", before: null, after: null, run: (t: typeof failing) => t.setPipelinePermissions(PROJECT, report.connections[0]!.id, { allPipelines: true }) }] };
    const outcomes = await applyFixes([plan, plan], failing, async () => report);
    expect(outcomes).toEqual([expect.objectContaining({ findingId: "open-access/x", status: "failed", stepsDone: 0, message: expect.stringMatching(/^PATCH permissions: /) })]);
  });
});
