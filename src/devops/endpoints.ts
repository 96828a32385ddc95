import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { isGuid, newGuid } from "../core/ids.js";
import { type Store, UniqueViolation } from "../store/index.js";
import { type AutomaticCreation, endpointScope, StepFailure, threeMonthsFrom, type UserAccess } from "./create-workflow.js";
import { completeEndpointInput, identityTypeOf, SERVER_SCHEMES, type EndpointBody, type EndpointInput, type EndpointUpdate } from "./endpoint-input.js";
import { devopsErrors } from "./errors.js";
import { federatedCredentialFor, ISSUER_TYPE, issuerTypeFor } from "./federation.js";
import type { ProjectReferenceRequest } from "./input.js";
import type { DevOpsCaller } from "./identities.js";
import { ROLE_RANK, type DevOpsIdentity, type EndpointRole, type Organization, type Project, type ProjectReference, type ServiceEndpoint } from "./model.js";
import { isPortError, type GraphAs } from "./ports.js";
import type { DevOpsSecurity } from "./security.js";

export type ActionFilter = "none" | "manage" | "use" | "view";
const ACTION_FILTERS: Record<string, ActionFilter> = { "0": "none", none: "none", "2": "manage", manage: "manage", "16": "use", use: "use", "32": "view", view: "view" };
const REQUIRED: Record<ActionFilter, EndpointRole | undefined> = { none: undefined, view: "Reader", use: "User", manage: "Administrator" };
const REVERT_WINDOW_MS = 7 * 86_400_000;

export function readActionFilter(value: string | undefined): ActionFilter {
  if (value === undefined || value === "") return "none";
  const filter = ACTION_FILTERS[value.toLowerCase()];
  if (!filter) throw devopsErrors.argument(`The action filter '${value}' is not valid. Use none, manage, use or view.`);
  return filter;
}

const satisfies = (role: EndpointRole | undefined, needed: EndpointRole | undefined) => {
  if (!needed) return !!role;
  if (!role) return false;
  if (needed === "User") return role === "User" || role === "Administrator";
  return ROLE_RANK[role] >= ROLE_RANK[needed];
};

export interface StoredEndpoint {
  endpoint: ServiceEndpoint;
  secrets: Record<string, string>;
}

export interface ListFilter {
  type?: string;
  authSchemes?: string[];
  endpointIds?: string[];
  endpointNames?: string[];
  owner?: string;
  includeFailed: boolean;
  actionFilter: ActionFilter;
}

/**
 * Service connections: create (manual at once, automatic through the four-step workflow), read with the
 * caller's roles, update, convert between secret and workload identity federation, rotate the secret, share,
 * and delete with or without clean-up of what automatic creation made.
 */
