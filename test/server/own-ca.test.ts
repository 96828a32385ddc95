import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, describe, expect, it } from "vitest";
import type { ScanReport } from "../../src/doctor/scan/scan.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm } from "../helpers/devops.js";
import { killServed, projectApi, serve, until } from "../helpers/processes.js";

afterAll(killServed);

describe("a server started as `npm start` starts it, without NODE_EXTRA_CA_CERTS", () => {
  it("scans through its own route (the web UI's): its SDK calls to its listeners trust its CA in process", async () => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const served = await serve(["--data", mkdtempSync(join(tmpdir(), "svcconn-own-ca-"))], env);
    // A connection with an application and a role assignment for the scan to read in Graph and ARM.
    const api = projectApi(served);
    const made = await api("POST", "/_apis/serviceendpoint/endpoints", azurerm({ name: "scanned", subscriptionId: DEMO.subscriptionId }));
    await until("the automatic creation", async () => ((await api("GET", `serviceendpoint/endpoints/${made.id}`)).isReady ? true : undefined));
    const { tenantId, clientId, clientSecret } = served.bootstrap;
    // This test process trusts the CA (scripts/test.mjs); the server process does not.
    const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost: served.login, disableInstanceDiscovery: true });
    const tokens = { graph: (await credential.getToken("https://graph.microsoft.com/.default")).token, arm: (await credential.getToken("https://management.azure.com/.default")).token };
    const response = await fetch(`${served.devops}/_svcconn/doctor/scan`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`:${served.pat}`).toString("base64")}` },
      body: JSON.stringify({ organization: DEMO.organization.name, tokens }),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const report = JSON.parse(text) as ScanReport;
    expect(text).not.toContain("fetch failed");
    expect(report.notEvaluated.filter((n) => /could not read/.test(n.reason))).toEqual([]);
    expect(report.connections.map((c) => c.name)).toEqual(["scanned"]);
    expect(report.partial).toBe(false);
  }, 60_000);
});
