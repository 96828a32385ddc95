import type { VariableGroup } from "../devops/model.js";
import { atomically, endsWith, isUniqueViolation, json, UniqueViolation, type Db } from "./database.js";

/** The Library: variable groups (their secret values sealed by the caller) and the projects they are shared with. */
export class LibraryRepository {
  constructor(private readonly db: Db) {}

  /** Stores a new group and returns its id (the organization's next variable group number). */
  async insertVariableGroup(group: Omit<VariableGroup, "id">, secrets: string): Promise<number> {
    return atomically(this.db, async (db) => {
      const { projects, ...body } = group;
      const row = await db
        .insertInto("variableGroups")
        .values({ organizationId: group.organizationId, body: json.write(body), secrets, createdAt: group.createdOn })
        .returning("id")
        .executeTakeFirstOrThrow();
      await this.putProjects(db, row.id, projects);
      return row.id;
    });
  }

  async updateVariableGroup(group: VariableGroup, secrets: string): Promise<void> {
    await atomically(this.db, async (db) => {
      const { projects, id, ...body } = group;
      await db.updateTable("variableGroups").set({ body: json.write(body), secrets }).where("id", "=", id).execute();
      await db.deleteFrom("variableGroupProjects").where("groupId", "=", id).execute();
      await this.putProjects(db, id, projects);
    });
  }

  private async putProjects(db: Db, groupId: number, projects: VariableGroup["projects"]): Promise<void> {
    for (const [position, p] of projects.entries()) {
      try {
        await db.insertInto("variableGroupProjects").values({ groupId, projectId: p.projectId, name: p.name, description: p.description, position }).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new UniqueViolation("variable group name", p.name);
        throw error;
      }
    }
  }

  async variableGroup(id: number): Promise<{ group: VariableGroup; secrets: string } | undefined> {
    return (await this.groupsWhere([id]))[0];
  }

  /** The groups shared with a project, by id. */
  async variableGroupsOfProject(projectId: string): Promise<Array<{ group: VariableGroup; secrets: string }>> {
    const ids = await this.db.selectFrom("variableGroupProjects").select("groupId").where("projectId", "=", projectId).execute();
    return this.groupsWhere(ids.map((r) => r.groupId));
  }

  private async groupsWhere(ids: number[]): Promise<Array<{ group: VariableGroup; secrets: string }>> {
    const out: Array<{ group: VariableGroup; secrets: string }> = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.selectFrom("variableGroups").selectAll().where("id", "in", ids.slice(i, i + 500)).execute();
      if (!rows.length) continue;
      const references = await this.db
        .selectFrom("variableGroupProjects")
        .selectAll()
        .where("groupId", "in", rows.map((r) => r.id))
        .orderBy("groupId")
        .orderBy("position")
        .execute();
      for (const row of rows) {
        const projects = references.filter((p) => p.groupId === row.id).map((p) => ({ projectId: p.projectId, name: p.name, description: p.description }));
        out.push({ group: { ...json.read<Omit<VariableGroup, "id" | "projects">>(row.body, {} as never), id: row.id, projects }, secrets: row.secrets });
      }
    }
    return out.sort((a, b) => a.group.id - b.group.id);
  }

  /** Removes a group with its roles and pipeline permissions. */
  async deleteVariableGroup(id: number): Promise<void> {
    await atomically(this.db, async (db) => {
      await db.deleteFrom("variableGroupProjects").where("groupId", "=", id).execute();
      await db.deleteFrom("variableGroups").where("id", "=", id).execute();
      await db.deleteFrom("securityRoleAssignments").where("scope", "=", "distributedtask.variablegroup").where(endsWith("resourceId", `$${id}`)).execute();
      await db.deleteFrom("pipelinePermissions").where("resourceType", "=", "variablegroup").where("resourceId", "=", String(id)).execute();
    });
  }
}
