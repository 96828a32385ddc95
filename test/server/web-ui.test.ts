import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { webUiRoutes } from "../../src/server/web-ui.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops } from "../helpers/devops.js";
import { testRuntime } from "../helpers/runtime.js";

const ADO = "499b84ac-1321-427f-aa17-267ca6975798";
// testRuntime does not listen: the Azure DevOps web client's redirect URI is its real-host one.
const SPA_ORIGIN = "https://dev.azure.com";
const SPA_REDIRECT = `${SPA_ORIGIN}/_signedin`;

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

/** Signs a demo user in at the authorize endpoint and returns the code from the redirect's fragment. */
async function codeFor(upn: string, redirectUri: string, challenge: string): Promise<string> {
  const query = new URLSearchParams({ client_id: ADO, response_type: "code", redirect_uri: redirectUri, scope: `${ADO}/.default openid profile offline_access`, state: "s1", nonce: "n1", code_challenge: challenge, code_challenge_method: "S256", response_mode: "fragment" });
  const response = await runtime.listeners.login.inject({
    method: "POST",
    url: `/${DEMO.tenantId}/oauth2/v2.0/authorize`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: `${query}&login=${encodeURIComponent(upn)}&passwd=${encodeURIComponent(DEMO.userPassword)}`,
  });
  expect(response.statusCode).toBe(302);
  const location = new URL(response.headers.location as string);
  expect(location.search).toBe("");
  const fragment = new URLSearchParams(location.hash.slice(1));
  expect(fragment.get("state")).toBe("s1");
  return fragment.get("code")!;
}

const redeem = (form: Record<string, string>, origin?: string) =>
  runtime.listeners.login.inject({
    method: "POST",
    url: `/${DEMO.tenantId}/oauth2/v2.0/token`,
    headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
    payload: new URLSearchParams(form).toString(),
  });

