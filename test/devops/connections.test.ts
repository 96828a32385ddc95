import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO, DEMO_WORLD_YAML } from "../../src/world/demo.js";
import { arm, armToken, bootstrapToken } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT, signInAgain } from "../helpers/devops.js";
import { makeCertificate, postToken } from "../helpers/entra.js";
import { appGraphToken, graph, userGraphToken } from "../helpers/graph.js";
import { ADMIN_KEY, testRuntime } from "../helpers/runtime.js";

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const ENDPOINTS = `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints`;

let runtime: Runtime;
beforeEach(async () => {
  runtime = await testRuntime();
});

async function userArmToken(upn: string, tenant: string = DEMO.tenantId): Promise<string> {
  const result = await postToken(
    runtime,
    { grant_type: "password", client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", username: upn, password: DEMO.userPassword, scope: "https://management.azure.com/.default" },
    `/${tenant}/oauth2/v2.0/token`,
  );
  return result.body.access_token;
}

async function assignRole(token: string, scope: string, roleId: string, principalId: string) {
  const put = await arm(runtime, token, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
    properties: { roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId, principalType: "ServicePrincipal" },
  });
  expect(put.status).toBe(201);
  return put.body.name as string;
}

/** What an administrator makes for a manual connection (S15): application, service principal, secret, role. */
async function adminMadePrincipal(name: string, roleScope = `/subscriptions/${DEMO.devSubscriptionId}`, roleId = CONTRIBUTOR) {
  const token = await appGraphToken(runtime);
  // Single tenant, as the portal registers applications by default.
  const app = (await graph(runtime, token, "POST", "/applications", { displayName: name, signInAudience: "AzureADMyOrg" })).body;
  const sp = (await graph(runtime, token, "POST", "/servicePrincipals", { appId: app.appId })).body;
  const secret = (await graph(runtime, token, "POST", `/applications/${app.id}/addPassword`, { passwordCredential: { displayName: "manual" } })).body.secretText as string;
  await assignRole(await bootstrapToken(runtime), roleScope, roleId, sp.id);
  runtime.clock.advance(301);
  return { app, sp, secret, graphToken: token };
}

function manual(name: string, clientId: string, secret: string, extra: Record<string, string> = {}) {
  return azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: clientId, serviceprincipalkey: secret, authenticationType: "spnKey", ...extra } });
}

