import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import type { ManagementGroup, ResourceBody, RoleDefinition, SubscriptionState } from "./model.js";
import { formatScope, parseScope, resourceType } from "./scopes.js";
import { normalizeLocation } from "./input.js";

/**
 * Writes the resource hierarchy as a world file declares it, with no caller and no checks beyond shape: the
 * world is the ground truth the checks later run against.
 */
export class ArmSeeder {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  /** A custom role as the world declares it. */
  async roleDefinition(role: RoleDefinition): Promise<void> {
    await this.store.rbac.putRoleDefinition(role);
  }

  /** Every tenant has a root management group named after the tenant id. */
  async rootGroup(tenantId: string): Promise<ManagementGroup> {
    const group: ManagementGroup = { name: tenantId, tenantId, displayName: "Tenant Root Group", parentName: null, updatedAt: this.nowIso() };
    await this.store.hierarchy.insertManagementGroup(group);
    return group;
  }

  async managementGroup(input: { tenantId: string; name: string; displayName?: string; parent?: string }): Promise<ManagementGroup> {
    const parentName = input.parent ?? input.tenantId;
    const parent = await this.store.hierarchy.managementGroup(parentName);
    if (!parent || parent.tenantId !== input.tenantId) throw new Error(`unknown parent management group '${parentName}'`);
    if (await this.store.hierarchy.managementGroup(input.name)) throw new Error(`duplicate management group '${input.name}'`);
    const group: ManagementGroup = { name: input.name, tenantId: input.tenantId, displayName: input.displayName ?? input.name, parentName: parent.name, updatedAt: this.nowIso() };
    await this.store.hierarchy.insertManagementGroup(group);
    return group;
  }

  async subscription(input: { tenantId: string; id: string; displayName: string; state?: SubscriptionState; managementGroup?: string; tags?: Record<string, string> }): Promise<void> {
    const groupName = input.managementGroup ?? input.tenantId;
    const group = await this.store.hierarchy.managementGroup(groupName);
    if (!group || group.tenantId !== input.tenantId) throw new Error(`unknown management group '${groupName}'`);
    if (await this.store.hierarchy.subscription(input.id)) throw new Error(`duplicate subscription '${input.id}'`);
    await this.store.hierarchy.insertSubscription({
      id: input.id.toLowerCase(),
      tenantId: input.tenantId,
      displayName: input.displayName,
      state: input.state ?? "Enabled",
      managementGroup: group.name,
      tags: input.tags ?? {},
      createdAt: this.nowIso(),
    });
  }

  async resourceGroup(input: { subscriptionId: string; name: string; location: string; tags?: Record<string, string> }): Promise<void> {
    if (await this.store.hierarchy.resourceGroup(input.subscriptionId, input.name)) throw new Error(`duplicate resource group '${input.name}'`);
    await this.store.hierarchy.insertResourceGroup({
      subscriptionId: input.subscriptionId.toLowerCase(),
      name: input.name,
      location: normalizeLocation(input.location),
      tags: input.tags ?? {},
      managedBy: null,
      createdAt: this.nowIso(),
    });
  }

  /** A resource by its full id; its resource group must exist. Returns false when it does not. */
  async resource(id: string, body: ResourceBody): Promise<boolean> {
    const scope = parseScope(id);
    if (scope?.level !== "resource") throw new Error(`'${id}' is not a resource id`);
    const group = await this.store.hierarchy.resourceGroup(scope.subscriptionId, scope.resourceGroup);
    if (!group) return false;
    const now = this.nowIso();
    await this.store.resources.upsert({
      id: formatScope({ ...scope, resourceGroup: group.name }),
      subscriptionId: scope.subscriptionId,
      resourceGroup: group.name,
      type: resourceType(scope.providerPath),
      name: scope.providerPath[scope.providerPath.length - 1]!,
      parentKey: scope.providerPath.length > 3 ? formatScope({ ...scope, providerPath: scope.providerPath.slice(0, -2) }).toLowerCase() : null,
      body: { ...body, ...(body.location ? { location: normalizeLocation(body.location) } : { location: group.location }) },
      createdAt: now,
      changedAt: now,
    });
    return true;
  }
}
