import type { DeploymentRecord, Environment } from "../devops/model.js";
import { isUniqueViolation, json, UniqueViolation, type Db } from "./database.js";

/** Pipeline environments of projects, and the deployments each has seen. */
export class EnvironmentRepository {
  constructor(private readonly db: Db) {}

  /** Stores a new environment and returns its id; a name its project already has (any case) is a UniqueViolation. */
  async insertEnvironment(environment: Omit<Environment, "id">): Promise<number> {
    try {
      const row = await this.db
        .insertInto("environments")
        .values({ projectId: environment.projectId, name: environment.name, body: json.write(environment), createdAt: environment.createdOn })
        .returning("id")
        .executeTakeFirstOrThrow();
      return row.id;
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueViolation("environment name", environment.name);
      throw error;
    }
  }

  async updateEnvironment(environment: Environment): Promise<void> {
    const { id, ...body } = environment;
    try {
      await this.db.updateTable("environments").set({ name: environment.name, body: json.write(body) }).where("id", "=", id).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueViolation("environment name", environment.name);
      throw error;
    }
  }

  async deleteEnvironment(id: number): Promise<void> {
    await this.db.deleteFrom("environmentDeployments").where("environmentId", "=", id).execute();
    await this.db.deleteFrom("environments").where("id", "=", id).execute();
  }

  async environment(id: number): Promise<Environment | undefined> {
    const row = await this.db.selectFrom("environments").select(["id", "body"]).where("id", "=", id).executeTakeFirst();
    return row && { ...json.read(row.body, {} as Omit<Environment, "id">), id: row.id };
  }

  /** A project's environments by id. */
  async environmentsOfProject(projectId: string): Promise<Environment[]> {
    const rows = await this.db.selectFrom("environments").select(["id", "body"]).where("projectId", "=", projectId).orderBy("id").execute();
    return rows.map((row) => ({ ...json.read(row.body, {} as Omit<Environment, "id">), id: row.id }));
  }

  async addDeployment(record: Omit<DeploymentRecord, "id">): Promise<number> {
    const row = await this.db
      .insertInto("environmentDeployments")
      .values({ environmentId: record.environmentId, data: json.write(record), createdAt: record.finishTime ?? record.queueTime })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** An environment's deployments, newest first, from the id `before` (exclusive) when given. */
  async deployments(environmentId: number, top: number, before?: number): Promise<DeploymentRecord[]> {
    let query = this.db.selectFrom("environmentDeployments").select(["id", "data"]).where("environmentId", "=", environmentId).orderBy("id", "desc").limit(top);
    if (before !== undefined) query = query.where("id", "<", before);
    return (await query.execute()).map((row) => ({ ...json.read(row.data, {} as Omit<DeploymentRecord, "id">), id: row.id }));
  }
}