async function proxy(who: "admin" | "dev" | "reader", endpointId: string, dataSourceName: string) {
  const response = await devops(runtime, who, "POST", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpointproxy?endpointId=${endpointId}`, { dataSourceDetails: { dataSourceName }, resultTransformationDetails: {}, serviceEndpointDetails: null });
  expect(response.status).toBe(200);
  return response.body as { result: string[] | null; statusCode: string; errorMessage: string };
}

const listNames = async (query = "") => ((await devops(runtime, "admin", "GET", `${ENDPOINTS}?type=azurerm${query}`)).body.value as Array<{ name: string }>).map((e) => e.name).sort();

describe("Ready means usable", () => {
  it("an automatic connection verifies the moment it is Ready: its new service principal holds no cached decision", async () => {
    const created = await createEndpoint(runtime, "admin", azurerm({ name: "ready-now", subscriptionId: DEMO.subscriptionId, scheme: "ServicePrincipal" }));
    expect(created.operationStatus.state).toBe("Ready");
    const verify = await proxy("admin", created.id, "TestConnection");
    expect(verify).toMatchObject({ statusCode: "ok", errorMessage: "" });
    // A data source the connection type does not have is the proxy's badRequest, in the proxy's own result shape.
    expect(await proxy("admin", created.id, "Spaceships")).toEqual({
      result: null,
      statusCode: "badRequest",
      errorMessage: "The data source 'spaceships' was not found for the service connection of type 'azurerm'.",
      callbackContextParameters: null,
      callbackRequired: false,
    });
  });

  it("a principal ARM has already refused still waits out the delay for a new role (S13)", async () => {
    const { app, sp, secret } = await adminMadePrincipal("cached-decision", `/subscriptions/${DEMO.devSubscriptionId}`, CONTRIBUTOR);
    const token = await armToken(runtime, app.appId, secret);
    const scope = `/subscriptions/${DEMO.subscriptionId}`;
    expect((await arm(runtime, token, "GET", `${scope}/resourcegroups`)).status).toBe(403);
    await assignRole(await bootstrapToken(runtime), scope, CONTRIBUTOR, sp.id);
    expect((await arm(runtime, token, "GET", `${scope}/resourcegroups`)).status).toBe(403);
    runtime.clock.advance(301);
    expect((await arm(runtime, token, "GET", `${scope}/resourcegroups`)).status).toBe(200);
  });
});

describe("S8 subscription picker", () => {
  it("lists at most 50 subscriptions", async () => {
    const world = parse(DEMO_WORLD_YAML);
    const contoso = world.tenants[0];
    for (let i = 0; i < 55; i += 1) contoso.subscriptions.push({ id: `d0d0cafe-5ab0-4000-8000-1${String(i).padStart(11, "0")}`, displayName: `Extra ${i}`, managementGroup: DEMO.managementGroup });
    const file = join(mkdtempSync(join(tmpdir(), "svcconn-world-")), "world.yaml");
    writeFileSync(file, stringify(world));
    const many = await testRuntime({ world: file });
    const picker = await devops(many, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`);
    expect(picker.status).toBe(200);
    expect(picker.body.value).toHaveLength(50);
    expect(picker.body.errorMessage).toBeNull();
    // The guide's fix: a user who sees fewer subscriptions (here dev, who has one) gets them all.
    expect((await devops(many, "dev", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`)).body.value).toHaveLength(1);
  });

  it("serves the list cached with the user's session until the user signs in again", async () => {
    const before = await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`);
    expect(before.body.value).toEqual([expect.objectContaining({ subscriptionId: DEMO.devSubscriptionId, displayName: "Contoso Development", subscriptionTenantId: DEMO.tenantId })]);
    await assignRole(await bootstrapToken(runtime), `/subscriptions/${DEMO.subscriptionId}`, READER, DEMO.users.dev.id);
    runtime.clock.advance(301);
    const stale = await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`);
    expect(stale.body.value.map((s: any) => s.subscriptionId)).toEqual([DEMO.devSubscriptionId]);
    await signInAgain(runtime, DEMO.users.dev.upn);
    const fresh = await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`);
    expect(fresh.body.value.map((s: any) => s.subscriptionId).sort()).toEqual([DEMO.subscriptionId, DEMO.devSubscriptionId].sort());
    const groups = await devops(runtime, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermmanagementgroups`);
    expect(groups.body.value.map((g: any) => g.name)).toContain(DEMO.managementGroup);
  });

  it("shows another tenant's subscriptions only when the application accepts any organizational directory", async () => {
    const { app, sp, secret, graphToken } = await adminMadePrincipal("cross-tenant", `/subscriptions/${DEMO.devSubscriptionId}`, READER);
    const endpoint = (await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, manual("cross", app.appId, secret))).body;
    const tenantsOf = async () => (await proxy("dev", endpoint.id, "AzureSubscriptions")).result!.map((r) => JSON.parse(r).Value).sort();
    expect(await tenantsOf()).toEqual([DEMO.devSubscriptionId]);

    // Fabrikam's owner cannot even add a single-tenant application to Fabrikam.
    const alexGraph = await userGraphToken(runtime, DEMO.users.alex.upn, DEMO.otherTenantId);
    const refused = await graph(runtime, alexGraph, "POST", "/servicePrincipals", { appId: app.appId });
    expect(refused.status).toBe(400);

    expect((await graph(runtime, graphToken, "PATCH", `/applications/${app.id}`, { signInAudience: "AzureADMultipleOrgs" })).status).toBe(204);
    const foreign = await graph(runtime, alexGraph, "POST", "/servicePrincipals", { appId: app.appId });
    expect(foreign.status).toBe(201);
    await assignRole(await userArmToken(DEMO.users.alex.upn, DEMO.otherTenantId), `/subscriptions/${DEMO.otherSubscriptionId}`, READER, foreign.body.id);
    runtime.clock.advance(301);
    expect(await tenantsOf()).toEqual([DEMO.devSubscriptionId, DEMO.otherSubscriptionId].sort());

    // Back to single tenant: no token in Fabrikam (AADSTS700016), so its subscription disappears again.
    await graph(runtime, graphToken, "PATCH", `/applications/${app.id}`, { signInAudience: "AzureADMyOrg" });
    expect(await tenantsOf()).toEqual([DEMO.devSubscriptionId]);
    void sp;
  });
});

describe("S9 secret expired or wrong, and Rotate secret", () => {
  it("verifies credentials being edited before they are saved (serviceEndpointDetails), for whoever may edit the connection only", async () => {
    const { app, secret } = await adminMadePrincipal("edited-key");
    const created = (await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, manual("edited-key", app.appId, "wrong-key-0123456789"))).body;
    const verify = (who: "admin" | "reader", key: string) =>
      devops(runtime, who, "POST", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpointproxy?endpointId=${created.id}`, {
        dataSourceDetails: { dataSourceName: "TestConnection" },
        serviceEndpointDetails: { type: "azurerm", authorization: { scheme: "ServicePrincipal", parameters: { serviceprincipalid: app.appId, tenantid: DEMO.tenantId, authenticationType: "spnKey", serviceprincipalkey: key } } },
      });
    expect((await verify("admin", secret)).body).toMatchObject({ statusCode: "ok" });
    // Nothing was saved: the connection still has its wrong key; an empty key in the details means the stored one.
    expect((await proxy("admin", created.id, "TestConnection")).errorMessage).toContain("AADSTS7000215");
    expect((await verify("admin", "")).body.errorMessage).toContain("AADSTS7000215");
    // Trying other credentials is editing: a reader may Verify the connection as saved, not this.
    expect((await verify("reader", secret)).status).toBeGreaterThanOrEqual(403);
  });

  it("reports AADSTS7000222 after three months; rotating fixes it and removes the old secret", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "secret-conn", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }));
    // Ready means usable: the new service principal's role applies at once.
    expect(await proxy("admin", endpoint.id, "TestConnection")).toMatchObject({ statusCode: "ok", errorMessage: "" });
    runtime.clock.advance(301);

    runtime.clock.advance(93 * 86_400);
    const expired = await proxy("admin", endpoint.id, "TestConnection");
    expect(expired.statusCode).toBe("unauthorized");
    expect(expired.errorMessage).toBe(
      `Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: AADSTS7000222: The provided client secret keys for app '${endpoint.authorization.parameters.serviceprincipalid}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    );

    // The admin's own session lapsed too in those months; the guide's rotation needs a valid one.
    const lapsed = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}?operation=RotateSecret`, endpoint);
    expect(lapsed.status).toBe(400);
    expect(lapsed.body.message).toContain("A valid refresh token wasn't found");
    await signInAgain(runtime, DEMO.users.admin.upn);
    const rotated = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}?operation=RotateSecret`, endpoint);
    expect(rotated.status).toBe(200);
    expect(rotated.body.authorization.parameters.serviceprincipalkey).toBeNull();
    expect(await proxy("admin", endpoint.id, "TestConnection")).toMatchObject({ statusCode: "ok" });

    const app = (await graph(runtime, await appGraphToken(runtime), "GET", `/applications/${endpoint.data.appObjectId}`)).body;
    expect(app.passwordCredentials).toHaveLength(1);
    expect(Date.parse(app.passwordCredentials[0].endDateTime) - runtime.clock.nowMs()).toBeGreaterThan(88 * 86_400_000);

    // Before expiry it works too, and again leaves exactly one secret.
    const again = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}?operation=RotateSecret`, endpoint);
    expect(again.status).toBe(200);
    const after = (await graph(runtime, await appGraphToken(runtime), "GET", `/applications/${endpoint.data.appObjectId}`)).body;
    expect(after.passwordCredentials).toHaveLength(1);
    expect(after.passwordCredentials[0].keyId).not.toBe(app.passwordCredentials[0].keyId);
    expect(await proxy("admin", endpoint.id, "TestConnection")).toMatchObject({ statusCode: "ok" });
  });

  it("refuses rotation when the caller may not change the application", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "owned-by-admin", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }));
    const dev = (await devops(runtime, "dev", "GET", `/${ORG}/_apis/connectionData`, undefined, { version: null })).body.authenticatedUser.id;
    await devops(runtime, "admin", "PUT", `/${ORG}/_apis/securityroles/scopes/distributedtask.serviceendpointrole/roleassignments/resources/${DEMO.project.id}_${endpoint.id}`, [{ roleName: "Administrator", userId: dev }]);
    const refused = await devops(runtime, "dev", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}?operation=RotateSecret`, endpoint);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe(
      `Failed to update the application '${endpoint.authorization.parameters.serviceprincipalid}' of the service connection in Microsoft Entra ID. Error: Insufficient privileges to complete the operation. Ensure that you may change the application (owner or Application Administrator).`,
    );
    // Not an Administrator of the connection at all: the DevOps refusal.
    const reader = await devops(runtime, "reader", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}?operation=RotateSecret`, endpoint);
    expect(reader.status).toBe(403);
    expect(reader.body.message).toBe("You do not have permission to manage the service connection 'owned-by-admin'. You need to be an Administrator of this service connection.");
  });

  it("reports AADSTS7000215 for a wrong secret", async () => {
    const { app } = await adminMadePrincipal("wrong-secret");
    const endpoint = (await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, manual("wrong", app.appId, "not-the-secret"))).body;
    const result = await proxy("dev", endpoint.id, "TestConnection");
    expect(result.errorMessage).toMatch(/^Failed to obtain the Json Web Token\(JWT\) using service principal client ID\. Exception message: AADSTS7000215: Invalid client secret provided\./);
  });
});

