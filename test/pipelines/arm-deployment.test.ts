import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { arm, assignSubscriptionRole, bootstrapToken } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { makeApp } from "../helpers/entra.js";
import { testServer } from "../helpers/runtime.js";
import { explain } from "../../src/doctor/explain.js";
import { firstPartyServicePrincipalId } from "../../src/entra/directory/first-party.js";

// Azure tasks and an SDK in pipeline runs against a listening svcconn: they reach
// svcconn's ARM with the connection's own identity and rights.
let server: RunningServer;
let counter = 0;

const TEMPLATE = JSON.stringify({
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { accountName: { type: "string" }, sku: { type: "string", defaultValue: "Standard_LRS" } },
  resources: [{ type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-01-01", name: "[parameters('accountName')]", location: "westeurope", sku: { name: "[parameters('sku')]" }, kind: "StorageV2" }],
  outputs: { accountId: { type: "string", value: "[resourceId('Microsoft.Storage/storageAccounts', parameters('accountName'))]" } },
});

async function run(connection: { id: string; name: string }, inputs: string, extraSteps = "") {
  const runtime = server.runtime;
  const name = `armdeploy-${++counter}`;
  const yaml = `steps:\n  - task: AzureResourceManagerTemplateDeployment@3\n    displayName: Deploy\n    inputs:\n      azureResourceManagerConnection: ${connection.name}\n${inputs
    .split("\n")
    .filter(Boolean)
    .map((l) => `      ${l}`)
    .join("\n")}\n${extraSteps}`;
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml, "/infra/storage.json": TEMPLATE, "/infra/storage.parameters.json": JSON.stringify({ parameters: { accountName: { value: `st${counter}fromfile` } } }) } });
  const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
  await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, { pipelines: [{ id: pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });
  const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
  await runtime.pipelines.settled();
  const result = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs/${queued.body.id}`)).body.result;
  const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body;
  const step = timeline.records.find((r: { name: string }) => r.name === "Deploy");
  const log = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${step.log.id}`)).body);
  const jobLog = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${timeline.records.find((r: { type: string }) => r.type === "Job").log.id}`)).body);
  return { result, step, log, jobLog };
}

const assignRole = (principalId: string, role: "Reader" | "Contributor") => assignSubscriptionRole(server.runtime, principalId, role);

/**
 * A one-step pipeline running a Node script from test/fixtures/pipelines with the connection's ids in its
 * environment (the script finds svcconn's node_modules through NODE_PATH). No task input names the connection, so
 * the step gets no ENDPOINT_* variables for it (as on the agent); the pipeline is permitted to use it.
 */
async function scriptStep(connection: { id: string; name: string; authorization: { parameters: Record<string, string> } }, fixture: string) {
  const runtime = server.runtime;
  const name = `script-${++counter}`;
  const yaml = [
    "steps:",
    `  - bash: node ${fixture}`,
    "    displayName: Script",
    "    env:",
    "      SYSTEM_ACCESSTOKEN: $(System.AccessToken)",
    `      NODE_PATH: ${join(process.cwd(), "node_modules")}`,
    `      CONNECTION_ID: ${connection.id}`,
    `      CLIENT_ID: ${connection.authorization.parameters.serviceprincipalid}`,
    `      TENANT_ID: ${DEMO.tenantId}`,
    `      AUTHORITY: ${server.login}`,
    `      ARM: ${server.arm}`,
    // The connection is named by a step of the job (skipped here): the job's OIDC route answers only for those.
    "  - task: AzureCLI@2",
    "    condition: false",
    "    inputs:",
    `      azureSubscription: ${connection.name}`,
    "      scriptType: bash",
    "      scriptLocation: inlineScript",
    "      inlineScript: echo",
    "",
  ].join("\n");
  const script = readFileSync(join(process.cwd(), "test/fixtures/pipelines", fixture), "utf8");
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml, [`/${fixture}`]: script } });
  const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
  await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, { pipelines: [{ id: pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });
  const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
  await runtime.pipelines.settled();
  const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body;
  const step = timeline.records.find((r: { name: string }) => r.name === "Script");
  const log = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${step.log.id}`)).body);
  return { step, log };
}

