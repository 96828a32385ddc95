import type { Clock } from "../core/clock.js";
import { isGuid, newGuid } from "../core/ids.js";
import { type Store, UniqueViolation } from "../store/index.js";
import { authenticateArm } from "./authenticate.js";
import { Authorizer, roleGuid, type ArmCaller } from "./authorize.js";
import { BUILTIN_ROLES } from "./builtin-roles.js";
import { ArmError, armErrors } from "./errors.js";
import { normalizeLocation, type ResourceGroupCommand, type ResourceGroupPatch, type RoleAssignmentCommand, type RoleDefinitionCommand } from "./input.js";
import type { ManagementGroup, PrincipalType, Resource, ResourceBody, ResourceGroup, RoleAssignment, RoleDefinition, Subscription } from "./model.js";
import type { AccessTokenValidator, DirectoryLookup } from "./ports.js";
import { ArmSeeder } from "./seed.js";
import { formatScope, managementGroupScope, normalizeScope, parseScope, resourceType, type Scope } from "./scopes.js";


export interface ArmOptions {
  store: Store;
  clock: Clock;
  directory: DirectoryLookup;
  tokens: AccessTokenValidator;
  /** Seconds before a new or removed role assignment changes what its principal may do. */
  roleAssignmentPropagationSeconds: number;
}

const RG_NAME = /^[-\w._()]{1,90}$/;
/** Child types a provider keeps inside their parent (a site's `config/…` settings): they exist whenever it does. */
const SETTINGS_CHILDREN = new Set(["microsoft.web/sites/config", "microsoft.web/sites/slots/config"]);

export type RoleAssignmentFilter = { atScope: boolean; principalId?: string };
/** `$filter=resourceType eq '…' and name eq '…'` of a resource listing. */
export type ResourceFilter = { type?: string; name?: string };

/**
 * The resource plane: hierarchy, resources, RBAC. Every operation takes the caller and performs ARM's checks in
 * ARM's order — subscription exists, token tenant matches, the action is granted at the scope — before it acts.
 */
export class ArmService {
  readonly authorizer: Authorizer;
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(private readonly options: ArmOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.authorizer = new Authorizer(options.store, options.clock);
  }

  /** The caller of an ARM request, from its `Authorization` header (ARM's 401s otherwise). */
  authenticate(authorization: string | undefined): Promise<ArmCaller> {
    return authenticateArm(authorization, this.options.tokens, this.clock);
  }

  /** The tenant a caller's token names, as the directory knows it (tenant listings). */
  tenantOf(tenantId: string) {
    return this.options.directory.tenant(tenantId);
  }

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  // ---- checks -------------------------------------------------------------------------------------------------

  /** The subscription of a subscription-scoped call, after the existence and tenant checks. */
  async subscriptionFor(caller: ArmCaller, subscriptionId: string): Promise<Subscription> {
    const subscription = await this.authorizer.subscription(subscriptionId);
    if (!subscription || subscription.state === "Deleted") throw armErrors.subscriptionNotFound(subscriptionId);
    if (subscription.tenantId !== caller.tenantId) throw armErrors.wrongTenant(caller.tenantId, subscription.tenantId);
    return subscription;
  }

  /**
   * Throws ARM's AuthorizationFailed unless the caller may perform `action` at `scope`. The message names
   * `shownScope` when ARM names something else than where it checks (a role assignment's own id).
   */
  async authorize(caller: ArmCaller, action: string, scope: string, shownScope = scope): Promise<void> {
    if (!(await this.authorizer.isAllowed(caller, action, scope))) {
      throw armErrors.authorizationFailed(caller.clientLabel, caller.objectId, action, shownScope);
    }
  }

  /** A disabled subscription is read-only. */
  private async writable(subscription: Subscription): Promise<void> {
    if (subscription.state === "Disabled") throw armErrors.subscriptionNotEnabled(subscription.id, subscription.state);
  }

  // ---- subscriptions, tenants, management groups ---------------------------------------------------------------

  /** Subscriptions of the caller's tenant on which it holds some role (at, above or below the subscription). */
  async listSubscriptions(caller: ArmCaller): Promise<Subscription[]> {
    const all = await this.store.hierarchy.subscriptions(caller.tenantId);
    const visible: Subscription[] = [];
    for (const subscription of all) {
      if (subscription.state === "Deleted") continue;
      if (await this.authorizer.hasAnyRoleWithin(caller, { level: "subscription", subscriptionId: subscription.id })) visible.push(subscription);
    }
    return visible;
  }