describe("S10 Verify and hidden connections", () => {
  it("reports AADSTS700016 for a deleted application; the connection stays listed, being ready", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "doomed", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }));
    expect(await listNames()).toEqual(["doomed"]);
    const token = await appGraphToken(runtime);
    expect((await graph(runtime, token, "DELETE", `/applications/${endpoint.data.appObjectId}`)).status).toBe(204);
    const result = await proxy("admin", endpoint.id, "TestConnection");
    expect(result.errorMessage).toBe(
      `Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: AADSTS700016: Application with identifier '${endpoint.authorization.parameters.serviceprincipalid}' was not found in the directory '${DEMO.tenantDomain.split(".")[0]!.replace(/^./, (c) => c.toUpperCase())}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
    // Only connections that are not ready wait for includeFailed: this one is listed, and fails where it is used.
    expect(await listNames()).toEqual(["doomed"]);
    expect(await listNames("&includeFailed=true")).toEqual(["doomed"]);
    // The documented fix within 30 days: restore the application (its service principal comes back with it).
    expect((await graph(runtime, token, "POST", `/directory/deletedItems/${endpoint.data.appObjectId}/restore`, {})).status).toBe(200);
    expect(await proxy("admin", endpoint.id, "TestConnection")).toMatchObject({ statusCode: "ok" });
  });

  it("reports AADSTS7000112 for a disabled application; enabling it fixes Verify", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "disabled", subscriptionId: DEMO.subscriptionId }));
    runtime.clock.advance(301);
    const token = await appGraphToken(runtime);
    await graph(runtime, token, "PATCH", `/servicePrincipals/${endpoint.data.spnObjectId}`, { accountEnabled: false });
    const result = await proxy("admin", endpoint.id, "TestConnection");
    expect(result.errorMessage).toMatch(/^Failed to obtain the Json Web Token\(JWT\) using service principal client ID\. Exception message: AADSTS7000112: Application '[0-9a-f-]{36}'\(contoso-web-[0-9a-f-]+\) is disabled\.$/);
    await graph(runtime, token, "PATCH", `/servicePrincipals/${endpoint.data.spnObjectId}`, { accountEnabled: true });
    expect(await proxy("admin", endpoint.id, "TestConnection")).toMatchObject({ statusCode: "ok", result: [expect.stringContaining(DEMO.subscriptionId)] });
  });

  it("reports the ARM failure when the identity lost its role, and hides failed creations", async () => {
    const { app, secret } = await adminMadePrincipal("no-role", `/subscriptions/${DEMO.devSubscriptionId}`, READER);
    const endpoint = (await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, manual("prod-without-role", app.appId, secret, {}))).body;
    await devops(runtime, "dev", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`, { ...manual("prod-without-role", app.appId, ""), data: { subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Manual" } });
    const result = await proxy("dev", endpoint.id, "TestConnection");
    expect(result.statusCode).toBe("forbidden");
    expect(result.errorMessage).toContain(`Failed to query service endpoint api: https://management.azure.com/subscriptions/${DEMO.subscriptionId}?api-version=2016-06-01. Error Message: AuthorizationFailed: The client '${app.appId}'`);

    await createEndpoint(runtime, "dev", azurerm({ name: "never-ready" }));
    expect(await listNames()).toEqual(["prod-without-role"]);
    expect(await listNames("&includeFailed=true")).toEqual(["never-ready", "prod-without-role"]);
  });
});

