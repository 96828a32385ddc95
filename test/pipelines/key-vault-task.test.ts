import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import { explain } from "../../src/doctor/explain.js";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { arm, bootstrapToken } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { makeApp } from "../helpers/entra.js";
import { runPermitted } from "../helpers/pipelines.js";
import { testServer } from "../helpers/runtime.js";

// AzureKeyVault@2 and Key Vault-linked variable groups against a listening svcconn (issue 24): the task signs in
// for https://vault.azure.net through the connection and reads https://{vault}.vault.azure.net through svcconn's
// proxy, as the job's steps reach Microsoft's hosts; each refusal reads as the task prints it and as the doctor
// explains it.
let server: RunningServer;
const VAULT_ID = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/${DEMO.vault.name}`;

beforeAll(async () => {
  server = await testServer({ rbacPropagationSeconds: 300 });
});
afterAll(async () => server?.close());

const secretConnection = (name: string, app: { appId: string; secret?: string }) =>
  createEndpoint(server.runtime, "admin", azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", parameters: { serviceprincipalid: app.appId, serviceprincipalkey: app.secret ?? "", authenticationType: "spnKey" } }));

async function assignRole(principalId: string, roleId: string, scope: string) {
  const assigned = await arm(server.runtime, await bootstrapToken(server.runtime), "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
    properties: { roleDefinitionId: `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId, principalType: "ServicePrincipal" },
  });
  expect(assigned.status, JSON.stringify(assigned.body)).toBe(201);
  await server.runtime.clock.advance(301);
}

const keyVaultJob = (connection: string, vault: string = DEMO.vault.name, filter = "'*'") => `steps:
  - checkout: none
  - task: AzureKeyVault@2
    displayName: Key Vault
    inputs:
      azureSubscription: ${connection}
      KeyVaultName: ${vault}
      SecretsFilter: ${filter}
  - bash: |
      echo "password: $(sql-password)"
      test "$SQL_PASSWORD" = '${DEMO.vault.secrets["sql-password"]}' && echo "the step sees the secret"
    displayName: Use the secret
    env:
      SQL_PASSWORD: $(sql-password)
`;