  async getSubscription(caller: ArmCaller, subscriptionId: string): Promise<Subscription> {
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    if (!(await this.authorizer.hasAnyRoleWithin(caller, { level: "subscription", subscriptionId: subscription.id }))) {
      throw armErrors.authorizationFailed(caller.clientLabel, caller.objectId, "Microsoft.Resources/subscriptions/read", `/subscriptions/${subscription.id}`);
    }
    return subscription;
  }

  async listManagementGroups(caller: ArmCaller): Promise<ManagementGroup[]> {
    const groups = await this.store.hierarchy.managementGroups(caller.tenantId);
    const visible: ManagementGroup[] = [];
    for (const group of groups) {
      if (await this.authorizer.isAllowed(caller, "Microsoft.Management/managementGroups/read", managementGroupScope(group.name))) visible.push(group);
    }
    return visible;
  }

  async getManagementGroup(caller: ArmCaller, name: string): Promise<{ group: ManagementGroup; path: ManagementGroup[]; children: Array<ManagementGroup | Subscription> }> {
    const group = await this.store.hierarchy.managementGroup(name);
    if (!group || group.tenantId !== caller.tenantId) throw armErrors.managementGroupNotFound(name);
    await this.authorize(caller, "Microsoft.Management/managementGroups/read", managementGroupScope(group.name));
    const path = await this.authorizer.managementGroupPath(group.name);
    const groups = await this.store.hierarchy.managementGroups(caller.tenantId);
    const subscriptions = await this.store.hierarchy.subscriptions(caller.tenantId);
    const children = [
      ...groups.filter((g) => g.parentName?.toLowerCase() === group.name.toLowerCase()),
      ...subscriptions.filter((s) => s.managementGroup.toLowerCase() === group.name.toLowerCase()),
    ];
    return { group, path, children };
  }

  // ---- resource groups -----------------------------------------------------------------------------------------

  async listResourceGroups(caller: ArmCaller, subscriptionId: string): Promise<ResourceGroup[]> {
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    const groups = await this.store.hierarchy.resourceGroups(subscription.id);
    const action = "Microsoft.Resources/subscriptions/resourceGroups/read";
    if (await this.authorizer.isAllowed(caller, action, `/subscriptions/${subscription.id}`)) return groups;
    const visible: ResourceGroup[] = [];
    for (const group of groups) if (await this.authorizer.isAllowed(caller, action, rgScope(group))) visible.push(group);
    if (visible.length === 0) throw armErrors.authorizationFailed(caller.clientLabel, caller.objectId, action, `/subscriptions/${subscription.id}`);
    return visible;
  }

  async getResourceGroup(caller: ArmCaller, subscriptionId: string, name: string): Promise<ResourceGroup> {
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    await this.authorize(caller, "Microsoft.Resources/subscriptions/resourceGroups/read", `/subscriptions/${subscription.id}/resourceGroups/${name}`);
    const group = await this.store.hierarchy.resourceGroup(subscription.id, name);
    if (!group) throw armErrors.resourceGroupNotFound(name);
    return group;
  }

  async resourceGroupExists(caller: ArmCaller, subscriptionId: string, name: string): Promise<boolean> {
    try {
      await this.getResourceGroup(caller, subscriptionId, name);
      return true;
    } catch (error) {
      if (error instanceof ArmError && error.code === "ResourceGroupNotFound") return false;
      throw error;
    }
  }

  async putResourceGroup(
    caller: ArmCaller,
    subscriptionId: string,
    name: string,
    command: ResourceGroupCommand,
  ): Promise<{ created: boolean; group: ResourceGroup }> {
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    if (!RG_NAME.test(name) || name.endsWith(".")) throw armErrors.invalidResourceGroupName(name);
    await this.authorize(caller, "Microsoft.Resources/subscriptions/resourceGroups/write", `/subscriptions/${subscription.id}/resourceGroups/${name}`);
    await this.writable(subscription);
    const { location, tags } = command;
    if (!location) throw armErrors.invalidResourceGroupLocation();
    const existing = await this.store.hierarchy.resourceGroup(subscription.id, name);
    if (existing) {
      if (normalizeLocation(existing.location) !== normalizeLocation(location)) {
        throw new ArmError(
          409,
          "InvalidResourceGroupLocation",
          `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`,
        );
      }
      await this.store.hierarchy.updateResourceGroup(subscription.id, existing.name, { tags, managedBy: command.managedBy ?? existing.managedBy });
      return { created: false, group: { ...existing, tags } };
    }
    const group: ResourceGroup = {
      subscriptionId: subscription.id,
      name,
      location: normalizeLocation(location),
      tags,
      managedBy: command.managedBy ?? null,
      createdAt: this.nowIso(),
    };
    await this.store.hierarchy.insertResourceGroup(group);
    return { created: true, group };
  }

