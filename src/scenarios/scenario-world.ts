import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { UsernamePasswordCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import * as azdev from "azure-devops-node-api";
import type { IRequestOptions } from "azure-devops-node-api/interfaces/common/VsoBaseInterfaces.js";
import type { ServiceEndpoint } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import { ConfigurationType, RunResult } from "azure-devops-node-api/interfaces/PipelinesInterfaces.js";
import type { IServiceEndpointApi } from "azure-devops-node-api/ServiceEndpointApi.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { runFailureOf } from "../clients/run-failure.js";
import type { RunFailure } from "../doctor/run-failure.js";
import type { World } from "../world/schema.js";

/** Where the scenario's svcconn listens (what `serve` prints once ready). */
export interface ScenarioServer {
  login: string;
  graph: string;
  arm: string;
  devops: string;
  adminKey: string;
  caFile: string | null;
}

/** The Azure CLI's public client: people sign in to Azure DevOps and the portal through first-party clients. */
const SIGN_IN_CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default";
const ROLE = { Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c", Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7", "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9" } as const;

export class ScenarioError extends Error {}

/**
 * A scenario's world as its people reach it: each acts through the official clients a user would use
 * (azure-devops-node-api, @azure/identity, the Microsoft Graph client, the ARM SDK) with their own credentials, from
 * what the world file says of them (password, PAT); the clock moves through svcconn's admin API.
 */
export class ScenarioWorld {
  readonly organization: string;
  /** The project's name now (a scenario may rename it). */
  project: string;
  readonly tenantId: string;

  constructor(
    readonly server: ScenarioServer,
    readonly world: World,
  ) {
    const organization = world.organizations[0];
    if (!organization?.projects[0]) throw new ScenarioError("a scenario world needs an organization with a project");
    this.organization = organization.name;
    this.project = organization.projects[0].name;
    const tenant = world.tenants.find((t) => t.key === organization.tenant);
    if (!tenant?.id) throw new ScenarioError(`the organization's tenant '${organization.tenant}' needs a fixed id in a scenario world`);
    this.tenantId = tenant.id;
  }

  subscription(displayName: string): string {
    const found = this.world.tenants.flatMap((t) => t.subscriptions).find((s) => s.displayName === displayName);
    if (!found?.id) throw new ScenarioError(`no subscription '${displayName}' with an id in the world`);
    return found.id;
  }

  private password(upn: string): string {
    const user = this.world.tenants.flatMap((t) => t.users).find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
    if (!user?.password) throw new ScenarioError(`the world gives no password for ${upn}`);
    return user.password;
  }

  private requestOptions(): IRequestOptions {
    return this.server.caFile ? { cert: { caFile: this.server.caFile } } : {};
  }

  private patOf(upn: string): string {
    const member = this.world.organizations[0]!.members.find((m) => m.user.toLowerCase() === upn.toLowerCase());
    if (!member?.pat) throw new ScenarioError(`the world gives ${upn} no personal access token`);
    return member.pat;
  }

  private webApi(upn: string): azdev.WebApi {
    return new azdev.WebApi(`${this.server.devops}/${this.organization}`, azdev.getPersonalAccessTokenHandler(this.patOf(upn)), this.requestOptions());
  }

  endpointsAs(upn: string): Promise<IServiceEndpointApi> {
    return this.webApi(upn).getServiceEndpointApi();
  }

  /** The user's sign-in through @azure/identity (a password sign-in, as "sign out and sign in again" makes a new session). */
  credential(upn: string, tenantId = this.tenantId): UsernamePasswordCredential {
    return new UsernamePasswordCredential(tenantId, SIGN_IN_CLIENT, upn, this.password(upn), { authorityHost: this.server.login, disableInstanceDiscovery: true });
  }

  async signIn(upn: string, tenantId = this.tenantId): Promise<void> {
    await this.credential(upn, tenantId).getToken(DEVOPS_SCOPE);
  }

  graphAs(upn: string): Client {
    return Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(this.credential(upn), { scopes: ["https://graph.microsoft.com/.default"] }),
      baseUrl: `${this.server.graph}/`,
      customHosts: new Set([new URL(this.server.graph).hostname]),
    });
  }

  /** A role assignment on a scope, made by `upn` with the ARM SDK. */
  async assignRole(upn: string, scope: string, role: keyof typeof ROLE, principalId: string): Promise<void> {
    const subscriptionId = /\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? "00000000-0000-0000-0000-000000000000";
    const arm = new AuthorizationManagementClient(this.credential(upn), subscriptionId, { endpoint: this.server.arm });
    await arm.roleAssignments.create(scope, crypto.randomUUID(), { roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${ROLE[role]}`, principalId });
  }

  async userId(upn: string, readBy: string): Promise<string> {
    return ((await this.graphAs(readBy).api(`/users/${encodeURIComponent(upn)}`).select("id").get()) as { id: string }).id;
  }

  /** The object id of an application's service principal. */
  async servicePrincipalId(appId: string, readBy: string): Promise<string> {
    const found = (await this.graphAs(readBy).api("/servicePrincipals").filter(`appId eq '${appId}'`).select("id").get()) as { value: Array<{ id: string }> };
    if (!found.value[0]) throw new ScenarioError(`no service principal for application ${appId}`);
    return found.value[0].id;
  }

  /** Moves svcconn's clock, as `svcconn clock advance` does. */
  async advance(seconds: number): Promise<string> {
    const response = await fetch(`${this.server.login}/_admin/clock`, { method: "POST", headers: { "content-type": "application/json", "x-svcconn-admin-key": this.server.adminKey }, body: JSON.stringify({ advanceSeconds: seconds }) });
    if (!response.ok) throw new ScenarioError(`the clock did not move: ${response.status} ${await response.text()}`);
    return `svcconn's clock reads ${((await response.json()) as { now: string }).now}`;
  }

  /** An automatic Azure Resource Manager connection on a subscription, as the creation dialog sends it. */
  automatic(name: string, subscriptionId: string, scheme: "WorkloadIdentityFederation" | "ServicePrincipal" = "WorkloadIdentityFederation"): ServiceEndpoint {
    return {
      name,
      type: "azurerm",
      url: "https://management.azure.com/",
      owner: "library",
      authorization: { scheme, parameters: { tenantid: this.tenantId } },
      data: { subscriptionId, subscriptionName: "subscription", environment: "AzureCloud", scopeLevel: "Subscription", creationMode: "Automatic" },
      serviceEndpointProjectReferences: [{ projectReference: { name: this.project }, name, description: "" }],
    };
  }

  /** Saves a connection and waits, as the dialog polls, for its creation to finish. */
  async create(upn: string, body: ServiceEndpoint): Promise<ServiceEndpoint> {
    const api = await this.endpointsAs(upn);
    return this.settled(api, (await api.createServiceEndpoint(body)).id!);
  }

  /** Saves a connection again (Edit → Save): a failed automatic creation runs its steps once more. */
  async save(upn: string, endpoint: ServiceEndpoint, operation?: string): Promise<ServiceEndpoint> {
    const api = await this.endpointsAs(upn);
    return this.settled(api, (await api.updateServiceEndpoint(endpoint, endpoint.id!, operation)).id!);
  }

  async endpoint(upn: string, name: string): Promise<ServiceEndpoint> {
    const found = (await (await this.endpointsAs(upn)).getServiceEndpointsByNames(this.project, [name], undefined, undefined, undefined, true))[0];
    if (!found) throw new ScenarioError(`no connection '${name}' in ${this.project}`);
    return found;
  }

  private async settled(api: IServiceEndpointApi, id: string): Promise<ServiceEndpoint> {
    for (let i = 0; i < 400; i += 1) {
      const endpoint = await api.getServiceEndpointDetails(this.project, id);
      if (endpoint.operationStatus?.state !== "InProgress") return endpoint;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new ScenarioError("the connection's creation did not finish");
  }

  /** Verify in the connection's Edit dialog: the endpoint proxy's TestConnection. Empty when it passes. */
  async verify(upn: string, endpoint: ServiceEndpoint): Promise<string> {
    const result = await (await this.endpointsAs(upn)).executeServiceEndpointRequest(
      { dataSourceDetails: { dataSourceName: "TestConnection" } as never, resultTransformationDetails: {} as never, serviceEndpointDetails: undefined as never },
      this.project,
      endpoint.id!,
    );
    return result.statusCode === "ok" ? "" : (result.errorMessage ?? `Verify answered ${result.statusCode}`);
  }

  async pipelineId(upn: string, name: string): Promise<number> {
    const pipeline = (await (await this.webApi(upn).getPipelinesApi()).listPipelines(this.project)).find((p) => p.name === name);
    if (!pipeline?.id) throw new ScenarioError(`no pipeline '${name}' in ${this.project}`);
    return pipeline.id;
  }

  /** Runs a pipeline (the Pipelines API), waits for it, and reads what failed as `explain --run` does. */
  async runPipeline(upn: string, name: string): Promise<{ result: string; id: number; failure: RunFailure }> {
    const web = this.webApi(upn);
    const pipelines = await web.getPipelinesApi();
    const pipeline = { id: await this.pipelineId(upn, name) };
    const queued = await pipelines.runPipeline({}, this.project, pipeline.id);
    for (let i = 0; i < 2400; i += 1) {
      const run = await pipelines.getRun(this.project, pipeline.id, queued.id!);
      if (run.result !== undefined && run.result !== null) {
        const failure = await runFailureOf(await web.getBuildApi(), this.project, run.id!);
        return { result: RunResult[run.result] ?? String(run.result), id: run.id!, failure };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new ScenarioError(`pipeline '${name}' did not finish within two minutes`);
  }

  /**
   * A repository whose content is a working folder of the person (svcconn's admin API registers it, as
   * `svcconn pipeline run` does): what they write there is what the next run reads, like a push.
   */
  async workingCopy(repository: string, folder: string, files: Record<string, string>): Promise<void> {
    this.write(folder, files);
    const url = `${this.server.devops}/_admin/organizations/${this.organization}/projects/${this.project}/repositories/${repository}`;
    const response = await fetch(url, { method: "PUT", headers: { "content-type": "application/json", "x-svcconn-admin-key": this.server.adminKey }, body: JSON.stringify({ folder }) });
    if (!response.ok) throw new ScenarioError(`the repository was refused: ${response.status} ${await response.text()}`);
  }

  write(folder: string, files: Record<string, string>): void {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), content);
    }
  }

  /** A YAML pipeline over a repository of the project (the Pipelines API's create). */
  async definePipeline(upn: string, name: string, repository: string, path = "azure-pipelines.yml"): Promise<number> {
    const pipelines = await this.webApi(upn).getPipelinesApi();
    const created = await pipelines.createPipeline({ name, configuration: { type: ConfigurationType.Yaml, path, repository: { name: repository } } as never }, this.project);
    return created.id!;
  }

  /** A project role on all of the project's connections (Project settings → Service connections → Security → + Add). */
  async setProjectRole(upn: string, member: string, role: "Reader" | "User" | "Creator" | "Administrator"): Promise<void> {
    const projectId = (await (await this.webApi(upn).getCoreApi()).getProject(this.project)).id!;
    const found = (await this.devopsCall(upn, "GET", `/${this.organization}/_apis/identities?searchFilter=General&filterValue=${encodeURIComponent(member)}&api-version=7.1`)) as { value: Array<{ id: string }> };
    if (!found.value[0]) throw new ScenarioError(`no identity ${member} in the organization`);
    const path = `/${this.organization}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${projectId}?api-version=7.1-preview.1`;
    await this.devopsCall(upn, "PUT", path, [{ roleName: role, userId: found.value[0].id }]);
  }

  /** Renames the project (the Core API's update), as an administrator does in Project settings → Overview. */
  async renameProject(upn: string, name: string): Promise<void> {
    const core = await this.webApi(upn).getCoreApi();
    const project = await core.getProject(this.project);
    await core.updateProject({ name }, project.id!);
    for (let i = 0; i < 200 && (await core.getProject(project.id!)).name !== name; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    this.project = name;
  }

  /** A REST call of Azure DevOps with the member's PAT, for the APIs azure-devops-node-api has no client for. */
  private async devopsCall(upn: string, method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.server.devops}${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`:${this.patOf(upn)}`).toString("base64")}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ScenarioError(`${method} ${path.split("?")[0]} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Permits a pipeline to use a connection (the pipeline permissions API the connection's Security page calls). */
  async permit(upn: string, endpoint: ServiceEndpoint, pipelineId: number): Promise<void> {
    const path = `/${this.organization}/${this.project}/_apis/pipelines/pipelinePermissions/endpoint/${endpoint.id}?api-version=7.1-preview.1`;
    await this.devopsCall(upn, "PATCH", path, { pipelines: [{ id: pipelineId, authorized: true }] });
  }
}
