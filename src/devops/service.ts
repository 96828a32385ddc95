import type { Clock } from "../core/clock.js";
import { SecretBox } from "../core/crypto.js";
import { newGuid } from "../core/ids.js";
import type { OperationLeases } from "../core/leases.js";
import type { Logger } from "../core/logging.js";
import type { Store } from "../store/index.js";
import { AutomaticCreation } from "./create-workflow.js";
import { ServiceEndpoints } from "./endpoints.js";
import { DevOpsError, devopsErrors } from "./errors.js";
import type { FederationIssuer } from "./federation.js";
import { buildServiceIdentity, DevOpsIdentities, type DevOpsCaller } from "./identities.js";
import { JobTokens, type JobBinding } from "./job-tokens.js";
import { ENDPOINT_SCOPE, ENVIRONMENT_SCOPE, ENVIRONMENTS_SCOPE, LIBRARY_SCOPE, PROJECT_SCOPE, VARIABLE_GROUP_SCOPE, type DevOpsIdentity, type Organization, type Project, type ServiceEndpoint } from "./model.js";
import type { ProjectChanges, RoleAssignmentRequest } from "./input.js";
import { PipelinePermissions } from "./pipeline-permissions.js";
import type { ArmApi, EntraApi } from "./ports.js";
import { areaOfScope, DevOpsSecurity, ROLE_PERMISSIONS, roleDefinitionsOf, type SecuredArea } from "./security.js";
import { EndpointProxy } from "./endpoint-proxy.js";
import { VariableGroups } from "./variable-groups.js";
import { CheckConfigurations } from "./checks.js";
import { ProtectedResources } from "./protected-resources.js";
import { Environments } from "./environments.js";

export interface DevOpsOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  entra: EntraApi;
  arm: ArmApi;
  federation: FederationIssuer;
  secretKey: Buffer;
  /** Seals the job-token signing keys in the store. */
  keyBox?: SecretBox;
  /** Leases on automatic creations under way, so another process can take over one whose process stopped. */
  leases: OperationLeases;
}

/** The connection plane: organizations, projects, identities and security, service connections and their use. */
export class DevOpsService {
  readonly identities: DevOpsIdentities;
  readonly security: DevOpsSecurity;
  readonly endpoints: ServiceEndpoints;
  readonly creation: AutomaticCreation;
  readonly proxy: EndpointProxy;
  readonly permissions: PipelinePermissions;
  readonly variableGroups: VariableGroups;
  readonly environments: Environments;
  readonly checks: CheckConfigurations;
  private readonly resources: ProtectedResources;
  readonly federation: FederationIssuer;
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(private readonly options: DevOpsOptions) {
    const { store, clock } = options;
    this.store = store;
    this.clock = clock;
    this.federation = options.federation;
    this.identities = new DevOpsIdentities(store, clock, options.entra, new JobTokens(store, clock, options.keyBox));
    this.security = new DevOpsSecurity(store, clock);
    this.creation = new AutomaticCreation(clock, options.entra, options.arm, options.logger, options.leases);
    const box = new SecretBox(options.secretKey);
    this.endpoints = new ServiceEndpoints(store, clock, this.security, box, this.creation);
    this.variableGroups = new VariableGroups(store, clock, this.security, box);
    this.proxy = new EndpointProxy(store, clock, options.entra, options.arm, options.federation, this.creation);
    this.environments = new Environments(store, clock, this.security);
    this.resources = new ProtectedResources(this.endpoints, this.variableGroups, this.environments);
    this.permissions = new PipelinePermissions(store, clock, this.resources);
    this.checks = new CheckConfigurations(store, clock, this.resources, this.security);
  }

