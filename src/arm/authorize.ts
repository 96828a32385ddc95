import type { Clock } from "../core/clock.js";
import { dataPermissionsGrant, permissionsGrant } from "../core/role-actions.js";
import type { Store } from "../store/index.js";
import { BUILTIN_ROLES } from "./builtin-roles.js";
import type { ManagementGroup, RoleAssignment, RoleDefinition, Subscription } from "./model.js";
import { managementGroupScope, parseScope, subscriptionChain, type Scope } from "./scopes.js";

/** The principal behind an ARM call, as its token names it. */
export interface ArmCaller {
  tenantId: string;
  objectId: string;
  /** What AuthorizationFailed calls the client: the app id of a service principal, the UPN of a user. */
  clientLabel: string;
  kind: "app" | "user";
}

/** Actions minus notActions, per role; roles are unioned by the caller (a notAction is not a deny). */
export function roleGrants(role: RoleDefinition, action: string): boolean {
  return permissionsGrant(role.permissions, action);
}

const BUILTIN_BY_ID = new Map(BUILTIN_ROLES.map((r) => [r.id, r]));
export const roleGuid = (roleDefinitionId: string): string => roleDefinitionId.split("/").pop()!.toLowerCase();

/**
 * Decides whether a principal may perform an action at a scope: some assignment for it at the scope or above,
 * in force on the clock, whose role grants the action. The cost of a check depends on the depth of the scope
 * and the caller's own assignments there, never on how many assignments exist in total.
 */
export class Authorizer {
  /** Principals ARM has authorized since it started: only they hold cached decisions that delay a new role. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  // The hierarchy and custom roles are read through the store's cache: a write through this process clears it,
  // and a write by another process sharing the store is seen within the cache's second.
  async subscription(id: string): Promise<Subscription | undefined> {
    const key = id.toLowerCase();
    return this.store.cache.get(`authz:subscription:${key}`, () => this.store.hierarchy.subscription(key));
  }

  managementGroups(): Promise<Map<string, ManagementGroup>> {
    return this.store.cache.get("authz:managementGroups", async () => new Map((await this.store.hierarchy.managementGroups()).map((g) => [g.name.toLowerCase(), g])));
  }

  /** Management groups from the tenant root down to `name`. */
  async managementGroupPath(name: string): Promise<ManagementGroup[]> {
    const groups = await this.managementGroups();
    const path: ManagementGroup[] = [];
    let current = groups.get(name.toLowerCase());
    while (current && path.length < 10) {
      path.unshift(current);
      current = current.parentName ? groups.get(current.parentName.toLowerCase()) : undefined;
    }
    return path;
  }

  /** Lower-cased scope keys at or above a scope, root first. */
  async ancestry(scope: Scope): Promise<string[]> {
    const keys = ["/"];
    let groupName: string | undefined;
    if (scope.level === "managementGroup") groupName = scope.managementGroup;
    else if (scope.level !== "root") groupName = (await this.subscription(scope.subscriptionId))?.managementGroup;
    if (groupName) for (const group of await this.managementGroupPath(groupName)) keys.push(managementGroupScope(group.name).toLowerCase());
    keys.push(...subscriptionChain(scope));
    return keys;
  }

  async role(id: string): Promise<RoleDefinition | undefined> {
    const guid = roleGuid(id);
    const builtin = BUILTIN_BY_ID.get(guid);
    if (builtin) return builtin;
    return this.store.cache.get(`authz:role:${guid}`, async () => (await this.store.rbac.customRoles()).find((r) => r.id === guid));
  }

  /** True when an assignment counts for authorization now (propagation delays on both ends). */
  inForce(assignment: RoleAssignment, nowIso = this.clock.now().toISOString()): boolean {
    if (assignment.effectiveAt > nowIso) return false;
    return !assignment.removalEffectiveAt || assignment.removalEffectiveAt > nowIso;
  }

  /** Whether ARM has evaluated this principal's access before (and so may hold a stale decision for it). */
  hasCachedDecisions(principalId: string): boolean {
    return this.seen.has(principalId.toLowerCase());
  }

  async isAllowed(caller: ArmCaller, action: string, scope: string | Scope): Promise<boolean> {
    if (this.seen.size > 100_000) this.seen.clear();
    this.seen.add(caller.objectId.toLowerCase());
    return this.someRoleInForce(caller.objectId, scope, (role) => roleGrants(role, action));
  }

  /** Whether a role in force grants a data action (a data plane asks: Key Vault's secrets). */
  isDataActionAllowed(principalId: string, dataAction: string, scope: string): Promise<boolean> {
    return this.someRoleInForce(principalId, scope, (role) => dataPermissionsGrant(role.permissions, dataAction));
  }

  private async someRoleInForce(principalId: string, scope: string | Scope, grants: (role: RoleDefinition) => boolean): Promise<boolean> {
    const parsed = typeof scope === "string" ? parseScope(scope) : scope;
    if (!parsed) return false;
    const keys = await this.ancestry(parsed);
    const assignments = await this.store.rbac.forPrincipalAtScopes([principalId], keys);
    const now = this.clock.now().toISOString();
    for (const assignment of assignments) {
      if (!this.inForce(assignment, now)) continue;
      const role = await this.role(assignment.roleDefinitionId);
      if (role && grants(role)) return true;
    }
    return false;
  }

  /** True when the caller holds any role in force at, above or below the scope (what makes a subscription visible). */
  async hasAnyRoleWithin(caller: ArmCaller, scope: Scope): Promise<boolean> {
    const keys = await this.ancestry(scope);
    const now = this.clock.now().toISOString();
    const above = await this.store.rbac.forPrincipalAtScopes([caller.objectId], keys);
    if (above.some((a) => this.inForce(a, now))) return true;
    const prefix = keys[keys.length - 1]!;
    const own = await this.store.rbac.forPrincipal(caller.objectId);
    return own.some((a) => this.inForce(a, now) && a.scope.toLowerCase().startsWith(`${prefix}/`));
  }
}