describe("the web UI's sign-in: authorization code with PKCE from a browser", () => {
  it("redeems a code from the Azure DevOps web client's own origin, with CORS, and refreshes for other resources", async () => {
    const verifier = randomBytes(32).toString("base64url");
    const code = await codeFor(DEMO.users.admin.upn, SPA_REDIRECT, createHash("sha256").update(verifier).digest("base64url"));
    const tokens = await redeem({ grant_type: "authorization_code", client_id: ADO, code, redirect_uri: SPA_REDIRECT, code_verifier: verifier, scope: `${ADO}/.default openid profile offline_access` }, SPA_ORIGIN);
    expect(tokens.statusCode).toBe(200);
    expect(tokens.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
    const body = tokens.json();
    expect(body.id_token).toBeTruthy();
    const refreshed = await redeem({ grant_type: "refresh_token", client_id: ADO, refresh_token: body.refresh_token, scope: "https://graph.microsoft.com/.default offline_access" }, SPA_ORIGIN);
    expect(refreshed.statusCode).toBe(200);
    // The DevOps token works on the REST APIs as that person.
    const me = await runtime.listeners.devops.inject({ method: "GET", url: `/${DEMO.organization.name}/_apis/connectionData`, headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.json().authenticatedUser.properties.Account.$value).toBe(DEMO.users.admin.upn);
  });

  it("refuses a browser redemption from any other origin, or for a redirect URI that is not a single-page app (AADSTS9002326)", async () => {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const code = await codeFor(DEMO.users.dev.upn, SPA_REDIRECT, challenge);
    const elsewhere = await redeem({ grant_type: "authorization_code", client_id: ADO, code, redirect_uri: SPA_REDIRECT, code_verifier: verifier }, "https://evil.example");
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error_codes).toEqual([9002326]);
    expect(elsewhere.json().error_description).toContain("Request origin: 'https://evil.example'");
    // The error is readable by the page that sent it.
    expect(elsewhere.headers["access-control-allow-origin"]).toBe("https://evil.example");

    // A native (loopback) redirect URI may redeem from a program, not from a browser.
    const loopback = "http://localhost:4321/";
    const nativeCode = await codeFor(DEMO.users.dev.upn, loopback, challenge);
    const fromBrowser = await redeem({ grant_type: "authorization_code", client_id: ADO, code: nativeCode, redirect_uri: loopback, code_verifier: verifier }, "http://localhost:4321");
    expect(fromBrowser.json().error_codes).toEqual([9002326]);
    const fromProgram = await redeem({ grant_type: "authorization_code", client_id: ADO, code: nativeCode, redirect_uri: loopback, code_verifier: verifier });
    expect(fromProgram.statusCode).toBe(200);
  });

  it("answers a silent sign-in (prompt=none) with login_required: svcconn keeps no browser session to reuse", async () => {
    const query = new URLSearchParams({ client_id: ADO, response_type: "code", redirect_uri: SPA_REDIRECT, scope: "openid", state: "s2", prompt: "none", response_mode: "fragment" });
    const response = await runtime.listeners.login.inject({ method: "GET", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize?${query}` });
    expect(response.statusCode).toBe(302);
    const fragment = new URLSearchParams(new URL(response.headers.location as string).hash.slice(1));
    expect(fragment.get("error")).toBe("login_required");
    expect(fragment.get("error_description")).toMatch(/^AADSTS50058: A silent sign-in request was sent but no user is signed in\./);
    expect(fragment.get("state")).toBe("s2");
  });

  it("answers CORS preflights on the token endpoint, Microsoft Graph and Azure Resource Manager", async () => {
    const token = await runtime.listeners.login.inject({ method: "OPTIONS", url: `/${DEMO.tenantId}/oauth2/v2.0/token`, headers: { origin: SPA_ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    expect(token.statusCode).toBe(204);
    expect(token.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
    expect(token.headers["access-control-allow-headers"]).toBe("content-type");
    const graph = await runtime.listeners.graph.inject({ method: "OPTIONS", url: "/v1.0/applications", headers: { origin: SPA_ORIGIN, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    expect(graph.statusCode).toBe(204);
    expect(graph.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
    expect(graph.headers["access-control-allow-headers"]).toBe("authorization");
    const unauthenticated = await runtime.listeners.graph.inject({ method: "GET", url: "/v1.0/applications", headers: { origin: SPA_ORIGIN } });
    expect(unauthenticated.statusCode).toBe(401);
    expect(unauthenticated.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
    // ARM too: the creation dialog lists resource groups and workspaces with the person's token.
    const arm = await runtime.listeners.arm.inject({ method: "OPTIONS", url: `/subscriptions/${DEMO.subscriptionId}/resourcegroups?api-version=2021-04-01`, headers: { origin: SPA_ORIGIN, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    expect(arm.statusCode).toBe(204);
    expect(arm.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
    expect(arm.headers["access-control-allow-headers"]).toBe("authorization");
    const armRefusal = await runtime.listeners.arm.inject({ method: "GET", url: `/subscriptions/${DEMO.subscriptionId}/resourcegroups?api-version=2021-04-01`, headers: { origin: SPA_ORIGIN } });
    expect(armRefusal.statusCode).toBe(401);
    expect(armRefusal.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
  });
});

describe("the ServiceEndpoints security namespace (_apis/permissions)", () => {
  const check = (who: "admin" | "dev" | "reader", bits: number, tokens: string) =>
    devops(runtime, who, "GET", `/${DEMO.organization.name}/_apis/permissions/49b48001-ca20-4adc-8111-5b60c903a50c/${bits}?tokens=${encodeURIComponent(tokens)}`);

  it("answers per token whether the caller holds the bits: Create for creators, not readers; nothing outside their projects", async () => {
    const project = `endpoints/${DEMO.project.id}`;
    expect((await check("admin", 4, project)).body).toEqual({ count: 1, value: [true] });
    expect((await check("dev", 4, project)).body).toEqual({ count: 1, value: [true] });
    expect((await check("reader", 4, project)).body).toEqual({ count: 1, value: [false] });
    expect((await check("reader", 16, project)).body).toEqual({ count: 1, value: [true] });
    expect((await check("admin", 4, `${project},endpoints/0b0b0b0b-0000-4000-8000-000000000000,endpoints/x/y/z`)).body.value).toEqual([true, false, false]);
  });

  it("refuses other namespaces and a request without tokens, in Azure DevOps' format", async () => {
    const other = await devops(runtime, "admin", "GET", `/${DEMO.organization.name}/_apis/permissions/52d39943-cb85-4d7f-8fa8-c6baac873819/1?tokens=x`);
    expect(other.status).toBe(400);
    expect(other.body.typeKey).toBe("ArgumentException");
    const none = await devops(runtime, "admin", "GET", `/${DEMO.organization.name}/_apis/permissions/49b48001-ca20-4adc-8111-5b60c903a50c/1`);
    expect(none.status).toBe(400);
    const badBits = await devops(runtime, "admin", "GET", `/${DEMO.organization.name}/_apis/permissions/49b48001-ca20-4adc-8111-5b60c903a50c/abc?tokens=x`);
    expect(badBits.status).toBe(400);
    expect(badBits.body.message).toBe("The value 'abc' is not valid for permissions.");
    const many = await devops(runtime, "admin", "GET", `/${DEMO.organization.name}/_apis/permissions/49b48001-ca20-4adc-8111-5b60c903a50c/1?tokens=${Array.from({ length: 501 }, (_, i) => `t${i}`).join(",")}`);
    expect(many.status).toBe(400);
    expect(many.body.message).toBe("At most 500 tokens can be checked at once.");
    const anonymous = await runtime.listeners.devops.inject({ method: "GET", url: `/${DEMO.organization.name}/_apis/permissions/49b48001-ca20-4adc-8111-5b60c903a50c/1?tokens=x&api-version=7.1` });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe("what the list page reads in one call", () => {
  it("lists every connection open to all pipelines (build authorizedresources without an id)", async () => {
    const open = await createEndpoint(runtime, "admin", azurerm({ name: "open-one", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId } }));
    const closed = await createEndpoint(runtime, "admin", azurerm({ name: "closed-one", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId } }));
    await devops(runtime, "admin", "PATCH", `/${DEMO.organization.name}/${DEMO.project.name}/_apis/pipelines/pipelinePermissions/endpoint/${open.id}`, { allPipelines: { authorized: true }, pipelines: [] }, { version: "7.1-preview.1" });
    for (const who of ["admin", "reader"] as const) {
      const listed = await devops(runtime, who, "GET", `/${DEMO.organization.name}/${DEMO.project.name}/_apis/build/authorizedresources?type=endpoint`);
      expect(listed.body.value).toEqual([{ type: "endpoint", id: open.id, authorized: true }]);
      expect(listed.body.value.some((r: { id: string }) => r.id === closed.id)).toBe(false);
    }
    const badType = await devops(runtime, "admin", "GET", `/${DEMO.organization.name}/${DEMO.project.name}/_apis/build/authorizedresources?type=nosuchtype`);
    expect(badType.status).toBe(400);
    expect(badType.body).toMatchObject({ typeKey: "ArgumentException", message: "The resource type 'nosuchtype' is not valid." });
  });
});

describe("the doctor's fix route", () => {
  it("refuses a request without findings, in Azure DevOps' format, before it reads anything", async () => {
    const response = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/doctor/fix", payload: { organization: DEMO.organization.name } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ typeKey: "ArgumentException", message: expect.stringContaining("findings") });
    const anonymous = await runtime.listeners.devops.inject({ method: "POST", url: "/_svcconn/doctor/fix", payload: { organization: DEMO.organization.name, findings: ["open-access/x"] } });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe("serving the pages", () => {
  const serve = (dist: string) => {
    const app = fastify();
    webUiRoutes(app, { devops: runtime.devops, clock: runtime.clock, loginBase: () => "https://127.0.0.1:9443", graphBase: () => "https://127.0.0.1:9444", armBase: () => "https://127.0.0.1:9445" }, dist);
    return app;
  };

  it("serves the page at Azure DevOps' paths with the organization's tenant and a strict content security policy", async () => {
    const dist = mkdtempSync(join(tmpdir(), "svcconn-web-dist-"));
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), '<html><head><!--svcconn-config--><script type="module" src="/_static/svcconn/assets/index-1.js"></script></head><body></body></html>');
    writeFileSync(join(dist, "assets", "index-1.js"), "console.log(1)");
    const app = serve(dist);
    for (const path of [`/${DEMO.organization.name}/${DEMO.project.name}/_settings/adminservices?resourceId=x`, `/${DEMO.organization.name}/${DEMO.project.name}/_build/results?buildId=1`, "/_signedin"]) {
      const page = await app.inject({ method: "GET", url: path });
      expect(page.statusCode).toBe(200);
      expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(page.headers["content-security-policy"]).toContain("connect-src 'self' https://127.0.0.1:9443 https://127.0.0.1:9444 https://127.0.0.1:9445;");
    }
    const page = await app.inject({ method: "GET", url: `/${DEMO.organization.name}/${DEMO.project.name}/_settings/adminservices` });
    const config = JSON.parse(/<script id="svcconn-config" type="application\/json">(.*?)<\/script>/.exec(page.body)![1]!);
    expect(config).toMatchObject({ organization: DEMO.organization.name, project: DEMO.project.name, tenantId: DEMO.tenantId, authority: `https://127.0.0.1:9443/${DEMO.tenantId}`, clientId: ADO, armUrl: "https://127.0.0.1:9445" });
    const asset = await app.inject({ method: "GET", url: "/_static/svcconn/assets/index-1.js" });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toContain("immutable");
    expect((await app.inject({ method: "GET", url: "/_static/svcconn/assets/../index.html" })).statusCode).toBe(404);
    // Through the real-host proxy the page signs in at login.microsoftonline.com.
    const real = await app.inject({ method: "GET", url: `/${DEMO.organization.name}/${DEMO.project.name}/_settings/adminservices`, headers: { host: "dev.azure.com" } });
    expect(real.body).toContain(`"authority":"https://login.microsoftonline.com/${DEMO.tenantId}"`);
    const unknown = await runtime.listeners.devops.inject({ method: "GET", url: "/nosuchorg/web/_settings/adminservices" });
    expect(unknown.statusCode).toBe(404);
  });

  it("says how to build the pages when web/dist is missing", async () => {
    const page = await serve(join(tmpdir(), "svcconn-no-such-dist")).inject({ method: "GET", url: "/_signedin" });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain("npm run build");
  });
});
