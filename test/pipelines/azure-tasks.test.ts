import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explain } from "../../src/doctor/explain.js";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { arm, assignSubscriptionRole, bootstrapToken } from "../helpers/arm.js";
import { azurerm, createEndpoint } from "../helpers/devops.js";
import { makeApp, makeCertificate } from "../helpers/entra.js";
import { runPermitted } from "../helpers/pipelines.js";
import { testServer } from "../helpers/runtime.js";

// The tasks people deploy with, in pipeline runs against a listening svcconn: each signs in through its connection
// as the real task does, and each failure of the guide appears in its log in the real task's words, which the
// doctor reads back to the right diagnosis.
let server: RunningServer;

const secretConnection = (name: string, app: { appId: string; secret?: string }, subscriptionId: string = DEMO.subscriptionId) =>
  createEndpoint(server.runtime, "admin", azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId, subscriptionName: "Contoso Production", parameters: { serviceprincipalid: app.appId, serviceprincipalkey: app.secret ?? "", authenticationType: "spnKey" } }));

const azurePowerShell = (connection: string, extra = "") => `steps:
  - task: AzurePowerShell@5
    displayName: Azure PowerShell
    inputs:
      azureSubscription: ${connection}
      ScriptType: InlineScript
      Inline: Get-AzResourceGroup
      azurePowerShellVersion: LatestVersion
${extra}`;

/** Runs one AzurePowerShell@5 step with the connection; its record, log and error issues. */
async function powerShellStep(connection: { id: string; name: string }, extra = "") {
  const run = await runPermitted(server.runtime, azurePowerShell(connection.name, extra), [connection.id]);
  const step = await run.step("Azure PowerShell");
  return { ...step, result: step.record.result };
}

beforeAll(async () => {
  server = await testServer({ rbacPropagationSeconds: 300 });
});
afterAll(async () => server?.close());

