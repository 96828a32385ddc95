/**
 * npm run bench:web — the web UI's service-connection list in headless Chromium (Debian's) against `svcconn serve`
 * with 1 000 connections: from following the link to every row rendered (token from the session cache, the REST
 * listing, React rendering), and from typing a filter to the narrowed table. Beside the limit the issue sets (1 s each)
 * and, as a peer measured in the same run, the REST listing alone from the same browser (fetch, no rendering).
 */
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { Agent, fetch } from "undici";
import { DEMO } from "../src/world/demo.js";
import { startServeProcess } from "../test/web/serve-process.js";

const CONNECTIONS = Number(process.env.WEB_CONNECTIONS ?? 1000);
const ROUNDS = Number(process.env.WEB_ROUNDS ?? 5);
const LIMIT_MS = 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startServeProcess();
const { devops, web, pat, caFile } = server.facts as Record<string, string>;
// The server's certificate comes from its own CA (in its data folder): this process trusts that CA for its calls.
const dispatcher = new Agent({ connect: { ca: readFileSync(caFile!) } });
const auth = `Basic ${Buffer.from(`:${pat}`).toString("base64")}`;
try {
  const nameOf = (i: number) => `bench-${String(i).padStart(4, "0")}`;
  const create = (i: number) =>
    fetch(`${devops}/${DEMO.organization.name}/_apis/serviceendpoint/endpoints?api-version=7.1`, {
      dispatcher,
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({
        name: nameOf(i),
        type: "azurerm",
        url: "https://management.azure.com/",
        authorization: { scheme: "WorkloadIdentityFederation", parameters: { tenantid: DEMO.tenantId, serviceprincipalid: DEMO.bootstrapAppId } },
        data: { environment: "AzureCloud", scopeLevel: "Subscription", subscriptionId: DEMO.devSubscriptionId, subscriptionName: "Contoso Development", creationMode: "Manual" },
        serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id }, name: nameOf(i) }],
      }),
    }).then((r) => {
      if (!r.ok) throw new Error(`create: ${r.status}`);
    });
  for (let i = 0; i < CONNECTIONS; i += 25) await Promise.all(Array.from({ length: Math.min(25, CONNECTIONS - i) }, (_, k) => create(i + k)));

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--ignore-certificate-errors-spki-list=${server.spki}`],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(web);
  await page.getByLabel("Email or username").fill(DEMO.users.admin.upn);
  await page.getByLabel("Password").fill(DEMO.userPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  const count = page.getByTestId("connection-count");
  await count.waitFor();

  const render: number[] = [];
  const filter: number[] = [];
  const rest: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Render: a link to the list from another page of the app (no reload), to the last row drawn.
    await page.getByRole("link", { name: "Doctor" }).click();
    await page.getByRole("button", { name: "Explain" }).waitFor();
    let start = performance.now();
    await page.getByRole("link", { name: "Service connections" }).first().click();
    await page
      .getByRole("link", { name: nameOf(CONNECTIONS - 1) })
      .waitFor();
    render.push(performance.now() - start);
    // Filter: typing narrows the table to 10 rows.
    start = performance.now();
    await page.getByRole("searchbox").fill(`bench-0${round}1`);
    await page.getByText(/^10 of \d+ service connections$/).waitFor();
    filter.push(performance.now() - start);
    await page.getByRole("searchbox").fill("");
    // Peer: the same listing fetched by the page, without rendering.
    rest.push(
      await page.evaluate(async ([org, project, token]) => {
        const t = performance.now();
        const r = await fetch(`/${org}/${project}/_apis/serviceendpoint/endpoints?includeFailed=true&type=azurerm&api-version=7.1`, { headers: { authorization: token! } });
        await r.json();
        return performance.now() - t;
      }, [DEMO.organization.name, DEMO.project.name, auth]),
    );
  }
  await browser.close();
  const line = (label: string, ms: number) => `${label.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / LIMIT_MS).toFixed(2)} of the 1 s limit`;
  console.log(`web list with ${CONNECTIONS} connections, median of ${ROUNDS} rounds (Debian Chromium, headless)`);
  console.log(line("list: link followed → every row rendered", median(render)));
  console.log(line("filter: typed → table narrowed", median(filter)));
  console.log(line("peer: the REST listing alone (fetch + JSON)", median(rest)));
  console.log(`rendering adds ${(median(render) - median(rest)).toFixed(0)} ms to the listing it draws`);
} finally {
  await server.stop();
}
