import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";
// @azure/arm-resources 7 moved deployments to a package that needs Node 22; 6.1 still has them.
import { ResourceManagementClient as ResourceManagementClientV6 } from "arm-resources-v6";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import { clientModes } from "../helpers/client-modes.js";
import { ADMIN_KEY, testServer } from "../helpers/runtime.js";
import { makeApp } from "../helpers/entra.js";

// The official ARM SDKs, unchanged, with `endpoint` set and tokens from @azure/identity against svcconn.
let server: RunningServer;

beforeAll(async () => {
  server = await testServer({ rbacPropagationSeconds: 300 });
});
afterAll(async () => server?.close());

async function advance(seconds: number) {
  const response = await fetch(`${server.login}/_admin/clock`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY },
    body: JSON.stringify({ advanceSeconds: seconds }),
  });
  expect(response.status).toBe(200);
}

describe.each(clientModes(() => server))("with $name", (mode) => {
beforeAll(() => mode.enter());
afterAll(() => mode.leave());
const credential = (clientId: string, secret: string) => new ClientSecretCredential(DEMO.tenantId, clientId, secret, mode.identity());
// Real-host mode: the SDKs' default endpoint, https://management.azure.com.
const options = () => (mode.realHosts ? {} : { endpoint: server.arm });
describe("@azure/arm-resources-subscriptions", () => {
  it("lists subscriptions and tenants for the bootstrap principal", async () => {
    const client = new SubscriptionClient(credential(DEMO.bootstrapAppId, DEMO.bootstrapSecret), options());
    const subscriptions = [];
    for await (const s of client.subscriptions.list()) subscriptions.push(s);
    expect(subscriptions.map((s) => s.subscriptionId).sort()).toEqual([DEMO.subscriptionId, DEMO.devSubscriptionId].sort());
    expect(subscriptions[0]!.tenantId).toBe(DEMO.tenantId);
    const one = await client.subscriptions.get(DEMO.subscriptionId);
    expect(one.displayName).toBe("Contoso Production");
    const tenants = [];
    for await (const t of client.tenants.list()) tenants.push(t);
    expect(tenants.map((t) => t.tenantId)).toEqual([DEMO.tenantId]);
  });
});

describe("@azure/arm-resources and @azure/arm-authorization", () => {
  it("a principal without a role gets AuthorizationFailed; after a Contributor assignment and the delay it succeeds", async () => {
    const app = await makeApp(server.runtime, { name: "sdk-principal" });
    const resources = new ResourceManagementClient(credential(app.appId, app.secret!), DEMO.subscriptionId, options());
    const rgName = `rg-sdk-${randomUUID().slice(0, 6)}`;
    await expect(resources.resourceGroups.createOrUpdate(rgName, { location: "westeurope" })).rejects.toMatchObject({
      code: "AuthorizationFailed",
      statusCode: 403,
      message: `The client '${app.appId}' with object id '${app.servicePrincipalId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/${DEMO.subscriptionId}/resourcegroups/${rgName}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });

    const authorization = new AuthorizationManagementClient(credential(DEMO.bootstrapAppId, DEMO.bootstrapSecret), DEMO.subscriptionId, options());
    const scope = `/subscriptions/${DEMO.subscriptionId}`;
    const contributor = [];
    for await (const r of authorization.roleDefinitions.list(scope, { filter: "roleName eq 'Contributor'" })) contributor.push(r);
    expect(contributor).toHaveLength(1);
    const assignmentName = randomUUID();
    const created = await authorization.roleAssignments.create(scope, assignmentName, {
      roleDefinitionId: contributor[0]!.id!,
      principalId: app.servicePrincipalId!,
      principalType: "ServicePrincipal",
    });
    expect(created.name).toBe(assignmentName);
    const listed = [];
    for await (const a of authorization.roleAssignments.listForSubscription({ filter: `principalId eq '${app.servicePrincipalId}'` })) listed.push(a);
    expect(listed.map((a) => a.name)).toEqual([assignmentName]);
    const atScope = [];
    for await (const a of authorization.roleAssignments.listForScope(scope, { filter: "atScope()" })) atScope.push(a);
    expect(atScope.some((a) => a.name === assignmentName)).toBe(true);

    await expect(resources.resourceGroups.createOrUpdate(rgName, { location: "westeurope" })).rejects.toMatchObject({ code: "AuthorizationFailed" });
    await advance(301);
    const group = await resources.resourceGroups.createOrUpdate(rgName, { location: "westeurope", tags: { by: "sdk" } });
    expect(group).toMatchObject({ name: rgName, location: "westeurope", properties: { provisioningState: "Succeeded" } });
    expect((await resources.resourceGroups.checkExistence(rgName)).body).toBe(true);
    expect((await resources.resourceGroups.checkExistence("rg-nope")).body).toBe(false);

    // A Contributor cannot create role assignments.
    const asContributor = new AuthorizationManagementClient(credential(app.appId, app.secret!), DEMO.subscriptionId, options());
    await expect(
      asContributor.roleAssignments.create(`${scope}/resourceGroups/${rgName}`, randomUUID(), {
        roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`,
        principalId: DEMO.users.dev.id,
      }),
    ).rejects.toMatchObject({ code: "AuthorizationFailed", message: expect.stringContaining("'Microsoft.Authorization/roleAssignments/write'") });

    // Generic resources and a deployment, as the Contributor.
    const site = await resources.resources.beginCreateOrUpdateAndWait(rgName, "Microsoft.Web", "", "sites", "app-sdk", "2023-12-01", { location: "westeurope", properties: { httpsOnly: true } });
    expect(site.properties).toMatchObject({ httpsOnly: true });
    const got = await resources.resources.getById(`${scope}/resourceGroups/${rgName}/providers/Microsoft.Web/sites/app-sdk`, "2023-12-01");
    expect(got.name).toBe("app-sdk");
    const deployments = new ResourceManagementClientV6(credential(app.appId, app.secret!), DEMO.subscriptionId, options());
    const deployment = await deployments.deployments.beginCreateOrUpdateAndWait(rgName, "sdk-deploy", {
      properties: {
        mode: "Incremental",
        template: {
          resources: [{ type: "Microsoft.Web/serverfarms", apiVersion: "2023-12-01", name: "plan-sdk", location: "[resourceGroup().location]", sku: { name: "B1" } }],
          outputs: { id: { type: "string", value: "[resourceId('Microsoft.Web/serverfarms', 'plan-sdk')]" } },
        },
      },
    });
    expect(deployment.properties?.provisioningState).toBe("Succeeded");
    expect((deployment.properties!.outputs as Record<string, { value: string }>).id.value).toBe(`${scope}/resourceGroups/${rgName}/providers/Microsoft.Web/serverfarms/plan-sdk`);

    await authorization.roleAssignments.delete(scope, assignmentName);
    await resources.resourceGroups.beginDeleteAndWait(rgName);
    const remaining = [];
    for await (const g of resources.resourceGroups.list()) remaining.push(g.name);
    expect(remaining).not.toContain(rgName);
  });
});
});
