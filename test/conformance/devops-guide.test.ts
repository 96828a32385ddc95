import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ClientSecretCredential, UsernamePasswordCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import * as azdev from "azure-devops-node-api";
import type { IServiceEndpointApi } from "azure-devops-node-api/ServiceEndpointApi.js";
import type { ServiceEndpoint } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import { DeploymentFlags, TypeInfo } from "azure-devops-node-api/interfaces/common/VSSInterfaces.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GUEST_ROLE } from "../../src/entra/model.js";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { ADMIN_KEY, testServer } from "../helpers/runtime.js";

// The guide's situations reproduced and fixed through the unchanged official clients only: azure-devops-node-api
// for Azure DevOps, the Microsoft Graph client and the ARM SDK for the fixes the guide names, over TLS.
let server: RunningServer;
const PROJECT = DEMO.project.name;
const USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const identity = () => ({ authorityHost: server.login, disableInstanceDiscovery: true });

beforeEach(async () => {
  server = await testServer();
});
afterEach(async () => server?.close());

const endpointsAs = (who: keyof typeof DEMO.pats): Promise<IServiceEndpointApi> =>
  new azdev.WebApi(`${server.devops}/${DEMO.organization.name}`, azdev.getPersonalAccessTokenHandler(DEMO.pats[who])).getServiceEndpointApi();

async function advance(seconds: number) {
  const response = await fetch(`${server.login}/_admin/clock`, { method: "POST", headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY }, body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(response.status).toBe(200);
}

/** "Sign out and sign in again": a fresh sign-in of the user, through @azure/identity. */
const signIn = (upn: string) =>
  new UsernamePasswordCredential(DEMO.tenantId, "04b07795-8ddb-461a-bbee-02f9e1bf7b46", upn, DEMO.userPassword, identity()).getToken("499b84ac-1321-427f-aa17-267ca6975798/.default");

const adminGraph = () =>
  Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(new UsernamePasswordCredential(DEMO.tenantId, "04b07795-8ddb-461a-bbee-02f9e1bf7b46", DEMO.users.admin.upn, DEMO.userPassword, identity()), { scopes: ["https://graph.microsoft.com/.default"] }),
    baseUrl: `${server.graph}/`,
    customHosts: new Set([new URL(server.graph).hostname]),
  });

/** A role assignment made by the bootstrap administrator with the ARM SDK. */
async function assignRole(scope: string, roleId: string, principalId: string) {
  const arm = new AuthorizationManagementClient(new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, identity()), DEMO.subscriptionId, { endpoint: server.arm });
  await arm.roleAssignments.create(scope, crypto.randomUUID(), { roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId });
}

function automatic(name: string, scheme: "WorkloadIdentityFederation" | "ServicePrincipal" = "WorkloadIdentityFederation", subscriptionId: string = DEMO.devSubscriptionId): ServiceEndpoint {
  return {
    name,
    type: "azurerm",
    url: "https://management.azure.com/",
    owner: "library",
    authorization: { scheme, parameters: { tenantid: DEMO.tenantId } },
    data: { subscriptionId, subscriptionName: "subscription", environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Automatic" },
    serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id, name: PROJECT }, name, description: "" }],
  };
}

