import type { DeletedItem, DeletedObjectType } from "../entra/model.js";
import type { Db } from "./database.js";

/** Directory objects deleted within the retention period, each kept whole (with its credentials) for a restore. */
export class DeletedItemRepository {
  constructor(private readonly db: Db) {}

  async insert(item: DeletedItem): Promise<void> {
    await this.db.insertInto("deletedItems").values({ id: item.id, tenantId: item.tenantId, type: item.type, deletedAt: item.deletedAt, body: JSON.stringify(item.body) }).execute();
  }

  async get(tenantId: string, id: string): Promise<DeletedItem | undefined> {
    const row = await this.db.selectFrom("deletedItems").selectAll().where("tenantId", "=", tenantId).where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toItem(row);
  }

  async list(tenantId: string, type: DeletedObjectType): Promise<DeletedItem[]> {
    const rows = await this.db.selectFrom("deletedItems").selectAll().where("tenantId", "=", tenantId).where("type", "=", type).orderBy("deletedAt").execute();
    return rows.map(toItem);
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom("deletedItems").where("id", "=", id).execute();
  }

  /** Removes for good what was deleted before `before` (ISO time). */
  async purgeBefore(before: string): Promise<void> {
    await this.db.deleteFrom("deletedItems").where("deletedAt", "<", before).execute();
  }
}

function toItem(row: { id: string; tenantId: string; type: string; deletedAt: string; body: string }): DeletedItem {
  return { id: row.id, tenantId: row.tenantId, type: row.type as DeletedObjectType, deletedAt: row.deletedAt, body: JSON.parse(row.body) } as DeletedItem;
}
