import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { assignSubscriptionRole } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { makeApp } from "../helpers/entra.js";
import { TEST_CA_DIR, testServer } from "../helpers/runtime.js";
import { runCli } from "../helpers/cli.js";
import { parseRunUrl, readRunFailure } from "../../src/clients/run-failure.js";
import { explainRun } from "../../src/doctor/run-failure.js";
import { pastedError } from "../helpers/pipelines.js";
import { explain } from "../../src/doctor/explain.js";

const azPath = spawnSync("sh", ["-c", "command -v az"], { encoding: "utf8" }).stdout.trim();
if (!azPath) console.log("skipping AzureCLI@2 runs: 'az' is not installed (scripts/install-system-deps.sh installs it from Debian)");

// AzureCLI@2 steps in pipeline runs, with the Debian Azure CLI, against a listening svcconn: the run-time side of
// the guide (S9, S10, S13, S19) as task logs show it.
let server: RunningServer;
let counter = 0;

const yaml = (connection: string, script: string, pool?: string, task = "AzureCLI@2") => `${pool ? `pool:\n  name: ${pool}\n` : ""}steps:
  - task: ${task}
    displayName: Azure CLI
    inputs:
      azureSubscription: ${connection}
${task === "AzureCLI@2" ? "      scriptType: bash\n" : ""}      scriptLocation: inlineScript
      inlineScript: |
${script
  .split("\n")
  .map((l) => `        ${l}`)
  .join("\n")}
`;