const secretConnection = (name: string, app: { appId: string; secret?: string }) =>
  createEndpoint(server.runtime, "admin", azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", parameters: { serviceprincipalid: app.appId, serviceprincipalkey: app.secret!, authenticationType: "spnKey" } }));

describe("ARM template deployment, AzureFileCopy and AzurePipelinesCredential in pipeline runs", () => {
  beforeAll(async () => {
    server = await testServer();
  });
  afterAll(async () => server?.close());

  it("deploys a template from the repository with a Contributor's connection: resource group, parameters, overrides, outputs", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "deployer" });
    await assignRole(app.servicePrincipalId!, "Contributor");
    await server.runtime.clock.advance(301);
    const connection = await secretConnection("deployer-conn", app);
    const { result, log, jobLog } = await run(
      connection,
      `subscriptionId: ${DEMO.subscriptionId}\nresourceGroupName: rg-from-task\nlocation: westeurope\ncsmFile: infra/storage.json\ncsmParametersFile: infra/storage.parameters.json\noverrideParameters: -sku Premium_LRS\ndeploymentName: storage-deploy\ndeploymentOutputs: armOutputs`,
      "  - bash: echo \"id=$(armOutputs.accountId.value)\"\n",
    );
    expect(result, log).toBe("succeeded");
    expect(log).toContain("Checking if the following resource group exists: rg-from-task.");
    expect(log).toContain("Resource group exists: false.");
    expect(log).toContain("Resource Group created successfully.");
    expect(log).toContain("Template deployment validation was completed successfully.");
    expect(log).toContain("Successfully deployed the template.");
    expect(jobLog).toContain(`id="/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-from-task/providers/Microsoft.Storage/storageAccounts/st1fromfile"`);
    const account = await arm(server.runtime, await bootstrapToken(server.runtime), "GET", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-from-task/providers/Microsoft.Storage/storageAccounts/st1fromfile?api-version=2023-01-01`);
    expect(account.status).toBe(200);
    expect(account.body.sku).toEqual({ name: "Premium_LRS" });
  });

  it("S13: a Reader's connection gets AuthorizationFailed in the task's words", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "reader-deployer" });
    await assignRole(app.servicePrincipalId!, "Reader");
    await server.runtime.clock.advance(301);
    const connection = await secretConnection("reader-deployer-conn", app);
    const { result, step, log } = await run(connection, `resourceGroupName: rg-prod-app\nlocation: westeurope\ncsmFile: infra/storage.json\noverrideParameters: -accountName stdenied`);
    expect(result).toBe("failed");
    expect(log).toContain("Resource group exists: true.");
    expect(log).toContain("##[warning]Validation errors were found in the Azure Resource Manager template.");
    expect(log).toContain("There were errors in your deployment. Error code: AuthorizationFailed.");
    const messages = step.issues.map((i: { message: string }) => i.message);
    expect(messages).toContain(`The client '***' with object id '${app.servicePrincipalId}' does not have authorization to perform action 'Microsoft.Resources/deployments/write' over scope '/subscriptions/${DEMO.subscriptionId}/resourcegroups/rg-prod-app' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
    expect(messages).toContain("Please make sure the Service Principal with name  is assigned the right roles for the entity rg-prod-app. Follow the link for more details: https://docs.microsoft.com/en-us/azure/role-based-access-control/role-assignments-portal");
    expect(messages.at(-1)).toBe("Task failed while creating or updating the template deployment.");
    // The name comes from Graph as the connection sees it: with directory read permission, the application's name.
    const directory = server.runtime.entra.directory;
    await directory.grantAppRole(DEMO.tenantId, app.servicePrincipalId!, firstPartyServicePrincipalId(DEMO.tenantId, "00000003-0000-0000-c000-000000000000"), "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30");
    const named = await run(connection, `resourceGroupName: rg-prod-app\nlocation: westeurope\ncsmFile: infra/storage.json\noverrideParameters: -accountName stdenied`);
    expect(named.step.issues.map((i: { message: string }) => i.message)).toContain("Please make sure the Service Principal with name reader-deployer is assigned the right roles for the entity rg-prod-app. Follow the link for more details: https://docs.microsoft.com/en-us/azure/role-based-access-control/role-assignments-portal");
    const explained = explain(messages.join("\n"));
    expect(explained.id).toBe("rbac-authorization-failed");
    expect(explained.entities).toMatchObject({ objectId: app.servicePrincipalId, action: expect.stringMatching(/^Microsoft.Resources\/deployments\//) });
  });

  it("S19: a workload identity connection deploys with the job's OIDC token, and fails in AzureFileCopy@4, which lacks federation support", { timeout: 60_000 }, async () => {
    const connection = await createEndpoint(server.runtime, "admin", azurerm({ name: "wif-deployer", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    await server.runtime.clock.advance(301);
    const deployed = await run(connection, "resourceGroupName: rg-wif\nlocation: westeurope\ncsmFile: infra/storage.json\noverrideParameters: -accountName stwif");
    expect(deployed.result, deployed.log).toBe("succeeded");
    const runtime = server.runtime;
    const name = `filecopy-${++counter}`;
    const yaml = `steps:\n  - task: AzureFileCopy@4\n    displayName: Copy\n    inputs:\n      SourcePath: site\n      azureSubscription: ${connection.name}\n      Destination: AzureBlob\n      storage: stwif\n      ContainerName: web\n`;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, { pipelines: [{ id: pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
    await runtime.pipelines.settled();
    const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body;
    const copy = timeline.records.find((r: { name: string }) => r.name === "Copy");
    expect(copy.result).toBe("failed");
    expect(copy.issues.at(-1).message).toBe("Unsupported authentication scheme 'WorkloadIdentityFederation' for endpoint.");
    expect(explain(copy.issues.map((i: { message: string }) => i.message).join("\n")).id).toBe("task-lacks-wif-support");
  });

  it("AzurePipelinesCredential (@azure/identity) in a script step gets an ARM token with the job's OIDC token", { timeout: 60_000 }, async () => {
    const connection = await createEndpoint(server.runtime, "admin", azurerm({ name: "wif-script", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    await server.runtime.clock.advance(301);
    const { step, log } = await scriptStep(connection, "azure-pipelines-credential.cjs");
    expect(step.result, log).toBe("succeeded");
    expect(log).toContain(`subscriptions: ${DEMO.subscriptionId}`);
  });

  it("S9/S10: a wrong secret and a deleted application fail at the token, in the library's words", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "wrong-secret-deployer" });
    const wrong = await secretConnection("wrong-secret-conn", { appId: app.appId, secret: "not-the-secret" });
    const failed = await run(wrong, "resourceGroupName: rg-x\nlocation: westeurope\ncsmFile: infra/storage.json");
    expect(failed.result).toBe("failed");
    expect(explain(failed.step.issues.at(-1).message).id).toBe("secret-invalid");
    expect(failed.step.issues.at(-1).message).toMatch(/^Failed to check the resource group status\. Error: Could not fetch access token for Azure\. Status code: invalid_client, status message: 7000215 - \[.+\]: AADSTS7000215: Invalid client secret provided\./);
    const gone = await secretConnection("deleted-app-conn", { appId: crypto.randomUUID(), secret: "whatever" });
    const missing = await run(gone, "resourceGroupName: rg-x\nlocation: westeurope\ncsmFile: infra/storage.json");
    expect(explain(missing.step.issues.at(-1).message).id).toBe("app-not-found");
    expect(missing.step.issues.at(-1).message).toMatch(/Status code: unauthorized_client, status message: 700016 - \[.+\]: AADSTS700016: Application with identifier '\*\*\*' was not found in the directory/);
  });
});