export class ServiceEndpoints {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly security: DevOpsSecurity,
    private readonly box: SecretBox,
    readonly creation: AutomaticCreation,
  ) {}

  // ---- storage ----------------------------------------------------------------------------------------------

  async load(id: string): Promise<StoredEndpoint | undefined> {
    if (!isGuid(id)) return undefined;
    const found = await this.store.devops.endpoint(id);
    if (!found) return undefined;
    return { endpoint: found.endpoint, secrets: found.secrets ? (JSON.parse(this.box.open(found.secrets)) as Record<string, string>) : {} };
  }

  async save(endpoint: ServiceEndpoint, secrets: Record<string, string>): Promise<void> {
    try {
      await this.store.devops.putEndpoint(endpoint, this.box.seal(JSON.stringify(secrets)));
    } catch (error) {
      // The name check before a write and the write itself are not atomic; the store's unique index is the last word.
      if (error instanceof UniqueViolation) throw devopsErrors.duplicateName(error.value);
      throw error;
    }
  }

  /** The project a connection was created in: its legacy federation subject names it. */
  async owningProject(org: Organization, endpoint: ServiceEndpoint): Promise<Project> {
    return this.project(org, endpoint.projects[0]!.projectId);
  }

  private async project(org: Organization, idOrName: string): Promise<Project> {
    const project = await this.store.devops.project(org.id, idOrName);
    if (!project) throw devopsErrors.projectNotFound(idOrName);
    return project;
  }

  async roleIn(caller: DevOpsCaller, endpoint: ServiceEndpoint, projectId: string): Promise<EndpointRole | undefined> {
    if (!endpoint.projects.some((p) => p.projectId === projectId)) return undefined;
    return this.security.itemRole(caller.identity.id, projectId, endpoint.id);
  }

  /** The best role the caller holds on the endpoint in any project it is shared with. */
  async bestRole(caller: DevOpsCaller, endpoint: ServiceEndpoint): Promise<EndpointRole | undefined> {
    let best: EndpointRole | undefined;
    for (const p of endpoint.projects) {
      const role = await this.roleIn(caller, endpoint, p.projectId);
      if (role && (!best || ROLE_RANK[role] > ROLE_RANK[best])) best = role;
    }
    return best;
  }

  /** Loads an endpoint the caller may act on with at least `needed` (404 when it may not even see it). */
  async require(caller: DevOpsCaller, id: string, needed: EndpointRole, projectId?: string): Promise<StoredEndpoint> {
    const stored = await this.load(id);
    if (!stored || stored.endpoint.organizationId !== caller.organization.id) throw devopsErrors.endpointNotFound(id);
    const role = projectId ? await this.roleIn(caller, stored.endpoint, projectId) : await this.bestRole(caller, stored.endpoint);
    if (!role) throw devopsErrors.endpointNotFound(id);
    if (!satisfies(role, needed)) {
      if (needed === "Administrator") throw devopsErrors.noManagePermission(stored.endpoint.name);
      throw devopsErrors.noUsePermission(stored.endpoint.name);
    }
    return stored;
  }

  // ---- create -----------------------------------------------------------------------------------------------

  /**
   * POST on the organization route (references in the body) or the legacy project route (project from the path).
   * A world file may preset the id and a creation that already failed (no creation is started for it).
   */
  async create(caller: DevOpsCaller, input: EndpointInput, routeProject?: string, preset: { id?: string; failedCreation?: string } = {}): Promise<StoredEndpoint> {
    const org = caller.organization;
    if (org.serverMode && input.type === "azurerm" && !SERVER_SCHEMES.has(input.scheme)) throw devopsErrors.unsupportedOnServer(input.scheme);
    let refs = input.projectReferences;
    if ((!refs || refs.length === 0) && routeProject) refs = [{ projectName: routeProject, name: input.name, description: input.description }];
    if (!refs || refs.length === 0) throw devopsErrors.projectReferenceRequired();
    const projects: ProjectReference[] = [];
    for (const ref of refs) {
      const project = await this.project(org, ref.projectId ?? ref.projectName!);
      if (!(await this.security.canCreate(caller.identity.id, project.id))) throw devopsErrors.noCreatePermission();
      await this.assertUniqueName(project, ref.name);
      projects.push({ projectId: project.id, name: ref.name, description: ref.description });
    }
    const automatic = input.type === "azurerm" && input.data.creationMode === "Automatic" && input.scheme !== "ManagedServiceIdentity";
    if (input.type === "azurerm" && input.scheme === "ServicePrincipal" && !automatic) {
      const needs = input.parameters.authenticationType === "spnCertificate" ? "servicePrincipalCertificate" : "serviceprincipalkey";
      if (!input.secrets[needs]) throw devopsErrors.argument(`The parameter '${needs}' is required for a service principal connection.`);
    }
    const now = this.clock.now().toISOString();
    const endpoint: ServiceEndpoint = {
      // A body's id is ignored, as Azure DevOps does; only a world file keeps a connection's id (federated subjects name it).
      id: preset.id?.toLowerCase() ?? newGuid(),
      organizationId: org.id,
      name: input.name,
      type: input.type,
      url: input.url,
      description: input.description,
      owner: input.owner.toLowerCase(),
      scheme: input.scheme,
      // A workload-identity connection keeps the issuer form the organization gives it now.
      parameters: input.scheme === "WorkloadIdentityFederation" ? { ...input.parameters, [ISSUER_TYPE]: issuerTypeFor(org) } : input.parameters,
      data: input.type === "azurerm" ? { ...input.data, identityType: identityTypeOf(input.scheme, input.data.creationMode) } : input.data,
      isShared: projects.length > 1,
      isReady: !automatic,
      isDisabled: false,
      operationStatus: automatic ? { state: preset.failedCreation === undefined ? "InProgress" : "Failed", statusMessage: preset.failedCreation ?? "" } : { state: "Ready", statusMessage: "" },
      createdBy: caller.identity.id,
      creationDate: now,
      modificationDate: now,
      modifiedBy: caller.identity.id,
      projects,
    };
    await this.save(endpoint, input.secrets);
    // The creator administers the new connection in every project it was created in.
    for (const p of projects) await this.security.makeAdministrator(caller.identity.id, p.projectId, endpoint.id);
    if (automatic && preset.failedCreation === undefined) {
      this.creation.start({ endpoint, organization: org, project: await this.owningProject(org, endpoint), creator: caller.identity, save: (e, s) => this.save(e, s) });
    }
    // The answer shows the connection as saved: an automatic one is still InProgress.
    return { endpoint, secrets: input.secrets };
  }

  private async assertUniqueName(project: Project, name: string, except?: string): Promise<void> {
    const existing = await this.store.devops.endpointsOfProject(project.id);
    const clash = existing.find(({ endpoint }) => endpoint.id !== except && endpoint.projects.some((p) => p.projectId === project.id && p.name.toLowerCase() === name.toLowerCase()));
    if (clash) throw devopsErrors.duplicateName(name);
  }

  // ---- read -------------------------------------------------------------------------------------------------

  async list(caller: DevOpsCaller, projectIdOrName: string, filter: ListFilter): Promise<ServiceEndpoint[]> {
    const project = await this.project(caller.organization, projectIdOrName);
    const roleOf = await this.security.itemRolesIn(caller.identity.id, project.id);
    const out: ServiceEndpoint[] = [];
    for (const { endpoint } of await this.store.devops.endpointsOfProject(project.id)) {
      if (filter.type && endpoint.type.toLowerCase() !== filter.type.toLowerCase()) continue;
      if (filter.authSchemes?.length && !filter.authSchemes.some((s) => s.toLowerCase() === endpoint.scheme.toLowerCase())) continue;
      if (filter.endpointIds?.length && !filter.endpointIds.map((i) => i.toLowerCase()).includes(endpoint.id)) continue;
      const localName = endpoint.projects.find((p) => p.projectId === project.id)?.name ?? endpoint.name;
      if (filter.endpointNames?.length && !filter.endpointNames.some((n) => n.toLowerCase() === localName.toLowerCase())) continue;
      if (filter.owner && endpoint.owner.toLowerCase() !== filter.owner.toLowerCase()) continue;
      const role = await roleOf(endpoint.id);
      if (!role || !satisfies(role, REQUIRED[filter.actionFilter])) continue;
      // Only connections that are not ready (a failed or unfinished creation) wait for `includeFailed`; one whose
      // service principal was deleted is still listed, and fails where it is used (S10).
      if (!filter.includeFailed && !endpoint.isReady) continue;
      out.push(endpoint);
    }
    return out;
  }

  /** A connection as a Verify checks it: as saved, or with the credentials being edited (by whoever may edit it). */
  async toVerify(caller: DevOpsCaller, id: string, projectId: string, unsaved?: { parameters: Record<string, string>; secrets: Record<string, string> }): Promise<StoredEndpoint> {
    const saved = await this.require(caller, id, unsaved ? "Administrator" : "User", projectId);
    if (!unsaved) return saved;
    return { endpoint: { ...saved.endpoint, parameters: { ...saved.endpoint.parameters, ...unsaved.parameters } }, secrets: { ...saved.secrets, ...unsaved.secrets } };
  }

  async get(caller: DevOpsCaller, id: string, projectIdOrName: string | undefined, actionFilter: ActionFilter): Promise<ServiceEndpoint> {
    const project = projectIdOrName ? await this.project(caller.organization, projectIdOrName) : undefined;
    const stored = await this.require(caller, id, REQUIRED[actionFilter] ?? "Reader", project?.id);
    return stored.endpoint;
  }

  // ---- update -----------------------------------------------------------------------------------------------

  async update(caller: DevOpsCaller, id: string, command: EndpointUpdate): Promise<ServiceEndpoint> {
    const stored = await this.require(caller, id, "Administrator");
    const { endpoint, secrets } = stored;
    if (endpoint.operationStatus.state === "InProgress") throw devopsErrors.notReady(endpoint.name);
    if (command.kind === "convert") return this.convert(caller, stored, command.scheme);
    if (command.kind === "rotate") return this.rotate(caller, stored);
    // A full PUT: what is sent, over the stored data (reads mask secrets and some clients drop data fields).
    const input = completeEndpointInput({ ...command.body, data: { ...endpoint.data, ...command.body.data } }, true);
    if (input.type.toLowerCase() !== endpoint.type.toLowerCase()) throw devopsErrors.immutableField("type");
    if (input.scheme !== endpoint.scheme) throw devopsErrors.argument("Use operation=ConvertAuthenticationScheme to change the authentication scheme.");
    if (endpoint.data.creationMode === "Automatic") {
      for (const field of ["subscriptionId", "managementGroupId", "appObjectId", "spnObjectId", "azureSpnRoleAssignmentId"]) {
        if (input.data[field] !== undefined && endpoint.data[field] !== undefined && input.data[field] !== endpoint.data[field]) throw devopsErrors.immutableField(field);
      }
    }
    if (caller.organization.serverMode && input.type === "azurerm" && !SERVER_SCHEMES.has(input.scheme)) throw devopsErrors.unsupportedOnServer(input.scheme);
    if (input.name !== endpoint.name) {
      for (const p of endpoint.projects) {
        const project = (await this.store.devops.project(caller.organization.id, p.projectId))!;
        await this.assertUniqueName(project, input.name, endpoint.id);
      }
    }
    const updated: ServiceEndpoint = {
      ...endpoint,
      name: input.name,
      url: input.url,
      description: input.description,
      parameters: {
        ...(endpoint.data.creationMode === "Automatic" ? { ...endpoint.parameters, ...input.parameters, serviceprincipalid: endpoint.parameters.serviceprincipalid ?? "" } : input.parameters),
        ...(endpoint.parameters[ISSUER_TYPE] ? { [ISSUER_TYPE]: endpoint.parameters[ISSUER_TYPE] } : {}),
      },
      data: { ...input.data, identityType: endpoint.data.identityType ?? identityTypeOf(input.scheme, input.data.creationMode) },
      projects: endpoint.projects.map((p, i) => (i === 0 ? { ...p, name: input.name, description: input.description } : p)),
      modificationDate: this.clock.now().toISOString(),
      modifiedBy: caller.identity.id,
    };
    // Saving a connection whose automatic creation failed runs the four steps again, as the portal's retry does.
    if (endpoint.data.creationMode === "Automatic" && endpoint.operationStatus.state === "Failed" && !endpoint.data.spnObjectId) {
      const retry: ServiceEndpoint = { ...updated, isReady: false, operationStatus: { state: "InProgress", statusMessage: "" } };
      await this.save(retry, {});
      this.creation.start({ endpoint: retry, organization: caller.organization, project: await this.owningProject(caller.organization, retry), creator: caller.identity, save: (e, s) => this.save(e, s) });
      return retry;
    }
    // Saving an automatic workload identity connection makes its application trust the subject it has now (a
    // rename changes the legacy form's), as Azure DevOps does: the guide's "Edit and Save" for AADSTS700213.
    // A caller with no Entra session (a PAT's owner who never signed in) can still save what keeps the subject.
    if (isAutomaticFederation(updated)) {
      const keepsSubject = updated.name === endpoint.name;
      const access = keepsSubject ? await this.sessionAccess(caller) : undefined;
      if (!keepsSubject || access) await this.withGraph(caller, updated, (graph) => this.trustFederationOf(caller, graph, updated), access);
    }
    // Secrets sent back empty (as reads mask them) keep their stored value.
    await this.save(updated, { ...secrets, ...input.secrets });
    return updated;
  }

  /** Secret ↔ workload identity federation; the way back stays open for seven days. */
  private async convert(caller: DevOpsCaller, stored: StoredEndpoint, target: "ServicePrincipal" | "WorkloadIdentityFederation"): Promise<ServiceEndpoint> {
    const { endpoint, secrets } = stored;
    if (target === endpoint.scheme) throw devopsErrors.argument(`The service connection already uses the scheme '${target}'.`);
    if (caller.organization.serverMode && target === "WorkloadIdentityFederation") throw devopsErrors.unsupportedOnServer(target);
    const now = this.clock.nowMs();
    let data = { ...endpoint.data };
    if (target === "ServicePrincipal") {
      if (!data.revertSchemeDeadline) throw devopsErrors.argument("Only a connection converted from a secret can be converted back.");
      if (Date.parse(data.revertSchemeDeadline) < now) throw devopsErrors.revertExpired();
      delete data.revertSchemeDeadline;
    } else {
      if (endpoint.scheme !== "ServicePrincipal" || endpoint.parameters.authenticationType === "spnCertificate") {
        throw devopsErrors.argument("Only a service principal connection with a secret can be converted to workload identity federation.");
      }
      if (data.creationMode === "Automatic") await this.withGraph(caller, endpoint, (graph) => this.trustFederationOf(caller, graph, endpoint));
      data = { ...data, revertSchemeDeadline: new Date(now + REVERT_WINDOW_MS).toISOString() };
    }
    const updated: ServiceEndpoint = {
      ...endpoint,
      scheme: target,
      // Converting to workload identity federation takes the organization's issuer form of now.
      parameters:
        target === "ServicePrincipal"
          ? { ...Object.fromEntries(Object.entries(endpoint.parameters).filter(([k]) => k !== ISSUER_TYPE)), authenticationType: "spnKey" }
          : { ...Object.fromEntries(Object.entries(endpoint.parameters).filter(([k]) => k !== "authenticationType")), [ISSUER_TYPE]: issuerTypeFor(caller.organization) },
      data,
      modificationDate: new Date(now).toISOString(),
      modifiedBy: caller.identity.id,
    };
    await this.save(updated, secrets);
    return updated;
  }

  /**
   * The connection's federated credential on its application, as the connection's issuer and subject are now: left
   * alone when one already trusts them, otherwise Azure DevOps' own credential (by its name) updated, or added.
   */
  private async trustFederationOf(caller: DevOpsCaller, graph: GraphAs, endpoint: ServiceEndpoint) {
    const wanted = federatedCredentialFor(endpoint.data.appObjectId!, caller.organization, await this.owningProject(caller.organization, endpoint), endpoint);
    const existing = await graph.federatedCredentials(wanted.applicationObjectId);
    if (existing.some((c) => c.issuer === wanted.issuer && c.subject === wanted.subject)) return;
    const own = existing.find((c) => c.name.toLowerCase() === wanted.name.toLowerCase());
    if (own) await graph.updateFederatedCredential(wanted.applicationObjectId, own.id, { issuer: wanted.issuer, subject: wanted.subject });
    else await graph.addFederatedCredential(wanted);
  }

  /** Rotate secret (S9): a new password valid three months, stored in the connection; the old one removed. */
  private async rotate(caller: DevOpsCaller, stored: StoredEndpoint): Promise<ServiceEndpoint> {
    const { endpoint, secrets } = stored;
    if (endpoint.scheme !== "ServicePrincipal" || endpoint.data.creationMode !== "Automatic" || !endpoint.data.appObjectId) {
      throw devopsErrors.argument("Rotate secret is available for automatically created service principal connections with a secret.");
    }
    const end = threeMonthsFrom(this.clock.nowMs());
    const fresh = await this.withGraph(caller, endpoint, async (graph) => {
      const password = await graph.addPassword({ applicationObjectId: endpoint.data.appObjectId!, displayName: `Azure DevOps service connection ${endpoint.name}`, endDateTime: end });
      if (secrets._passwordKeyId) await graph.removePassword(endpoint.data.appObjectId!, secrets._passwordKeyId).catch(() => undefined);
      return password;
    });
    const updated = { ...endpoint, modificationDate: this.clock.now().toISOString(), modifiedBy: caller.identity.id };
    await this.save(updated, { ...secrets, serviceprincipalkey: fresh.secretText!, _passwordKeyId: fresh.keyId });
    return updated;
  }

  /** The caller's access through their Entra session; undefined when they have none. */
  private async sessionAccess(caller: DevOpsCaller): Promise<UserAccess | undefined> {
    return this.creation.userAccess(caller.organization, caller.identity).catch((error) => {
      if (error instanceof StepFailure) return undefined;
      throw error;
    });
  }

  /** Runs Graph work as the caller, turning Graph's refusal into the service's message. */
  private async withGraph<T>(caller: DevOpsCaller, endpoint: ServiceEndpoint, work: (graph: GraphAs) => Promise<T>, known?: UserAccess): Promise<T> {
    try {
      const access = known ?? (await this.creation.userAccess(caller.organization, caller.identity));
      return await work(await access.graph());
    } catch (error) {
      if (error instanceof StepFailure) throw devopsErrors.argument(error.message);
      if (isPortError(error, "graph")) {
        throw devopsErrors.argument(
          `Failed to update the application '${endpoint.parameters.serviceprincipalid}' of the service connection in Microsoft Entra ID. Error: ${error.message} Ensure that you may change the application (owner or Application Administrator).`,
        );
      }
      throw error;
    }
  }

  async updateMany(caller: DevOpsCaller, bodies: Array<EndpointBody & { id: string }>): Promise<ServiceEndpoint[]> {
    const out: ServiceEndpoint[] = [];
    for (const body of bodies) out.push(await this.update(caller, body.id, { kind: "update", body }));
    return out;
  }

  // ---- share and delete -------------------------------------------------------------------------------------

  async share(caller: DevOpsCaller, id: string, references: ProjectReferenceRequest[]): Promise<void> {
    const { endpoint, secrets } = await this.require(caller, id, "Administrator");
    const projects = [...endpoint.projects];
    for (const ref of references) {
      const project = await this.project(caller.organization, ref.project);
      if (projects.some((p) => p.projectId === project.id)) continue;
      const name = ref.name ?? endpoint.name;
      await this.assertUniqueName(project, name, endpoint.id);
      projects.push({ projectId: project.id, name, description: ref.description });
    }
    await this.save({ ...endpoint, projects, isShared: projects.length > 1, modificationDate: this.clock.now().toISOString() }, secrets);
  }

  /**
   * Removes the connection from the listed projects (all of them: deleted). With `deep`, an automatic
   * connection's role assignment and application are removed too, as the caller; when that clean-up fails the
   * connection stays, Failed, its message saying what was left behind (S16; `docs/wire-notes.md`).
   */
  async delete(caller: DevOpsCaller, id: string, projectIds: string[], deep: boolean): Promise<{ deleted: boolean; cleanupMessage?: string }> {
    const stored = await this.load(id);
    if (!stored || stored.endpoint.organizationId !== caller.organization.id) throw devopsErrors.endpointNotFound(id);
    const { endpoint, secrets } = stored;
    const targets: string[] = [];
    for (const p of projectIds) targets.push((await this.project(caller.organization, p)).id);
    for (const projectId of targets) {
      const role = await this.roleIn(caller, endpoint, projectId);
      if (!role) throw devopsErrors.endpointNotFound(id);
      if (role !== "Administrator") throw devopsErrors.noManagePermission(endpoint.name);
    }
    const remaining = endpoint.projects.filter((p) => !targets.includes(p.projectId));
    if (remaining.length) {
      await this.save({ ...endpoint, projects: remaining, isShared: remaining.length > 1, modificationDate: this.clock.now().toISOString() }, secrets);
      return { deleted: false };
    }
    let cleanupMessage: string | undefined;
    if (deep && endpoint.type === "azurerm" && endpoint.data.creationMode === "Automatic" && endpoint.data.appObjectId) cleanupMessage = await this.cleanUp(caller, endpoint);
    if (cleanupMessage) {
      // As in Azure DevOps, whose delete is asynchronous: the connection stays, Failed, saying what is left in Azure
      // (its data still names the application and the role assignment); deleting it with deep=false removes it.
      await this.save({ ...endpoint, isReady: false, operationStatus: { state: "Failed", statusMessage: cleanupMessage }, modificationDate: this.clock.now().toISOString() }, secrets);
      return { deleted: false, cleanupMessage };
    }
    await this.store.devops.deleteEndpoint(endpoint.id);
    return { deleted: true };
  }

  private async cleanUp(caller: DevOpsCaller, endpoint: ServiceEndpoint): Promise<string | undefined> {
    const problems: string[] = [];
    let access;
    try {
      access = await this.creation.userAccess(caller.organization, caller.identity);
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      return `Failed to remove Azure permission 'RoleAssignmentId: ${endpoint.data.azureSpnRoleAssignmentId}' for service principal '${endpoint.data.spnObjectId}': ${error.message} Failed to remove the service principal from Microsoft Entra ID.`;
    }
    const where = endpoint.data.scopeLevel === "ManagementGroup" ? `management group ID '${endpoint.data.managementGroupId}'` : `subscription ID '${endpoint.data.subscriptionId}'`;
    try {
      const removed = endpoint.data.azureSpnRoleAssignmentId ? await access.arm.removeRoleAssignment(endpointScope(endpoint), endpoint.data.azureSpnRoleAssignmentId) : false;
      if (!removed) problems.push(`Failed to remove Azure permission 'RoleAssignmentId: ${endpoint.data.azureSpnRoleAssignmentId}' for service principal '${endpoint.data.spnObjectId}' on ${where}: error code: NotFound.`);
    } catch (error) {
      if (!isPortError(error, "arm")) throw error;
      problems.push(`Failed to remove Azure permission 'RoleAssignmentId: ${endpoint.data.azureSpnRoleAssignmentId}' for service principal '${endpoint.data.spnObjectId}' on ${where}: error code: ${error.code}. ${error.message}`);
    }
    try {
      const graph = await access.graph();
      await graph.deleteApplication(endpoint.data.appObjectId!);
    } catch (error) {
      if (!isPortError(error, "graph")) throw error;
      problems.push(`Failed to remove the service principal from Microsoft Entra ID. Error: ${error.message}`);
    }
    return problems.length ? problems.join(" ") : undefined;
  }

  /** Identities referenced by endpoints, for rendering `createdBy`. */
  async identitiesOf(endpoints: ServiceEndpoint[]): Promise<Map<string, DevOpsIdentity>> {
    const map = new Map<string, DevOpsIdentity>();
    for (const e of endpoints) {
      for (const id of [e.createdBy, e.modifiedBy]) {
        if (!map.has(id)) {
          const found = await this.store.cache.get(`devops-identity:${id}`, () => this.store.devops.identity(id));
          if (found) map.set(id, found);
        }
      }
    }
    return map;
  }

  secretKeys(stored: StoredEndpoint): string[] {
    return Object.keys(stored.secrets).filter((k) => !k.startsWith("_"));
  }
}

export type { EndpointInput };

/** A workload identity connection svcconn made the application of (its federated credential is Azure DevOps'). */
function isAutomaticFederation(endpoint: ServiceEndpoint): boolean {
  return endpoint.scheme === "WorkloadIdentityFederation" && endpoint.data.creationMode === "Automatic" && !!endpoint.data.appObjectId;
}
