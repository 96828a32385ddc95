import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:https";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import * as azdev from "azure-devops-node-api";
import { RunResult } from "azure-devops-node-api/interfaces/PipelinesInterfaces.js";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sdkDoctorTarget } from "../../src/clients/doctor-target.js";
import { issueCertificate } from "../../src/core/x509.js";
import { applyFixes, planFixes, planRevert } from "../../src/doctor/fix/plan.js";
import type { FixTarget } from "../../src/doctor/fix/target.js";
import { FINDING_KINDS } from "../../src/doctor/findings/index.js";
import { toHtml } from "../../src/doctor/scan/html.js";
import { type ScanReport, scan } from "../../src/doctor/scan/scan.js";
import type { RunningServer } from "../../src/server/start.js";
import { readWorld } from "../../src/world/load.js";
import { TEST_CA_DIR, testServer } from "../helpers/runtime.js";

// The seeded-fault world (scenarios/doctor-faults.yaml): one connection per finding, named after it.
const WORLD_FILE = "scenarios/doctor-faults.yaml";
const world = readWorld(WORLD_FILE);
const tenantId = world.tenants[0]!.id!;
const bootstrapAppId = world.tenants[0]!.applications.find((a) => a.displayName === world.bootstrap!.application)!.appId!;
const secret = world.bootstrap!.secretText;
const pat = world.bootstrap!.pat!;
const PROJECT = "web";
const DAY = 86_400;
const azPath = spawnSync("sh", ["-c", "command -v az"], { encoding: "utf8" }).stdout.trim();
const chromiumPath = spawnSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).stdout.trim();

let server: RunningServer;
let report: ScanReport;

const credential = () => new ClientSecretCredential(tenantId, bootstrapAppId, secret, { authorityHost: server.login, disableInstanceDiscovery: true });
const target = (urls: { graph?: string; arm?: string } = {}) =>
  sdkDoctorTarget({ organizationUrl: `${server.devops}/contoso`, pat, credential: credential(), graphUrl: urls.graph ?? server.graph, armUrl: urls.arm ?? server.arm, caFile: `${TEST_CA_DIR}/ca.crt` });
const now = () => new Date(server.runtime.clock.nowMs());
const findingsOf = (r: ScanReport, name: string) => r.connections.find((c) => c.name === name)?.findings.map((f) => f.kind);

async function runPipeline(name: string): Promise<string | undefined> {
  const web = new azdev.WebApi(`${server.devops}/contoso`, azdev.getPersonalAccessTokenHandler(pat), { cert: { caFile: `${TEST_CA_DIR}/ca.crt` } });
  const pipelinesApi = await web.getPipelinesApi();
  const pipeline = (await pipelinesApi.listPipelines(PROJECT)).find((p) => p.name === name)!;
  const run = await pipelinesApi.runPipeline({}, PROJECT, pipeline.id!);
  await server.runtime.pipelines.settled();
  const result = (await pipelinesApi.getRun(PROJECT, pipeline.id!, run.id!)).result;
  return result === undefined ? undefined : RunResult[result];
}

beforeAll(async () => {
  server = await testServer({ world: WORLD_FILE });
  if (azPath) {
    // The two findings that come from use: a managed identity on the hosted pool, a deployment its Reader role refuses.
    expect(await runPipeline("identity-on-hosted")).toBe("Failed");
    expect(await runPipeline("deploy-with-reader")).toBe("Failed");
  }
  // Key Vault's secrets refused to a connection that is Contributor (AzureKeyVault@2 needs no az).
  expect(await runPipeline("read-vault-as-contributor")).toBe("Failed");
  // A run of a task version without workload identity federation (AzureFileCopy@4; its outcome does not matter).
  expect(await runPipeline("copy-files")).toBeDefined();
  report = await scan(target(), { now: now() });
}, 180_000);

afterAll(async () => server?.close());