  /**
   * Fails, and undoes, every automatic creation under way that no process holds (called at start, after lapsed
   * leases were taken over; on a shared store only those saved more than `graceMs` ago): one a store without
   * leases left.
   */
  async recoverUnfinishedCreations(graceMs = 0): Promise<number> {
    const held = await this.options.leases.heldIds("creation");
    // On a shared store a creation saved a moment ago by another process may not hold its lease yet.
    const before = new Date(this.clock.nowMs() - graceMs).toISOString();
    let recovered = 0;
    for (const organization of await this.store.devops.organizations()) {
      for (const { endpoint } of await this.store.devops.endpointsOfOrganization(organization.id)) {
        if (endpoint.operationStatus.state !== "InProgress" || held.has(endpoint.id) || endpoint.modificationDate >= before) continue;
        await this.recoverCreation(organization, endpoint);
        recovered++;
      }
    }
    return recovered;
  }

  /** A creation whose process stopped (its lease lapsed and this process took it): undone and failed. */
  async takeOverCreation(endpointId: string): Promise<void> {
    try {
      const stored = await this.endpoints.load(endpointId);
      const organization = stored && (await this.store.devops.organizationByName(stored.endpoint.organizationId));
      if (stored?.endpoint.operationStatus.state === "InProgress" && organization) await this.recoverCreation(organization, stored.endpoint);
    } finally {
      await this.options.leases.release("creation", endpointId);
    }
  }

  private async recoverCreation(organization: Organization, endpoint: ServiceEndpoint): Promise<void> {
    const creator = await this.store.devops.identity(endpoint.createdBy);
    await this.creation.recover({ endpoint, organization, creator, save: (e, s) => this.endpoints.save(e, s) });
  }

  // ---- organizations and projects -----------------------------------------------------------------------------

  async createOrganization(input: { id?: string; name: string; tenantId: string; federationIssuer?: "entra" | "devops"; serverMode?: boolean }): Promise<Organization> {
    const org: Organization = {
      id: input.id?.toLowerCase() ?? newGuid(),
      name: input.name,
      tenantId: input.tenantId.toLowerCase(),
      federationIssuer: input.federationIssuer ?? "entra",
      serverMode: input.serverMode ?? false,
      createdAt: this.clock.now().toISOString(),
    };
    await this.store.devops.insertOrganization(org);
    return org;
  }

  /** An organization by name, uncached (svcconn's admin API). */
  findOrganization(name: string): Promise<Organization | undefined> {
    return this.store.devops.organizationByName(name);
  }

  /** Renames an organization, picks its federation issuer form, or switches it to Azure DevOps Server behaviour. */
  async changeOrganization(org: Organization, changes: Partial<Pick<Organization, "name" | "federationIssuer" | "serverMode">>): Promise<Organization> {
    await this.store.devops.updateOrganization(org.id, changes);
    return { ...org, ...changes };
  }

  async createProject(org: Organization, input: { id?: string; name: string; description?: string }) {
    const project: Project = { id: input.id?.toLowerCase() ?? newGuid(), organizationId: org.id, name: input.name, description: input.description ?? null, createdAt: this.clock.now().toISOString() };
    await this.store.devops.insertProject(project);
    const groups = await this.security.createProjectGroups(project);
    return { project, groups };
  }

  async projects(caller: DevOpsCaller): Promise<Project[]> {
    const all = await this.store.devops.projects(caller.organization.id);
    const visible: Project[] = [];
    for (const p of all) if (await this.isProjectMember(caller.identity.id, p)) visible.push(p);
    return visible;
  }

  async project(caller: DevOpsCaller, idOrName: string): Promise<Project> {
    const project = await this.store.devops.project(caller.organization.id, idOrName);
    // A job's token reaches its own project (job authorization scope: the current project).
    const visible = project && (caller.job ? caller.job.projectId === project.id : await this.isProjectMember(caller.identity.id, project));
    if (!project || !visible) throw devopsErrors.projectNotFound(idOrName);
    return project;
  }

  /** A project by id or name with no caller (svcconn's admin API). */
  async projectOfOrganization(org: Organization, idOrName: string): Promise<Project> {
    const project = await this.store.devops.project(org.id, idOrName);
    if (!project) throw devopsErrors.projectNotFound(idOrName);
    return project;
  }

