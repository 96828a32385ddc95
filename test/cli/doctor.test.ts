import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe } from "../helpers/cli.js";
import { DEMO } from "../../src/world/demo.js";
import { TEST_CA_DIR } from "../helpers/runtime.js";


let server: ChildProcess;
const data = mkdtempSync(join(tmpdir(), "svcconn-doctor-cli-"));

function send(method: string, url: string, body: unknown, instance: { caFile: string; pat: string }): Promise<number> {
  return new Promise((ok, fail) => {
    const payload = JSON.stringify(body);
    const req = request(url, { method, ca: readFileSync(instance.caFile), headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`:${instance.pat}`).toString("base64")}` } }, (res) => {
      res.resume();
      res.on("end", () => ok(res.statusCode ?? 0));
    });
    req.on("error", fail);
    req.end(payload);
  });
}

describe("svcconn doctor scan", () => {
  beforeAll(async () => {
    // The suite's CA, which this process and the CLI's children already trust: the CLI need not start itself again.
    server = await startServe(data, ["--ca-dir", TEST_CA_DIR]);
    const instance = JSON.parse(readFileSync(join(data, "instance.json"), "utf8"));
    const status = await send("POST", `${instance.organization}/_apis/serviceendpoint/endpoints?api-version=7.1`, {
      name: "points-nowhere",
      type: "azurerm",
      url: "https://management.azure.com/",
      authorization: { scheme: "ServicePrincipal", parameters: { tenantid: DEMO.tenantId, serviceprincipalid: crypto.randomUUID(), serviceprincipalkey: "some-secret", authenticationType: "spnKey" } },
      data: { environment: "AzureCloud", scopeLevel: "Subscription", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", creationMode: "Manual" },
      serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id }, name: "points-nowhere" }],
    }, instance);
    expect(status).toBe(200);
  }, 60_000);
  afterAll(() => {
    server?.kill("SIGTERM");
  });

  it("scans the running svcconn with its own organization, PAT and reader, and prints a table grouped by connection", async () => {
    const result = await runCli(["doctor", "scan", "--data", data]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Scan of contoso \(web\) at \S+: 1 connections, 1 findings \(critical 1, high 0, medium 0, low 0\)/);
    expect(result.stdout).toContain("● points-nowhere (web) ServicePrincipal app ");
    expect(result.stdout).toMatch(/CRITICAL +application-missing +The connection's application does not exist in the directory/);
    expect(result.stdout).toContain("(svcconn explain: app-not-found)");
    // Piped: no progress bar.
    expect(result.stderr).not.toContain("connections, ETA");
  }, 60_000);

  it("prints JSON for machines and gates CI with --fail-on", async () => {
    const sarif = join(data, "scan.sarif");
    const html = join(data, "scan.html");
    const json = await runCli(["doctor", "scan", "--data", data, "--json", "--fail-on", "critical", "--sarif", sarif, "--html", html]);
    expect(json.code).toBe(1);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>[\s\S]*application-missing\//);
    expect(JSON.parse(readFileSync(sarif, "utf8")).runs[0]).toMatchObject({ tool: { driver: { name: "svcconn doctor", version: "0.1.0" } }, results: [{ ruleId: "application-missing", level: "error" }] });
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ organization: "contoso", partial: false, counts: { critical: 1 } });
    expect(report.connections[0].findings[0]).toMatchObject({ kind: "application-missing", severity: "critical", id: `application-missing/${report.connections[0].id}` });
    expect((await runCli(["doctor", "scan", "--data", data, "--fail-on", "high", "--project", "web"])).code).toBe(1);
  }, 60_000);

  it("says clearly what is wrong with its input: an unknown project, bad numbers, an unreachable organization", async () => {
    const project = await runCli(["doctor", "scan", "--data", data, "--project", "nope"]);
    expect(project.code).toBe(2);
    expect(project.stderr).toBe("svcconn doctor scan: The organization contoso has no project 'nope'.\n");
    const days = await runCli(["doctor", "scan", "--data", data, "--unused-days", "soon"]);
    expect(days.code).not.toBe(0);
    expect(days.stderr).toContain("--unused-days takes a number of days, not 'soon'");
    const unreachable = await runCli(["doctor", "scan", "--org", "https://127.0.0.1:9/nowhere", "--pat", "x", "--tenant", DEMO.tenantId, "--client-id", DEMO.bootstrapAppId, "--client-secret", "x"]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^svcconn doctor scan: Could not read the projects of the organization nowhere: .*ECONNREFUSED/);
    const revertMissing = await runCli(["doctor", "revert", "nope", "--data", data, "--project", "web", "--plan"]);
    expect(revertMissing.stderr).toBe("svcconn doctor revert: The project web has no service connection 'nope'.\n");
    const revertSecret = await runCli(["doctor", "revert", "points-nowhere", "--data", data, "--project", "web", "--plan"]);
    expect(revertSecret.stderr).toBe("svcconn doctor revert: 'points-nowhere' uses ServicePrincipal: only a connection converted to workload identity federation can be reverted.\n");
    const noRights = await runCli(["doctor", "scan", "--data", data, "--pat", "not-a-pat"]);
    expect(noRights.code).toBe(1);
    expect(noRights.stderr).toMatch(/^svcconn doctor scan: Could not read the projects of the organization contoso: TF400813: /);
  }, 60_000);

  it("fix: --plan prints the calls with before and after; --apply makes them and re-scans clean", async () => {
    const instance = JSON.parse(readFileSync(join(data, "instance.json"), "utf8"));
    const json = JSON.parse((await runCli(["doctor", "scan", "--data", data, "--json"])).stdout);
    const id = json.connections[0].id;
    expect(await send("PATCH", `${instance.organization}/web/_apis/pipelines/pipelinePermissions/endpoint/${id}?api-version=7.1-preview.1`, { allPipelines: { authorized: true } }, instance)).toBe(200);

    const neither = await runCli(["doctor", "fix", "--data", data]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("say --plan (print what would change) or --apply (change it)");

    const plan = await runCli(["doctor", "fix", "--data", data, "--plan"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`open-access/${id}: Close open access to 'points-nowhere' and permit only the pipelines that used it (none did)`);
    expect(plan.stdout).toContain(`  PATCH {org}/web/_apis/pipelines/pipelinePermissions/endpoint/${id}`);
    expect(plan.stdout).toContain('    before: {"allPipelines":{"authorized":true},"pipelines":[]}');

    const applied = await runCli(["doctor", "fix", "--data", data, "--apply", "--json"]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ plans: [{ findingId: `open-access/${id}` }], unfixable: [], outcomes: [{ findingId: `open-access/${id}`, status: "fixed" }] });
    const after = JSON.parse((await runCli(["doctor", "scan", "--data", data, "--json"])).stdout);
    expect(after.connections[0].findings.map((f: { kind: string }) => f.kind)).toEqual(["application-missing"]);
  }, 120_000);
});