/** Waits, as the portal polls, for the four steps to finish. */
async function settled(api: IServiceEndpointApi, id: string): Promise<ServiceEndpoint> {
  for (let i = 0; i < 200; i += 1) {
    const endpoint = await api.getServiceEndpointDetails(PROJECT, id);
    if (endpoint.operationStatus?.state !== "InProgress") return endpoint;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("automatic creation did not finish");
}

const create = async (api: IServiceEndpointApi, body: ServiceEndpoint) => settled(api, (await api.createServiceEndpoint(body)).id!);
const retry = async (api: IServiceEndpointApi, endpoint: ServiceEndpoint) => settled(api, (await api.updateServiceEndpoint(endpoint, endpoint.id!)).id!);
const verify = async (api: IServiceEndpointApi, endpoint: ServiceEndpoint) =>
  api.executeServiceEndpointRequest({ dataSourceDetails: { dataSourceName: "TestConnection" } as never, resultTransformationDetails: {} as never, serviceEndpointDetails: undefined as never }, PROJECT, endpoint.id!);

describe("the troubleshooting guide through the official clients", () => {
  it("S2: a Reader may not create a connection", async () => {
    const reader = await endpointsAs("reader");
    await expect(reader.createServiceEndpoint(automatic("by-reader"))).rejects.toMatchObject({
      statusCode: 403,
      message: "You do not have permission to create a service connection. You need to be a Creator for service connections in this project.",
    });
  });

  it("S3: a guest fails at step 2; 'same access as members' fixes it after propagation", async () => {
    const guest = await endpointsAs("guest");
    const failed = await create(guest, automatic("guest-wif"));
    expect(failed.operationStatus).toMatchObject({ state: "Failed", statusMessage: expect.stringContaining("The user has only guest permission in the directory.") });
    await adminGraph().api("/policies/authorizationPolicy").patch({ guestUserRoleId: GUEST_ROLE.User });
    await advance(901);
    expect(await retry(guest, failed)).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });
  });

  it("S4: with app registration off, a member fails at step 2; Application Developer fixes it", async () => {
    await assignRole(`/subscriptions/${DEMO.devSubscriptionId}`, USER_ACCESS_ADMINISTRATOR, DEMO.users.dev.id);
    const graph = adminGraph();
    await graph.api("/policies/authorizationPolicy").patch({ defaultUserRolePermissions: { allowedToCreateApps: false } });
    await advance(901);
    const dev = await endpointsAs("dev");
    const failed = await create(dev, automatic("dev-wif"));
    expect(failed.operationStatus?.statusMessage).toContain("Insufficient privileges to complete the operation in Microsoft Graph.");
    await graph.api("/roleManagement/directory/roleAssignments").post({ principalId: DEMO.users.dev.id, roleDefinitionId: "cf1c38e5-3621-4004-a7cb-879624dced7c", directoryScopeId: "/" });
    await advance(901);
    expect(await retry(dev, failed)).toMatchObject({ isReady: true });
  });

  it("S5: an expired session fails step 1 and the picker; signing in again fixes both", async () => {
    await assignRole(`/subscriptions/${DEMO.devSubscriptionId}`, USER_ACCESS_ADMINISTRATOR, DEMO.users.dev.id);
    await advance(91 * 86_400);
    const dev = await endpointsAs("dev");
    const failed = await create(dev, automatic("late"));
    expect(failed.operationStatus?.statusMessage).toContain("Failed to obtain an access token. A valid refresh token wasn't found.");
    expect((await dev.getAzureSubscriptions()).errorMessage).toContain("A valid refresh token wasn't found");
    await signIn(DEMO.users.dev.upn);
    expect((await dev.getAzureSubscriptions()).value!.map((s) => s.subscriptionId)).toEqual([DEMO.devSubscriptionId]);
    expect(await retry(dev, failed)).toMatchObject({ isReady: true });
  });

  it("S7: a Contributor fails at step 3; User Access Administrator fixes it", async () => {
    const dev = await endpointsAs("dev");
    const failed = await create(dev, automatic("dev-sub"));
    expect(failed.operationStatus?.statusMessage).toContain("Failed to assign Contributor role. Ensure that the user has 'Owner' or 'User Access Administrator' permissions");
    await assignRole(`/subscriptions/${DEMO.devSubscriptionId}`, USER_ACCESS_ADMINISTRATOR, DEMO.users.dev.id);
    await advance(301);
    expect(await retry(dev, failed)).toMatchObject({ isReady: true });
  });

  it("S8: the picker serves the list cached with the session until the user signs in again", async () => {
    const dev = await endpointsAs("dev");
    expect((await dev.getAzureSubscriptions()).value!.map((s) => s.subscriptionId)).toEqual([DEMO.devSubscriptionId]);
    await assignRole(`/subscriptions/${DEMO.subscriptionId}`, READER, DEMO.users.dev.id);
    await advance(301);
    expect((await dev.getAzureSubscriptions()).value!.map((s) => s.subscriptionId)).toEqual([DEMO.devSubscriptionId]);
    await signIn(DEMO.users.dev.upn);
    expect((await dev.getAzureSubscriptions()).value!.map((s) => s.subscriptionId).sort()).toEqual([DEMO.subscriptionId, DEMO.devSubscriptionId].sort());
    expect((await dev.getAzureManagementGroups()).value!.map((g) => g.name)).toEqual([]);
  });

  it("S9 and S10: Verify reports an expired secret; Rotate secret fixes it; a deleted app is reported, and restored; failed creations are hidden", async () => {
    const admin = await endpointsAs("admin");
    const endpoint = await create(admin, automatic("prod-secret", "ServicePrincipal", DEMO.subscriptionId));
    await advance(301);
    expect(await verify(admin, endpoint)).toMatchObject({ statusCode: "ok", errorMessage: "" });
    await advance(93 * 86_400);
    expect((await verify(admin, endpoint)).errorMessage).toContain("Exception message: AADSTS7000222");
    await signIn(DEMO.users.admin.upn);
    await admin.updateServiceEndpoint(endpoint, endpoint.id!, "RotateSecret");
    expect(await verify(admin, endpoint)).toMatchObject({ statusCode: "ok" });

    await adminGraph().api(`/applications/${endpoint.data!.appObjectId}`).delete();
    expect((await verify(admin, endpoint)).errorMessage).toContain("AADSTS700016");
    // Still ready, so still listed; a creation that failed (S7: its creator may not assign roles) is not.
    expect((await admin.getServiceEndpoints(PROJECT, "azurerm")).map((e) => e.name)).toEqual(["prod-secret"]);
    expect((await create(await endpointsAs("dev"), automatic("dev-sub"))).operationStatus?.state).toBe("Failed");
    expect((await admin.getServiceEndpoints(PROJECT, "azurerm")).map((e) => e.name)).toEqual(["prod-secret"]);
    expect((await admin.getServiceEndpoints(PROJECT, "azurerm", undefined, undefined, undefined, true)).map((e) => e.name).sort()).toEqual(["dev-sub", "prod-secret"]);
    // Within 30 days the application comes back whole (Graph's deleted items), and Verify passes again.
    expect((await adminGraph().api(`/directory/deletedItems/${endpoint.data!.appObjectId}/restore`).post({})).id).toBe(endpoint.data!.appObjectId);
    expect(await verify(admin, endpoint)).toMatchObject({ statusCode: "ok" });
  });

  it("S16: deep delete removes the application; one whose application is gone shows why, and deep=false removes it", async () => {
    const admin = await endpointsAs("admin");
    const kept = await create(admin, automatic("deep", "WorkloadIdentityFederation", DEMO.subscriptionId));
    await admin.deleteServiceEndpoint(kept.id!, [DEMO.project.id], true);
    await expect(adminGraph().api(`/applications/${kept.data!.appObjectId}`).get()).rejects.toMatchObject({ statusCode: 404 });

    const orphan = await create(admin, automatic("orphan", "WorkloadIdentityFederation", DEMO.subscriptionId));
    await adminGraph().api(`/applications/${orphan.data!.appObjectId}`).delete();
    await admin.deleteServiceEndpoint(orphan.id!, [DEMO.project.id], true);
    const failed = await admin.getServiceEndpointDetails(PROJECT, orphan.id!);
    expect((failed.operationStatus as { state: string; statusMessage: string }).state).toBe("Failed");
    expect((failed.operationStatus as { statusMessage: string }).statusMessage).toContain("Failed to remove the service principal from Microsoft Entra ID.");
    await admin.deleteServiceEndpoint(orphan.id!, [DEMO.project.id], false);
    expect(await admin.getServiceEndpoints(PROJECT, undefined, undefined, undefined, undefined, true)).toEqual([]);
  });

  it("S18: in Server 2022 mode workload identity federation is refused", async () => {
    const response = await fetch(`${server.devops}/_admin/organizations/${DEMO.organization.name}`, { method: "PATCH", headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY }, body: JSON.stringify({ serverMode: true }) });
    expect(response.status).toBe(200);
    const admin = await endpointsAs("admin");
    await expect(admin.createServiceEndpoint(automatic("wif-on-server"))).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining("not supported on Azure DevOps Server") });
    expect(await create(admin, automatic("sp-on-server", "ServicePrincipal", DEMO.subscriptionId))).toMatchObject({ isReady: true });
    // The client's connection data says it talks to a Server deployment: the name the client's TypeInfo maps to
    // DeploymentFlags.OnPremises (connect() hands it over as sent).
    const connection = await new azdev.WebApi(`${server.devops}/${DEMO.organization.name}`, azdev.getPersonalAccessTokenHandler(DEMO.pats.admin)).connect();
    expect(connection.deploymentType as unknown).toBe("onPremises");
    expect(TypeInfo.DeploymentFlags.enumValues.onPremises).toBe(DeploymentFlags.OnPremises);
  });
});
