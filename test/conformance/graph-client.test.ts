import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientSecretCredential, UsernamePasswordCredential } from "@azure/identity";
import { ConfidentialClientApplication, CryptoProvider } from "@azure/msal-node";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { decodeJwt } from "jose";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { GUEST_ROLE } from "../../src/entra/model.js";
import { clientModes } from "../helpers/client-modes.js";
import { ADMIN_KEY, testServer } from "../helpers/runtime.js";

// The official Microsoft Graph client and MSAL, unchanged, over HTTPS against svcconn.
let server: RunningServer;
const AZ_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

async function advance(seconds: number) {
  const response = await fetch(`${server.login}/_admin/clock`, { method: "POST", headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY }, body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(response.status).toBe(200);
}

describe.each(clientModes(() => server))("with $name", (mode) => {
// A server per mode: the tests change the directory's settings.
beforeAll(async () => {
  server = await testServer({ directoryPropagationSeconds: 900 });
  mode.enter();
});
afterAll(async () => {
  mode.leave();
  await server?.close();
});
const identity = () => mode.identity();
function graphClient(credential: ClientSecretCredential | UsernamePasswordCredential): Client {
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: ["https://graph.microsoft.com/.default"] });
  // Real-host mode: the default base URL. Otherwise the client attaches the token only to a host in customHosts.
  if (mode.realHosts) return Client.initWithMiddleware({ authProvider });
  return Client.initWithMiddleware({ authProvider, baseUrl: `${server.graph}/`, customHosts: new Set([new URL(server.graph).hostname]) });
}
describe("@microsoft/microsoft-graph-client", () => {
  it("creates an application, adds a password and a federated credential, lists with a filter", async () => {
    const client = graphClient(new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, identity()));
    const app = await client.api("/applications").post({ displayName: "graph-client-app", signInAudience: "AzureADMyOrg" });
    expect(app.appId).toMatch(/^[0-9a-f-]{36}$/);
    await client.api("/servicePrincipals").post({ appId: app.appId });
    const password = await client.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: "ci", endDateTime: "2099-01-01T00:00:00Z" } });
    expect(password.secretText).toHaveLength(40);
    const fic = await client.api(`/applications/${app.id}/federatedIdentityCredentials`).post({ name: "azure-devops", issuer: "https://vstoken.dev.azure.com/org", subject: "sc://org/project/connection", audiences: ["api://AzureADTokenExchange"] });
    expect(fic.subject).toBe("sc://org/project/connection");
    const listed = await client.api("/applications").filter(`appId eq '${app.appId}'`).select("id,appId,displayName").get();
    expect(listed.value).toEqual([{ id: app.id, appId: app.appId, displayName: "graph-client-app" }]);
    // The secret works at once at the token endpoint, and is never shown again.
    const token = await new ClientSecretCredential(DEMO.tenantId, app.appId, password.secretText, identity()).getToken("https://management.azure.com/.default");
    expect(decodeJwt(token.token).appid).toBe(app.appId);
    const again = await client.api(`/applications/${app.id}`).get();
    expect(again.passwordCredentials[0].secretText).toBeNull();
    // Errors surface as GraphError with Graph's code.
    await expect(client.api("/applications/00000000-0000-4000-8000-000000000000").get()).rejects.toMatchObject({ statusCode: 404, code: "Request_ResourceNotFound" });
  });

  it("a guest cannot create an application until the guest level is raised and 15 minutes pass", async () => {
    const admin = graphClient(new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, identity()));
    const guest = graphClient(new UsernamePasswordCredential(DEMO.tenantId, AZ_CLI, DEMO.users.alex.upn, DEMO.userPassword, identity()));
    await expect(guest.api("/applications").post({ displayName: "by-guest" })).rejects.toMatchObject({ statusCode: 403, code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." });
    await admin.api("/policies/authorizationPolicy").patch({ guestUserRoleId: GUEST_ROLE.User });
    await expect(guest.api("/applications").post({ displayName: "by-guest" })).rejects.toMatchObject({ code: "Authorization_RequestDenied" });
    await advance(901);
    const guestAgain = graphClient(new UsernamePasswordCredential(DEMO.tenantId, AZ_CLI, DEMO.users.alex.upn, DEMO.userPassword, identity()));
    expect((await guestAgain.api("/applications").post({ displayName: "by-guest" })).displayName).toBe("by-guest");
  });

  it("a member cannot create an application while registration is off, until given Application Developer", async () => {
    const admin = graphClient(new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, identity()));
    await admin.api("/policies/authorizationPolicy").patch({ defaultUserRolePermissions: { allowedToCreateApps: false } });
    await advance(901);
    const member = graphClient(new UsernamePasswordCredential(DEMO.tenantId, AZ_CLI, DEMO.users.dev.upn, DEMO.userPassword, identity()));
    await expect(member.api("/applications").post({ displayName: "by-member" })).rejects.toMatchObject({ statusCode: 403, code: "Authorization_RequestDenied" });
    await admin.api("/roleManagement/directory/roleAssignments").post({ principalId: DEMO.users.dev.id, roleDefinitionId: "cf1c38e5-3621-4004-a7cb-879624dced7c", directoryScopeId: "/" });
    // The role, like the setting, reaches the directory only after its propagation (the guide's 15–20 minutes).
    await expect(member.api("/applications").post({ displayName: "by-member" })).rejects.toMatchObject({ statusCode: 403 });
    await advance(901);
    expect((await member.api("/applications").post({ displayName: "by-member" })).displayName).toBe("by-member");
  });
});