  async patchResourceGroup(caller: ArmCaller, subscriptionId: string, name: string, patch: ResourceGroupPatch): Promise<ResourceGroup> {
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    await this.authorize(caller, "Microsoft.Resources/subscriptions/resourceGroups/write", `/subscriptions/${subscription.id}/resourceGroups/${name}`);
    const group = await this.store.hierarchy.resourceGroup(subscription.id, name);
    if (!group) throw armErrors.resourceGroupNotFound(name);
    const tags = patch.tags ?? group.tags;
    await this.store.hierarchy.updateResourceGroup(subscription.id, group.name, { tags });
    return { ...group, tags };
  }

  /** Deletes the group and its resources; false when it did not exist. */
  async deleteResourceGroup(caller: ArmCaller, subscriptionId: string, name: string): Promise<boolean> {
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    await this.authorize(caller, "Microsoft.Resources/subscriptions/resourceGroups/delete", `/subscriptions/${subscription.id}/resourceGroups/${name}`);
    const group = await this.store.hierarchy.resourceGroup(subscription.id, name);
    if (!group) return false;
    await this.store.hierarchy.deleteResourceGroup(subscription.id, group.name);
    return true;
  }

  // ---- resources -----------------------------------------------------------------------------------------------

  /** The resources the caller may read in a subscription or one of its groups, of one type and name when given (case-insensitively, as ARM's `$filter`). */
  async listResources(caller: ArmCaller, subscriptionId: string, resourceGroup?: string, filter: ResourceFilter = {}): Promise<Resource[]> {
    const { type } = filter;
    const subscription = await this.subscriptionFor(caller, subscriptionId);
    let resources: Resource[];
    if (resourceGroup) {
      const group = await this.store.hierarchy.resourceGroup(subscription.id, resourceGroup);
      if (!group) {
        await this.authorize(caller, "Microsoft.Resources/subscriptions/resourceGroups/read", `/subscriptions/${subscription.id}/resourceGroups/${resourceGroup}`);
        throw armErrors.resourceGroupNotFound(resourceGroup);
      }
      resources = await this.store.resources.inResourceGroup(subscription.id, group.name, type);
    } else {
      resources = await this.store.resources.inSubscription(subscription.id);
    }
    const named = (r: Resource) => (!type || r.type.toLowerCase() === type.toLowerCase()) && (!filter.name || r.name.toLowerCase() === filter.name.toLowerCase());
    const visible: Resource[] = [];
    for (const resource of resources.filter(named)) {
      if (await this.authorizer.isAllowed(caller, `${resource.type}/read`, resource.id)) visible.push(resource);
    }
    return visible;
  }

  private async resourceContext(caller: ArmCaller, scope: Extract<Scope, { level: "resource" }>) {
    const subscription = await this.subscriptionFor(caller, scope.subscriptionId);
    const type = resourceType(scope.providerPath);
    const id = formatScope(scope);
    return { subscription, type, id };
  }

  async getResource(caller: ArmCaller, scope: Extract<Scope, { level: "resource" }>): Promise<Resource> {
    const { subscription, type, id } = await this.resourceContext(caller, scope);
    await this.authorize(caller, `${type}/read`, id);
    const resource = await this.store.resources.get(id);
    if (!resource) {
      if (!(await this.store.hierarchy.resourceGroup(subscription.id, scope.resourceGroup))) throw armErrors.resourceGroupNotFound(scope.resourceGroup);
      throw armErrors.resourceNotFound(type, scope.providerPath.filter((_, i) => i > 0 && i % 2 === 0).join("/"), scope.resourceGroup);
    }
    return resource;
  }