  /** The projects a connection is shared with, in order (the first is the one it was created in). */
  async projectsOf(org: Organization, endpoint: ServiceEndpoint): Promise<Project[]> {
    const found = await Promise.all(endpoint.projects.map((p) => this.projectById(org, p.projectId)));
    return found.filter((p): p is Project => !!p);
  }

  /** A project of the organization by id, cached until the next write (views name the projects they reference). */
  projectById(org: Organization, projectId: string): Promise<Project | undefined> {
    return this.store.cache.get(`devops-project:${projectId}`, () => this.store.devops.project(org.id, projectId));
  }

  identity(id: string): Promise<DevOpsIdentity | undefined> {
    return this.store.cache.get(`devops-identity:${id}`, () => this.store.devops.identity(id));
  }

  /** A connection's execution history, newest first, a page of `top` before the continuation token. */
  async executionHistory(caller: DevOpsCaller, projectIdOrName: string, endpointId: string, top: number, before?: number) {
    const project = await this.project(caller, projectIdOrName);
    await this.endpoints.require(caller, endpointId, "Reader", project.id);
    return this.store.devops.executionRecords(endpointId.toLowerCase(), top, before);
  }

  private async isProjectMember(identityId: string, project: Project): Promise<boolean> {
    const valid = await this.security.projectGroup(project, "Project Valid Users");
    return !!valid && (await this.security.principals(identityId)).has(valid.id);
  }

  /** Renaming a project changes the legacy federation subject of its connections (sc://org/project/name). */
  async renameProject(caller: DevOpsCaller, idOrName: string, input: ProjectChanges): Promise<Project> {
    const project = await this.project(caller, idOrName);
    const admins = await this.security.projectGroup(project, "Project Administrators");
    if (!admins || !(await this.security.principals(caller.identity.id)).has(admins.id)) {
      throw new DevOpsError(403, "AccessCheckException", "TF50309: The following account does not have sufficient permissions to complete the operation: rename the project.");
    }
    const name = input.name;
    if (name && (await this.store.devops.project(caller.organization.id, name)) && name.toLowerCase() !== project.name.toLowerCase()) {
      throw devopsErrors.argument(`TF200019: The following project already exists on the Azure DevOps Server: ${name}.`);
    }
    const changes = { ...(name ? { name } : {}), ...(input.description !== undefined ? { description: input.description } : {}) };
    await this.store.devops.updateProject(project.id, changes);
    return { ...project, ...changes };
  }

  // ---- security roles ---------------------------------------------------------------------------------------

  private checkScope(scope: string): SecuredArea {
    const found = areaOfScope(scope);
    if (!found) throw devopsErrors.argument(`The scope '${scope}' is not valid. Use ${PROJECT_SCOPE}, ${ENDPOINT_SCOPE}, ${LIBRARY_SCOPE}, ${VARIABLE_GROUP_SCOPE}, ${ENVIRONMENTS_SCOPE} or ${ENVIRONMENT_SCOPE}.`);
    return found.area;
  }

  /** Puts a member in the organization's administrators group (Project Collection Administrators). */
  async makeOrganizationAdministrator(org: Organization, identityId: string): Promise<void> {
    await this.store.devops.addMember((await this.security.organizationAdministrators(org)).id, identityId);
  }

  /**
   * The organization's members and whether each is signed in (a session that is not revoked), for its
   * administrators only: svcconn's emulator panel.
   */
  async signedInMembers(caller: DevOpsCaller): Promise<Array<{ id: string; displayName: string; uniqueName: string; signedIn: boolean; lastUsedAt: string | null }>> {
    await this.requireOrganizationAdministrator(caller);
    const out = [];
    for (const identity of await this.store.devops.identities(caller.organization.id)) {
      if (identity.kind !== "user" || !identity.entraObjectId) continue;
      const session = await this.options.entra.currentSession(caller.organization.tenantId, identity.entraObjectId);
      out.push({ id: identity.id, displayName: identity.displayName, uniqueName: identity.uniqueName, signedIn: !!session && !session.revokedAt, lastUsedAt: session?.lastUsedAt ?? null });
    }
    return out.sort((a, b) => a.uniqueName.localeCompare(b.uniqueName));
  }