describe("doctor scan on the seeded-fault world (scenarios/doctor-faults.yaml)", () => {
  it("finds every seeded fault and nothing else: recall 100 %, no false positives", () => {
    const usage = new Set(["managed-identity-on-hosted", "role-insufficient"]);
    for (const c of report.connections) {
      const expected = c.name.startsWith("healthy-") || (!azPath && usage.has(c.name)) ? [] : [c.name.replace(/-\d$/, "")];
      expect(c.findings.map((f) => f.kind), c.name).toEqual(expected);
    }
    // Every connection of the file was scanned, once (the shared one under its first project).
    const declared = world.organizations[0]!.projects.flatMap((p) => p.serviceConnections.map((c) => c.name));
    expect(report.connections.map((c) => c.name).sort()).toEqual(declared.sort());
    expect(report.other.map((f) => [f.kind, f.application?.displayName])).toEqual([["orphaned-application", "contoso-web-5ce0a1f0-0000-4000-8000-0000000000aa"]]);
    // A finding kind registered without a seeded case in the world file fails here.
    const seeded = new Set([...declared.map((name) => name.replace(/-\d$/, "")), ...report.other.map((f) => f.kind)]);
    for (const kind of FINDING_KINDS.keys()) expect(seeded.has(kind), `${kind} has no connection named after it in ${WORLD_FILE}`).toBe(true);
    expect(report).toMatchObject({ partial: false, notEvaluated: [], skipped: [] });
  });

  it.skipIf(!azPath)("reads the findings that come from use with their evidence: the hosted run, the refused action", () => {
    const hosted = report.connections.find((c) => c.name === "managed-identity-on-hosted")!.findings[0]!;
    expect(hosted).toMatchObject({ severity: "high", explanation: "managed-identity-unsupported", evidence: { runs: [{ pool: "Azure Pipelines", pipeline: "identity-on-hosted", result: "failed" }] } });
    const refused = report.connections.find((c) => c.name === "role-insufficient")!.findings[0]!;
    expect(refused.evidence).toMatchObject({ action: "Microsoft.Resources/subscriptions/resourcegroups/write", assignments: [{ role: "Reader" }], run: { pipeline: "deploy-with-reader" } });
    expect(refused.evidence.message).toContain("AuthorizationFailed");
  });

  it("a Key Vault refusal of a connection that is Contributor: role-insufficient with the data action, explained by Key Vault, fixed with the data role on the vault", () => {
    const vaultId = "/subscriptions/5ce0a1f0-5ab0-4000-8000-000000000001/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/contoso-scenario-kv";
    const refused = report.connections.find((c) => c.name === "role-insufficient-2")!.findings[0]!;
    expect(refused).toMatchObject({ kind: "role-insufficient", explanation: "key-vault-access-denied", evidence: { dataAction: "Microsoft.KeyVault/vaults/secrets/readMetadata/action", refusedScope: vaultId, assignments: [{ role: "Contributor" }], run: { pipeline: "read-vault-as-contributor" } } });
    const { plans } = planFixes(report, [refused.id], now());
    expect(plans[0]!.summary).toContain("Assign Key Vault Secrets User to the service principal of 'role-insufficient-2' on the key vault");
    expect(plans[0]!.steps[0]!.after).toMatchObject({ roleDefinitionId: "4633458b-17de-408a-b874-0445c86b69e6", scope: vaultId });
  });

  it("writes a self-contained HTML report that a headless browser shows offline, with the expiry timeline", async () => {
    const html = toHtml(report, { organizationUrl: `${server.devops}/contoso`, expiringDays: 30 });
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/i);
    expect(html).toContain("secret-expired/");
    const dir = join(process.cwd(), "test-results", "doctor");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "scan-report.html");
    writeFileSync(file, html);
    if (!chromiumPath) return void console.log("skipping the screenshot: no chromium (scripts/install-system-deps.sh installs it)");
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(`file://${file}`);
      expect(requests).toEqual([`file://${file}`]);
      await expect(page.getByRole("heading", { name: "Secret and certificate expiries" }).isVisible()).resolves.toBe(true);
      // The timeline marks: secret-expired (red), secret-expiring (amber), certificate-expired, healthy ones (green).
      const marks = page.locator("svg[role=img] circle");
      expect(await marks.count()).toBeGreaterThanOrEqual(6);
      expect(await page.locator("svg[role=img] title", { hasText: "secret-expiring: secret" }).count()).toBe(1);
      await page.screenshot({ path: join(dir, "scan-report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe("POST /_svcconn/doctor/scan on the devops listener (for the web UI)", () => {
  const post = async (body: unknown, authorization = `Basic ${Buffer.from(`:${pat}`).toString("base64")}`) => {
    const response = await fetch(`${server.devops}/_svcconn/doctor/scan`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify(body) });
    return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() };
  };

  it("scans as the caller (their PAT, their Graph and ARM tokens) with the same findings as the SDK scan", async () => {
    const tokens = { graph: (await credential().getToken("https://graph.microsoft.com/.default"))!.token, arm: (await credential().getToken("https://management.azure.com/.default"))!.token };
    const answer = await post({ organization: "contoso", tokens });
    expect(answer.status, answer.text).toBe(200);
    const viaRoute = JSON.parse(answer.text) as ScanReport;
    expect(viaRoute.connections.map((c) => [c.name, c.findings.map((f) => f.id)])).toEqual(report.connections.map((c) => [c.name, c.findings.map((f) => f.id)]));
    expect(viaRoute.other.map((f) => f.id)).toEqual(report.other.map((f) => f.id));
    const html = await post({ organization: "contoso", project: "web", format: "html", tokens });
    expect(html.type).toMatch(/^text\/html/);
    expect(html.text).toContain("Secret and certificate expiries");
    const sarif = JSON.parse((await post({ organization: "contoso", format: "sarif", tokens })).text);
    expect(sarif.version).toBe("2.1.0");
  }, 60_000);

  it("without Graph and ARM tokens reads what the PAT allows and lists the rest as not evaluated", async () => {
    const answer = JSON.parse((await post({ organization: "contoso", project: "web" })).text) as ScanReport;
    expect(answer.partial).toBe(true);
    expect(answer.notEvaluated.find((n) => n.check === "application")?.reason).toContain("no access token for Microsoft Graph was given (tokens.graph)");
    expect(answer.connections.find((c) => c.name === "open-access")!.findings.map((f) => f.kind)).toEqual(["open-access"]);
  }, 60_000);

  it("refuses a bad body or credential in Azure DevOps' format, and never calls a host the request names", async () => {
    const bad = await post({ organization: "contoso", format: "pdf" });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ typeKey: "ArgumentException", message: expect.stringMatching(/^The scan request is not valid: format: /) });
    expect((await post({ organization: "https://attacker.example/" })).status).toBe(400);
    const noCredential = await post({ organization: "contoso" }, "");
    expect(noCredential.status).toBe(401);
    const wrong = await post({ organization: "contoso" }, `Basic ${Buffer.from(":not-a-pat").toString("base64")}`);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).message).toContain("TF400813");
  });
});

