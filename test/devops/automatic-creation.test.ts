import { beforeEach, describe, expect, it } from "vitest";
import { GUEST_ROLE } from "../../src/entra/model.js";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { arm, bootstrapToken } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT, signInAgain } from "../helpers/devops.js";
import { appGraphToken, graph, userGraphToken } from "../helpers/graph.js";
import { testRuntime } from "../helpers/runtime.js";

// Azure DevOps shows a failed step's message alone (scripts match on its start); svcconn names the step beside it.
const STEP1 = "";
const STEP2 = "";
const FAILED_STEP = {
  1: { number: 1, of: 4, name: "connect to the Microsoft Entra tenant of the subscription" },
  2: { number: 2, of: 4, name: "create an application in Microsoft Entra ID on your behalf" },
  3: { number: 3, of: 4, name: "assign the application the Contributor role" },
};
const APP_DEVELOPER = "cf1c38e5-3621-4004-a7cb-879624dced7c";
const USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

let runtime: Runtime;
beforeEach(async () => {
  runtime = await testRuntime();
});

/** Applications in the demo tenant whose name automatic creation would have used for a subscription. */
async function appsFor(subscriptionId: string) {
  const token = await appGraphToken(runtime);
  const found = await graph(runtime, token, "GET", `/applications?$filter=${encodeURIComponent(`startsWith(displayName,'${ORG}-${PROJECT}-${subscriptionId}')`)}`);
  return found.body.value as Array<{ id: string; appId: string; displayName: string; passwordCredentials: Array<{ endDateTime: string }> }>;
}

/** Gives a user a role on a scope as the bootstrap administrator, and lets RBAC propagate. */
async function grantRole(principalId: string, roleId: string, scope: string) {
  const token = await bootstrapToken(runtime);
  const put = await arm(runtime, token, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
    properties: { roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId },
  });
  expect(put.status).toBe(201);
  runtime.clock.advance(301);
}

