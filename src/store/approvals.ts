import type { Approval } from "../pipelines/model.js";
import { json, type Db } from "./database.js";

/** Approvals runs wait for, by project and run. */
export class ApprovalRepository {
  constructor(private readonly db: Db) {}

  async insert(approval: Approval): Promise<void> {
    await this.db
      .insertInto("approvals")
      .values({ id: approval.id, projectId: approval.projectId, runId: approval.runId, status: approval.status, body: json.write(approval), createdAt: approval.createdOn })
      .execute();
  }

  async update(approval: Approval): Promise<void> {
    await this.db.updateTable("approvals").set({ status: approval.status, body: json.write(approval) }).where("id", "=", approval.id).execute();
  }

  async get(id: string): Promise<Approval | undefined> {
    const row = await this.db.selectFrom("approvals").select("body").where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && json.read(row.body, {} as Approval);
  }

  /** A project's approvals, newest first. */
  async ofProject(projectId: string): Promise<Approval[]> {
    const rows = await this.db.selectFrom("approvals").select("body").where("projectId", "=", projectId).orderBy("createdAt", "desc").orderBy("id").execute();
    return rows.map((row) => json.read(row.body, {} as Approval));
  }

  async ofRun(runId: number): Promise<Approval[]> {
    const rows = await this.db.selectFrom("approvals").select("body").where("runId", "=", runId).execute();
    return rows.map((row) => json.read(row.body, {} as Approval));
  }
}