describe("doctor fix on the seeded-fault world", () => {
  it("converts an expiring secret to workload identity federation (no secret left to expire), and reverts within seven days", async () => {
    const t = target();
    const id = report.connections.find((c) => c.name === "secret-expiring")!.findings[0]!.id;
    const { plans } = planFixes(report, [id], now(), { convert: true });
    expect(plans[0]!.steps.map((s) => s.call.split("?")[1] ?? s.call.split(" ")[0])).toEqual(["operation=ConvertAuthenticationScheme", "POST"]);
    const outcomes = await applyFixes(plans, t, () => scan(t, { now: now() }));
    expect(outcomes).toEqual([{ findingId: id, status: "fixed", stepsDone: 2 }]);
    const after = await scan(t, { now: now() });
    expect(after.connections.find((c) => c.name === "secret-expiring")).toMatchObject({ scheme: "WorkloadIdentityFederation", findings: [] });

    const connection = report.connections.find((c) => c.name === "secret-expiring")!;
    expect(await applyFixes([planRevert(connection, PROJECT)], t, () => scan(t, { now: now() }))).toEqual([{ findingId: `revert/${connection.id}`, status: "fixed", stepsDone: 1 }]);
    expect((await scan(t, { now: now() })).connections.find((c) => c.name === "secret-expiring")).toMatchObject({ scheme: "ServicePrincipal", findings: [{ kind: "secret-expiring" }] });
  }, 60_000);

  it("takes back what a fix did when a later step fails: nothing half-done", async () => {
    const t = target();
    const id = report.connections.find((c) => c.name === "secret-expired")!.findings[0]!.id;
    const objectId = report.connections.find((c) => c.name === "secret-expired")!.findings[0]!.application!.objectId!;
    const passwords = async () => (await server.runtime.store.applications.passwords(objectId)).length;
    const before = await passwords();
    const failing: FixTarget = { ...t, setConnectionSecret: async () => Promise.reject(new Error("TF400813: refused for the test")) };
    const { plans } = planFixes(report, [id], now());
    const [outcome] = await applyFixes(plans, failing, () => scan(t, { now: now() }));
    expect(outcome).toMatchObject({ status: "failed", stepsDone: 1, rollback: "rolled-back" });
    expect(outcome!.message).toMatch(/^PUT \{org\}\/web\/_apis\/serviceendpoint\/endpoints\/\S+: TF400813: refused for the test; the 1 step\(s\) done before it were taken back$/);
    expect(await passwords()).toBe(before);
  });

  it("applies every automatic fix, one finding at a time, and the re-scan is clean for each", async () => {
    const t = target();
    const fresh = await scan(t, { now: now() });
    const { plans } = planFixes(fresh, [], now());
    const fixable = ["no-role-at-scope", "open-access", "orphaned-application", "secret-expired", "secret-expiring", "service-principal-disabled", "role-insufficient", ...(azPath ? ["role-insufficient"] : [])];
    expect(plans.map((p) => p.kind).sort()).toEqual(fixable.sort());
    const outcomes = await applyFixes(plans, t, () => scan(t, { now: now() }));
    expect(outcomes.map((o) => o.status)).toEqual(plans.map(() => "fixed"));
    const after = await scan(t, { now: now() });
    for (const kind of fixable.filter((k) => k !== "orphaned-application")) expect(findingsOf(after, kind), kind).toEqual([]);
    expect(findingsOf(after, "role-insufficient-2")).toEqual([]);
    expect(after.other).toEqual([]);
  }, 120_000);

  it("reverting after seven days gives Azure DevOps' refusal", async () => {
    const t = target();
    const connection = report.connections.find((c) => c.name === "healthy-secret")!;
    await t.convertScheme(PROJECT, connection.id, "WorkloadIdentityFederation");
    await server.runtime.clock.advance(8 * DAY);
    const [outcome] = await applyFixes([planRevert(connection, PROJECT)], t, () => scan(t, { now: now() }));
    expect(outcome).toMatchObject({ status: "failed", stepsDone: 0 });
    expect(outcome!.message).toContain("The service connection can no longer be reverted: the 7-day revert window has passed.");
  });
});