/** Saves a failed automatic connection again: the portal's retry runs the four steps once more. */
async function retry(who: "dev" | "guest", endpoint: any) {
  const saved = await devops(runtime, who, "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`, endpoint);
  expect(saved.status).toBe(200);
  expect(saved.body.operationStatus.state).toBe("InProgress");
  await runtime.devops.creation.settled();
  return (await devops(runtime, who, "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${endpoint.id}`)).body;
}

describe("S1 automatic creation", () => {
  it("runs the four steps with workload identity federation and reports the federated credential", async () => {
    const created = await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "prod-wif", subscriptionId: DEMO.subscriptionId }));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ isReady: false, operationStatus: { state: "InProgress" }, authorization: { scheme: "WorkloadIdentityFederation" } });
    await runtime.devops.creation.settled();

    const endpoint = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${created.body.id}`)).body;
    expect(endpoint).toMatchObject({ isReady: true, operationStatus: { state: "Ready", statusMessage: "" } });
    const { serviceprincipalid, tenantid, workloadIdentityFederationIssuer, workloadIdentityFederationSubject } = endpoint.authorization.parameters;
    expect(tenantid).toBe(DEMO.tenantId);
    expect(workloadIdentityFederationIssuer).toBe(`https://login.microsoftonline.com/${DEMO.tenantId}/v2.0`);
    expect(workloadIdentityFederationSubject).toMatch(new RegExp(`^/eid1/c/pub/t/[A-Za-z0-9_-]{22}/a/[A-Za-z0-9_-]{22}/sc/${DEMO.organization.id}/${created.body.id}$`));
    const { appObjectId, spnObjectId, azureSpnRoleAssignmentId, azureSpnPermissions } = endpoint.data;
    expect(JSON.parse(azureSpnPermissions)).toEqual([{ roleAssignmentId: azureSpnRoleAssignmentId, resourceProvider: "Microsoft.RoleAssignment", provisioned: true }]);

    // What step 2 made is in Graph; what step 3 made is in ARM.
    const token = await appGraphToken(runtime);
    const app = await graph(runtime, token, "GET", `/applications/${appObjectId}`);
    expect(app.body.appId).toBe(serviceprincipalid);
    expect(app.body.passwordCredentials).toEqual([]);
    const fics = await graph(runtime, token, "GET", `/applications/${appObjectId}/federatedIdentityCredentials`);
    expect(fics.body.value).toEqual([expect.objectContaining({ issuer: workloadIdentityFederationIssuer, subject: workloadIdentityFederationSubject, audiences: ["api://AzureADTokenExchange"] })]);
    expect((await graph(runtime, token, "GET", `/servicePrincipals/${spnObjectId}`)).body.appId).toBe(serviceprincipalid);
    const assignment = await arm(runtime, await bootstrapToken(runtime), "GET", `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleAssignments/${azureSpnRoleAssignmentId}`);
    expect(assignment.body.properties).toMatchObject({ principalId: spnObjectId, roleDefinitionId: expect.stringContaining("b24988ac-6180-42a0-ab88-20f7382dd24c") });

    // The creator administers the new connection.
    const roles = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.serviceendpointrole/roleassignments/resources/${DEMO.project.id}_${created.body.id}`);
    expect(roles.body.value).toContainEqual(expect.objectContaining({ identity: expect.objectContaining({ uniqueName: DEMO.users.admin.upn }), role: expect.objectContaining({ name: "Administrator" }), access: "assigned" }));
  });

  it("with a secret adds a password credential valid three months and keeps it out of reads", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "prod-secret", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }));
    expect(endpoint).toMatchObject({ isReady: true, authorization: { scheme: "ServicePrincipal", parameters: { authenticationType: "spnKey", serviceprincipalkey: null } } });
    const [app] = await appsFor(DEMO.subscriptionId);
    expect(app!.passwordCredentials).toHaveLength(1);
    const months = (Date.parse(app!.passwordCredentials[0]!.endDateTime) - runtime.clock.nowMs()) / 86_400_000;
    expect(months).toBeGreaterThan(88);
    expect(months).toBeLessThan(93);
  });
});

describe("S2 who may create", () => {
  it("refuses a Reader, and accepts once the Reader is made a Creator", async () => {
    const denied = await devops(runtime, "reader", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "by-reader" }));
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe("You do not have permission to create a service connection. You need to be a Creator for service connections in this project.");
    expect((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints?endpointNames=by-reader&includeFailed=true`)).body.count).toBe(0);

    const me = await devops(runtime, "reader", "GET", `/${ORG}/_apis/connectionData`, undefined, { version: null });
    const readerId = me.body.authenticatedUser.id;
    const set = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${DEMO.project.id}`, [
      { roleName: "Creator", userId: readerId },
    ]);
    expect(set.status).toBe(200);
    const created = await devops(runtime, "reader", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "by-reader", creationMode: "Manual", scheme: "ServicePrincipal", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } }));
    expect(created.status).toBe(200);
  });

  it("lets a Contributor create (Contributors are Endpoint Creators)", async () => {
    const created = await devops(runtime, "dev", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, azurerm({ name: "by-dev", creationMode: "Manual", scheme: "ServicePrincipal", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } }));
    expect(created.status).toBe(200);
  });
});

describe("S3 guest user", () => {
  it("fails at step 2 while guest access is limited; 'same as members' fixes it after propagation", async () => {
    const failed = await createEndpoint(runtime, "guest", azurerm({ name: "guest-conn" }));
    expect(failed).toMatchObject({ isReady: false, operationStatus: { state: "Failed" } });
    expect(failed.operationStatus.statusMessage).toMatch(new RegExp(`^${escapeHtml(STEP2)}Failed to create an app in Microsoft Entra ID\\. Error: The user has only guest permission in the directory\\. .*Ensure that the user has permissions to create a Microsoft Entra Application\\.$`));
    expect(await appsFor(DEMO.devSubscriptionId)).toEqual([]);

    const adminToken = await userGraphToken(runtime, DEMO.users.admin.upn);
    expect((await graph(runtime, adminToken, "PATCH", "/policies/authorizationPolicy", { guestUserRoleId: GUEST_ROLE.User })).status).toBe(204);
    // Not yet: directory changes take the propagation delay.
    expect((await retry("guest", failed)).operationStatus.statusMessage).toContain("only guest permission");
    runtime.clock.advance(901);
    const fixed = await retry("guest", failed);
    expect(fixed).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });
  });

  it("a guest the directory treats as a member is told about the check that failed: the registration setting", async () => {
    const adminToken = await userGraphToken(runtime, DEMO.users.admin.upn);
    const changed = await graph(runtime, adminToken, "PATCH", "/policies/authorizationPolicy", { guestUserRoleId: GUEST_ROLE.User, defaultUserRolePermissions: { allowedToCreateApps: false } });
    expect(changed.status).toBe(204);
    runtime.clock.advance(901);
    const failed = await createEndpoint(runtime, "guest", azurerm({ name: "guest-as-member" }));
    expect(failed.operationStatus).toEqual({
      state: "Failed",
      statusMessage: "Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation in Microsoft Graph. Ensure that the user has permissions to create a Microsoft Entra Application.",
      failedStep: FAILED_STEP[2],
    });
  });

  it("a directory role for the guest fixes it too", async () => {
    const failed = await createEndpoint(runtime, "guest", azurerm({ name: "guest-role" }));
    expect(failed.operationStatus.statusMessage).toContain("The user has only guest permission in the directory.");
    const adminToken = await userGraphToken(runtime, DEMO.users.admin.upn);
    const assigned = await graph(runtime, adminToken, "POST", "/roleManagement/directory/roleAssignments", { principalId: DEMO.users.guest.id, roleDefinitionId: APP_DEVELOPER, directoryScopeId: "/" });
    expect(assigned.status).toBe(201);
    // The guide: "Wait 15–20 minutes for the change to apply across the directory".
    runtime.clock.advance(901);
    expect(await retry("guest", failed)).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });
  });
});

describe("S4 app registration not allowed", () => {
  it("fails at step 2 for a member without a role; Application Developer, or the setting, fixes it", async () => {
    await grantRole(DEMO.users.dev.id, USER_ACCESS_ADMINISTRATOR, `/subscriptions/${DEMO.devSubscriptionId}`);
    const adminToken = await userGraphToken(runtime, DEMO.users.admin.upn);
    expect((await graph(runtime, adminToken, "PATCH", "/policies/authorizationPolicy", { defaultUserRolePermissions: { allowedToCreateApps: false } })).status).toBe(204);
    runtime.clock.advance(901);

    const failed = await createEndpoint(runtime, "dev", azurerm({ name: "dev-conn" }));
    expect(failed.operationStatus).toEqual({
      state: "Failed",
      statusMessage: `${STEP2}Failed to create an app in Microsoft Entra ID. Error: Insufficient privileges to complete the operation in Microsoft Graph. Ensure that the user has permissions to create a Microsoft Entra Application.`,
      failedStep: FAILED_STEP[2],
    });
    expect(await appsFor(DEMO.devSubscriptionId)).toEqual([]);

    // appdev holds Application Developer: the same setting does not stop it.
    const appdevToken = await userGraphToken(runtime, DEMO.users.appdev.upn);
    expect((await graph(runtime, appdevToken, "POST", "/applications", { displayName: "appdev-can" })).status).toBe(201);

    const assigned = await graph(runtime, adminToken, "POST", "/roleManagement/directory/roleAssignments", { principalId: DEMO.users.dev.id, roleDefinitionId: APP_DEVELOPER, directoryScopeId: "/" });
    expect(assigned.status).toBe(201);
    // The role applies after the directory's propagation, as the setting does (the guide's 15–20 minutes).
    expect((await retry("dev", failed)).operationStatus.statusMessage).toContain("Insufficient privileges to complete the operation in Microsoft Graph.");
    runtime.clock.advance(901);
    expect(await retry("dev", failed)).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });

    // The other fix: turn "users can register applications" back on (after removing the role again).
    expect((await graph(runtime, adminToken, "DELETE", `/roleManagement/directory/roleAssignments/${assigned.body.id}`)).status).toBe(204);
    const again = await createEndpoint(runtime, "dev", azurerm({ name: "dev-conn-2" }));
    expect(again.operationStatus.statusMessage).toContain("Insufficient privileges to complete the operation in Microsoft Graph.");
    await graph(runtime, adminToken, "PATCH", "/policies/authorizationPolicy", { defaultUserRolePermissions: { allowedToCreateApps: true } });
    runtime.clock.advance(901);
    expect(await retry("dev", again)).toMatchObject({ isReady: true });
  });
});

describe("S5 expired session", () => {
  it("fails step 1 and the picker after 90 days without use; signing in again fixes both", async () => {
    await grantRole(DEMO.users.dev.id, USER_ACCESS_ADMINISTRATOR, `/subscriptions/${DEMO.devSubscriptionId}`);
    runtime.clock.advance(91 * 86_400);
    const failed = await createEndpoint(runtime, "dev", azurerm({ name: "late" }));
    expect(failed.operationStatus.state).toBe("Failed");
    expect(failed.operationStatus.statusMessage).toMatch(new RegExp(`^${escapeHtml(STEP1)}Failed to obtain an access token\\. A valid refresh token wasn't found\\. Sign out of Azure DevOps, sign in again and retry\\. AADSTS700082`));
    const picker = await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`);
    expect(picker.body).toMatchObject({ value: [], errorMessage: expect.stringContaining("A valid refresh token wasn't found") });

    await signInAgain(runtime, DEMO.users.dev.upn);
    expect((await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`)).body.value).toHaveLength(1);
    expect(await retry("dev", failed)).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });
  });

  it("a revoked session fails the same way", async () => {
    const signOut = await runtime.listeners.login.inject({ method: "POST", url: "/_admin/sessions/sign-out", headers: { "x-svcconn-admin-key": "test-admin-key-0123456789", "content-type": "application/json" }, payload: JSON.stringify({ user: DEMO.users.dev.upn }) });
    expect(signOut.statusCode).toBe(200);
    const failed = await createEndpoint(runtime, "dev", azurerm({ name: "revoked" }));
    expect(failed.operationStatus.statusMessage).toContain(`${STEP1}Failed to obtain an access token. A valid refresh token wasn't found.`);
    expect(failed.operationStatus.statusMessage).toContain("AADSTS50173");
  });
});