describe("AzurePowerShell@5 signs in per scheme as its InitializeAz.ps1 does", () => {
  it("a secret connection with a role signs in, sets the subscription, and says plainly that the script was not run", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "azps-reader" });
    await assignSubscriptionRole(server.runtime, app.servicePrincipalId!, "Reader");
    await server.runtime.clock.advance(301);
    const connection = await secretConnection("azps-secret", app);
    const { result, record, log } = await powerShellStep(connection);
    expect(result, log).toBe("succeededWithIssues");
    expect(record.issues.map((i) => i.message)).toContain("The Azure sign-in succeeded; the script was not run.");
    expect(log).toContain("AZUREPS_HOST_ENVIRONMENT: ADO/AzurePowerShell@v5_Linux_");
    expect(log).toContain("Generating script.");
    expect(log).toContain(`##[command]Connect-AzAccount -ServicePrincipal -Tenant ${DEMO.tenantId} -Credential System.Management.Automation.PSCredential -Environment AzureCloud @processScope`);
    expect(log).toContain(`##[command] Set-AzContext -SubscriptionId ${DEMO.subscriptionId} -TenantId ${DEMO.tenantId}`);
    expect(log).toContain("##[warning]svcconn signed in as this task does (Connect-AzAccount, Set-AzContext), but did not run the script: PowerShell and the Az modules are not installed on this agent.");
    expect(log).not.toContain(app.secret!);
  });

  it("S9: an expired secret fails Connect-AzAccount with Azure.Identity's text, and the doctor reads it", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "azps-expiring", secret: { endDateTime: new Date(server.runtime.clock.nowMs() + 86_400_000).toISOString() } });
    const connection = await secretConnection("azps-expiring", app);
    await server.runtime.clock.advance(2 * 86_400);
    const { result, log, errors } = await powerShellStep(connection);
    expect(result).toBe("failed");
    expect(log).toMatch(/Exception is : ClientSecretCredential authentication failed: A configuration issue is preventing authentication - check the error message from the server for details\. You can modify the configuration in the application registration portal\. See https:\/\/aka\.ms\/msal-net-invalid-client for details\. {2}Original exception: AADSTS7000222: The provided client secret keys for app '\*\*\*' are expired\./);
    expect(log).toMatch(/Exception: \/.+\/_tasks\/AzurePowerShell_72a1931b-effb-4d2e-8fd8-f8472a07cb62\/5\.279\.2\/InitializeAz\.ps1:95\nLine \|\n {2}95 \| {10}throw \(New-Object System\.Exception/);
    expect(log).toContain("     | There was an error with the service principal used for the deployment.");
    expect(errors).toEqual(["PowerShell exited with code '1'."]);
    expect(explain(log).id).toBe("secret-expired");
  });

  it("S10: a deleted and a disabled application fail the sign-in with their AADSTS codes", { timeout: 60_000 }, async () => {
    const gone = await secretConnection("azps-deleted", { appId: crypto.randomUUID(), secret: "whatever" });
    const deleted = await powerShellStep(gone);
    expect(deleted.result).toBe("failed");
    expect(deleted.log).toMatch(/Exception is : ClientSecretCredential authentication failed: AADSTS700016: Application with identifier '\*\*\*' was not found in the directory/);
    expect(explain(deleted.log).id).toBe("app-not-found");
    const app = await makeApp(server.runtime, { name: "azps-disabled" });
    await server.runtime.store.servicePrincipals.update(app.servicePrincipalId!, { accountEnabled: false });
    const disabled = await powerShellStep(await secretConnection("azps-disabled", app));
    expect(disabled.log).toMatch(/ClientSecretCredential authentication failed: AADSTS7000112: Application '\*\*\*'\(azps-disabled\) is disabled\./);
    expect(explain(disabled.log).id).toBe("app-disabled");
  });

  it("a principal without any role on the subscription fails Set-AzContext", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "azps-no-role" });
    const { result, log, errors } = await powerShellStep(await secretConnection("azps-no-role", app));
    expect(result).toBe("failed");
    expect(log).toMatch(/Set-AzContext: \/.+\/InitializeAz\.ps1:104\nLine \|\n 104 \| {10}\$null = Set-AzContext -SubscriptionId \$SubscriptionId @additional\n {5}\| {10}~+\n {5}\| Please provide a valid tenant or a valid subscription\./);
    expect(errors).toEqual(["PowerShell exited with code '1'."]);
  });

  it("S19: a workload identity connection signs in with the job's OIDC token; one without a matching federated credential gets AADSTS700213", { timeout: 60_000 }, async () => {
    const connection = await createEndpoint(server.runtime, "admin", azurerm({ name: "azps-wif", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    await server.runtime.clock.advance(301);
    const ok = await powerShellStep(connection);
    expect(ok.result, ok.log).toBe("succeededWithIssues");
    expect(ok.log).toContain(`##[command] Connect-AzAccount -ServicePrincipal -Tenant ${DEMO.tenantId} -ApplicationId *** -FederatedToken ***** -Environment AzureCloud -Scope Process`);
    const app = await makeApp(server.runtime, { name: "azps-other-subject", secret: false });
    const { workloadIdentityFederationIssuer: issuer } = connection.authorization.parameters;
    await server.runtime.entra.directory.addFederatedCredential(app.objectId, { name: "other", issuer, subject: "sc://contoso/web/another-connection", audiences: ["api://AzureADTokenExchange"] });
    const manual = await createEndpoint(server.runtime, "admin", azurerm({ name: "azps-manual-wif", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", parameters: { serviceprincipalid: app.appId } }));
    const failed = await powerShellStep(manual);
    expect(failed.result).toBe("failed");
    expect(failed.log).toMatch(/Connect-AzAccount: \/.+\/InitializeAz\.ps1:113\n/);
    expect(failed.log).toMatch(/ {5}\| ClientAssertionCredential authentication failed: A configuration issue is preventing authentication .+ Original exception: AADSTS700213: No matching federated identity record found for presented assertion subject '[^']+'/);
    expect(explain(failed.log).id).toBe("wif-subject-mismatch");
  });

  it("a script path that is not a .ps1 file fails with the key the task's task.json lacks, as the task library words it", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "azps-path" });
    const connection = await secretConnection("azps-path", app);
    const run = await runPermitted(server.runtime, `steps:\n  - task: AzurePowerShell@5\n    displayName: Azure PowerShell\n    inputs:\n      azureSubscription: ${connection.name}\n      ScriptType: FilePath\n      ScriptPath: deploy.sh\n      azurePowerShellVersion: LatestVersion\n`, [connection.id], { "/deploy.sh": "echo" });
    const { log, errors } = await run.step("Azure PowerShell");
    expect(errors).toEqual([expect.stringMatching(/^JS_InvalidFilePath \/.+\/deploy\.sh$/)]);
    expect(log).toContain("##[warning]Can't find loc string for key: JS_InvalidFilePath");
  });

  it("S12: certificates and managed identities are refused on a Linux agent in the task's own words", { timeout: 60_000 }, async () => {
    const certificate = await makeCertificate();
    const app = await makeApp(server.runtime, { name: "azps-cert", secret: false });
    const withCertificate = await createEndpoint(
      server.runtime,
      "admin",
      azurerm({ name: "azps-cert", scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", parameters: { serviceprincipalid: app.appId, servicePrincipalCertificate: `${certificate.certPem}${certificate.keyPem}`, authenticationType: "spnCertificate" } }),
    );
    const cert = await powerShellStep(withCertificate);
    expect(cert.result).toBe("failed");
    expect(cert.log).toContain("Exception is : Only SPNKey auth type is supported for ServicePrincipal auth scheme using non windows agent.");
    expect(explain(cert.log, { task: "AzurePowerShell@5" }).id).toBe("task-lacks-certificate-support");
    const identity = await createEndpoint(server.runtime, "admin", azurerm({ name: "azps-msi", scheme: "ManagedServiceIdentity", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    const msi = await powerShellStep(identity);
    expect(msi.result).toBe("failed");
    expect(msi.log).toContain("     | Only SPN credential and WorkloadIdentityFederation auth schemes are supported for non windows agent.");
    expect(explain(msi.log).id).toBe("managed-identity-unsupported");
  });
});

/** An App Service site of the world, made as its owner would (ARM PUT with the bootstrap principal). */
async function createSite(name: string, group = "rg-prod-app", kind = "app,linux") {
  const created = await arm(server.runtime, await bootstrapToken(server.runtime), "PUT", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Web/sites/${name}?api-version=2022-03-01`, { location: "westeurope", kind, properties: { defaultHostName: `${name}.azurewebsites.net`, state: "Running" } });
  expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
}

const PACKAGE = { "/drop/app.zip": "PK (a package the test does not open)" };

/** One App Service deployment step with the connection; its record, log and error issues. */
async function appServiceStep(connection: { id: string; name: string }, task: string, inputs: Record<string, string>) {
  const lines = Object.entries(inputs).map(([k, v]) => `      ${k}: ${v}`);
  const yaml = `steps:\n  - task: ${task}\n    displayName: Deploy\n    inputs:\n${lines.join("\n")}\n  - bash: echo "url=$(AppServiceApplicationUrl)"\n    displayName: After\n`;
  const run = await runPermitted(server.runtime, yaml, [connection.id], PACKAGE);
  const step = await run.step("Deploy");
  return { ...step, result: step.record.result, after: run.records.find((r) => r.name === "After") ? (await run.step("After")).log : "" };
}

describe("App Service deployments look the app up and read its publishing credentials with the connection", () => {
  let contributor: { id: string; name: string };
  beforeAll(async () => {
    await createSite("app-contoso-web");
    await createSite("func-contoso", "rg-prod-app", "functionapp,linux");
    const app = await makeApp(server.runtime, { name: "webapp-deployer" });
    await assignSubscriptionRole(server.runtime, app.servicePrincipalId!, "Contributor");
    await server.runtime.clock.advance(301);
    contributor = await secretConnection("webapp-contributor", app);
  });

  it("AzureWebApp@1 finds the app's group, reads its publishing credentials and says the package was not deployed", { timeout: 60_000 }, async () => {
    const { result, log, after, record } = await appServiceStep(contributor, "AzureWebApp@1", { azureSubscription: contributor.name, appType: "webAppLinux", appName: "app-contoso-web", package: "$(System.DefaultWorkingDirectory)/**/*.zip" });
    expect(result, log).toBe("succeededWithIssues");
    expect(log).toContain("Got service connection details for Azure App Service:'app-contoso-web'");
    expect(log).toMatch(/##\[warning\]svcconn does not emulate App Service's deployment service \(Kudu\): the package '.+\/drop\/app\.zip' was not deployed to App Service 'app-contoso-web'\./);
    expect(log).toContain("App Service Application URL: http://app-contoso-web.azurewebsites.net");
    expect(after).toContain("url=http://app-contoso-web.azurewebsites.net");
    expect(record.issues.map((i) => i.message)).toContain("The App Service was found and its publishing credentials were read; the package was not deployed.");
  });

  it("a missing app fails with the task's 'Resource … doesn't exist', which the doctor says is not the connection", { timeout: 60_000 }, async () => {
    const { result, errors } = await appServiceStep(contributor, "AzureWebApp@1", { azureSubscription: contributor.name, appType: "webApp", appName: "app-not-there", package: "drop/app.zip" });
    expect(result).toBe("failed");
    expect(errors).toEqual(["Error: Resource 'app-not-there' doesn't exist. Resource should exist before deployment."]);
    const explained = explain(errors.join("\n"));
    expect(explained).toMatchObject({ id: "resource-not-found", rootCauseClass: "other" });
    // The lookup lists only what the connection may read: a principal without a role on the app gets the same text.
    expect(explained.undecided?.reason).toMatch(/lists only what the connection's role lets it see/);
  });

  it("S13: a Reader's connection is refused the publishing credentials; Website Contributor on the app fixes it", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "webapp-reader" });
    await assignSubscriptionRole(server.runtime, app.servicePrincipalId!, "Reader");
    await server.runtime.clock.advance(301);
    const reader = await secretConnection("webapp-reader", app);
    const denied = await appServiceStep(reader, "AzureFunctionApp@2", { azureSubscription: reader.name, appType: "functionAppLinux", appName: "func-contoso", package: "drop/app.zip" });
    expect(denied.result).toBe("failed");
    const site = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.Web/sites/func-contoso`;
    expect(denied.errors).toEqual([
      `Error: Failed to fetch App Service 'func-contoso' publishing credentials. Error: The client '***' with object id '${app.servicePrincipalId}' does not have authorization to perform action 'Microsoft.Web/sites/config/list/action' over scope '${site}/config/publishingcredentials' or the scope is invalid. If access was recently granted, please refresh your credentials. (CODE: 403)`,
    ]);
    const explained = explain(denied.errors.join("\n"));
    expect(explained.id).toBe("rbac-authorization-failed");
    expect(explained.entities).toMatchObject({ action: "Microsoft.Web/sites/config/list/action" });
    const token = await bootstrapToken(server.runtime);
    const granted = await arm(server.runtime, token, "PUT", `${site}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, { properties: { roleDefinitionId: `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/de139f84-1756-47ae-9be6-808fbbe84772`, principalId: app.servicePrincipalId, principalType: "ServicePrincipal" } });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    await server.runtime.clock.advance(301);
    const fixed = await appServiceStep(reader, "AzureFunctionApp@2", { azureSubscription: reader.name, appType: "functionAppLinux", appName: "func-contoso", package: "drop/app.zip" });
    expect(fixed.result, fixed.log).toBe("succeededWithIssues");
  });

  it("S9: an expired secret fails the app lookup with the library's 'Secret expired' text", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "webapp-expiring", secret: { endDateTime: new Date(server.runtime.clock.nowMs() + 86_400_000).toISOString() } });
    const expiring = await secretConnection("webapp-expiring", app);
    await server.runtime.clock.advance(2 * 86_400);
    const { result, errors } = await appServiceStep(expiring, "AzureRmWebAppDeployment@4", { azureSubscription: expiring.name, appType: "webAppLinux", WebAppName: "app-contoso-web", packageForLinux: "drop/app.zip" });
    expect(result).toBe("failed");
    expect(errors[0]).toMatch(/^Error: Failed to get resource ID for resource type 'Microsoft\.Web\/Sites' and resource name 'app-contoso-web'\. Error: Secret expired, update service connection at .+adminservices\?resourceId=/);
    expect(explain(errors.join("\n")).id).toBe("secret-expired");
  });

  it("AzureRmWebAppDeployment@4 looks for its package first; a slot deployment goes to the slot with a workload identity connection", { timeout: 60_000 }, async () => {
    const missing = await appServiceStep(contributor, "AzureRmWebAppDeployment@4", { azureSubscription: contributor.name, appType: "webAppLinux", WebAppName: "app-contoso-web", packageForLinux: "$(System.DefaultWorkingDirectory)/**/*.war" });
    expect(missing.errors).toEqual([expect.stringMatching(/^Error: No package found with specified pattern: .+\/\*\*\/\*\.war<br\/>Check if the package mentioned in the task is published as an artifact/)]);
    expect(missing.log).not.toContain("Got service connection details");
    const wif = await createEndpoint(server.runtime, "admin", azurerm({ name: "webapp-wif", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    await server.runtime.clock.advance(301);
    const token = await bootstrapToken(server.runtime);
    expect((await arm(server.runtime, token, "PUT", `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.Web/sites/app-contoso-web/slots/staging?api-version=2022-03-01`, { location: "westeurope", properties: { defaultHostName: "app-contoso-web-staging.azurewebsites.net" } })).status).toBeLessThan(300);
    const slot = await appServiceStep(wif, "AzureWebApp@1", { azureSubscription: wif.name, appType: "webAppLinux", appName: "app-contoso-web", deployToSlotOrASE: "true", resourceGroupName: "rg-prod-app", slotName: "staging", package: "drop/app.zip" });
    expect(slot.result, slot.log).toBe("succeededWithIssues");
    expect(slot.log).toContain("was not deployed to App Service 'app-contoso-web-staging'.");
    expect(slot.log).toContain("App Service Application URL: http://app-contoso-web-staging.azurewebsites.net");
  });
});

const sha = (value: string) => createHash("sha256").update(value).digest("hex").slice(0, 12);

/** Terraform init and plan steps on the connection, after a step that puts a stand-in terraform on the PATH (or not). */
async function terraformRun(connection: { id: string; name: string }, options: { binary: boolean; planExit?: number; task?: string }) {
  const task = options.task ?? "TerraformTaskV4@4";
  // Without the stand-in, the steps' PATH leaves out /usr/local/bin, where a machine may have a real terraform.
  const path = options.binary ? "" : "    env:\n      PATH: /usr/bin:/bin\n";
  const fake = options.binary
    ? `  - bash: |\n      mkdir -p "$(Agent.TempDirectory)/tf"\n      cp tools/fake-terraform.cjs "$(Agent.TempDirectory)/tf/terraform"\n      chmod +x "$(Agent.TempDirectory)/tf/terraform"\n      echo "##vso[task.prependpath]$(Agent.TempDirectory)/tf"\n    displayName: Terraform binary\n`
    : "";
  const yaml = `variables:\n  FAKE_TERRAFORM_PLAN_EXIT: ${options.planExit ?? 0}\nsteps:\n${fake}  - task: ${task}
    displayName: Terraform init
    inputs:
      provider: azurerm
      command: init
      backendServiceArm: ${connection.name}
      backendAzureRmResourceGroupName: rg-tfstate
      backendAzureRmStorageAccountName: sttfstate
      backendAzureRmContainerName: tfstate
      backendAzureRmKey: app.tfstate
${path}  - task: ${task}
    displayName: Terraform plan
    inputs:
      provider: azurerm
      command: plan
      environmentServiceNameAzureRM: ${connection.name}
${path}`;
  const run = await runPermitted(server.runtime, yaml, [connection.id], { "/tools/fake-terraform.cjs": readFileSync(join(process.cwd(), "test/fixtures/pipelines/fake-terraform.cjs"), "utf8") });
  const handover = (log: string) => JSON.parse(/terraform-handover (.+)/.exec(log)?.[1] ?? "null");
  const init = await run.step("Terraform init");
  const plan = await run.step("Terraform plan");
  return { run, init: { ...init, handover: handover(init.log) }, plan: { ...plan, handover: handover(plan.log) } };
}

describe("TerraformTaskV4@4 hands the azurerm backend and provider the connection's credentials", () => {
  beforeAll(async () => {
    await server.runtime.pipelines.catalog.installExtension("contoso", { id: "ms-devlabs.custom-terraform-tasks" });
  });

  it("a secret connection: -backend-config arguments for init, ARM_* variables for plan", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "terraform-secret" });
    const connection = await secretConnection("terraform-secret", app);
    const { run, init, plan } = await terraformRun(connection, { binary: true });
    expect(run.result, init.log + plan.log).toBe("succeeded");
    expect(init.handover.args).toEqual([
      "init",
      "-backend-config=storage_account_name=sttfstate",
      "-backend-config=container_name=tfstate",
      "-backend-config=key=app.tfstate",
      "-backend-config=resource_group_name=rg-tfstate",
      `-backend-config=subscription_id=${DEMO.subscriptionId}`,
      `-backend-config=tenant_id=${DEMO.tenantId}`,
      `-backend-config=client_id=#${sha(app.appId)}`,
      `-backend-config=client_secret=#${sha(app.secret!)}`,
    ]);
    expect(init.log).not.toContain(app.secret!);
    expect(plan.handover).toMatchObject({ args: ["plan", "-detailed-exitcode"], clientId: sha(app.appId), clientSecret: sha(app.secret!), tenantId: DEMO.tenantId, subscriptionId: DEMO.subscriptionId });
  });

  it("S19: a workload identity connection hands over the job's OIDC token for the connection, with ARM_USE_OIDC", { timeout: 60_000 }, async () => {
    const connection = await createEndpoint(server.runtime, "admin", azurerm({ name: "terraform-wif", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    const { run, init, plan } = await terraformRun(connection, { binary: true });
    expect(run.result, plan.log).toBe("succeeded");
    const { workloadIdentityFederationSubject: sub, workloadIdentityFederationIssuer: iss } = connection.authorization.parameters;
    expect(plan.handover).toMatchObject({ useOidc: "true", clientId: sha(connection.authorization.parameters.serviceprincipalid), oidc: { sub, iss } });
    expect(init.handover.args).toEqual(expect.arrayContaining(["-backend-config=use_oidc=true", expect.stringMatching(/^-backend-config=oidc_token=#/)]));
  });

  it("a plan that fails, and a machine without Terraform, fail in the task's words", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "terraform-failing" });
    const connection = await secretConnection("terraform-failing", app);
    const failing = await terraformRun(connection, { binary: true, planExit: 1 });
    expect(failing.plan.errors).toEqual(["Error: TerraformPlanFailed 1"]);
    const absent = await terraformRun(connection, { binary: false });
    expect(absent.init.errors, absent.init.log).toEqual(["Error: Failed to find terraform tool in paths"]);
    expect(explain(absent.init.log).rootCauseClass).toBe("other");
  });

  it("TerraformTaskV3@3, a version without federation: a secret connection hands over the secret; a workload identity one is silently handed to a managed identity (use_msi, ARM_USE_MSI) and no OIDC token", { timeout: 60_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "terraform-v3-secret" });
    const secret = await terraformRun(await secretConnection("terraform-v3-secret", app), { binary: true, task: "TerraformTaskV3@3" });
    expect(secret.run.result, secret.plan.log).toBe("succeeded");
    expect(secret.init.handover.args).toContain(`-backend-config=client_secret=#${sha(app.secret!)}`);
    expect(secret.plan.handover).toMatchObject({ clientId: sha(app.appId), clientSecret: sha(app.secret!), tenantId: DEMO.tenantId });
    const connection = await createEndpoint(server.runtime, "admin", azurerm({ name: "terraform-v3-wif", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    const federated = await terraformRun(connection, { binary: true, task: "TerraformTaskV3@3" });
    expect(federated.init.handover.args).toContain("-backend-config=use_msi=true");
    expect(federated.init.handover.args.some((a: string) => /oidc|client_secret/.test(a))).toBe(false);
    expect(federated.plan.handover).toMatchObject({ useMsi: "true", clientSecret: "" });
    expect(federated.plan.handover).not.toHaveProperty("useOidc");
    expect(federated.plan.handover).not.toHaveProperty("oidc");
  });
});