  async requireOrganizationAdministrator(caller: DevOpsCaller): Promise<void> {
    if (!(await this.isOrganizationAdministrator(caller))) throw devopsErrors.notOrganizationAdministrator();
  }

  /** A Project Collection Administrator (never a job's build service). */
  async isOrganizationAdministrator(caller: DevOpsCaller): Promise<boolean> {
    return !caller.job && (await this.security.isOrganizationAdministrator(caller.organization, caller.identity.id));
  }

  /**
   * The ServiceEndpoints security namespace as `_apis/permissions` answers it: for each token (`endpoints/{projectId}`
   * or `endpoints/{projectId}/{endpointId}`), whether the caller holds every bit asked for. Roles include the ones
   * below them (an Administrator reads and uses), which is what the web pages check before showing an action.
   */
  async hasEndpointPermissions(caller: DevOpsCaller, bits: number, tokens: string[]): Promise<boolean[]> {
    const answers: boolean[] = [];
    for (const token of tokens) {
      const [root, projectId, endpointId, extra] = token.split("/");
      let granted = 0;
      const project = root === "endpoints" && projectId && !extra ? await this.store.devops.project(caller.organization.id, projectId) : undefined;
      if (project && (await this.isProjectMember(caller.identity.id, project))) {
        const role = endpointId ? await this.security.itemRole(caller.identity.id, project.id, endpointId) : await this.security.projectRole(caller.identity.id, project.id);
        granted = role ? ROLE_PERMISSIONS[role] : 0;
      }
      answers.push(bits !== 0 && (granted & bits) === bits);
    }
    return answers;
  }

  async roleAssignments(caller: DevOpsCaller, scope: string, resourceId: string) {
    await this.requireScopeVisible(caller, scope, resourceId);
    const assignments = await this.security.assignments(scope, resourceId);
    const out = [];
    for (const a of assignments) {
      const identity = await this.store.devops.identity(a.identityId);
      if (!identity) continue;
      // Groups show as "[project]\\group", as Azure DevOps names them.
      const project = identity.kind === "group" && identity.projectId ? await this.store.devops.project(caller.organization.id, identity.projectId) : undefined;
      out.push({ ...a, identity: project ? { ...identity, displayName: `[${project.name}]\\${identity.displayName}` } : identity });
    }
    return out;
  }

  private async requireScopeVisible(caller: DevOpsCaller, scope: string, resourceId: string): Promise<void> {
    const area = this.checkScope(scope);
    const { projectId, itemId } = area.parse(resourceId);
    await this.project(caller, projectId);
    if (scope === area.itemScope) await this.resources.require(caller, projectId, area.resourceType, itemId, "Reader");
  }

  async setRoles(caller: DevOpsCaller, scope: string, resourceId: string, requests: RoleAssignmentRequest[]): Promise<void> {
    await this.requireScopeVisible(caller, scope, resourceId);
    await this.security.requireAdministrator(caller.identity.id, scope, resourceId);
    for (const { roleName, userId } of requests) {
      const role = roleDefinitionsOf(scope).find(([r]) => r.toLowerCase() === roleName.toLowerCase())?.[0];
      if (!role) throw devopsErrors.argument(`The role '${roleName}' is not valid for the scope '${scope}'.`);
      const identity: DevOpsIdentity | undefined = await this.store.devops.identity(userId);
      if (!identity || identity.organizationId !== caller.organization.id) throw devopsErrors.argument(`The identity '${userId}' was not found.`);
      await this.store.devops.setRole(scope, resourceId, identity.id, role);
    }
  }