describe("S6 several tenants", () => {
  it("a session for another tenant sees no subscription; signing in to the right tenant fixes step 1", async () => {
    await signInAgain(runtime, DEMO.users.alex.upn, DEMO.otherTenantId);
    const failed = await createEndpoint(runtime, "guest", azurerm({ name: "cross" }));
    expect(failed.operationStatus.statusMessage).toBe(`${STEP1}You don't appear to have an active Azure subscription.`);
    const picker = await devops(runtime, "guest", "GET", `/${ORG}/_apis/serviceendpoint/endpointproxy/azurermsubscriptions`);
    expect(picker.body.value.map((s: any) => s.subscriptionId)).toEqual([DEMO.otherSubscriptionId]);

    await signInAgain(runtime, DEMO.users.alex.upn, DEMO.tenantId);
    const next = await retry("guest", failed);
    // Step 1 passes now; the guest then meets S3 at step 2.
    expect(next.operationStatus.statusMessage).toContain(STEP2);
  });
});

describe("S7 Contributor assignment fails", () => {
  it("fails at step 3 for a Contributor, rolls the application back, and works with User Access Administrator", async () => {
    const failed = await createEndpoint(runtime, "dev", azurerm({ name: "dev-sub" }));
    // ARM names the role assignment it was asked to create.
    expect(failed.operationStatus.statusMessage).toMatch(
      new RegExp(
        `^Failed to assign Contributor role\\. Ensure that the user has 'Owner' or 'User Access Administrator' permissions on the Azure Resource Manager scope\\. AuthorizationFailed: The client '${DEMO.users.dev.upn}' with object id '${DEMO.users.dev.id}' does not have authorization to perform action 'Microsoft\\.Authorization/roleAssignments/write' over scope '/subscriptions/${DEMO.devSubscriptionId}/providers/Microsoft\\.Authorization/roleAssignments/[0-9a-f-]{36}' or the scope is invalid\\. If access was recently granted, please refresh your credentials\\.$`,
      ),
    );
    expect(failed.operationStatus.failedStep).toEqual(FAILED_STEP[3]);
    expect(failed.data.appObjectId).toBeUndefined();
    expect(await appsFor(DEMO.devSubscriptionId)).toEqual([]);

    await grantRole(DEMO.users.dev.id, USER_ACCESS_ADMINISTRATOR, `/subscriptions/${DEMO.devSubscriptionId}`);
    const fixed = await retry("dev", failed);
    expect(fixed).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });
    expect(await appsFor(DEMO.devSubscriptionId)).toHaveLength(1);
  });
});

function escapeHtml(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