/** An HTTPS front for svcconn's Graph and ARM listeners that answers 429 (Retry-After: 0) to the first `throttle` requests. */
async function throttlingFront(upstream: string, throttle: number): Promise<{ url: string; throttled: () => number; server: Server }> {
  const ca = { certPem: readFileSync(join(TEST_CA_DIR, "ca.crt"), "utf8"), keyPem: readFileSync(join(TEST_CA_DIR, "ca.key"), "utf8") };
  const cert = await issueCertificate({ subject: "CN=svcconn throttling front", notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000), ips: ["127.0.0.1"], issuer: ca });
  let served = 0;
  const front = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    if (served < throttle) {
      served++;
      req.resume();
      res.writeHead(429, { "retry-after": "0", "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "TooManyRequests", message: "Too many requests." } }));
      return;
    }
    const target = new URL(`${upstream.replace(/\/$/, "")}${req.url}`);
    const forward = request(target, { method: req.method, headers: { ...req.headers, host: target.host }, ca: ca.certPem }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", (error) => res.writeHead(502).end(error.message));
    req.pipe(forward);
  });
  await new Promise<void>((ok) => front.listen(0, "127.0.0.1", ok));
  const { port } = front.address() as { port: number };
  return { url: `https://127.0.0.1:${port}`, throttled: () => served, server: front };
}

describe("doctor scan when Graph and ARM throttle (429)", () => {
  it("retries with back-off as the SDKs do, and says what it could not read when throttling lasts", async () => {
    const graph = await throttlingFront(server.graph, 2);
    const arm = await throttlingFront(server.arm, 2);
    try {
      const retried = await scan(target({ graph: graph.url, arm: arm.url }), { now: now() });
      expect(graph.throttled()).toBe(2);
      expect(arm.throttled()).toBe(2);
      expect(retried.partial).toBe(false);
      expect(retried.connections.length).toBe(report.connections.length);
    } finally {
      graph.server.close();
      arm.server.close();
    }
    const lasting = await throttlingFront(server.graph, 1_000);
    try {
      const partial = await scan(target({ graph: lasting.url }), { now: now(), project: PROJECT });
      expect(partial.partial).toBe(true);
      expect(partial.notEvaluated.find((n) => n.check === "application")?.reason).toMatch(/^could not read the applications: /);
    } finally {
      lasting.server.close();
    }
  }, 120_000);
});
