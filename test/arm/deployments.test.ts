import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import { uniqueString } from "../../src/arm/template-expressions.js";
import type { Runtime } from "../../src/server/runtime.js";
import { arm, armToken, principalWithToken } from "../helpers/arm.js";
import { testRuntime } from "../helpers/runtime.js";
import { ARM_WORLD, ARM_WORLD_YAML, worldFile } from "../worlds/arm.js";

let runtime: Runtime;
let admin: string;
const SUB = ARM_WORLD.subscriptionId;
const RG = `/subscriptions/${SUB}/resourceGroups/${ARM_WORLD.resourceGroup}`;
beforeAll(async () => {
  runtime = await testRuntime({ world: worldFile(ARM_WORLD_YAML, "arm") });
  admin = await armToken(runtime, ARM_WORLD.appId, ARM_WORLD.secret, ARM_WORLD.tenantId);
});
afterAll(async () => runtime.close());

const template = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { prefix: { type: "string", defaultValue: "st" }, sku: { type: "string", allowedValues: ["Standard_LRS", "Standard_GRS"], defaultValue: "Standard_LRS" } },
  variables: { accountName: "[toLower(concat(parameters('prefix'), uniqueString(resourceGroup().id)))]", planName: "[format('plan-{0}', parameters('prefix'))]" },
  resources: [
    {
      type: "Microsoft.Web/sites",
      apiVersion: "2023-12-01",
      name: "[concat('app-', parameters('prefix'))]",
      location: "[resourceGroup().location]",
      dependsOn: ["[resourceId('Microsoft.Web/serverfarms', variables('planName'))]"],
      properties: { serverFarmId: "[resourceId('Microsoft.Web/serverfarms', variables('planName'))]" },
    },
    { type: "Microsoft.Web/serverfarms", apiVersion: "2023-12-01", name: "[variables('planName')]", location: "[resourceGroup().location]", sku: { name: "B1" } },
    { type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-05-01", name: "[variables('accountName')]", location: "westeurope", kind: "StorageV2", sku: { name: "[parameters('sku')]" }, properties: {} },
  ],
  outputs: {
    accountName: { type: "string", value: "[variables('accountName')]" },
    plan: { type: "string", value: "[reference(variables('planName')).provisioningState]" },
    subscriptionId: { type: "string", value: "[subscription().subscriptionId]" },
  },
};