  /**
   * A resource by type and global name, with its subscription's tenant, for another plane's port (Key Vault finds
   * its vault by the host name a client used): no caller, the other plane checks its own callers.
   */
  async globalResource(type: string, name: string): Promise<{ resource: Resource; tenantId: string } | undefined> {
    const [resource] = await this.store.resources.byTypeAndName(type, name);
    if (!resource) return undefined;
    const subscription = await this.authorizer.subscription(resource.subscriptionId);
    return subscription && { resource, tenantId: subscription.tenantId };
  }

  /**
   * A resource another plane made through its own API (a key vault's secret, set through the vault): ARM lists
   * it and role assignments can name it. No caller: that plane checked its own.
   */
  async recordResource(id: string, body: ResourceBody): Promise<void> {
    await new ArmSeeder(this.store, this.clock).resource(id, body);
  }

  async forgetResource(id: string): Promise<void> {
    await this.store.resources.delete(id);
  }

  async putResource(caller: ArmCaller, scope: Extract<Scope, { level: "resource" }>, body: ResourceBody): Promise<{ created: boolean; resource: Resource }> {
    const { subscription, type, id } = await this.resourceContext(caller, scope);
    await this.authorize(caller, `${type}/write`, id);
    await this.writable(subscription);
    const group = await this.store.hierarchy.resourceGroup(subscription.id, scope.resourceGroup);
    if (!group) throw armErrors.resourceGroupNotFound(scope.resourceGroup);
    let parentKey: string | null = null;
    if (scope.providerPath.length > 3) {
      const parentId = formatScope({ ...scope, providerPath: scope.providerPath.slice(0, -2) });
      if (!(await this.store.resources.get(parentId))) throw armErrors.parentResourceNotFound(parentId.split("/providers/")[1]!.split("/").slice(2).join("/"));
      parentKey = parentId.toLowerCase();
    }
    const existing = await this.store.resources.get(id);
    const now = this.nowIso();
    const resource: Resource = {
      id: existing?.id ?? id,
      subscriptionId: subscription.id,
      resourceGroup: group.name,
      type,
      name: scope.providerPath[scope.providerPath.length - 1]!,
      parentKey,
      body,
      createdAt: existing?.createdAt ?? now,
      changedAt: now,
    };
    await this.store.resources.upsert(resource);
    return { created: !existing, resource };
  }

  async patchResource(caller: ArmCaller, scope: Extract<Scope, { level: "resource" }>, patch: ResourceBody): Promise<Resource> {
    const { type, id } = await this.resourceContext(caller, scope);
    await this.authorize(caller, `${type}/write`, id);
    const existing = await this.getResource(caller, scope);
    const merged: ResourceBody = {
      ...existing.body,
      ...patch,
      ...(patch.properties ? { properties: { ...(existing.body.properties ?? {}), ...patch.properties } } : {}),
    };
    const resource = { ...existing, body: merged, changedAt: this.nowIso() };
    await this.store.resources.upsert(resource);
    return resource;
  }

  async deleteResource(caller: ArmCaller, scope: Extract<Scope, { level: "resource" }>): Promise<boolean> {
    const { type, id } = await this.resourceContext(caller, scope);
    await this.authorize(caller, `${type}/delete`, id);
    const existing = await this.store.resources.get(id);
    if (!existing) return false;
    await this.store.resources.delete(existing.id);
    return true;
  }

  /** A POST action on a resource (`listKeys`, `restart`…): authorized as `{type}/{action}/action`. */
  async resourceAction(caller: ArmCaller, scope: Extract<Scope, { level: "resource" }>, action: string): Promise<Resource> {
    const { type, id } = await this.resourceContext(caller, scope);
    await this.authorize(caller, `${type}/${action}/action`, id);
    const name = scope.providerPath[scope.providerPath.length - 1]!;
    const resource = await this.store.resources.get(id);
    if (resource) return resource;
    if (!SETTINGS_CHILDREN.has(type.toLowerCase())) throw armErrors.resourceNotFound(type, name, scope.resourceGroup);
    const parentPath = scope.providerPath.slice(0, -2);
    const parent = await this.store.resources.get(formatScope({ ...scope, providerPath: parentPath }));
    if (!parent) throw armErrors.resourceNotFound(resourceType(parentPath), parentPath.filter((_, i) => i > 0 && i % 2 === 0).join("/"), scope.resourceGroup);
    return { ...parent, id, type, name, parentKey: parent.id.toLowerCase(), body: {} };
  }

