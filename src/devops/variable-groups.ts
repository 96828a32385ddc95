import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { UniqueViolation, type Store } from "../store/index.js";
import { devopsErrors } from "./errors.js";
import type { DevOpsCaller } from "./identities.js";
import type { ProjectReferenceRequest } from "./input.js";
import { ROLE_RANK, type EndpointRole, type GroupVariable, type Project, type ProjectReference, type VariableGroup } from "./model.js";
import { LIBRARY, type DevOpsSecurity } from "./security.js";
import type { VariableGroupInput } from "./variable-group-input.js";

export interface StoredVariableGroup {
  group: VariableGroup;
  /** Secret values by variable name, opened. */
  secrets: Record<string, string>;
}

export interface VariableGroupQuery {
  /** A name, with `*` as a wildcard. */
  groupName?: string;
  actionFilter: "none" | "manage" | "use";
  top?: number;
  /** The id to start from, in the query order. */
  continuationToken?: number;
  queryOrder: "idAscending" | "idDescending";
}

const satisfies = (role: EndpointRole | undefined, needed: EndpointRole) => !!role && ROLE_RANK[role] >= ROLE_RANK[needed];
const wildcard = (pattern: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");

/**
 * The Library's variable groups: plain or linked to a key vault, shared with projects, secret values sealed at rest.
 * Rights come from the Library roles (a project's Library, then each group, inheriting from it): Readers see a group,
 * Users may use it, Administrators change, share and delete it; Creators in the Library create groups and become
 * the new group's Administrator.
 */
export class VariableGroups {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly security: DevOpsSecurity,
    private readonly box: SecretBox,
  ) {}

  async load(id: number): Promise<StoredVariableGroup | undefined> {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    const found = await this.store.library.variableGroup(id);
    if (!found) return undefined;
    return { group: found.group, secrets: JSON.parse(this.box.open(found.secrets)) as Record<string, string> };
  }

  private async project(caller: DevOpsCaller, idOrName: string): Promise<Project> {
    const project = await this.store.devops.project(caller.organization.id, idOrName);
    if (!project) throw devopsErrors.projectNotFound(idOrName);
    return project;
  }

  /** The caller's role on a group in one project it is shared with (none when it is not shared there). */
  async roleIn(caller: DevOpsCaller, group: VariableGroup, projectId: string): Promise<EndpointRole | undefined> {
    if (!group.projects.some((p) => p.projectId === projectId)) return undefined;
    return this.security.itemRole(caller.identity.id, projectId, String(group.id), LIBRARY);
  }

  /** A group the caller may act on with at least `needed` in the project (404 when it may not even see it). */
  async require(caller: DevOpsCaller, id: number, needed: EndpointRole, projectId?: string): Promise<StoredVariableGroup> {
    const stored = await this.load(id);
    if (!stored || stored.group.organizationId !== caller.organization.id) throw devopsErrors.variableGroupNotFound(id);
    let role: EndpointRole | undefined;
    for (const p of stored.group.projects) {
      if (projectId && p.projectId !== projectId) continue;
      const r = await this.roleIn(caller, stored.group, p.projectId);
      if (r && (!role || ROLE_RANK[r] > ROLE_RANK[role])) role = r;
    }
    if (!role) throw devopsErrors.variableGroupNotFound(id);
    if (!satisfies(role, needed)) throw devopsErrors.noLibraryPermission(caller.identity.displayName, needed === "Administrator" ? "Administer" : "Use", `variable group ${stored.group.name}`);
    return stored;
  }

  /** A group the caller may read in a project, or null (Azure DevOps answers a missing group with no group). */
  async get(caller: DevOpsCaller, projectIdOrName: string, id: number): Promise<StoredVariableGroup | null> {
    const project = await this.project(caller, projectIdOrName);
    return this.require(caller, id, "Reader", project.id).catch(() => null);
  }

  async list(caller: DevOpsCaller, projectIdOrName: string, query: VariableGroupQuery, ids?: number[]): Promise<VariableGroup[]> {
    const project = await this.project(caller, projectIdOrName);
    const roleOf = await this.security.itemRolesIn(caller.identity.id, project.id, LIBRARY);
    const needed: EndpointRole = query.actionFilter === "manage" ? "Administrator" : query.actionFilter === "use" ? "User" : "Reader";
    const name = query.groupName ? wildcard(query.groupName) : undefined;
    const out: VariableGroup[] = [];
    for (const { group } of await this.store.library.variableGroupsOfProject(project.id)) {
      if (group.organizationId !== caller.organization.id || (ids && !ids.includes(group.id))) continue;
      if (name && !name.test(this.nameIn(group, project.id))) continue;
      if (!satisfies(await roleOf(String(group.id)), needed)) continue;
      out.push(group);
    }
    const ascending = query.queryOrder === "idAscending";
    out.sort((a, b) => (ascending ? a.id - b.id : b.id - a.id));
    const token = query.continuationToken;
    const from = token === undefined ? out : out.filter((g) => (ascending ? g.id >= token : g.id <= token));
    return query.top !== undefined ? from.slice(0, query.top) : from;
  }

  /** The name a group has in a project. */
  nameIn(group: VariableGroup, projectId: string): string {
    return group.projects.find((p) => p.projectId === projectId)?.name ?? group.name;
  }

  // ---- create, update, share, delete ------------------------------------------------------------------------

  /** POST on the organization route (projects in the body) or the project route (the project from the path). */
  async create(caller: DevOpsCaller, input: VariableGroupInput, routeProject?: string): Promise<StoredVariableGroup> {
    const references = await this.references(caller, input, routeProject);
    for (const ref of references) {
      if (!(await this.security.canCreate(caller.identity.id, ref.projectId, LIBRARY))) {
        throw devopsErrors.noLibraryPermission(caller.identity.displayName, "Create", `the Library of project ${(await this.project(caller, ref.projectId)).name}`);
      }
      await this.assertUniqueName(ref.projectId, ref.name);
    }
    const now = this.clock.now().toISOString();
    const { variables, secrets } = this.values(input, {});
    const group: Omit<VariableGroup, "id"> = {
      organizationId: caller.organization.id,
      type: input.type,
      name: input.name,
      description: input.description,
      variables,
      providerData: input.providerData,
      createdBy: caller.identity.id,
      createdOn: now,
      modifiedBy: caller.identity.id,
      modifiedOn: now,
      projects: references,
    };
    const id = await this.saving(() => this.store.library.insertVariableGroup(group, this.box.seal(JSON.stringify(secrets))));
    for (const ref of references) await this.security.makeAdministrator(caller.identity.id, ref.projectId, String(id), LIBRARY);
    return { group: { ...group, id }, secrets };
  }

  /** PUT: the whole group as sent; a secret sent without a value keeps the stored one. */
  async update(caller: DevOpsCaller, id: number, input: VariableGroupInput, routeProject?: string): Promise<StoredVariableGroup> {
    const project = routeProject ? await this.project(caller, routeProject) : undefined;
    const stored = await this.require(caller, id, "Administrator", project?.id);
    let projects = stored.group.projects;
    if (input.projects) {
      projects = await this.references(caller, input);
    } else if (project) {
      // The project route renames the group in its project.
      projects = projects.map((p) => (p.projectId === project.id ? { ...p, name: input.name, description: input.description } : p));
    }
    for (const p of projects) await this.assertUniqueName(p.projectId, p.name, id);
    const { variables, secrets } = this.values(input, stored.secrets);
    const group: VariableGroup = {
      ...stored.group,
      type: input.type,
      name: input.name,
      description: input.description,
      variables,
      providerData: input.providerData,
      modifiedBy: caller.identity.id,
      modifiedOn: this.clock.now().toISOString(),
      projects,
    };
    await this.saving(() => this.store.library.updateVariableGroup(group, this.box.seal(JSON.stringify(secrets))));
    return { group, secrets };
  }

  /** PATCH `?variableGroupId=`: shares the group with more projects (its name there as given). */
  async share(caller: DevOpsCaller, id: number, references: ProjectReferenceRequest[]): Promise<void> {
    const stored = await this.require(caller, id, "Administrator");
    const projects = [...stored.group.projects];
    for (const ref of references) {
      const project = await this.project(caller, ref.project);
      const name = ref.name ?? stored.group.name;
      const existing = projects.findIndex((p) => p.projectId === project.id);
      await this.assertUniqueName(project.id, name, id);
      if (existing >= 0) projects[existing] = { projectId: project.id, name, description: ref.description };
      else projects.push({ projectId: project.id, name, description: ref.description });
    }
    await this.saving(() => this.store.library.updateVariableGroup({ ...stored.group, projects, modifiedBy: caller.identity.id, modifiedOn: this.clock.now().toISOString() }, this.box.seal(JSON.stringify(stored.secrets))));
  }

  /** Removes the group from the projects (all of them: it is deleted, with its roles and pipeline permissions). */
  async delete(caller: DevOpsCaller, id: number, projectIdsOrNames: string[]): Promise<void> {
    const stored = await this.load(id);
    if (!stored || stored.group.organizationId !== caller.organization.id) throw devopsErrors.variableGroupNotFound(id);
    const targets: string[] = [];
    for (const p of projectIdsOrNames) targets.push((await this.project(caller, p)).id);
    for (const projectId of targets) await this.require(caller, id, "Administrator", projectId);
    const remaining = stored.group.projects.filter((p) => !targets.includes(p.projectId));
    if (remaining.length === 0) {
      await this.store.library.deleteVariableGroup(id);
      return;
    }
    await this.store.library.updateVariableGroup({ ...stored.group, projects: remaining, modifiedOn: this.clock.now().toISOString() }, this.box.seal(JSON.stringify(stored.secrets)));
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private async references(caller: DevOpsCaller, input: VariableGroupInput, routeProject?: string): Promise<ProjectReference[]> {
    const requests = input.projects ?? (routeProject ? [{ project: routeProject, name: input.name, description: input.description }] : []);
    if (requests.length === 0) throw devopsErrors.argument("At least one project reference is required for a variable group.");
    const out: ProjectReference[] = [];
    for (const ref of requests) {
      const project = await this.project(caller, ref.project);
      if (out.some((p) => p.projectId === project.id)) continue;
      out.push({ projectId: project.id, name: ref.name ?? input.name, description: ref.description });
    }
    return out;
  }

  private async assertUniqueName(projectId: string, name: string, except?: number): Promise<void> {
    for (const { group } of await this.store.library.variableGroupsOfProject(projectId)) {
      if (group.id !== except && this.nameIn(group, projectId).toLowerCase() === name.toLowerCase()) throw devopsErrors.duplicateVariableGroup(name);
    }
  }

  /** The stored variables (secrets without values) and the secret values, keeping stored secrets sent without one. */
  private values(input: VariableGroupInput, stored: Record<string, string>): { variables: Record<string, GroupVariable>; secrets: Record<string, string> } {
    const variables: Record<string, GroupVariable> = {};
    const secrets: Record<string, string> = {};
    for (const [name, v] of Object.entries(input.variables)) {
      const meta = { ...(v.enabled !== undefined ? { enabled: v.enabled } : {}), ...(v.contentType !== undefined ? { contentType: v.contentType } : {}), ...(v.expires !== undefined ? { expires: v.expires } : {}) };
      if (v.isSecret) {
        const kept = v.value === undefined || v.value === null ? stored[name] : v.value;
        secrets[name] = kept ?? "";
        variables[name] = { isSecret: true, isReadOnly: v.isReadOnly, value: null, ...meta };
      } else {
        variables[name] = { isSecret: false, isReadOnly: v.isReadOnly, value: v.value ?? "", ...meta };
      }
    }
    return { variables, secrets };
  }

  private async saving<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      // The name check and the write are not atomic; the store's unique index is the last word.
      if (error instanceof UniqueViolation) throw devopsErrors.duplicateVariableGroup(error.value);
      throw error;
    }
  }

  /** A project's groups with their secret values opened, for the runs of its pipelines. */
  async ofProject(organizationId: string, projectId: string): Promise<Array<StoredVariableGroup & { name: string }>> {
    const out: Array<StoredVariableGroup & { name: string }> = [];
    for (const { group, secrets } of await this.store.library.variableGroupsOfProject(projectId)) {
      if (group.organizationId !== organizationId) continue;
      out.push({ group, secrets: JSON.parse(this.box.open(secrets)) as Record<string, string>, name: this.nameIn(group, projectId) });
    }
    return out;
  }
}
