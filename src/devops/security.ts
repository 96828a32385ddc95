import type { Clock } from "../core/clock.js";
import { newGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import { devopsErrors } from "./errors.js";
import { ENDPOINT_SCOPE, ENVIRONMENT_SCOPE, ENVIRONMENTS_SCOPE, LIBRARY_SCOPE, PROJECT_SCOPE, ROLE_RANK, VARIABLE_GROUP_SCOPE, type DevOpsIdentity, type EndpointRole, type Organization, type Project } from "./model.js";

/** The organization-level group of Azure DevOps' administrators ("Project Collection Administrators"). */
export const ORGANIZATION_ADMINISTRATORS = "Project Collection Administrators";
export const PROJECT_GROUPS = ["Project Administrators", "Contributors", "Readers", "Project Valid Users", "Endpoint Creators", "Endpoint Administrators"] as const;
export type ProjectGroup = (typeof PROJECT_GROUPS)[number];

/** Role definitions of the service-endpoint security scopes (`securityroles/scopes/{scope}/roledefinitions`). */
export const ROLE_DEFINITIONS: Record<EndpointRole, { allowPermissions: number; description: string }> = {
  Reader: { allowPermissions: 16, description: "Reader can only view the service connection." },
  User: { allowPermissions: 1, description: "User can use the service connection when authoring build or release pipelines." },
  Creator: { allowPermissions: 4, description: "Creator can create service connections in the project." },
  Administrator: { allowPermissions: 3, description: "Administrator can use and manage the service connection." },
};

/** The Library's role definitions (Library security namespace: View 1, Administer 2, Create 4, ViewSecrets 8, Use 16). */
export const LIBRARY_ROLE_DEFINITIONS: Record<EndpointRole, { allowPermissions: number; description: string }> = {
  Reader: { allowPermissions: 1, description: "Reader can only view the library item." },
  User: { allowPermissions: 17, description: "User can use the library item when authoring build or release pipelines." },
  Creator: { allowPermissions: 5, description: "Creator can create library items such as variable groups." },
  Administrator: { allowPermissions: 19, description: "Administrator can use and manage the library item." },
};

/** Environment roles (Environment security namespace: View 1, Manage 2, ManageHistory 4, Administer 8, Use 16, Create 32). */
export const ENVIRONMENT_ROLE_DEFINITIONS: Record<EndpointRole, { allowPermissions: number; description: string }> = {
  Reader: { allowPermissions: 1, description: "Reader can only view the environment." },
  User: { allowPermissions: 17, description: "User can use the environment when authoring yaml pipelines." },
  Creator: { allowPermissions: 33, description: "Creator can create environments in the project." },
  Administrator: { allowPermissions: 31, description: "Administrator can administer, manage, view and use environments." },
};

/** The roles a scope offers, with what each allows (Creator only at the project-level scopes). */
export function roleDefinitionsOf(scope: string): Array<[EndpointRole, { allowPermissions: number; description: string }]> {
  const found = areaOfScope(scope);
  return (Object.entries(found?.area.roles ?? ROLE_DEFINITIONS) as Array<[EndpointRole, { allowPermissions: number; description: string }]>).filter(([name]) => name !== "Creator" || !!found?.projectLevel);
}

/**
 * What each role holds in the ServiceEndpoints security namespace (Use 1, Administer 2, Create 4, ViewAuthorization 8,
 * ViewEndpoint 16), the roles below it included: `ROLE_DEFINITIONS` lists only what each adds.
 */
export const ROLE_PERMISSIONS: Record<EndpointRole, number> = { Reader: 16, User: 16 | 1, Creator: 16 | 4, Administrator: 16 | 8 | 4 | 2 | 1 };

/**
 * A family of secured items with the same four roles (Reader, User, Creator, Administrator): the project-level scope
 * whose roles items inherit, the item scope, and how each names its resource.
 */
export interface SecuredArea {
  projectScope: string;
  itemScope: string;
  projectResource: (projectId: string) => string;
  itemResource: (projectId: string, itemId: string) => string;
  /** The project and item of an item-scope resource id. */
  parse: (resourceId: string) => { projectId: string; itemId: string };
  /** The pipeline-permission resource type of its items. */
  resourceType: "endpoint" | "variablegroup" | "environment";
  /** What each role allows in the area's security namespace. */
  roles: Record<EndpointRole, { allowPermissions: number; description: string }>;
  /** The project groups' roles at the project-level scope of a new project. */
  defaults: Array<[ProjectGroup, EndpointRole]>;
}

const splitAt = (separator: string) => (resourceId: string) => {
  const at = resourceId.indexOf(separator);
  return at < 0 ? { projectId: resourceId, itemId: "" } : { projectId: resourceId.slice(0, at), itemId: resourceId.slice(at + 1) };
};

/** Service connections: `{projectId}` and `{projectId}_{endpointId}`. */
export const ENDPOINTS: SecuredArea = {
  projectScope: PROJECT_SCOPE,
  itemScope: ENDPOINT_SCOPE,
  projectResource: (projectId) => projectId,
  itemResource: (projectId, endpointId) => `${projectId}_${endpointId}`,
  parse: splitAt("_"),
  resourceType: "endpoint",
  roles: ROLE_DEFINITIONS,
  defaults: [
    ["Endpoint Administrators", "Administrator"],
    ["Endpoint Creators", "Creator"],
    ["Project Valid Users", "Reader"],
  ],
};

/** The Library: `{projectId}$0` and `{projectId}${groupId}` (Azure DevOps' own resource ids for these scopes). */
export const LIBRARY: SecuredArea = {
  projectScope: LIBRARY_SCOPE,
  itemScope: VARIABLE_GROUP_SCOPE,
  projectResource: (projectId) => `${projectId}$0`,
  itemResource: (projectId, groupId) => `${projectId}$${groupId}`,
  parse: splitAt("$"),
  resourceType: "variablegroup",
  roles: LIBRARY_ROLE_DEFINITIONS,
  defaults: [
    ["Project Administrators", "Administrator"],
    ["Contributors", "Creator"],
    ["Project Valid Users", "Reader"],
  ],
};

/** Environments: `{projectId}` and `{projectId}_{environmentId}` (the Terraform provider's and the portal's ids). */
export const ENVIRONMENTS: SecuredArea = {
  projectScope: ENVIRONMENTS_SCOPE,
  itemScope: ENVIRONMENT_SCOPE,
  projectResource: (projectId) => projectId,
  itemResource: (projectId, environmentId) => `${projectId}_${environmentId}`,
  parse: splitAt("_"),
  resourceType: "environment",
  roles: ENVIRONMENT_ROLE_DEFINITIONS,
  defaults: [
    ["Project Administrators", "Administrator"],
    ["Contributors", "Creator"],
    ["Project Valid Users", "Reader"],
  ],
};

const AREAS = [ENDPOINTS, LIBRARY, ENVIRONMENTS];

/** The area a role scope belongs to, and whether it is the project-level one. */
export function areaOfScope(scope: string): { area: SecuredArea; projectLevel: boolean } | undefined {
  for (const area of AREAS) {
    if (scope === area.projectScope) return { area, projectLevel: true };
    if (scope === area.itemScope) return { area, projectLevel: false };
  }
  return undefined;
}

/**
 * Project groups and the service-connection roles (Reader, User, Creator, Administrator) at project and
 * connection scope, with inheritance from the project as Azure DevOps has it. The creator of a connection is
 * made its Administrator.
 */
export class DevOpsSecurity {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The default groups of a new project, with their memberships and project-level roles. */
  async createProjectGroups(project: Project): Promise<Record<ProjectGroup, DevOpsIdentity>> {
    const groups = {} as Record<ProjectGroup, DevOpsIdentity>;
    for (const name of PROJECT_GROUPS) {
      groups[name] = await this.newGroup(project.organizationId, name, project.name, project.id);
    }
    await this.store.devops.addMember(groups["Endpoint Creators"].id, groups.Contributors.id);
    await this.store.devops.addMember(groups["Endpoint Administrators"].id, groups["Project Administrators"].id);
    for (const name of ["Project Administrators", "Contributors", "Readers"] as const) await this.store.devops.addMember(groups["Project Valid Users"].id, groups[name].id);
    for (const area of AREAS) {
      for (const [group, role] of area.defaults) await this.store.devops.setRole(area.projectScope, area.projectResource(project.id), groups[group].id, role);
    }
    return groups;
  }

  /** The organization's administrators group, made the first time it is needed (older stores have none yet). */
  async organizationAdministrators(org: Organization): Promise<DevOpsIdentity> {
    return (await this.findOrganizationAdministrators(org)) ?? this.newGroup(org.id, ORGANIZATION_ADMINISTRATORS, org.name, null);
  }

  private async findOrganizationAdministrators(org: Organization): Promise<DevOpsIdentity | undefined> {
    return (await this.store.devops.identities(org.id)).find((i) => i.kind === "group" && i.projectId === null && i.displayName === ORGANIZATION_ADMINISTRATORS);
  }

  /** A group identity, named as Azure DevOps shows it: `[project or organization]\\name`. */
  private async newGroup(organizationId: string, name: string, container: string, projectId: string | null): Promise<DevOpsIdentity> {
    const group: DevOpsIdentity = {
      id: newGuid(),
      organizationId,
      kind: "group",
      displayName: name,
      uniqueName: `[${container}]\\${name}`,
      entraObjectId: null,
      projectId,
      createdAt: this.clock.now().toISOString(),
    };
    await this.store.devops.insertIdentity(group);
    return group;
  }

  async isOrganizationAdministrator(org: Organization, identityId: string): Promise<boolean> {
    const group = await this.findOrganizationAdministrators(org);
    return !!group && (await this.principals(identityId)).has(group.id);
  }

  async projectGroup(project: Project, name: ProjectGroup): Promise<DevOpsIdentity | undefined> {
    return (await this.store.devops.identities(project.organizationId)).find((i) => i.kind === "group" && i.projectId === project.id && i.displayName === name);
  }

  /** The identity and every group it belongs to, directly or through other groups. */
  async principals(identityId: string): Promise<Set<string>> {
    // Asked once per connection when a list is filtered by the caller's roles: cached until the next write.
    return this.store.cache.get(`devops-principals:${identityId}`, () => this.expand(identityId));
  }

  private async expand(identityId: string): Promise<Set<string>> {
    const seen = new Set([identityId]);
    const queue = [identityId];
    while (queue.length) {
      for (const group of await this.store.devops.groupsOf(queue.shift()!)) {
        if (!seen.has(group)) {
          seen.add(group);
          queue.push(group);
        }
      }
    }
    return seen;
  }

  private best(assignments: Array<{ identityId: string; role: EndpointRole }>, principals: Set<string>): EndpointRole | undefined {
    let best: EndpointRole | undefined;
    for (const a of assignments) if (principals.has(a.identityId) && (!best || ROLE_RANK[a.role] > ROLE_RANK[best])) best = a.role;
    return best;
  }

  async projectRole(identityId: string, projectId: string, area: SecuredArea = ENDPOINTS): Promise<EndpointRole | undefined> {
    return this.best(await this.projectRoles(projectId, area), await this.principals(identityId));
  }

  private projectRoles(projectId: string, area: SecuredArea) {
    return this.store.cache.get(`devops-project-roles:${area.projectScope}:${projectId}`, () => this.store.devops.roles(area.projectScope, area.projectResource(projectId)));
  }

  /** The role on one item in one project: its own assignments, plus the project's when it inherits. */
  async itemRole(identityId: string, projectId: string, itemId: string, area: SecuredArea = ENDPOINTS): Promise<EndpointRole | undefined> {
    const resource = area.itemResource(projectId, itemId);
    const inherits = await this.store.devops.inherits(area.itemScope, resource);
    return this.combine(await this.principals(identityId), projectId, area, await this.store.devops.roles(area.itemScope, resource), inherits);
  }

  /** The same for every item of a project at once (lists): two queries instead of two per item. */
  async itemRolesIn(identityId: string, projectId: string, area: SecuredArea = ENDPOINTS): Promise<(itemId: string) => Promise<EndpointRole | undefined>> {
    const principals = await this.principals(identityId);
    const { roles, noInheritance } = await this.store.devops.rolesUnder(area.itemScope, area.itemResource(projectId, ""));
    return (itemId) => {
      const resource = area.itemResource(projectId, itemId);
      return this.combine(principals, projectId, area, roles.get(resource) ?? [], !noInheritance.has(resource));
    };
  }

  private async combine(principals: Set<string>, projectId: string, area: SecuredArea, assignments: Array<{ identityId: string; role: EndpointRole }>, inherits: boolean): Promise<EndpointRole | undefined> {
    const own = this.best(assignments, principals);
    let inherited: EndpointRole | undefined;
    if (inherits) {
      const project = this.best(await this.projectRoles(projectId, area), principals);
      // The Creator role is about creating items; on an existing one it reads.
      inherited = project === "Creator" ? "Reader" : project;
    }
    if (!own) return inherited;
    if (!inherited) return own;
    return ROLE_RANK[own] >= ROLE_RANK[inherited] ? own : inherited;
  }

  async canCreate(identityId: string, projectId: string, area: SecuredArea = ENDPOINTS): Promise<boolean> {
    const role = await this.projectRole(identityId, projectId, area);
    return role === "Creator" || role === "Administrator";
  }

  /** The creator of an item is made its Administrator. */
  async makeAdministrator(identityId: string, projectId: string, itemId: string, area: SecuredArea = ENDPOINTS): Promise<void> {
    await this.store.devops.setRole(area.itemScope, area.itemResource(projectId, itemId), identityId, "Administrator");
  }

  /** Role assignments at a scope, assigned and inherited (for the securityroles API). */
  async assignments(scope: string, resourceId: string): Promise<Array<{ identityId: string; role: EndpointRole; access: "assigned" | "inherited" }>> {
    const own = (await this.store.devops.roles(scope, resourceId)).map((a) => ({ ...a, access: "assigned" as const }));
    const found = areaOfScope(scope);
    if (!found || found.projectLevel || !(await this.store.devops.inherits(scope, resourceId))) return own;
    const { area } = found;
    const inherited = (await this.projectRoles(area.parse(resourceId).projectId, area))
      .filter((a) => !own.some((o) => o.identityId === a.identityId))
      .map((a) => ({ identityId: a.identityId, role: (a.role === "Creator" ? "Reader" : a.role) as EndpointRole, access: "inherited" as const }));
    return [...own, ...inherited];
  }

  /** Only an Administrator at the scope may change its role assignments. */
  async requireAdministrator(identityId: string, scope: string, resourceId: string): Promise<void> {
    const found = areaOfScope(scope);
    let role: EndpointRole | undefined;
    if (found?.projectLevel) role = await this.projectRole(identityId, found.area.parse(resourceId).projectId, found.area);
    else if (found) role = await this.itemRole(identityId, found.area.parse(resourceId).projectId, found.area.parse(resourceId).itemId, found.area);
    if (role !== "Administrator") throw devopsErrors.noRoleManagePermission();
  }
}