describe("AzureKeyVault@2", () => {
  it("downloads every enabled secret as a secret variable, masked in later steps", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "kv-task-user" });
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, VAULT_ID);
    const connection = await secretConnection("kv-task-user", app);
    const run = await runPermitted(server.runtime, keyVaultJob(connection.name), [connection.id]);
    const step = await run.step("Key Vault");
    expect(run.result, step.log).toBe("succeeded");
    expect(step.log).toContain(`SubscriptionId: ${DEMO.subscriptionId}.`);
    expect(step.log).toContain(`Key vault name: ${DEMO.vault.name}.`);
    expect(step.log).toContain(`Downloading secrets using: https://${DEMO.vault.name}.vault.azure.net/secrets?maxresults=25&api-version=2016-10-01.`);
    expect(step.log).toMatch(new RegExp(`Number of enabled and unexpired secrets found in ${DEMO.vault.name}: \\d+`));
    expect(step.log).toContain("Downloading secret value for: sql-password.");
    const use = await run.step("Use the secret");
    expect(use.log).toContain("password: ***");
    expect(use.log).toContain("the step sees the secret");
    expect(use.log).not.toContain(DEMO.vault.secrets["sql-password"]);
  });

  it("S13: a connection whose principal is Contributor on the vault reads no secret — Key Vault's ForbiddenByRbac in the task's words; the doctor proposes the data role; the role fixes it", { timeout: 90_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "kv-task-contributor" });
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.Contributor, VAULT_ID);
    const connection = await secretConnection("kv-task-contributor", app);
    const refused = await runPermitted(server.runtime, keyVaultJob(connection.name), [connection.id]);
    const step = await refused.step("Key Vault");
    expect(refused.result).toBe("failed");
    expect(step.log).toContain("##[error]Get secrets failed. Error: Caller is not authorized to perform action on resource.");
    expect(step.log).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'");
    expect(step.log).toContain(". The specified Azure service connection needs to have Get, List secret management permissions on the selected key vault. To set these permissions, download the ProvisionKeyVaultPermissions.ps1 script from build/release logs and execute it, or set them from the Azure portal..");
    expect(step.log).toMatch(/Uploading \/.+\/ProvisionKeyVaultPermissions\.ps1 as attachment/);
    const diagnosis = explain(step.log);
    expect(diagnosis.id).toBe("key-vault-access-denied");
    expect(diagnosis.fix.join("\n")).toContain("Key Vault Secrets User");
    expect(diagnosis.fix.join("\n")).not.toMatch(/--role Contributor/);
    expect(diagnosis.entities.vault).toBe(DEMO.vault.name);

    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, VAULT_ID);
    const fixed = await runPermitted(server.runtime, keyVaultJob(connection.name), [connection.id]);
    expect(fixed.result).toBe("succeeded");
  });

  it("an access-policy vault: one secret named in the filter without Get is that secret's error, listed by name", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "kv-task-policy" });
    const token = await bootstrapToken(server.runtime);
    const path = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/kv-task-policy`;
    expect((await arm(server.runtime, token, "PUT", `${path}?api-version=2023-07-01`, { location: "westeurope", properties: { tenantId: DEMO.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [{ tenantId: DEMO.tenantId, objectId: app.servicePrincipalId, permissions: { secrets: ["list"] } }] } })).status).toBe(201);
    const connection = await secretConnection("kv-task-policy", app);
    const run = await runPermitted(server.runtime, keyVaultJob(connection.name, "kv-task-policy", "'db-password'"), [connection.id]);
    const step = await run.step("Key Vault");
    expect(run.result).toBe("failed");
    expect(step.log).toContain(`##[error]\ndb-password: "The user, group or application 'appid=***;oid=${app.servicePrincipalId};iss=https://sts.windows.net/${DEMO.tenantId}/' does not have secrets get permission on key vault 'kv-task-policy;location=westeurope'.`);
    expect(explain(step.log).id).toBe("key-vault-access-denied");
  });

  it("the vault firewall refuses a Microsoft-hosted agent's address: not the connection, and the doctor says so", { timeout: 60_000 }, async () => {
    const token = await bootstrapToken(server.runtime);
    const path = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/kv-task-closed`;
    expect((await arm(server.runtime, token, "PUT", `${path}?api-version=2023-07-01`, { location: "westeurope", properties: { tenantId: DEMO.tenantId, enableRbacAuthorization: true, networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [{ value: "198.51.100.0/24" }] } } })).status).toBe(201);
    const app = await makeApp(server.runtime, { name: "kv-task-closed" });
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, path);
    const connection = await secretConnection("kv-task-closed", app);
    const run = await runPermitted(server.runtime, keyVaultJob(connection.name, "kv-task-closed"), [connection.id]);
    const step = await run.step("Key Vault");
    expect(run.result).toBe("failed");
    expect(step.log).toContain("Get secrets failed. Error: Client address is not authorized and caller is not a trusted service.");
    expect(step.log).toContain("Client address: 52.191.40.17");
    expect(explain(step.log).id).toBe("network-or-firewall");
  });

  it("S9: an expired secret fails the download before Key Vault is called, with the task's expired-secret text", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "kv-task-expiring", secret: { endDateTime: new Date(server.runtime.clock.nowMs() + 86_400_000).toISOString() } });
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, VAULT_ID);
    const connection = await secretConnection("kv-task-expiring", app);
    await server.runtime.clock.advance(2 * 86_400);
    const run = await runPermitted(server.runtime, keyVaultJob(connection.name), [connection.id]);
    const step = await run.step("Key Vault");
    expect(run.result).toBe("failed");
    expect(step.log).toMatch(/##\[error\]Get secrets failed\. Error: Secret expired, update service connection at https:\/\/.+_settings\/adminservices\?resourceId=[0-9a-f-]{36} See https:\/\/aka\.ms\/azdo-rm-workload-identity-conversion/);
    expect(explain(step.log).id).toBe("secret-expired");
  });

  it("S19: a workload identity connection (created automatically, Contributor on the subscription) reads the vault once it holds the data role", { timeout: 90_000 }, async () => {
    const connection = await createEndpoint(server.runtime, "admin", azurerm({ name: "kv-task-wif", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    await server.runtime.clock.advance(301);
    const refused = await runPermitted(server.runtime, keyVaultJob(connection.name), [connection.id]);
    expect(refused.result).toBe("failed");
    expect((await refused.step("Key Vault")).log).toContain("Caller is not authorized to perform action on resource.");
    const principal = await server.runtime.store.servicePrincipals.getByAppId(DEMO.tenantId, connection.authorization.parameters.serviceprincipalid);
    await assignRole(principal!.id, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, VAULT_ID);
    const fixed = await runPermitted(server.runtime, keyVaultJob(connection.name), [connection.id]);
    expect(fixed.result, (await fixed.step("Key Vault")).log).toBe("succeeded");
  });
});

describe("AzureKeyVault@2: the connection's own failures, before Key Vault", () => {
  it("S10: a deleted application (AADSTS700016) and a managed identity on a Microsoft-hosted agent fail the sign-in in the ARM library's words", { timeout: 60_000 }, async () => {
    const gone = await secretConnection("kv-task-deleted", { appId: crypto.randomUUID(), secret: "whatever" });
    const deleted = await runPermitted(server.runtime, keyVaultJob(gone.name), [gone.id]);
    const deletedLog = (await deleted.step("Key Vault")).log;
    expect(deleted.result).toBe("failed");
    expect(deletedLog).toMatch(/##\[error\]Get secrets failed\. Error: Could not fetch access token for Azure\. Status code: unauthorized_client, status message: 700016 - \[[^\]]*\]: AADSTS700016: Application with identifier '\*\*\*' was not found/);
    expect(explain(deletedLog).id).toBe("app-not-found");
    const identity = await createEndpoint(server.runtime, "admin", azurerm({ name: "kv-task-msi", scheme: "ManagedServiceIdentity", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    const hosted = await runPermitted(server.runtime, keyVaultJob(identity.name), [identity.id]);
    const hostedLog = (await hosted.step("Key Vault")).log;
    expect(hosted.result).toBe("failed");
    expect(hostedLog).toContain("Get secrets failed. Error: Could not fetch access token for Azure. Status code: 400, status message: Could not fetch access token for Managed Service Principal.");
    expect(explain(hostedLog).id).toBe("managed-identity-unsupported");
  });
});

describe("a Key Vault-linked variable group", () => {
  it("the job downloads the group's secrets first ('Download secrets: {vault}'), and later steps read them", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "kv-group-reader" });
    await assignRole(app.servicePrincipalId!, BUILTIN_ROLE_IDS.KeyVaultSecretsUser, VAULT_ID);
    const connection = await secretConnection("kv-group-conn", app);
    const group = await devops(server.runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/distributedtask/variablegroups`, { name: "kv-linked", type: "AzureKeyVault", variables: { "sql-password": { isSecret: true } }, providerData: { serviceEndpointId: connection.id, vault: DEMO.vault.name } }, { version: "5.0-preview.1" });
    expect(group.status, JSON.stringify(group.body)).toBe(200);
    await devops(server.runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/variablegroup/${group.body.id}`, { allPipelines: { authorized: true } }, { version: "7.1-preview.1" });
    const run = await runPermitted(server.runtime, `variables:\n  - group: kv-linked\nsteps:\n  - checkout: none\n  - bash: test "$P" = '${DEMO.vault.secrets["sql-password"]}' && echo "group secret read"\n    displayName: Use the group\n    env:\n      P: $(sql-password)\n`, [connection.id]);
    const names = run.records.filter((r) => r.type === "Task").map((r) => r.name);
    expect(names.indexOf(`Download secrets: ${DEMO.vault.name}`)).toBeLessThan(names.indexOf("Use the group"));
    const download = await run.step(`Download secrets: ${DEMO.vault.name}`);
    expect(run.result, download.log).toBe("succeeded");
    expect(download.log).toContain("Downloading secret value for: sql-password.");
    expect(download.log).not.toContain("storage-key");
    expect((await run.step("Use the group")).log).toContain("group secret read");
  });
});