describe("S12 schemes and scopes", () => {
  it("creates automatic connections at management group, resource group and Machine Learning workspace scope", async () => {
    const mg = await createEndpoint(runtime, "admin", azurerm({ name: "mg", scopeLevel: "ManagementGroup" }));
    expect(mg).toMatchObject({ isReady: true, data: { scopeLevel: "ManagementGroup", managementGroupId: DEMO.managementGroup } });
    const boot = await bootstrapToken(runtime);
    const mgScope = `/providers/Microsoft.Management/managementGroups/${DEMO.managementGroup}`;
    expect((await arm(runtime, boot, "GET", `${mgScope}/providers/Microsoft.Authorization/roleAssignments/${mg.data.azureSpnRoleAssignmentId}`)).body.properties.scope).toBe(mgScope);
    runtime.clock.advance(301);
    expect(await proxy("admin", mg.id, "TestConnection")).toMatchObject({ statusCode: "ok", result: [] });

    const rg = await createEndpoint(runtime, "admin", azurerm({ name: "rg", subscriptionId: DEMO.subscriptionId, resourceGroup: "rg-prod-app" }));
    expect(rg.isReady).toBe(true);
    const rgAssignment = await arm(runtime, boot, "GET", `/subscriptions/${DEMO.subscriptionId}/resourcegroups/rg-prod-app/providers/Microsoft.Authorization/roleAssignments/${rg.data.azureSpnRoleAssignmentId}`);
    expect(rgAssignment.body.properties.scope.toLowerCase()).toBe(`/subscriptions/${DEMO.subscriptionId}/resourcegroups/rg-prod-app`);

    const ws = await arm(runtime, boot, "PUT", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.MachineLearningServices/workspaces/mlw-1?api-version=2024-04-01`, { location: "westeurope", properties: {} });
    expect([200, 201]).toContain(ws.status);
    const ml = await createEndpoint(runtime, "admin", azurerm({ name: "ml", scopeLevel: "AzureMLWorkspace", subscriptionId: DEMO.subscriptionId, data: { resourceGroupName: "rg-prod-app", mlWorkspaceName: "mlw-1", mlWorkspaceLocation: "westeurope" } }));
    expect(ml).toMatchObject({ isReady: true, data: { scopeLevel: "AzureMLWorkspace", mlWorkspaceName: "mlw-1" } });
  });

  it("creates a manual workload identity connection from the issuer and subject it reports", async () => {
    const token = await appGraphToken(runtime);
    const app = (await graph(runtime, token, "POST", "/applications", { displayName: "manual-wif" })).body;
    const sp = (await graph(runtime, token, "POST", "/servicePrincipals", { appId: app.appId })).body;
    await assignRole(await bootstrapToken(runtime), `/subscriptions/${DEMO.devSubscriptionId}`, CONTRIBUTOR, sp.id);
    runtime.clock.advance(301);
    const created = await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "manual-wif", creationMode: "Manual", parameters: { serviceprincipalid: app.appId } }));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ isReady: true, data: { identityType: "AppRegistrationManual" } });
    const { workloadIdentityFederationIssuer: issuer, workloadIdentityFederationSubject: subject } = created.body.authorization.parameters;
    // Before any credential exists (AADSTS70025), and with a subject that is not the connection's (AADSTS700213).
    expect((await proxy("dev", created.body.id, "TestConnection")).errorMessage).toContain("AADSTS70025: Client application has no configured federated identity credentials.");
    const wrong = await graph(runtime, token, "POST", `/applications/${app.id}/federatedIdentityCredentials`, { name: "typo", issuer, subject: `${subject}x`, audiences: ["api://AzureADTokenExchange"] });
    expect(wrong.status).toBe(201);
    expect((await proxy("dev", created.body.id, "TestConnection")).errorMessage).toContain(`AADSTS700213: No matching federated identity record found for presented assertion subject '${subject}'.`);
    const fic = await graph(runtime, token, "POST", `/applications/${app.id}/federatedIdentityCredentials`, { name: "ado", issuer, subject, audiences: ["api://AzureADTokenExchange"] });
    expect(fic.status).toBe(201);
    expect(await proxy("dev", created.body.id, "TestConnection")).toMatchObject({ statusCode: "ok" });
  });

  it("creates a manual certificate connection that verifies", async () => {
    const cert = await makeCertificate(new Date(runtime.clock.nowMs() - 86_400_000), new Date(runtime.clock.nowMs() + 365 * 86_400_000));
    const token = await appGraphToken(runtime);
    const app = (await graph(runtime, token, "POST", "/applications", { displayName: "manual-cert", keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: cert.derBase64 }] })).body;
    const sp = (await graph(runtime, token, "POST", "/servicePrincipals", { appId: app.appId })).body;
    await assignRole(await bootstrapToken(runtime), `/subscriptions/${DEMO.devSubscriptionId}`, READER, sp.id);
    runtime.clock.advance(301);
    const body = azurerm({ name: "cert", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: app.appId, authenticationType: "spnCertificate", servicePrincipalCertificate: `${cert.certPem}\n${cert.keyPem}` } });
    const created = await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body);
    expect(created.status).toBe(200);
    expect(created.body.authorization.parameters).toMatchObject({ authenticationType: "spnCertificate", servicePrincipalCertificate: null });
    expect(await proxy("dev", created.body.id, "TestConnection")).toMatchObject({ statusCode: "ok" });
  });

  it("creates managed identity connections, which cannot be verified from the service", async () => {
    const created = await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "uami", scheme: "ManagedServiceIdentity", subscriptionId: DEMO.subscriptionId, parameters: { serviceprincipalid: DEMO.managedIdentity.clientId } }));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ isReady: true, authorization: { scheme: "ManagedServiceIdentity" }, data: { identityType: "ManagedIdentity" } });
    expect(created.body.data.creationMode).toBeUndefined();
    expect((await proxy("dev", created.body.id, "TestConnection")).errorMessage).toContain("managed identity");
  });
});

describe("S15 manual service principal", () => {
  it("a user without directory rights creates a working connection from what an administrator made", async () => {
    const adminGraph = await userGraphToken(runtime, DEMO.users.admin.upn);
    await graph(runtime, adminGraph, "PATCH", "/policies/authorizationPolicy", { defaultUserRolePermissions: { allowedToCreateApps: false } });
    runtime.clock.advance(901);
    const { app, secret } = await adminMadePrincipal("made-by-admin");
    const created = await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, manual("manual-sp", app.appId, secret));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ isReady: true, operationStatus: { state: "Ready" }, data: { creationMode: "Manual", identityType: "AppRegistrationManual" }, authorization: { parameters: { serviceprincipalkey: null } } });
    expect(await proxy("dev", created.body.id, "TestConnection")).toMatchObject({ statusCode: "ok", errorMessage: "" });
    // Lists leave confidential parameters out entirely.
    const listed = (await devops(runtime, "dev", "GET", `${ENDPOINTS}?endpointNames=manual-sp`)).body.value[0];
    expect(listed.authorization.parameters).not.toHaveProperty("serviceprincipalkey");
    // No secret, no connection.
    const missing = await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, manual("manual-no-secret", app.appId, ""));
    expect(missing.status).toBe(400);
  });
});

describe("S16 delete", () => {
  it("deep delete removes the role assignment and the application", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "to-delete", subscriptionId: DEMO.subscriptionId }));
    const removed = await devops(runtime, "admin", "DELETE", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}?projectIds=${DEMO.project.id}&deep=true`);
    expect(removed.status).toBe(204);
    expect(await listNames("&includeFailed=true")).toEqual([]);
    const token = await appGraphToken(runtime);
    expect((await graph(runtime, token, "GET", `/applications/${endpoint.data.appObjectId}`)).status).toBe(404);
    const boot = await bootstrapToken(runtime);
    expect((await arm(runtime, boot, "GET", `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleAssignments/${endpoint.data.azureSpnRoleAssignmentId}`)).status).toBe(404);
  });

  it("reports what it could not remove on the connection, which deep=false then removes; deep=false skips the clean-up", async () => {
    const gone = await createEndpoint(runtime, "admin", azurerm({ name: "app-already-gone", subscriptionId: DEMO.subscriptionId }));
    const token = await appGraphToken(runtime);
    await graph(runtime, token, "DELETE", `/applications/${gone.data.appObjectId}`);
    const boot = await bootstrapToken(runtime);
    await arm(runtime, boot, "DELETE", `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleAssignments/${gone.data.azureSpnRoleAssignmentId}`);
    const result = await devops(runtime, "admin", "DELETE", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${gone.id}?deep=true`);
    // Azure DevOps deletes asynchronously: 204, and a clean-up that failed leaves the connection Failed, saying why.
    expect(result.status).toBe(204);
    const failed = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${gone.id}`)).body;
    expect(failed.isReady).toBe(false);
    expect(failed.operationStatus.state).toBe("Failed");
    expect(failed.operationStatus.statusMessage).toMatch(
      new RegExp(`^Failed to remove Azure permission 'RoleAssignmentId: ${gone.data.azureSpnRoleAssignmentId}' for service principal '${gone.data.spnObjectId}' on subscription ID '${DEMO.subscriptionId}': error code: NotFound\\. .*Failed to remove the service principal from Microsoft Entra ID\\.`),
    );
    // What was left behind stays findable on it; it is hidden from lists unless failed ones are asked for.
    expect(failed.data.appObjectId).toBe(gone.data.appObjectId);
    expect(await listNames("")).toEqual([]);
    expect(await listNames("&includeFailed=true")).toEqual(["app-already-gone"]);
    expect((await devops(runtime, "admin", "DELETE", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${gone.id}?deep=false`)).status).toBe(204);
    expect(await listNames("&includeFailed=true")).toEqual([]);

    // A caller without rights in Azure: dev administers the connection but owns neither app nor scope.
    const other = await createEndpoint(runtime, "admin", azurerm({ name: "not-devs", subscriptionId: DEMO.subscriptionId }));
    const dev = (await devops(runtime, "dev", "GET", `/${ORG}/_apis/connectionData`, undefined, { version: null })).body.authenticatedUser.id;
    await devops(runtime, "admin", "PUT", `/${ORG}/_apis/securityroles/scopes/distributedtask.serviceendpointrole/roleassignments/resources/${DEMO.project.id}_${other.id}`, [{ roleName: "Administrator", userId: dev }]);
    const partial = await devops(runtime, "dev", "DELETE", `/${ORG}/_apis/serviceendpoint/endpoints/${other.id}?projectIds=${DEMO.project.id}&deep=true`);
    expect(partial.status).toBe(204);
    const partialStatus = (await devops(runtime, "dev", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${other.id}`)).body.operationStatus;
    expect(partialStatus.statusMessage).toContain("error code: AuthorizationFailed.");
    expect(partialStatus.statusMessage).toContain("Failed to remove the service principal from Microsoft Entra ID. Error: Insufficient privileges to complete the operation.");
    expect((await devops(runtime, "dev", "DELETE", `/${ORG}/_apis/serviceendpoint/endpoints/${other.id}?projectIds=${DEMO.project.id}&deep=false`)).status).toBe(204);
    expect(await listNames("&includeFailed=true")).toEqual([]);
    expect((await graph(runtime, token, "GET", `/applications/${other.data.appObjectId}`)).status).toBe(200);

    const kept = await createEndpoint(runtime, "admin", azurerm({ name: "keep-app", subscriptionId: DEMO.subscriptionId }));
    expect((await devops(runtime, "admin", "DELETE", `/${ORG}/_apis/serviceendpoint/endpoints/${kept.id}?projectIds=${DEMO.project.id}&deep=false`)).status).toBe(204);
    expect((await graph(runtime, token, "GET", `/applications/${kept.data.appObjectId}`)).status).toBe(200);
  });
});

