import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe } from "../helpers/cli.js";
import { DEMO } from "../../src/world/demo.js";


let server: ChildProcess;
const data = mkdtempSync(join(tmpdir(), "svcconn-doctor-cli-"));

function post(url: string, body: unknown, instance: { caFile: string; pat: string }): Promise<number> {
  return new Promise((ok, fail) => {
    const payload = JSON.stringify(body);
    const req = request(url, { method: "POST", ca: readFileSync(instance.caFile), headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`:${instance.pat}`).toString("base64")}` } }, (res) => {
      res.resume();
      res.on("end", () => ok(res.statusCode ?? 0));
    });
    req.on("error", fail);
    req.end(payload);
  });
}

describe("svcconn doctor scan", () => {
  beforeAll(async () => {
    server = await startServe(data);
    const instance = JSON.parse(readFileSync(join(data, "instance.json"), "utf8"));
    const status = await post(`${instance.organization}/_apis/serviceendpoint/endpoints?api-version=7.1`, {
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
    const json = await runCli(["doctor", "scan", "--data", data, "--json", "--fail-on", "critical"]);
    expect(json.code).toBe(1);
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
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/^svcconn doctor scan: Could not read the projects of the organization nowhere: .*ECONNREFUSED/);
    const noRights = await runCli(["doctor", "scan", "--data", data, "--pat", "not-a-pat"]);
    expect(noRights.code).toBe(2);
    expect(noRights.stderr).toMatch(/^svcconn doctor scan: Could not read the projects of the organization contoso: TF400813: /);
  }, 60_000);
});
