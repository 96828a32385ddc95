import { sql } from "kysely";
import type { Deployment, Resource, ResourceBody } from "../arm/model.js";
import { json, startsWith, type Db } from "./database.js";
import { rgKey } from "./hierarchy.js";

/** Resources of any provider, stored whole, and deployments. */
export class ResourceRepository {
  constructor(private readonly db: Db) {}

  async upsert(resource: Resource): Promise<void> {
    const key = resource.id.toLowerCase();
    const row = {
      key,
      id: resource.id,
      subscriptionId: resource.subscriptionId.toLowerCase(),
      resourceGroupKey: rgKey(resource.subscriptionId, resource.resourceGroup),
      type: resource.type,
      name: resource.name,
      parentKey: resource.parentKey,
      body: json.write(resource.body),
      createdAt: resource.createdAt,
      changedAt: resource.changedAt,
    };
    await this.db
      .insertInto("resources")
      .values(row)
      .onConflict((oc) => oc.column("key").doUpdateSet({ body: row.body, changedAt: row.changedAt }))
      .execute();
  }

  async get(id: string): Promise<Resource | undefined> {
    const row = await this.db.selectFrom("resources").selectAll().where("key", "=", id.toLowerCase()).executeTakeFirst();
    return row && toResource(row);
  }

  async inResourceGroup(subscriptionId: string, resourceGroup: string, type?: string): Promise<Resource[]> {
    const rows = await this.db.selectFrom("resources").selectAll().where("resourceGroupKey", "=", rgKey(subscriptionId, resourceGroup)).orderBy("key").execute();
    return rows.map(toResource).filter((r) => !type || r.type.toLowerCase() === type.toLowerCase());
  }

  async inSubscription(subscriptionId: string): Promise<Resource[]> {
    const rows = await this.db.selectFrom("resources").selectAll().where("subscriptionId", "=", subscriptionId.toLowerCase()).orderBy("key").execute();
    return rows.map(toResource);
  }

  /** Resources of a type with a name, in any subscription (names that are global, such as key vaults'). */
  async byTypeAndName(type: string, name: string): Promise<Resource[]> {
    const rows = await this.db.selectFrom("resources").selectAll().where(sql`lower(name)`, "=", name.toLowerCase()).execute();
    return rows.map(toResource).filter((r) => r.type.toLowerCase() === type.toLowerCase());
  }

  /** Deletes a resource and everything nested under it. */
  async delete(id: string): Promise<void> {
    const key = id.toLowerCase();
    await this.db.deleteFrom("resources").where((eb) => eb.or([eb("key", "=", key), startsWith("key", `${key}/`)])).execute();
  }

  async putDeployment(deployment: Deployment): Promise<void> {
    const key = `${deployment.scope.toLowerCase()}/providers/microsoft.resources/deployments/${deployment.name.toLowerCase()}`;
    const row = {
      key,
      scopeKey: deployment.scope.toLowerCase(),
      name: deployment.name,
      body: json.write(deployment.body),
      operations: json.write(deployment.operations),
      createdAt: deployment.createdAt,
    };
    await this.db
      .insertInto("deployments")
      .values(row)
      .onConflict((oc) => oc.column("key").doUpdateSet({ body: row.body, operations: row.operations, createdAt: row.createdAt }))
      .execute();
  }

  async deployment(scope: string, name: string): Promise<Deployment | undefined> {
    const key = `${scope.toLowerCase()}/providers/microsoft.resources/deployments/${name.toLowerCase()}`;
    const row = await this.db.selectFrom("deployments").selectAll().where("key", "=", key).executeTakeFirst();
    return row && { scope, name: row.name, body: json.read(row.body, {}), operations: json.read(row.operations, []), createdAt: row.createdAt };
  }

  async deployments(scope: string): Promise<Deployment[]> {
    const rows = await this.db.selectFrom("deployments").selectAll().where("scopeKey", "=", scope.toLowerCase()).orderBy("createdAt").execute();
    return rows.map((row) => ({ scope, name: row.name, body: json.read(row.body, {}), operations: json.read(row.operations, []), createdAt: row.createdAt }));
  }

  async deleteDeployment(scope: string, name: string): Promise<boolean> {
    const key = `${scope.toLowerCase()}/providers/microsoft.resources/deployments/${name.toLowerCase()}`;
    const result = await this.db.deleteFrom("deployments").where("key", "=", key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toResource(row: { id: string; subscriptionId: string; resourceGroupKey: string; type: string; name: string; parentKey: string | null; body: string; createdAt: string; changedAt: string }): Resource {
  const parts = row.id.split("/");
  return {
    id: row.id,
    subscriptionId: row.subscriptionId,
    resourceGroup: parts[4] ?? "",
    type: row.type,
    name: row.name,
    parentKey: row.parentKey,
    body: json.read<ResourceBody>(row.body, {}),
    createdAt: row.createdAt,
    changedAt: row.changedAt,
  };
}