describe("S18 Azure DevOps Server 2022 mode", () => {
  it("refuses workload identity federation and offers only service principal and managed identity", async () => {
    const set = await runtime.listeners.devops.inject({ method: "PATCH", url: `/_admin/organizations/${ORG}`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify({ serverMode: true }) });
    expect(set.statusCode).toBe(200);
    const refused = await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "wif-on-server", subscriptionId: DEMO.subscriptionId }));
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe("Service connections using the authentication scheme 'WorkloadIdentityFederation' are not supported on Azure DevOps Server. Use a service principal or a managed identity.");
    const types = await devops(runtime, "admin", "GET", `/${ORG}/_apis/serviceendpoint/types?type=azurerm`);
    expect(types.body.value[0].authenticationSchemes.map((s: any) => s.scheme).sort()).toEqual(["ManagedServiceIdentity", "ServicePrincipal"]);
    expect(await createEndpoint(runtime, "admin", azurerm({ name: "sp-on-server", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }))).toMatchObject({ isReady: true });

    await runtime.listeners.devops.inject({ method: "PATCH", url: `/_admin/organizations/${ORG}`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify({ serverMode: false }) });
    expect((await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "wif-on-services", subscriptionId: DEMO.subscriptionId }))).status).toBe(200);
  });
});