describe("deployments", () => {
  it("deploys an inline template in dependency order and evaluates outputs", async () => {
    const put = await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Resources/deployments/web?api-version=2025-04-01`, {
      properties: { mode: "Incremental", template, parameters: { prefix: { value: "demo" } } },
    });
    expect(put.status).toBe(201);
    expect(put.body.properties.provisioningState).toBe("Succeeded");
    const account = `demo${uniqueString(RG)}`;
    expect(put.body.properties.outputs).toEqual({
      accountName: { type: "string", value: account },
      plan: { type: "string", value: "Succeeded" },
      subscriptionId: { type: "string", value: SUB },
    });
    const site = await arm(runtime, admin, "GET", `${RG}/providers/Microsoft.Web/sites/app-demo`);
    expect(site.body.properties.serverFarmId).toBe(`${RG}/providers/Microsoft.Web/serverfarms/plan-demo`);
    expect((await arm(runtime, admin, "GET", `${RG}/providers/Microsoft.Storage/storageAccounts/${account}`)).status).toBe(200);
    const ops = await arm(runtime, admin, "GET", `${RG}/providers/Microsoft.Resources/deployments/web/operations`);
    expect(ops.body.value.map((o: any) => o.properties.targetResource.resourceType)).toEqual(["Microsoft.Web/serverfarms", "Microsoft.Web/sites", "Microsoft.Storage/storageAccounts"]);
    expect((await arm(runtime, admin, "GET", `${RG}/providers/Microsoft.Resources/deployments/web`)).body.name).toBe("web");
  });

  it("creates each resource with the caller's rights: a Reader's deployment fails with AuthorizationFailed", async () => {
    const principal = await principalWithToken(runtime, "deployer", ARM_WORLD.tenantId);
    const cannot = await arm(runtime, principal.token, "PUT", `${RG}/providers/Microsoft.Resources/deployments/x`, { properties: { template, mode: "Incremental" } });
    expect(cannot.status).toBe(403);
    expect(cannot.body.error.message).toContain("'Microsoft.Resources/deployments/write'");

    // A role that may deploy and create sites, but not storage accounts.
    await runtime.arm.seedRoleAssignment({ tenantId: ARM_WORLD.tenantId, scope: RG, roleDefinitionId: "de139f84-1756-47ae-9be6-808fbbe84772", principalId: principal.servicePrincipalId!, principalType: "ServicePrincipal" });
    const partial = await arm(runtime, principal.token, "PUT", `${RG}/providers/Microsoft.Resources/deployments/partial`, { properties: { template, mode: "Incremental", parameters: { prefix: { value: "part" } } } });
    expect(partial.status).toBe(201);
    expect(partial.body.properties.provisioningState).toBe("Failed");
    expect(partial.body.properties.error.code).toBe("DeploymentFailed");
    const codes = partial.body.properties.error.details.map((d: any) => d.code);
    expect(codes).toContain("AuthorizationFailed");
    expect(partial.body.properties.error.details.map((d: any) => d.message).join("\n")).toContain("'Microsoft.Storage/storageAccounts/write'");
  });

  it("answers template errors with InvalidTemplate and stores nothing", async () => {
    const bad = async (t: unknown, parameters: Record<string, unknown> = {}) =>
      arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Resources/deployments/bad`, { properties: { template: t, parameters, mode: "Incremental" } });
    const unknownFn = await bad({ resources: [{ type: "Microsoft.Web/sites", name: "[frobnicate('x')]", location: "westeurope" }] });
    expect(unknownFn.status).toBe(400);
    expect(unknownFn.body.error.code).toBe("InvalidTemplate");
    expect(unknownFn.body.error.message).toContain("The template function 'frobnicate' is not valid.");
    expect((await bad({ parameters: { p: { type: "string" } }, resources: [] })).body.error.message).toContain("The value for the template parameter 'p' is not provided.");
    expect((await bad({ parameters: { p: { type: "string", allowedValues: ["a"] } }, resources: [] }, { p: { value: "b" } })).body.error.code).toBe("InvalidTemplate");
    expect((await bad({ resources: [{ type: "Microsoft.Web/sites", name: "[concat('a']", location: "x" }] })).body.error.code).toBe("InvalidTemplate");
    expect((await bad({ resources: [{ type: "Microsoft.Web/sites", name: "a", dependsOn: ["b"] }, { type: "Microsoft.Web/sites", name: "b", dependsOn: ["a"] }] })).body.error.message).toContain("Circular dependency");
    expect((await bad("not an object")).body.error.code).toBe("InvalidTemplate");
    expect((await bad({ resources: [] }, { nope: { value: 1 } })).body.error.code).toBe("InvalidTemplate");
    expect((await arm(runtime, admin, "GET", `${RG}/providers/Microsoft.Resources/deployments/bad`)).body.error.code).toBe("DeploymentNotFound");
  });

  it("enforces ARM's template limits and bounds evaluation, so a doubling template cannot exhaust memory", async () => {
    const put = (t: unknown) => arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Resources/deployments/limits`, { properties: { template: t, mode: "Incremental" } });
    // Each variable concatenates the previous one twice: 2 KB of template asking for 2^40 characters.
    const variables: Record<string, string> = { v0: "[concat('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'y')]" };
    for (let i = 1; i <= 40; i++) variables[`v${i}`] = `[concat(variables('v${i - 1}'), variables('v${i - 1}'))]`;
    const rss = process.memoryUsage().rss;
    const started = Date.now();
    const doubling = await put({ variables, resources: [], outputs: { big: { type: "string", value: "[variables('v40')]" } } });
    // Outputs are evaluated after the resources, so their failure fails the deployment (stored, and small).
    expect(doubling.status).toBe(201);
    expect(doubling.body.properties.provisioningState).toBe("Failed");
    expect(doubling.body.properties.error.details[0]).toMatchObject({ code: "DeploymentOutputEvaluationFailed", message: expect.stringContaining("produced a value of more than 1048576 characters") });
    expect(doubling.body.properties.outputs).toEqual({});
    expect(JSON.stringify(doubling.body).length).toBeLessThan(100_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(512 * 1024 * 1024);
    // Many values just under the per-value limit run into the deployment's budget instead.
    const wide: Record<string, unknown> = { base: `[concat(${Array(20).fill(`'${"z".repeat(1000)}'`).join(", ")})]` };
    for (let i = 1; i <= 9; i++) wide[`w${i}`] = `[concat(variables('${i === 1 ? "base" : `w${i - 1}`}'), variables('${i === 1 ? "base" : `w${i - 1}`}'))]`;
    const outputs = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`o${i}`, { type: "string", value: "[variables('w5')]" }]));
    const budget = await put({ variables: wide, resources: [], outputs });
    expect(budget.body.properties.error.details[0].message).toContain("in all, the limit for one deployment");
    const manyParameters = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`p${i}`, { type: "string", defaultValue: "x" }]));
    expect((await put({ parameters: manyParameters, resources: [] })).body.error.message).toBe("Deployment template validation failed: 'The number of template parameters (257) exceeds the limit of 256.'.");
    const longExpression = `[concat('${"a".repeat(25_000)}')]`;
    const long = await put({ resources: [{ type: "Microsoft.Web/sites", name: "long", location: "westeurope", properties: { text: longExpression } }] });
    expect(long.body.properties.error.details[0]).toMatchObject({ code: "InvalidTemplate", message: expect.stringContaining("exceeds the limit of 24576 characters") });
  });

  it("deploys at subscription scope: resource groups and role assignments", async () => {
    const principal = await principalWithToken(runtime, "sub-deploy", ARM_WORLD.tenantId);
    const result = await arm(runtime, admin, "PUT", `/subscriptions/${SUB}/providers/Microsoft.Resources/deployments/sub`, {
      location: "westeurope",
      properties: {
        mode: "Incremental",
        template: {
          resources: [
            { type: "Microsoft.Resources/resourceGroups", apiVersion: "2022-09-01", name: "rg-from-template", location: "westeurope" },
            {
              type: "Microsoft.Authorization/roleAssignments",
              apiVersion: "2022-04-01",
              name: "[guid(subscription().id, 'reader')]",
              properties: { roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${BUILTIN_ROLE_IDS.Reader}')]`, principalId: principal.servicePrincipalId },
            },
          ],
        },
      },
    });
    expect(result.body.properties.provisioningState).toBe("Succeeded");
    expect((await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourceGroups/rg-from-template`)).status).toBe(200);
    const mine = await arm(runtime, admin, "GET", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${principal.servicePrincipalId}'`)}&api-version=2022-04-01`);
    expect(mine.body.value).toHaveLength(1);
  });
});
