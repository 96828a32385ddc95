import { ClientAssertionCredential } from "@azure/identity";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import * as azdev from "azure-devops-node-api";
import type { IServiceEndpointApi } from "azure-devops-node-api/ServiceEndpointApi.js";
import type { ServiceEndpoint } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { twoProjectWorld } from "../helpers/devops.js";
import { holdJob } from "../helpers/pipelines.js";
import { BuildResult, BuildStatus, TaskResult } from "azure-devops-node-api/interfaces/BuildInterfaces.js";
import { ConfigurationType, RepositoryType, RunResult, RunState } from "azure-devops-node-api/interfaces/PipelinesInterfaces.js";
import { type ClientMode, clientModes } from "../helpers/client-modes.js";
import { ADMIN_KEY, testServer } from "../helpers/runtime.js";

// azure-devops-node-api 17.0.1, unchanged, over TLS against a listening svcconn.
let server: RunningServer;
let connection: azdev.WebApi;
let endpoints: IServiceEndpointApi;
const ORG = DEMO.organization.name;
const PROJECT = DEMO.project.name;

const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${server.devops}${path}`, { method, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  expect(response.status).toBe(200);
  return response.json();
};
const advance = (seconds: number) => admin("POST", "/_admin/clock", { advanceSeconds: seconds });

function manualBody(name: string, projects: Array<{ id: string; name: string }> = [{ id: DEMO.project.id, name: PROJECT }]): ServiceEndpoint {
  return {
    name,
    type: "azurerm",
    url: "https://management.azure.com/",
    owner: "library",
    authorization: { scheme: "ServicePrincipal", parameters: { tenantid: DEMO.tenantId, serviceprincipalid: DEMO.bootstrapAppId, authenticationType: "spnKey", serviceprincipalkey: DEMO.bootstrapSecret } },
    data: { subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Manual" },
    isShared: false,
    serviceEndpointProjectReferences: projects.map((p) => ({ projectReference: p, name, description: "" })),
  };
}

function automaticBody(name: string): ServiceEndpoint {
  return {
    name,
    type: "azurerm",
    url: "https://management.azure.com/",
    owner: "library",
    authorization: { scheme: "WorkloadIdentityFederation", parameters: { tenantid: DEMO.tenantId } },
    data: { subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Automatic" },
    serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id, name: PROJECT }, name, description: "" }],
  };
}

/** Polls as a portal would until the four steps have run. */
async function ready(id: string): Promise<ServiceEndpoint> {
  for (let i = 0; i < 100; i += 1) {
    const endpoint = await endpoints.getServiceEndpointDetails(PROJECT, id);
    if (endpoint?.operationStatus?.state !== "InProgress") return endpoint;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("automatic creation did not finish");
}

/**
 * What the AzureCLI@2 task does with a workload identity connection, from inside a running job: node-api with the
 * job's access token (Bearer) asks for the job's OIDC token, used as a client assertion.
 */
async function armWithJobToken(endpoint: ServiceEndpoint, mode: ClientMode) {
  const job = await holdJob(server.runtime, [endpoint.id!]);
  try {
    const asJob = new azdev.WebApi(`${mode.devops}/${ORG}`, azdev.getBearerHandler(job.token), mode.devopsRequestOptions());
    const tasks = await asJob.getTaskApi();
    const assertion = async () => (await tasks.createOidcToken({}, DEMO.project.id, "build", job.planId, job.jobId, endpoint.id!)).oidcToken!;
    const credential = new ClientAssertionCredential(DEMO.tenantId, endpoint.authorization!.parameters!.serviceprincipalid!, assertion, mode.identity());
    return await new SubscriptionClient(credential, mode.realHosts ? {} : { endpoint: server.arm }).subscriptions.get(DEMO.subscriptionId);
  } finally {
    await job.release();
  }
}

// Once with svcconn's URL, once with https://dev.azure.com/{org} through svcconn's proxy; a server per mode.
describe.each(clientModes(() => server))("azure-devops-node-api 17.0.1 with $name", (mode) => {
  beforeAll(async () => {
    server = await testServer({ world: twoProjectWorld() });
    mode.enter();
    connection = new azdev.WebApi(`${mode.devops}/${ORG}`, azdev.getPersonalAccessTokenHandler(DEMO.pats.admin), mode.devopsRequestOptions());
    endpoints = await connection.getServiceEndpointApi();
  });
  afterAll(async () => {
    mode.leave();
    await server?.close();
  });

  it("connects and reads projects", async () => {
    const data = await connection.connect();
    expect(data.authenticatedUser?.providerDisplayName).toBe("Contoso Admin");
    const core = await connection.getCoreApi();
    expect((await core.getProject(PROJECT)).id).toBe(DEMO.project.id);
    expect((await core.getProjects()).map((p) => p.name).sort()).toEqual(["ops", "web"]);
  });

  it("creates, lists, gets, updates, shares and deletes a connection", async () => {
    const created = await endpoints.createServiceEndpoint(manualBody("node-sp"));
    expect(created).toMatchObject({ name: "node-sp", isReady: true, authorization: { parameters: { serviceprincipalkey: null } } });
    const listed = await endpoints.getServiceEndpoints(PROJECT, "azurerm", ["ServicePrincipal"], undefined, "library", false, true, 2 /* manage */);
    expect(listed.map((e) => e.id)).toContain(created.id);
    expect((await endpoints.getServiceEndpointsByNames(PROJECT, ["node-sp"])).map((e) => e.id)).toEqual([created.id]);
    expect((await endpoints.getServiceEndpointDetails(PROJECT, created.id!)).name).toBe("node-sp");

    const updated = await endpoints.updateServiceEndpoint({ ...created, description: "via node" }, created.id!);
    expect(updated.description).toBe("via node");

    await endpoints.shareServiceEndpoint([{ projectReference: { id: undefined as never, name: "ops" }, name: "node-sp-ops", description: "" }], created.id!);
    expect((await endpoints.getServiceEndpoints("ops")).map((e) => e.name)).toEqual(["node-sp-ops"]);
    expect((await endpoints.querySharedProjects(created.id!, PROJECT)).map((p) => p.name)).toEqual(["web", "ops"]);
    const other = await endpoints.createServiceEndpoint(manualBody("node-sp-2"));
    await endpoints.shareEndpointWithProject(other.id!, PROJECT, "ops");
    expect((await endpoints.getServiceEndpoints("ops")).map((e) => e.name).sort()).toEqual(["node-sp-2", "node-sp-ops"]);
    expect(await endpoints.getServiceEndpointExecutionRecords(PROJECT, created.id!)).toEqual([]);
    const verified = await endpoints.queryServiceEndpoint({ dataSourceName: "TestConnection", endpointId: created.id! } as never, PROJECT);
    expect(verified).toEqual([expect.stringContaining(DEMO.subscriptionId)]);

    const types = await endpoints.getServiceEndpointTypes("azurerm");
    expect(types[0]!.authenticationSchemes!.map((s) => s.scheme).sort()).toEqual(["ManagedServiceIdentity", "PublishProfile", "ServicePrincipal", "WorkloadIdentityFederation"]);

    const projects = await (await connection.getCoreApi()).getProjects();
    await endpoints.deleteServiceEndpoint(created.id!, projects.map((p) => p.id!));
    // typed-rest-client turns 404 into null.
    expect(await endpoints.getServiceEndpointDetails(PROJECT, created.id!)).toBeNull();
  });

  it("surfaces the real errors", async () => {
    await endpoints.createServiceEndpoint(manualBody("node-dup"));
    await expect(endpoints.createServiceEndpoint(manualBody("node-dup"))).rejects.toMatchObject({
      statusCode: 409,
      message: "Service connection with name node-dup already exists. Only a user having Administrator/User role permissions on service connection node-dup can see it.",
      result: { typeKey: "DuplicateServiceConnectionException" },
    });
    const reader = new azdev.WebApi(`${mode.devops}/${ORG}`, azdev.getPersonalAccessTokenHandler(DEMO.pats.reader), mode.devopsRequestOptions());
    await expect((await reader.getServiceEndpointApi()).createServiceEndpoint(manualBody("node-reader"))).rejects.toMatchObject({ statusCode: 403 });
    const stranger = new azdev.WebApi(`${mode.devops}/${ORG}`, azdev.getPersonalAccessTokenHandler("x".repeat(52)), mode.devopsRequestOptions());
    await expect(stranger.connect()).rejects.toMatchObject({ statusCode: 401 });
  });

  it("creates a pipeline and runs it through PipelinesApi and BuildApi: runs, logs, timeline, queue", async () => {
    await server.runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "node-repo", files: { "/ci.yml": "steps:\n  - script: echo from node-api $(who)\n    displayName: Say\n" } });
    const pipelinesApi = await connection.getPipelinesApi();
    const builds = await connection.getBuildApi();
    const created = await pipelinesApi.createPipeline({ name: "node-ci", folder: "\\", configuration: { type: ConfigurationType.Yaml, path: "ci.yml", repository: { id: "node-repo", type: RepositoryType.AzureReposGit } } as never }, PROJECT);
    expect(created).toMatchObject({ name: "node-ci", folder: "\\" });
    expect((await pipelinesApi.listPipelines(PROJECT)).map((p) => p.name)).toContain("node-ci");
    // "Limit variables that can be set at queue time" (on by default): `who` must be settable first.
    await expect(pipelinesApi.runPipeline({ variables: { who: { value: "me" } } }, PROJECT, created.id!)).rejects.toMatchObject({
      statusCode: 400,
      message: "Could not queue the build because there were validation errors or warnings.",
      result: { customProperties: { ValidationResults: [{ result: "error", message: expect.stringContaining("You can't set the following variables (who).") }] } },
    });
    const definition = await builds.getDefinition(PROJECT, created.id!);
    const updated = await builds.updateDefinition({ ...definition, variables: { who: { value: "", allowOverride: true } } }, PROJECT, created.id!);
    expect(updated.variables).toEqual({ who: { value: "", allowOverride: true } });
    expect(updated.revision).toBe((definition.revision ?? 0) + 1);
    const run = await pipelinesApi.runPipeline({ variables: { who: { value: "me" } } }, PROJECT, created.id!);
    expect(run.state).toBe(RunState.InProgress);
    await server.runtime.pipelines.settled();
    const done = await pipelinesApi.getRun(PROJECT, created.id!, run.id!);
    expect(done).toMatchObject({ state: RunState.Completed, result: RunResult.Succeeded });
    expect((await pipelinesApi.listRuns(PROJECT, created.id!)).map((r) => r.id)).toContain(run.id);
    const logs = await pipelinesApi.listLogs(PROJECT, created.id!, run.id!);
    expect(logs.logs!.length).toBeGreaterThan(2);
    const timeline = await builds.getBuildTimeline(PROJECT, run.id!);
    const say = timeline.records!.find((r) => r.name === "Say")!;
    expect(say.result).toBe(TaskResult.Succeeded);
    const text = await new Promise<string>((resolve, reject) => {
      void builds.getBuildLog(PROJECT, run.id!, say.log!.id!).then((stream) => {
        let out = "";
        stream.on("data", (d: Buffer) => (out += d.toString()));
        stream.on("end", () => resolve(out));
        stream.on("error", reject);
      }, reject);
    });
    expect(text).toContain("from node-api me");
    expect((await builds.getBuildLogLines(PROJECT, run.id!, say.log!.id!)).some((l) => l.endsWith("from node-api me"))).toBe(true);
    const queued = await builds.queueBuild({ definition: { id: created.id! }, parameters: JSON.stringify({ who: "queue" }) }, PROJECT);
    // Queued: not started yet, or already running when an agent was free at once (Azure DevOps answers either).
    expect([BuildStatus.NotStarted, BuildStatus.InProgress]).toContain(queued.status);
    await server.runtime.pipelines.settled();
    expect((await builds.getBuild(PROJECT, queued.id!)).result).toBe(BuildResult.Succeeded);
  });

  it("authorizes a connection for all pipelines through the build API", async () => {
    const created = await endpoints.createServiceEndpoint(manualBody("node-perm"));
    const build = await connection.getBuildApi();
    const authorized = await build.authorizeProjectResources([{ authorized: true, id: created.id, name: created.name, type: "endpoint" }], PROJECT);
    // Azure DevOps answers with every resource of the type now open to all pipelines (no name).
    expect(authorized).toContainEqual({ type: "endpoint", id: created.id, authorized: true });
    expect(await build.getProjectResources(PROJECT, "endpoint", created.id)).toEqual([expect.objectContaining({ authorized: true, id: created.id })]);
  });

  it("keeps variable groups: create, list, get, update with a kept secret, share, authorize, delete (TaskAgentApi)", async () => {
    const agent = await connection.getTaskAgentApi();
    const build = await connection.getBuildApi();
    const created = await agent.addVariableGroup({
      name: "node-vars",
      description: "from node",
      type: "Vsts",
      variables: { region: { value: "westeurope" }, token: { value: "s3cr3t-node", isSecret: true } },
      variableGroupProjectReferences: [{ projectReference: { id: DEMO.project.id, name: PROJECT }, name: "node-vars", description: "from node" }],
    });
    expect(created).toMatchObject({ name: "node-vars", type: "Vsts", isShared: false, variables: { region: { value: "westeurope" }, token: { value: null, isSecret: true } } });
    expect(JSON.stringify(created)).not.toContain("s3cr3t-node");
    expect((await agent.getVariableGroups(PROJECT, "node-*")).map((g) => g.id)).toEqual([created.id]);
    expect((await agent.getVariableGroups(PROJECT, "nothing-*")).length).toBe(0);
    expect((await agent.getVariableGroupsById(PROJECT, [created.id!])).map((g) => g.name)).toEqual(["node-vars"]);
    const read = await agent.getVariableGroup(PROJECT, created.id!);
    expect(read.createdBy?.uniqueName).toBe(DEMO.users.admin.upn);
    expect(read.variableGroupProjectReferences?.[0]?.projectReference?.name).toBe(PROJECT);
    // Sending back what was read (the secret as null) keeps the secret; a new variable is added.
    const updated = await agent.updateVariableGroup({ ...read, variables: { ...read.variables, added: { value: "1" } }, variableGroupProjectReferences: read.variableGroupProjectReferences }, created.id!);
    expect(Object.keys(updated.variables!)).toEqual(["region", "token", "added"]);
    expect((await server.runtime.devops.variableGroups.load(created.id!))!.secrets).toEqual({ token: "s3cr3t-node" });
    await agent.shareVariableGroup([{ projectReference: { id: undefined as never, name: "ops" }, name: "node-vars-ops", description: "" }], created.id!);
    expect((await agent.getVariableGroups("ops")).map((g) => g.name)).toEqual(["node-vars-ops"]);
    expect(await build.authorizeProjectResources([{ authorized: true, id: String(created.id), name: "node-vars", type: "variablegroup" }], PROJECT)).toEqual([{ type: "variablegroup", id: String(created.id), authorized: true }]);
    expect(await build.getProjectResources(PROJECT, "variablegroup", String(created.id))).toEqual([expect.objectContaining({ authorized: true })]);
    // A missing group is no group; deleting from one project keeps it in the other, from the last deletes it.
    expect(await agent.getVariableGroup(PROJECT, 999_999)).toBeNull();
    await agent.deleteVariableGroup(created.id!, [DEMO.project.id]);
    expect(await agent.getVariableGroup(PROJECT, created.id!)).toBeNull();
    expect((await agent.getVariableGroups("ops")).map((g) => g.name)).toEqual(["node-vars-ops"]);
    await agent.deleteVariableGroup(created.id!, ["ops"]);
    expect(await server.runtime.devops.variableGroups.load(created.id!)).toBeUndefined();
  });

  it("keeps environments and their deployments: add, list, get, update, records of a deployment job, delete (TaskAgentApi)", async () => {
    const agent = await connection.getTaskAgentApi();
    const created = await agent.addEnvironment({ name: "node-env", description: "from node" }, PROJECT);
    expect(created).toMatchObject({ name: "node-env", description: "from node", project: { id: DEMO.project.id } });
    expect(created.createdOn).toBeInstanceOf(Date);
    expect((await agent.getEnvironments(PROJECT, "node-*")).map((e) => e.id)).toEqual([created.id]);
    expect((await agent.getEnvironmentById(PROJECT, created.id!)).createdBy?.uniqueName).toBe(DEMO.users.admin.upn);
    expect((await agent.updateEnvironment({ name: "node-env-2" }, PROJECT, created.id!)).name).toBe("node-env-2");
    await expect(agent.addEnvironment({ name: "node-env-2" }, PROJECT)).rejects.toMatchObject({ statusCode: 409 });
    // A deployment job to it leaves a record (the pipeline permitted first).
    const yaml = "jobs:\n  - deployment: Roll\n    environment: node-env-2\n    strategy:\n      runOnce:\n        deploy:\n          steps:\n            - script: echo deployed\n";
    await server.runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "node-deploy", files: { "/deploy.yml": yaml } });
    const pipelinesApi = await connection.getPipelinesApi();
    const pipeline = await pipelinesApi.createPipeline({ name: "node-deploy", folder: "\\", configuration: { type: ConfigurationType.Yaml, path: "deploy.yml", repository: { id: "node-deploy", type: RepositoryType.AzureReposGit } } as never }, PROJECT);
    const build = await connection.getBuildApi();
    await build.authorizeProjectResources([{ authorized: true, id: String(created.id), type: "environment" }], PROJECT);
    const run = await pipelinesApi.runPipeline({}, PROJECT, pipeline.id!);
    await server.runtime.pipelines.settled();
    expect((await pipelinesApi.getRun(PROJECT, pipeline.id!, run.id!)).result).toBe(RunResult.Succeeded);
    const records = await agent.getEnvironmentDeploymentExecutionRecords(PROJECT, created.id!);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ environmentId: created.id, jobName: "Roll", stageName: "__default", result: TaskResult.Succeeded, owner: { id: run.id }, definition: { id: pipeline.id } });
    expect(records[0]!.finishTime).toBeInstanceOf(Date);
    await agent.deleteEnvironment(PROJECT, created.id!);
    // The environment answers 404 now, which the client reads as no environment.
    expect(await agent.getEnvironmentById(PROJECT, created.id!)).toBeNull();
  });

  it("creates an automatic workload identity connection whose job token works in ARM; in the legacy form a project rename breaks it until Edit and Save", async () => {
    const created = await endpoints.createServiceEndpoint(automaticBody("node-wif"));
    expect(created.operationStatus?.state).toBe("InProgress");
    const endpoint = await ready(created.id!);
    expect(endpoint).toMatchObject({ isReady: true, operationStatus: { state: "Ready" } });
    await advance(301); // the new role assignment propagates
    expect((await armWithJobToken(endpoint, mode)).subscriptionId).toBe(DEMO.subscriptionId);

    await admin("PATCH", `/_admin/organizations/${ORG}`, { federationIssuer: "devops" });
    const legacy = await ready((await endpoints.createServiceEndpoint(automaticBody("node-legacy"))).id!);
    expect(legacy.authorization!.parameters!.workloadIdentityFederationSubject).toBe(`sc://${ORG}/${PROJECT}/node-legacy`);
    await advance(301);
    expect((await armWithJobToken(legacy, mode)).subscriptionId).toBe(DEMO.subscriptionId);
    // Renaming saves the connection, and saving moves Azure DevOps' credential on the application to the new subject.
    const renamed = await endpoints.updateServiceEndpoint({ ...legacy, name: "node-legacy-renamed" }, legacy.id!);
    expect((await armWithJobToken(renamed, mode)).subscriptionId).toBe(DEMO.subscriptionId);
    const core = await connection.getCoreApi();
    await core.updateProject({ name: "web-renamed" }, DEMO.project.id);
    try {
      await expect(armWithJobToken(renamed, mode)).rejects.toThrow(/AADSTS700213: No matching federated identity record found for presented assertion subject 'sc:\/\/contoso\/web-renamed\/node-legacy-renamed'/);
      await endpoints.updateServiceEndpoint(renamed, legacy.id!);
      expect((await armWithJobToken(renamed, mode)).subscriptionId).toBe(DEMO.subscriptionId);
    } finally {
      await core.updateProject({ name: PROJECT }, DEMO.project.id);
      await admin("PATCH", `/_admin/organizations/${ORG}`, { federationIssuer: "entra" });
    }
  });
});
