import { AxeBuilder } from "@axe-core/playwright";
import { test as base, expect, type Locator, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { DEMO } from "../../src/world/demo.js";

export { expect };

export interface ServeFacts {
  login: string;
  graph: string;
  arm: string;
  devops: string;
  adminKey: string;
  web: string;
  pat: string;
}

export const facts = (): ServeFacts => JSON.parse(process.env.SVCCONN_WEB_FACTS ?? "{}");

/** Demo users by role: what each can do is decided by the services, the pages only show it. */
export const USERS = {
  admin: DEMO.users.admin.upn,
  dev: DEMO.users.dev.upn,
  appdev: DEMO.users.appdev.upn,
  guest: DEMO.users.alex.upn,
  reader: DEMO.users.reader.upn,
} as const;
export type DemoUser = keyof typeof USERS;

export const test = base.extend<object, object>({
  // The server's certificate comes from svcconn's own CA: Chromium is told to accept that one key, nothing else.
  launchOptions: [
    async ({ launchOptions }, use) => {
      await use({ ...launchOptions, args: [...(launchOptions.args ?? []), `--ignore-certificate-errors-spki-list=${process.env.SVCCONN_WEB_SPKI}`] });
    },
    { scope: "worker" },
  ],
});

export const urls = {
  connections: () => facts().web,
  connection: (id: string) => `${facts().web}?resourceId=${id}`,
  doctor: () => facts().web.replace("/_settings/adminservices", "/_svcconn/doctor"),
  run: (id: number) => facts().web.replace("/_settings/adminservices", `/_build/results?buildId=${id}`),
};

/** Signs in through svcconn's Entra sign-in page (authorization code with PKCE) and lands on `url`. */
export async function signIn(page: Page, who: DemoUser, url = urls.connections()): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Email or username").fill(USERS[who]);
  await page.getByLabel("Password").fill(DEMO.userPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-user")).toBeVisible();
}

/** An action of a service connection's page from its "⋯" menu (More actions), where Azure DevOps has it. */
export async function connectionAction(page: Page, action: string): Promise<void> {
  await page.getByRole("button", { name: "More actions" }).click();
  await page.getByRole("menuitem", { name: action }).click();
}

/** The actions the connection's "⋯" menu offers (the menu is closed again). */
export async function connectionActions(page: Page): Promise<string[]> {
  await page.getByRole("button", { name: "More actions" }).click();
  const items = (await page.getByRole("menuitem").allInnerTexts()).map((t) => t.trim());
  await page.keyboard.press("Escape");
  return items;
}

const SHOTS = resolve(import.meta.dirname, "../../test-results/web");
/** A screenshot kept as a test artifact (test-results/web/NAME.png), of the whole page unless it is long. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
}

/** The page has no serious or critical accessibility violations (axe-core, WCAG 2.1 AA rules). */
export async function expectAccessible(page: Page): Promise<void> {
  // Fluent UI's focus manager (tabster) puts aria-hidden placeholder elements at the edges of focus groups; focus
  // passes through them to the next real control at once, so no keyboard user ever rests on one.
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).exclude("[data-tabster-dummy]").analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`)).toEqual([]);
}

/** Calls svcconn's admin API (clock, repositories) with the instance's admin key. */
export async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${facts().devops}${path}`, {
    method,
    headers: { "x-svcconn-admin-key": facts().adminKey, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Calls Azure DevOps REST as the demo project administrator (PAT), for what a test sets up outside the pages. */
export async function devopsRest(method: string, path: string, body?: unknown, version = "7.1"): Promise<any> {
  const response = await fetch(`${facts().devops}${path}${path.includes("?") ? "&" : "?"}api-version=${version}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`:${facts().pat}`).toString("base64")}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

type Credential = "Workload identity federation" | "Secret";

/** Opens the wizard, picks the Contoso Development subscription and saves an automatic connection; returns the dialog. */
/** The creation dialog's first step, as in Azure DevOps: the connection type. */
export async function chooseAzureResourceManager(dialog: Locator): Promise<void> {
  await dialog.getByRole("radio", { name: "Azure Resource Manager" }).check();
  await dialog.getByRole("button", { name: "Next" }).click();
}

export async function startCreation(page: Page, name: string, credential: Credential = "Workload identity federation") {
  await page.getByRole("button", { name: "New service connection" }).click();
  const dialog = page.getByRole("dialog");
  await chooseAzureResourceManager(dialog);
  await dialog.getByRole("radio", { name: credential }).check();
  await dialog.getByRole("combobox", { name: "Subscription" }).click();
  await page.getByRole("option", { name: /Contoso Development/ }).click();
  await dialog.getByRole("textbox", { name: "Service connection name" }).fill(name);
  await dialog.getByRole("button", { name: "Save" }).click();
  return dialog;
}

/** The same, waiting until the connection is ready; the dialog is closed again. */
export async function createConnectionInPage(page: Page, name: string, credential: Credential = "Workload identity federation"): Promise<void> {
  const dialog = await startCreation(page, name, credential);
  await expect(dialog.getByText("The service connection is ready.")).toBeVisible();
  await dialog.getByRole("button", { name: "Close" }).click();
}

/** Presses Tab until `target` has the focus (at most `limit` times): proves it is reachable by keyboard. */
export async function tabTo(page: Page, target: ReturnType<Page["locator"]>, limit = 80, key = "Tab"): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(key);
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)).catch(() => false)) return;
  }
  throw new Error(`${key} never reached ${target}`);
}

/** A manual azurerm connection made through REST (no identity is created): for pages that need one to show. */
export async function manualConnection(name: string, appId: string, scheme: "ServicePrincipal" | "WorkloadIdentityFederation" = "WorkloadIdentityFederation"): Promise<{ id: string }> {
  return devopsRest("POST", `/${DEMO.organization.name}/_apis/serviceendpoint/endpoints`, {
    name,
    type: "azurerm",
    url: "https://management.azure.com/",
    authorization: {
      scheme,
      parameters: { tenantid: DEMO.tenantId, serviceprincipalid: appId, ...(scheme === "ServicePrincipal" ? { authenticationType: "spnKey", serviceprincipalkey: "not-a-real-secret-0123456789" } : {}) },
    },
    data: { environment: "AzureCloud", scopeLevel: "Subscription", subscriptionId: DEMO.devSubscriptionId, subscriptionName: "Contoso Development", creationMode: "Manual" },
    isShared: false,
    owner: "library",
    serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id }, name, description: "" }],
  });
}

/** Calls Azure Resource Manager as the demo administrator (Owner of both subscriptions), for what a test sets up there. */
export const armAsAdmin = (method: string, path: string, body?: unknown) => asAdmin(facts().arm, "https://management.azure.com/.default", method, path, body);

/** Calls Microsoft Graph as the demo administrator (Global Administrator). */
export const graphAsAdmin = (method: string, path: string, body?: unknown) => asAdmin(facts().graph, "https://graph.microsoft.com/.default", method, path, body);

async function asAdmin(base: string, scope: string, method: string, path: string, body?: unknown): Promise<Response> {
  const token = await fetch(`${facts().login}/${DEMO.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "password", client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", username: DEMO.users.admin.upn, password: DEMO.userPassword, scope }),
  }).then((r) => r.json() as Promise<{ access_token: string }>);
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token.access_token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}