  async removeRoles(caller: DevOpsCaller, scope: string, resourceId: string, identityIds: string[]): Promise<void> {
    await this.requireScopeVisible(caller, scope, resourceId);
    await this.security.requireAdministrator(caller.identity.id, scope, resourceId);
    for (const id of identityIds) await this.store.devops.removeRole(scope, resourceId, id.toLowerCase());
  }

  async setInheritance(caller: DevOpsCaller, scope: string, resourceId: string, inherit: boolean): Promise<void> {
    await this.requireScopeVisible(caller, scope, resourceId);
    await this.security.requireAdministrator(caller.identity.id, scope, resourceId);
    await this.store.devops.setInheritance(scope, resourceId, inherit);
  }

  // ---- what pipelines use: jobs, their tokens, and the connections they may use --------------------------------

  /** The identity that runs a project's jobs. */
  buildService(org: Organization, project: { id: string; name: string }): Promise<DevOpsIdentity> {
    return buildServiceIdentity(this.store, this.clock, org, project);
  }

  async issueJobToken(org: Organization, binding: JobBinding, expiresAt: Date): Promise<string> {
    const project = await this.store.devops.project(org.id, binding.projectId);
    if (!project) throw devopsErrors.projectNotFound(binding.projectId);
    return this.identities.jobTokens.issue(org, await this.buildService(org, project), binding, expiresAt);
  }

  /** A job ended: its access token stops working for every API. */
  async endJob(jobId: string): Promise<void> {
    await this.identities.jobTokens.end(jobId);
  }

  /** The names of the project groups a caller is in (directly or through other groups). */
  async projectGroupsOf(caller: DevOpsCaller, project: Project): Promise<string[]> {
    const principals = await this.security.principals(caller.identity.id);
    const names: string[] = [];
    for (const name of ["Project Administrators", "Contributors", "Readers", "Project Valid Users", "Endpoint Creators", "Endpoint Administrators"] as const) {
      const group = await this.security.projectGroup(project, name);
      if (group && principals.has(group.id)) names.push(name);
    }
    return names;
  }

  /** A project's connections with the name each has there (shared ones included). */
  async connectionsOfProject(org: Organization, projectId: string): Promise<Array<{ endpoint: ServiceEndpoint; name: string }>> {
    const rows = await this.store.devops.endpointsOfProject(projectId);
    return rows
      .filter(({ endpoint }) => endpoint.organizationId === org.id)
      .map(({ endpoint }) => ({ endpoint, name: endpoint.projects.find((p) => p.projectId === projectId)?.name ?? endpoint.name }));
  }

  /** A connection with its confidential parameters, for the environment of a job that may use it. */
  async connectionForJob(id: string): Promise<{ endpoint: ServiceEndpoint; secrets: Record<string, string> }> {
    const stored = await this.endpoints.load(id);
    if (!stored) throw devopsErrors.endpointNotFound(id);
    return stored;
  }

  /** The OIDC token a job gets for a workload identity federation connection it is authorized to use. */
  async federationTokenForJob(org: Organization, endpointId: string): Promise<string> {
    const stored = await this.endpoints.load(endpointId);
    if (!stored) throw devopsErrors.endpointNotFound(endpointId);
    const { endpoint } = stored;
    if (endpoint.scheme !== "WorkloadIdentityFederation") throw devopsErrors.argument(`The service connection '${endpoint.name}' does not use workload identity federation.`);
    return this.federation.token(org, await this.endpoints.owningProject(org, endpoint), endpoint, this.options.entra);
  }

  /** Adds a run to a connection's usage history (`executionhistory`). */
  async recordExecution(endpointId: string, data: Record<string, unknown>): Promise<void> {
    await this.store.devops.addExecutionRecord(endpointId.toLowerCase(), data, this.clock.now().toISOString());
  }
}
