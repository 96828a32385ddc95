import { sql } from "kysely";
import type { Db } from "./database.js";

/** Small facts about the store itself: the clock offset, the world it was made from. */
export class MetaRepository {
  constructor(private readonly db: Db) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("meta").select("value").where("key", "=", key).executeTakeFirst();
    return row?.value;
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom("meta").where("key", "=", key).execute();
  }

  /** Adds to a number kept as text, in one statement (processes sharing the store may add at once); the new sum. */
  async add(key: string, amount: number): Promise<number> {
    await this.db
      .insertInto("meta")
      .values({ key, value: String(amount) })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: sql<string>`cast(cast(meta.value as bigint) + ${amount} as text)` }))
      .execute();
    return Number(await this.get(key));
  }

  async set(key: string, value: string): Promise<void> {
    await this.db
      .insertInto("meta")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }
}
