import type { ManagementGroup, ResourceGroup, Subscription } from "../arm/model.js";
import { atomically, type Db } from "./database.js";
import { RESOURCE_GROUP_ROWS, type ResourceGroupTable, SUBSCRIPTION_ROWS } from "./schema.js";

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
    await this.db.insertInto("subscriptions").values(SUBSCRIPTION_ROWS.toRow(subscription)).execute();
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
      .values({ ...RESOURCE_GROUP_ROWS.toRow({ ...group, subscriptionId: group.subscriptionId.toLowerCase() }), key: rgKey(group.subscriptionId, group.name) })
      .execute();
  }

  async updateResourceGroup(subscriptionId: string, name: string, changes: Partial<Pick<ResourceGroup, "tags" | "managedBy">>): Promise<void> {
    await this.db
      .updateTable("resourceGroups")
      .set(RESOURCE_GROUP_ROWS.toColumns(changes))
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

const toSubscription = SUBSCRIPTION_ROWS.fromRow;
const toResourceGroup = ({ key: _, ...row }: ResourceGroupTable): ResourceGroup => RESOURCE_GROUP_ROWS.fromRow(row);

export { rgKey };