  // ---- scopes in general ---------------------------------------------------------------------------------------

  /** Checks that a scope exists and that the caller's tenant owns it; returns the parsed scope. */
  async resolveScope(caller: ArmCaller, scopeText: string): Promise<Scope> {
    const scope = parseScope(scopeText);
    if (!scope) throw armErrors.invalidScope(scopeText);
    if (scope.level === "managementGroup") {
      const group = await this.store.hierarchy.managementGroup(scope.managementGroup);
      if (!group || group.tenantId !== caller.tenantId) throw armErrors.managementGroupNotFound(scope.managementGroup);
      return { level: "managementGroup", managementGroup: group.name };
    }
    if (scope.level === "root") return scope;
    const subscription = await this.subscriptionFor(caller, scope.subscriptionId);
    if (scope.level === "subscription") return { ...scope, subscriptionId: subscription.id };
    const group = await this.store.hierarchy.resourceGroup(subscription.id, scope.resourceGroup);
    if (!group) throw armErrors.resourceGroupNotFound(scope.resourceGroup);
    if (scope.level === "resourceGroup") return { ...scope, subscriptionId: subscription.id, resourceGroup: group.name };
    const resource = await this.store.resources.get(formatScope(scope));
    if (!resource) throw armErrors.resourceNotFound(resourceType(scope.providerPath), scope.providerPath[scope.providerPath.length - 1]!, group.name);
    return { ...scope, subscriptionId: subscription.id, resourceGroup: group.name };
  }

  // ---- role definitions ----------------------------------------------------------------------------------------

  async listRoleDefinitions(caller: ArmCaller, scopeText: string, filter: { roleName?: string; type?: string }): Promise<RoleDefinition[]> {
    const scope = await this.resolveScope(caller, scopeText);
    await this.authorize(caller, "Microsoft.Authorization/roleDefinitions/read", formatScope(scope));
    const ancestry = new Set(await this.authorizer.ancestry(scope));
    const custom = (await this.store.rbac.customRoles(caller.tenantId)).filter((r) => r.assignableScopes.some((s) => ancestry.has(normalizeScope(s).toLowerCase())));
    return [...BUILTIN_ROLES, ...custom].filter(
      (r) => (!filter.roleName || r.roleName.toLowerCase() === filter.roleName.toLowerCase()) && (!filter.type || r.roleType.toLowerCase() === filter.type.toLowerCase()),
    );
  }

  async getRoleDefinition(caller: ArmCaller, scopeText: string, id: string): Promise<RoleDefinition> {
    const scope = scopeText === "/" ? ({ level: "root" } as Scope) : await this.resolveScope(caller, scopeText);
    if (scope.level !== "root") await this.authorize(caller, "Microsoft.Authorization/roleDefinitions/read", formatScope(scope));
    const role = await this.authorizer.role(id);
    if (!role || (role.tenantId && role.tenantId !== caller.tenantId)) throw armErrors.roleDefinitionNotFound(id);
    return role;
  }

  async putRoleDefinition(caller: ArmCaller, scopeText: string, id: string, command: RoleDefinitionCommand): Promise<{ created: boolean; role: RoleDefinition }> {
    if (!isGuid(id)) throw armErrors.invalidRoleDefinitionId(id);
    if (BUILTIN_ROLES.some((r) => r.id === id.toLowerCase())) throw armErrors.builtInRoleReadOnly();
    const scope = await this.resolveScope(caller, scopeText);
    const { roleName, permissions } = command;
    const assignableScopes = command.assignableScopes.length ? command.assignableScopes : [formatScope(scope)];
    for (const assignable of assignableScopes) {
      const resolved = await this.resolveScope(caller, assignable);
      await this.authorize(caller, "Microsoft.Authorization/roleDefinitions/write", formatScope(resolved));
    }
    const existing = (await this.store.rbac.customRoles(caller.tenantId)).find((r) => r.id === id.toLowerCase());
    const clash = (await this.store.rbac.customRoles(caller.tenantId)).find((r) => r.roleName.toLowerCase() === roleName.toLowerCase() && r.id !== id.toLowerCase());
    if (clash || BUILTIN_ROLES.some((r) => r.roleName.toLowerCase() === roleName.toLowerCase())) throw armErrors.roleDefinitionExists(roleName);
    const now = this.nowIso();
    const role: RoleDefinition = {
      id: id.toLowerCase(),
      roleName,
      description: command.description,
      roleType: "CustomRole",
      permissions,
      assignableScopes: assignableScopes.map(normalizeScope),
      tenantId: caller.tenantId,
      createdOn: existing?.createdOn ?? now,
      updatedOn: now,
      createdBy: existing?.createdBy ?? caller.objectId,
    };
    await this.store.rbac.putRoleDefinition(role);
    return { created: !existing, role };
  }

