/**
 * bench:pipeline, part 2 — a 10-task job that touches three Azure Resource Manager connections (a secret, a workload
 * identity federation one, another secret): a script step, AzurePowerShell@5 on two connections, AzureKeyVault@2
 * on the third (every secret of the demo vault, through svcconn's proxy as a hosted agent reaches
 * `{vault}.vault.azure.net`), AzureWebApp@1 on each, AzureResourceManagerTemplateDeployment@3 (validation) on two,
 * AzureRmWebAppDeployment@4 on one. Each task signs in through its connection (the job's OIDC token for the federated
 * one) and calls svcconn's ARM or Key Vault.
 * Against: the same ten task processes spawned one after another directly, with the environment the agent gives
 * them (inputs, the connections' ENDPOINT_* variables, the job's token from a job held open meanwhile). The ratio is
 * what svcconn's agent adds to a job of Azure tasks (issue 24: at most 1.3×). Uses the built package (`npm run build` first); a listening server with TLS.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trustBenchCa } from "./trusted-ca.js";

// The direct processes and the SDKs inherit the CA this process trusts.
const caDir = trustBenchCa();

const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { startServer } = (await import(built("server/start.js"))) as typeof import("../src/server/start.js");
const { DEMO } = (await import(built("world/demo.js"))) as typeof import("../src/world/demo.js");
const { connectionEnvironment, HOSTED_AGENT_PROXY_USER, systemConnectionEnvironment } = (await import(built("pipelines/runner/agent-env.js"))) as typeof import("../src/pipelines/runner/agent-env.js");
const { arm, assignSubscriptionRole, bootstrapToken } = await import("../test/helpers/arm.js");
const { azurerm, createEndpoint, devops, ORG, PROJECT } = await import("../test/helpers/devops.js");
const { makeApp } = await import("../test/helpers/entra.js");
const { holdJob } = await import("../test/helpers/held-job.js");

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startServer({ memory: true, dataDir: mkdtempSync(join(tmpdir(), "svcconn-bench-")), ports: "auto", caDir, adminKey: "bench-admin-key-0123456789", logLevel: "silent" });
const { runtime } = server;

/** A manual secret connection whose application is Contributor on the subscription; the secret kept for the direct runs. */
async function secretConnection(name: string) {
  const app = await makeApp(runtime, { name });
  await assignSubscriptionRole(runtime, app.servicePrincipalId!, "Contributor");
  const parameters = { tenantid: DEMO.tenantId, serviceprincipalid: app.appId, serviceprincipalkey: app.secret!, authenticationType: "spnKey" };
  const endpoint = await createEndpoint(runtime, "admin", azurerm({ name, scheme: "ServicePrincipal", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", parameters }));
  return { endpoint, parameters, principalId: app.servicePrincipalId! };
}
const first = await secretConnection("bench-secret-1");
const federated = await createEndpoint(runtime, "admin", azurerm({ name: "bench-wif", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production" }));
const second = await secretConnection("bench-secret-2");
// The third connection reads the demo vault's secrets (Key Vault Secrets User on the vault).
const vaultId = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.KeyVault/vaults/${DEMO.vault.name}`;
const assigned = await arm(runtime, await bootstrapToken(runtime), "PUT", `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
  properties: { roleDefinitionId: `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`, principalId: second.principalId, principalType: "ServicePrincipal" },
});
if (assigned.status !== 201) throw new Error(JSON.stringify(assigned.body));
await runtime.clock.advance(301);
const connections = [
  { endpoint: first.endpoint, parameters: first.parameters },
  { endpoint: federated, parameters: federated.authorization.parameters as Record<string, string> },
  { endpoint: second.endpoint, parameters: second.parameters },
];

const TEMPLATE = JSON.stringify({ $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0", resources: [] });
const SITE = "app-contoso-prod";

/** The ten steps: display name, task, YAML inputs (by connection index) and the same as the task process reads them. */
function steps(work: string) {
  const [a, b, c] = connections.map((x) => x.endpoint);
  const psInputs = (id: string) => ({ ConnectedServiceNameARM: id, ScriptType: "InlineScript", Inline: "Get-AzResourceGroup", TargetAzurePs: "LatestVersion", errorActionPreference: "stop" });
  const webApp = (id: string) => ({ azureSubscription: id, appType: "webAppLinux", appName: SITE, package: join(work, "drop", "app.zip"), deployToSlotOrASE: "false" });
  const template = (id: string) => ({ ConnectedServiceName: id, deploymentScope: "Resource Group", action: "Create Or Update Resource Group", resourceGroupName: "rg-prod-app", location: "westeurope", templateLocation: "Linked artifact", csmFile: join(work, "infra.json"), deploymentMode: "Validation" });
  return [
    { entry: "cmdline", yaml: `  - script: mkdir -p drop && echo PK > drop/app.zip && echo '${TEMPLATE}' > infra.json`, inputs: { script: `mkdir -p drop && echo PK > drop/app.zip && echo '${TEMPLATE}' > infra.json`, workingDirectory: work, failOnStderr: "false" } },
    ...[a, b].map((e) => ({ entry: "azure-powershell", yaml: `  - task: AzurePowerShell@5\n    inputs: { azureSubscription: ${e.name}, ScriptType: InlineScript, Inline: Get-AzResourceGroup, azurePowerShellVersion: LatestVersion }`, inputs: psInputs(e.id) })),
    { entry: "azure-key-vault", yaml: `  - task: AzureKeyVault@2\n    inputs: { azureSubscription: ${c.name}, KeyVaultName: ${DEMO.vault.name}, SecretsFilter: '*' }`, inputs: { ConnectedServiceName: c.id, KeyVaultName: DEMO.vault.name, SecretsFilter: "*", RunAsPreJob: "false" } },
    ...[a, b, c].map((e) => ({ entry: "azure-web-app", yaml: `  - task: AzureWebApp@1\n    inputs: { azureSubscription: ${e.name}, appType: webAppLinux, appName: ${SITE}, package: drop/app.zip }`, inputs: webApp(e.id) })),
    ...[a, b].map((e) => ({ entry: "arm-template-deployment", yaml: `  - task: AzureResourceManagerTemplateDeployment@3\n    inputs: { azureResourceManagerConnection: ${e.name}, resourceGroupName: rg-prod-app, location: westeurope, csmFile: infra.json, deploymentMode: Validation }`, inputs: template(e.id) })),
    { entry: "azure-rm-web-app-deployment", yaml: `  - task: AzureRmWebAppDeployment@4\n    inputs: { azureSubscription: ${c.name}, appType: webAppLinux, WebAppName: ${SITE}, packageForLinux: drop/app.zip }`, inputs: { ConnectionType: "AzureRM", ConnectedServiceName: c.id, WebAppKind: "webAppLinux", WebAppName: SITE, Package: join(work, "drop", "app.zip"), DeployToSlotOrASEFlag: "false" } },
  ];
}

await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "bench-tasks", files: { "/azure-pipelines.yml": `steps:\n  - checkout: none\n${steps("").map((s) => s.yaml).join("\n")}\n` } });
const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "bench-tasks", repository: "bench-tasks", yamlPath: "/azure-pipelines.yml" });
for (const c of connections) await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${c.endpoint.id}`, { pipelines: [{ id: pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });

/** One run of the job through svcconn: queued, compiled, run by the agent, logs stored; every task must not fail. */
async function viaSvcconn(): Promise<number> {
  const started = performance.now();
  const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
  if (queued.status !== 200) throw new Error(JSON.stringify(queued.body));
  await runtime.pipelines.settled();
  const elapsed = performance.now() - started;
  const records = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body.records as Array<{ type: string; name: string; result: string }>;
  const tasks = records.filter((r) => r.type === "Task" && !/^(Initialize|Finalize)/.test(r.name));
  if (tasks.length !== 10 || tasks.some((r) => r.result === "failed")) throw new Error(`run ${queued.body.id}: ${tasks.map((r) => `${r.name}=${r.result}`).join(", ")}`);
  return elapsed;
}

const taskHost = new URL("../dist/pipelines/tasks/task-host.js", import.meta.url).pathname;
const cloud = { login: server.login, arm: server.arm, graph: server.graph };

/** The same ten task processes, spawned one after another with the agent's environment, inside a held job. */
async function direct(): Promise<number> {
  const held = await holdJob(runtime, connections.map((c) => c.endpoint.id));
  const work = mkdtempSync(join(tmpdir(), "svcconn-bench-direct-"));
  mkdirSync(join(work, "_temp"));
  const collectionUri = `${server.devops}/${ORG}/`;
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "",
    AGENT_TEMPDIRECTORY: join(work, "_temp"),
    AGENT_OS: "Linux",
    AGENT_NAME: "Hosted Agent",
    AGENT_VERSION: "4.264.2",
    SYSTEM_DEFAULTWORKINGDIRECTORY: work,
    SYSTEM_COLLECTIONURI: collectionUri,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: collectionUri,
    SYSTEM_TEAMPROJECT: PROJECT,
    SYSTEM_TEAMPROJECTID: DEMO.project.id,
    SYSTEM_HOSTTYPE: "build",
    SYSTEM_PLANID: held.planId,
    SYSTEM_JOBID: held.jobId,
    ...systemConnectionEnvironment(collectionUri, held.token),
    // As the agent gives a hosted job's steps: Microsoft's hosts (the vault) through svcconn's proxy, Node's fetch too.
    HTTPS_PROXY: `http://${encodeURIComponent(HOSTED_AGENT_PROXY_USER)}:agent@${new URL(server.proxy).host}`,
    NO_PROXY: "localhost,127.0.0.1,::1",
    NODE_OPTIONS: `--import=${new URL("../lib/fetch-proxy.mjs", import.meta.url).href}`,
  };
  for (const c of connections) Object.assign(base, connectionEnvironment({ id: c.endpoint.id, name: c.endpoint.name, type: "azurerm", url: "https://management.azure.com/", scheme: c.endpoint.authorization.scheme, isReady: true, isDisabled: false, parameters: c.parameters, data: c.endpoint.data } as never, cloud));
  const started = performance.now();
  for (const step of steps(work)) {
    const env = { ...base, ...Object.fromEntries(Object.entries(step.inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])) };
    const module = new URL(`../dist/pipelines/tasks/${step.entry}/run.js`, import.meta.url).pathname;
    const output = await new Promise<string>((done, fail) => {
      const child = spawn(process.execPath, [taskHost, module], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("error", fail);
      child.on("close", () => done(out));
    });
    if (/##vso\[task\.complete result=Failed/.test(output)) throw new Error(`${step.entry} failed directly:\n${output}`);
  }
  const elapsed = performance.now() - started;
  await held.release();
  return elapsed;
}

await viaSvcconn();
await direct();
const svcconn: number[] = [];
const directs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  svcconn.push(await viaSvcconn());
  directs.push(await direct());
}
console.log(
  `10-task job on 3 connections (median of ${ROUNDS}): ${median(svcconn).toFixed(0)} ms through svcconn; the same task processes spawned directly: ${median(directs).toFixed(0)} ms; overhead ratio ${(median(svcconn) / median(directs)).toFixed(2)}× (limit 1.3×)`,
);
await server.close();