describe("@azure/msal-node user flows", () => {
  it("authorization code with PKCE, refresh, and AADSTS700082 after 90 days without use", async () => {
    const known = mode.realHosts ? {} : { knownAuthorities: [new URL(server.login).host] };
    const redirectUri = "http://localhost:3000/redirect";
    const app = await server.runtime.entra.directory.createApplication({ tenantId: DEMO.tenantId, displayName: "msal-web", redirectUris: { web: [redirectUri] } });
    await server.runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.tenantId, appId: app.appId });
    const secret = (await server.runtime.entra.directory.addPassword(app.id)).secretText!;
    const msal = new ConfidentialClientApplication({ auth: { clientId: app.appId, clientSecret: secret, authority: `${mode.login}/${DEMO.tenantId}`, ...known } });
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const authUrl = await msal.getAuthCodeUrl({ scopes: ["User.Read"], redirectUri, codeChallenge: challenge, codeChallengeMethod: "S256", state: "s1" });
    expect(authUrl.startsWith(`${mode.login}/${DEMO.tenantId}/oauth2/v2.0/authorize?`)).toBe(true);

    // The browser: load the sign-in page, submit the form, follow the redirect to the app.
    const page = await fetch(authUrl);
    expect(await page.text()).toContain('name="passwd"');
    const form = new URLSearchParams(new URL(authUrl).searchParams);
    form.set("login", DEMO.users.dev.upn);
    form.set("passwd", DEMO.userPassword);
    const signedIn = await fetch(authUrl.split("?")[0]!, { method: "POST", body: form, redirect: "manual" });
    expect(signedIn.status).toBe(302);
    const back = new URL(signedIn.headers.get("location")!);
    expect(back.searchParams.get("state")).toBe("s1");

    const result = await msal.acquireTokenByCode({ code: back.searchParams.get("code")!, scopes: ["User.Read"], redirectUri, codeVerifier: verifier });
    expect(decodeJwt(result.accessToken)).toMatchObject({ oid: DEMO.users.dev.id, scp: "User.Read", tid: DEMO.tenantId });
    expect(result.account?.username).toBe(DEMO.users.dev.upn);

    const refreshed = await msal.acquireTokenSilent({ account: result.account!, scopes: ["User.Read"], forceRefresh: true });
    expect(refreshed.accessToken).not.toBe(result.accessToken);

    await advance(91 * 86_400);
    await expect(msal.acquireTokenSilent({ account: result.account!, scopes: ["User.Read"], forceRefresh: true })).rejects.toThrow(/AADSTS700082/);
  });
});
});