  async deleteRoleDefinition(caller: ArmCaller, scopeText: string, id: string): Promise<RoleDefinition | undefined> {
    if (BUILTIN_ROLES.some((r) => r.id === id.toLowerCase())) throw armErrors.builtInRoleReadOnly();
    const scope = await this.resolveScope(caller, scopeText);
    await this.authorize(caller, "Microsoft.Authorization/roleDefinitions/delete", formatScope(scope));
    const existing = (await this.store.rbac.customRoles(caller.tenantId)).find((r) => r.id === id.toLowerCase());
    if (!existing) return undefined;
    if ((await this.store.rbac.countForRole(existing.id)) > 0) throw armErrors.roleDefinitionHasAssignments();
    await this.store.rbac.deleteRoleDefinition(existing.id);
    return existing;
  }

  // ---- role assignments ----------------------------------------------------------------------------------------

  async listRoleAssignments(caller: ArmCaller, scopeText: string, filter: RoleAssignmentFilter): Promise<RoleAssignment[]> {
    const scope = await this.resolveScope(caller, scopeText);
    const formatted = formatScope(scope);
    await this.authorize(caller, "Microsoft.Authorization/roleAssignments/read", formatted);
    const ancestry = await this.authorizer.ancestry(scope);
    const above = await this.store.rbac.atScopes(ancestry);
    const below = filter.atScope ? [] : (await this.store.rbac.atOrBelow(ancestry[ancestry.length - 1]!)).filter((a) => !ancestry.includes(a.scope.toLowerCase()));
    const principal = filter.principalId?.toLowerCase();
    return [...above, ...below].filter((a) => a.tenantId === caller.tenantId && (!principal || a.principalId === principal));
  }

  async getRoleAssignment(caller: ArmCaller, scopeText: string, name: string): Promise<RoleAssignment> {
    const scope = await this.resolveScope(caller, scopeText);
    await this.authorize(caller, "Microsoft.Authorization/roleAssignments/read", formatScope(scope));
    const assignment = await this.store.rbac.assignment(name);
    if (!assignment || assignment.removedAt || assignment.scope.toLowerCase() !== formatScope(scope).toLowerCase()) throw armErrors.roleAssignmentNotFound(name);
    return assignment;
  }