/** Registers a one-step pipeline using `connection`, permits it, runs it; returns the run, its log and the step. */
async function runWith(endpoint: { id: string; name: string }, script: string, pool?: string, task?: string) {
  const runtime = server.runtime;
  const name = `azcli-${++counter}`;
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml(endpoint.name, script, pool, task) } });
  const created = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name, configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name } } });
  const id = created.body.id;
  await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${endpoint.id}`, { pipelines: [{ id, authorized: true }] }, { version: "7.1-preview.1" });
  const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
  expect(queued.status, JSON.stringify(queued.body)).toBe(200);
  await runtime.pipelines.settled();
  const run = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs/${queued.body.id}`)).body;
  const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body;
  const step = timeline.records.find((r: { name: string }) => r.name === "Azure CLI");
  const log = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${step.log.id}`)).body);
  return { run, step, log };
}

async function secretConnection(name: string, app: { appId: string; secret?: string }) {
  return createEndpoint(
    server.runtime,
    "admin",
    azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", parameters: { serviceprincipalid: app.appId, serviceprincipalkey: app.secret!, authenticationType: "spnKey" } }),
  );
}

const assignRole = (principalId: string, role: "Reader" | "Contributor") => assignSubscriptionRole(server.runtime, principalId, role);

describe.skipIf(!azPath)("AzureCLI@2 in pipeline runs (Debian azure-cli)", () => {
  beforeAll(async () => {
    server = await testServer({ rbacPropagationSeconds: 300 });
  });
  afterAll(async () => server?.close());

  it("S13: AuthorizationFailed in the step's log, fixed by a role assignment once it has propagated", { timeout: 180_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "pipeline-reader" });
    await assignRole(app.servicePrincipalId!, "Reader");
    await server.runtime.clock.advance(301);
    const endpoint = await secretConnection("reader-conn", app);
    const denied = await runWith(endpoint, "az group create -n rg-from-pipeline -l westeurope -o none");
    expect(denied.run.result, denied.log).toBe("failed");
    expect(denied.log).toContain("Setting active cloud to: AzureCloud");
    expect(denied.log).toContain(`[command]/usr/bin/az login --service-principal -u *** --password=*** --tenant ${DEMO.tenantId} --allow-no-subscriptions`);
    expect(denied.log).toContain(`(AuthorizationFailed) The client '***' with object id '${app.servicePrincipalId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/write'`);
    expect(denied.step.issues.at(-1).message).toBe("Script failed with exit code: 1");
    // What a person pastes from this log is explained right, with the principal filled into the fix.
    const explained = explain(pastedError(denied.log));
    expect(explained.id).toBe("rbac-authorization-failed");
    expect(explained.fix.join("\n")).toContain(`--assignee-object-id ${app.servicePrincipalId}`);

    await assignRole(app.servicePrincipalId!, "Contributor");
    await server.runtime.clock.advance(301);
    const allowed = await runWith(endpoint, "az group create -n rg-from-pipeline -l westeurope -o none\necho created");
    expect(allowed.run.result, allowed.log).toBe("succeeded");
    expect(allowed.log).toContain("created");
    expect(allowed.log).not.toContain(app.secret!);
  });

  it("S9: an expired secret fails the login with AADSTS7000222 and the task's link to the connection", { timeout: 180_000 }, async () => {
    const app = await makeApp(server.runtime, { name: "pipeline-expiring", secret: { endDateTime: new Date(server.runtime.clock.nowMs() + 86_400_000).toISOString() } });
    await assignRole(app.servicePrincipalId!, "Reader");
    const endpoint = await secretConnection("expiring-conn", app);
    await server.runtime.clock.advance(2 * 86_400);
    const { run, step, log } = await runWith(endpoint, "az group list -o none");
    expect(run.result).toBe("failed");
    expect(log).toContain("AADSTS7000222: The provided client secret keys for app '***' are expired.");
    expect(step.issues.map((i: { message: string }) => i.message).slice(0, 2)).toEqual(["Error Code: [1]", "Error: Azure login failed"]);
    expect(explain(pastedError(log)).id).toBe("secret-expired");
    expect(explain(step.issues.at(-1).message).id).toBe("secret-expired");
    // The whole log as the run page gives it (timestamps, header, commands): the task and its version are read.
    const whole = explain(log);
    expect(whole.id).toBe("secret-expired");
    expect(whole.context).toMatchObject({ log: true, task: expect.stringMatching(/^Azure CLI 2\.\d+\.\d+$/), taskSchemes: expect.arrayContaining(["federation"]) });
    // `--run URL`: the timeline's issues and the failed task's log through azure-devops-node-api, as the CLI reads them.
    const url = `${server.devops}/${ORG}/${PROJECT}/_build/results?buildId=${run.id}`;
    const failure = await readRunFailure({ organizationUrl: parseRunUrl(url).organizationUrl, pat: DEMO.pats.admin, caFile: `${TEST_CA_DIR}/ca.crt` }, PROJECT, run.id);
    expect(failure.failedTasks.map((t) => t.task)).toEqual([expect.stringMatching(/^AzureCLI@2\.\d+\.\d+$/)]);
    expect(explainRun(failure).id).toBe("secret-expired");
    const cli = await runCli(["explain", "--run", url, "--pat", DEMO.pats.admin, "--json"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: "secret-expired", rootCauseClass: "secret_expired_or_invalid", context: { task: expect.stringMatching(/^AzureCLI@2\./) } });
    expect(step.issues.at(-1).message).toBe(`Secret expired, update service connection at ${server.devops}/${ORG}/${PROJECT}/_settings/adminservices?resourceId=${endpoint.id} See https://aka.ms/azdo-rm-workload-identity-conversion to learn more about conversion to secret-less service connections.`);
  });

  it("S12: a managed identity connection logs in on a self-hosted agent's VM and fails on the Microsoft-hosted pool", { timeout: 180_000 }, async () => {
    await server.runtime.pipelines.catalog.putPool(DEMO.organization.id, "vm-agents", [{ name: "agent-1", vm: DEMO.vm.name }]);
    await assignRole(DEMO.vm.systemPrincipalId, "Reader");
    await server.runtime.clock.advance(301);
    const endpoint = await createEndpoint(server.runtime, "admin", azurerm({ name: "vm-identity", scheme: "ManagedServiceIdentity", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    const selfHosted = await runWith(endpoint, "az account show --query user.type -o tsv", "vm-agents");
    expect(selfHosted.run.result, selfHosted.log).toBe("succeeded");
    expect(selfHosted.log).toContain("[command]/usr/bin/az login --identity");
    expect(selfHosted.step.workerName).toBe("agent-1");
    const hosted = await runWith(endpoint, "az account show");
    expect(hosted.run.result).toBe("failed");
    expect(hosted.log).toContain("ERROR: Failed to connect to MSI. Please make sure MSI is configured correctly.");
    expect(hosted.step.issues.map((i: { message: string }) => i.message).slice(0, 2)).toEqual(["Error Code: [1]", "Error: Azure login failed using Managed Service Identity"]);
    expect(hosted.step.issues.at(-1).message).toMatch(/^Script failed with error: ERROR: Failed to connect to MSI\. Please make sure MSI is configured correctly\./);
    expect(explain(pastedError(hosted.log)).id).toBe("managed-identity-unsupported");
    // The whole failure log reads as surely as its key line.
    expect(explain(hosted.log)).toMatchObject({ id: "managed-identity-unsupported", confidence: explain("ERROR: Failed to connect to MSI. Please make sure MSI is configured correctly.").confidence });
    // A successful step's log has nothing to explain.
    expect(explain(selfHosted.log)).toMatchObject({ id: "no-failure-found", rootCauseClass: null });
  });

  it("AzureCLI@1 runs its bash script after its own login; a principal without any role fails that login, which has no --allow-no-subscriptions", { timeout: 180_000 }, async () => {
    const reader = await makeApp(server.runtime, { name: "cli-v1-reader" });
    await assignRole(reader.servicePrincipalId!, "Reader");
    await server.runtime.clock.advance(301);
    const ok = await runWith(await secretConnection("cli-v1-reader", reader), 'az group list --query "[].name" -o tsv', undefined, "AzureCLI@1");
    expect(ok.run.result, ok.log).toBe("succeeded");
    expect(ok.log).toContain(`[command]/usr/bin/az login --service-principal -u *** --password=*** --tenant ${DEMO.tenantId}\n`);
    expect(ok.log).toMatch(/Setting AZURE_CONFIG_DIR env variable to: .+\/\.azclitask-\w{6}/);
    expect(ok.log).toContain("rg-prod-app");
    const roleless = await makeApp(server.runtime, { name: "cli-v1-roleless" });
    const failed = await runWith(await secretConnection("cli-v1-roleless", roleless), "az group list -o none", undefined, "AzureCLI@1");
    expect(failed.run.result).toBe("failed");
    expect(failed.step.issues.map((i: { message: string }) => i.message)).toEqual(expect.arrayContaining(["Error Code: [1]", "Error: Azure login failed"]));
    expect(failed.log).toContain("No subscriptions found for");
    expect(explain(pastedError(failed.log)).id).toBe("rbac-authorization-failed");
  });

  it("S19: a workload identity connection logs in with the job's federated token", { timeout: 180_000 }, async () => {
    const endpoint = await createEndpoint(server.runtime, "admin", azurerm({ name: "wif-pipeline", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
    expect(endpoint.isReady, JSON.stringify(endpoint.operationStatus)).toBe(true);
    await server.runtime.clock.advance(301);
    const { run, log } = await runWith(endpoint, 'az account show --query id -o tsv\necho "client=$AZURESUBSCRIPTION_CLIENT_ID"');
    expect(run.result, log).toBe("succeeded");
    expect(log).toContain(`[command]/usr/bin/az login --service-principal -u *** --tenant ${DEMO.tenantId} --allow-no-subscriptions --federated-token ***`);
    expect(log).toContain(DEMO.subscriptionId);
    const history = await devops(server.runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/${endpoint.id}/executionhistory`);
    expect(history.body.value[0].data.result).toBe("succeeded");
  });
});
