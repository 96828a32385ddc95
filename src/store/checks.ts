import type { CheckConfiguration } from "../devops/model.js";
import { json, type Db } from "./database.js";

/** Check configurations on protected resources, by project. */
export class CheckRepository {
  constructor(private readonly db: Db) {}

  async insert(check: Omit<CheckConfiguration, "id">): Promise<number> {
    const row = await this.db.insertInto("checkConfigurations").values({ projectId: check.projectId, body: json.write(check), createdAt: check.createdOn }).returning("id").executeTakeFirstOrThrow();
    return row.id;
  }

  async update(check: CheckConfiguration): Promise<void> {
    const { id, ...body } = check;
    await this.db.updateTable("checkConfigurations").set({ body: json.write(body) }).where("id", "=", id).execute();
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom("checkConfigurations").where("id", "=", id).execute();
  }

  async get(id: number): Promise<CheckConfiguration | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const row = await this.db.selectFrom("checkConfigurations").select(["id", "body"]).where("id", "=", id).executeTakeFirst();
    return row && { ...json.read(row.body, {} as Omit<CheckConfiguration, "id">), id: row.id };
  }

  /** A project's checks in the order they were made. */
  async ofProject(projectId: string): Promise<CheckConfiguration[]> {
    const rows = await this.db.selectFrom("checkConfigurations").select(["id", "body"]).where("projectId", "=", projectId).orderBy("id").execute();
    return rows.map((row) => ({ ...json.read(row.body, {} as Omit<CheckConfiguration, "id">), id: row.id }));
  }
}