  async putRoleAssignment(caller: ArmCaller, scopeText: string, name: string, command: RoleAssignmentCommand): Promise<{ created: boolean; assignment: RoleAssignment }> {
    if (!isGuid(name)) throw armErrors.invalidRoleAssignmentId(name);
    const { roleDefinitionId, principalId, principalType, description, condition, conditionVersion } = command;
    const scope = await this.resolveScope(caller, scopeText);
    const formatted = formatScope(scope);
    await this.authorize(caller, "Microsoft.Authorization/roleAssignments/write", formatted, `${formatted === "/" ? "" : formatted}/providers/Microsoft.Authorization/roleAssignments/${name}`);
    const role = await this.authorizer.role(roleDefinitionId);
    if (!role || (role.tenantId && role.tenantId !== caller.tenantId)) throw armErrors.roleDefinitionNotFound(roleGuid(roleDefinitionId));
    const ancestry = new Set(await this.authorizer.ancestry(scope));
    if (!role.assignableScopes.some((s) => ancestry.has(normalizeScope(s).toLowerCase()))) throw armErrors.scopeNotAssignable(formatted);

    // With principalType given, ARM trusts it (for replication delay); without, the principal must exist.
    let type = principalType;
    if (!type) {
      const principal = await this.options.directory.principal(caller.tenantId, principalId);
      if (!principal) throw armErrors.principalNotFound(principalId, caller.tenantId);
      type = principal.type;
    }
    const existingByName = await this.store.rbac.assignment(name);
    if (existingByName && !existingByName.removedAt) {
      if (existingByName.principalId === principalId.toLowerCase() && roleGuid(existingByName.roleDefinitionId) === role.id && existingByName.scope.toLowerCase() === formatted.toLowerCase()) {
        return { created: false, assignment: existingByName };
      }
      throw new ArmError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    }
    const duplicate = (await this.store.rbac.atScopes([formatted.toLowerCase()])).find(
      (a) => a.principalId === principalId.toLowerCase() && roleGuid(a.roleDefinitionId) === role.id,
    );
    if (duplicate) throw armErrors.roleAssignmentExists(duplicate.name);
    const now = this.clock.nowMs();
    const assignment: RoleAssignment = {
      name: name.toLowerCase(),
      tenantId: caller.tenantId,
      scope: formatted,
      roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
      principalId: principalId.toLowerCase(),
      principalType: type,
      description: description ?? null,
      condition: condition ?? null,
      conditionVersion: conditionVersion ?? null,
      createdOn: new Date(now).toISOString(),
      updatedOn: new Date(now).toISOString(),
      createdBy: caller.objectId,
      // ARM caches authorization decisions per principal: a new role reaches one it has authorized before only
      // after the delay, but a principal it has never seen (a service principal made a moment ago) at once.
      effectiveAt: new Date(now + (this.authorizer.hasCachedDecisions(principalId) ? this.options.roleAssignmentPropagationSeconds * 1000 : 0)).toISOString(),
      removedAt: null,
      removalEffectiveAt: null,
    };
    try {
      await this.store.rbac.insertAssignment(assignment, scope.level === "root" || scope.level === "managementGroup" ? null : scope.subscriptionId);
    } catch (error) {
      if (!(error instanceof UniqueViolation)) throw error;
      const existing = (await this.store.rbac.atScopes([formatted.toLowerCase()])).find((a) => a.principalId === assignment.principalId && roleGuid(a.roleDefinitionId) === role.id);
      throw armErrors.roleAssignmentExists(existing?.name ?? "");
    }
    return { created: true, assignment };
  }

  /** Removes an assignment; its grant lingers for the propagation delay. Undefined when there was none. */
  async deleteRoleAssignment(caller: ArmCaller, scopeText: string, name: string): Promise<RoleAssignment | undefined> {
    const scope = await this.resolveScope(caller, scopeText);
    const formatted = formatScope(scope);
    await this.authorize(caller, "Microsoft.Authorization/roleAssignments/delete", formatted);
    const assignment = await this.store.rbac.assignment(name);
    if (!assignment || assignment.removedAt || assignment.scope.toLowerCase() !== formatted.toLowerCase()) return undefined;
    const now = this.clock.nowMs();
    await this.store.rbac.markRemoved(assignment.name, new Date(now).toISOString(), new Date(now + this.options.roleAssignmentPropagationSeconds * 1000).toISOString());
    return assignment;
  }

  /** Writes an assignment without any caller (world files and the bootstrap); in force at once. */
  async seedRoleAssignment(input: { tenantId: string; scope: string; roleDefinitionId: string; principalId: string; principalType: PrincipalType; name?: string }): Promise<RoleAssignment> {
    const scope = parseScope(input.scope);
    if (!scope) throw armErrors.invalidScope(input.scope);
    const role = await this.authorizer.role(input.roleDefinitionId);
    if (!role) throw armErrors.roleDefinitionNotFound(input.roleDefinitionId);
    const now = new Date(0).toISOString();
    const assignment: RoleAssignment = {
      name: (input.name ?? newGuid()).toLowerCase(),
      tenantId: input.tenantId,
      scope: formatScope(scope),
      roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
      principalId: input.principalId.toLowerCase(),
      principalType: input.principalType,
      description: null,
      condition: null,
      conditionVersion: null,
      createdOn: this.nowIso(),
      updatedOn: this.nowIso(),
      createdBy: null,
      effectiveAt: now,
      removedAt: null,
      removalEffectiveAt: null,
    };
    await this.store.rbac.insertAssignment(assignment, scope.level === "root" || scope.level === "managementGroup" ? null : scope.subscriptionId);
    return assignment;
  }
}

export const rgScope = (group: ResourceGroup) => `/subscriptions/${group.subscriptionId}/resourceGroups/${group.name}`;
export { managementGroupScope };
