import type { ManagementGroup, ResourceGroup, Subscription, SubscriptionState } from "../arm/model.js";
import { atomically, json, type Db } from "./database.js";

const rgKey = (subscriptionId: string, name: string) => `${subscriptionId.toLowerCase()}/${name.toLowerCase()}`;

/** Management groups, subscriptions and resource groups. */
export class HierarchyRepository {
  constructor(private readonly db: Db) {}

  async insertManagementGroup(group: ManagementGroup): Promise<void> {
    await this.db.insertInto("managementGroups").values(group).execute();
  }

  async managementGroup(name: string): Promise<ManagementGroup | undefined> {
    const rows = await this.db.selectFrom("managementGroups").selectAll().execute();
    return rows.find((r) => r.name.toLowerCase() === name.toLowerCase());
  }

  async managementGroups(tenantId?: string): Promise<ManagementGroup[]> {
    let query = this.db.selectFrom("managementGroups").selectAll();
    if (tenantId) query = query.where("tenantId", "=", tenantId);
    return query.orderBy("name").execute();
  }

  async insertSubscription(subscription: Subscription): Promise<void> {
    await this.db.insertInto("subscriptions").values({ ...subscription, tags: json.write(subscription.tags) }).execute();
  }

  async subscription(id: string): Promise<Subscription | undefined> {
    const row = await this.db.selectFrom("subscriptions").selectAll().where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toSubscription(row);
  }

  async subscriptions(tenantId?: string): Promise<Subscription[]> {
    let query = this.db.selectFrom("subscriptions").selectAll();
    if (tenantId) query = query.where("tenantId", "=", tenantId);
    const rows = await query.orderBy("displayName").orderBy("id").execute();
    return rows.map(toSubscription);
  }

  async insertResourceGroup(group: ResourceGroup): Promise<void> {
    await this.db
      .insertInto("resourceGroups")
      .values({ ...group, subscriptionId: group.subscriptionId.toLowerCase(), key: rgKey(group.subscriptionId, group.name), tags: json.write(group.tags) })
      .execute();
  }

  async updateResourceGroup(subscriptionId: string, name: string, changes: Partial<Pick<ResourceGroup, "tags" | "managedBy">>): Promise<void> {
    await this.db
      .updateTable("resourceGroups")
      .set({ ...(changes.tags ? { tags: json.write(changes.tags) } : {}), ...(changes.managedBy !== undefined ? { managedBy: changes.managedBy } : {}) })
      .where("key", "=", rgKey(subscriptionId, name))
      .execute();
  }

  async resourceGroup(subscriptionId: string, name: string): Promise<ResourceGroup | undefined> {
    const row = await this.db.selectFrom("resourceGroups").selectAll().where("key", "=", rgKey(subscriptionId, name)).executeTakeFirst();
    return row && toResourceGroup(row);
  }

  async resourceGroups(subscriptionId: string): Promise<ResourceGroup[]> {
    const rows = await this.db.selectFrom("resourceGroups").selectAll().where("subscriptionId", "=", subscriptionId.toLowerCase()).orderBy("name").execute();
    return rows.map(toResourceGroup);
  }

  /** Deletes the group and every resource and deployment in it. */
  async deleteResourceGroup(subscriptionId: string, name: string): Promise<void> {
    const key = rgKey(subscriptionId, name);
    await atomically(this.db, async (trx) => {
      await trx.deleteFrom("resources").where("resourceGroupKey", "=", key).execute();
      await trx.deleteFrom("deployments").where("scopeKey", "=", `/subscriptions/${key.replace("/", "/resourcegroups/")}`).execute();
      await trx.deleteFrom("resourceGroups").where("key", "=", key).execute();
    });
  }
}

function toSubscription(row: { id: string; tenantId: string; displayName: string; state: string; managementGroup: string; tags: string; createdAt: string }): Subscription {
  return { ...row, state: row.state as SubscriptionState, tags: json.read(row.tags, {}) };
}

function toResourceGroup(row: { subscriptionId: string; name: string; location: string; tags: string; managedBy: string | null; createdAt: string }): ResourceGroup {
  return { subscriptionId: row.subscriptionId, name: row.name, location: row.location, tags: json.read(row.tags, {}), managedBy: row.managedBy, createdAt: row.createdAt };
}

export { rgKey };
