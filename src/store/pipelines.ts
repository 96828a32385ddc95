import type { AgentPool, InstalledExtension, Parallelism, Pipeline, PipelineSettings, Repository, Run, RunLog } from "../pipelines/model.js";
import { sql } from "kysely";
import { isUniqueViolation, json, startsWith, UniqueViolation, type Db } from "./database.js";
import { AGENT_POOL_ROWS, PIPELINE_ROWS, PIPELINE_SETTINGS_ROWS, REPOSITORY_ROWS } from "./schema.js";

type RunBody = Omit<Run, "id" | "organizationId" | "projectId" | "pipelineId" | "status">;

/** Queue-time secret variables live only in the running process: the stored run keeps their names, not values. */
const storable = (body: RunBody): string =>
  json.write({ ...body, variables: Object.fromEntries(Object.entries(body.variables).map(([k, v]) => [k, v.isSecret ? { value: "", isSecret: true } : v])) });

/** Repositories, pipelines (build definitions), runs with their timelines, run logs and agent pools. */
export class PipelineRepository {
  constructor(private readonly db: Db) {}

  // repositories
  async insertRepository(repository: Repository): Promise<void> {
    try {
      await this.db.insertInto("repositories").values(REPOSITORY_ROWS.toRow(repository)).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueViolation("repository", repository.name);
      throw error;
    }
  }

  async repositories(projectId: string): Promise<Repository[]> {
    const rows = await this.db.selectFrom("repositories").selectAll().where("projectId", "=", projectId).orderBy("name").execute();
    return rows.map(toRepository);
  }

  /** A repository by id or name (names compare case-insensitively). */
  async repository(projectId: string, idOrName: string): Promise<Repository | undefined> {
    const key = idOrName.toLowerCase();
    return (await this.repositories(projectId)).find((r) => r.id === key || r.name.toLowerCase() === key);
  }

  // pipelines
  async insertPipeline(pipeline: Omit<Pipeline, "id"> & { id?: number }): Promise<number> {
    try {
      const row = await this.db.insertInto("pipelines").values(PIPELINE_ROWS.toRow(pipeline)).returning("id").executeTakeFirstOrThrow();
      return row.id;
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueViolation("pipeline", pipeline.name);
      throw error;
    }
  }

  /** A pipeline's editable parts (name, folder, default queue, variables), with its next revision. */
  async updatePipeline(pipeline: Pipeline): Promise<void> {
    const { name, folder, defaultPool, variables, revision } = pipeline;
    try {
      await this.db.updateTable("pipelines").set(PIPELINE_ROWS.toColumns({ name, folder, defaultPool, revision, variables })).where("id", "=", pipeline.id).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueViolation("pipeline", pipeline.name);
      throw error;
    }
  }

  async pipeline(id: number): Promise<Pipeline | undefined> {
    const row = await this.db.selectFrom("pipelines").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toPipeline(row);
  }

  async pipelines(projectId: string): Promise<Pipeline[]> {
    return (await this.db.selectFrom("pipelines").selectAll().where("projectId", "=", projectId).orderBy("id").execute()).map(toPipeline);
  }

  // runs
  /**
   * Stores a new run under the next build number of its day (`run.name` is `yyyymmdd.n`; n is taken anew when
   * another run — of this process or another — took it first). Returns the stored run.
   */
  async insertRun(run: Omit<Run, "id">): Promise<Run> {
    const day = run.name.slice(0, run.name.lastIndexOf("."));
    let numbered = run;
    for (let attempt = 0; ; attempt++) {
      const { organizationId, projectId, pipelineId, status, ...body } = numbered;
      try {
        const row = await this.db.insertInto("runs").values({ organizationId, projectId, pipelineId, status, buildNumber: numbered.name, body: storable(body) }).returning("id").executeTakeFirstOrThrow();
        return { ...numbered, id: row.id };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 50) throw error;
        numbered = { ...numbered, name: `${day}.${(await this.runsOfDay(run.pipelineId, day)) + 1}` };
      }
    }
  }

  async updateRun(run: Run): Promise<void> {
    const { id, organizationId: _o, projectId: _p, pipelineId: _q, status, ...body } = run;
    await this.db.updateTable("runs").set({ status, body: storable(body) }).where("id", "=", id).execute();
  }

  async run(id: number): Promise<Run | undefined> {
    const row = await this.db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toRun(row);
  }

  /** Runs of a project (or of one pipeline), newest first. */
  async runs(projectId: string, options: { pipelineId?: number; runIds?: number[]; top: number }): Promise<Run[]> {
    let query = this.db.selectFrom("runs").selectAll().where("projectId", "=", projectId);
    if (options.pipelineId !== undefined) query = query.where("pipelineId", "=", options.pipelineId);
    if (options.runIds) query = options.runIds.length ? query.where("id", "in", options.runIds) : query.where(sql<boolean>`1 = 0`);
    return (await query.orderBy("id", "desc").limit(options.top).execute()).map(toRun);
  }

  /** Runs a stopped server left unfinished. */
  async unfinishedRuns(): Promise<Run[]> {
    const rows = await this.db.selectFrom("runs").selectAll().where("status", "in", ["notStarted", "inProgress", "cancelling"]).execute();
    return rows.map(toRun);
  }

  /** How many runs a pipeline had on one day (the build number's counter). */
  async runsOfDay(pipelineId: number, day: string): Promise<number> {
    const row = await this.db.selectFrom("runs").select((eb) => eb.fn.countAll<number>().as("count")).where("pipelineId", "=", pipelineId).where(startsWith("buildNumber", `${day}.`)).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  // logs

  /** A log's description (line count, times, the job log it is part of), made or brought up to date. */
  async putLog(log: RunLog): Promise<void> {
    const { lineCount, lastChangedOn } = log;
    await this.db
      .insertInto("runLogs")
      .values({ ...log, content: "" })
      .onConflict((oc) => oc.columns(["runId", "id"]).doUpdateSet({ lineCount, lastChangedOn }))
      .execute();
  }

  /** Appends one page of a log's text (lines joined by newlines). */
  async appendLogPage(runId: number, logId: number, page: number, lineCount: number, content: string): Promise<void> {
    await this.db.insertInto("runLogPages").values({ runId, logId, page, lineCount, content }).execute();
  }

  async logs(runId: number): Promise<RunLog[]> {
    return this.db.selectFrom("runLogs").select(["runId", "id", "lineCount", "createdOn", "lastChangedOn", "parentId"]).where("runId", "=", runId).orderBy("id").execute();
  }

  async log(runId: number, logId: number): Promise<RunLog | undefined> {
    return this.db.selectFrom("runLogs").select(["runId", "id", "lineCount", "createdOn", "lastChangedOn", "parentId"]).where("runId", "=", runId).where("id", "=", logId).executeTakeFirst();
  }

  /** The text a log kept in itself (logs written before pages existed), or "". */
  async legacyLogContent(runId: number, logId: number): Promise<string> {
    return (await this.db.selectFrom("runLogs").select("content").where("runId", "=", runId).where("id", "=", logId).executeTakeFirst())?.content ?? "";
  }

  /** How many lines each page of a log holds, in order (to find where a line range starts without reading text). */
  async logPageSizes(runId: number, logId: number): Promise<Array<{ page: number; lineCount: number }>> {
    return this.db.selectFrom("runLogPages").select(["page", "lineCount"]).where("runId", "=", runId).where("logId", "=", logId).orderBy("page").execute();
  }

  async logPage(runId: number, logId: number, page: number): Promise<string | undefined> {
    return (await this.db.selectFrom("runLogPages").select("content").where("runId", "=", runId).where("logId", "=", logId).where("page", "=", page).executeTakeFirst())?.content;
  }

  // agent pools
  async putPool(pool: AgentPool): Promise<void> {
    const { hosted: _, ...stored } = pool;
    const row = AGENT_POOL_ROWS.toRow(stored);
    const agents = row.agents;
    await this.db
      .insertInto("agentPools")
      .values(row)
      .onConflict((oc) => oc.columns(["organizationId", "name"]).doUpdateSet({ agents }))
      .execute();
  }

  // project settings
  async putSettings(projectId: string, settings: PipelineSettings): Promise<void> {
    const values = PIPELINE_SETTINGS_ROWS.toRow(settings);
    await this.db
      .insertInto("pipelineSettings")
      .values({ projectId, ...values })
      .onConflict((oc) => oc.column("projectId").doUpdateSet(values))
      .execute();
  }

  async settings(projectId: string): Promise<PipelineSettings> {
    const row = await this.db.selectFrom("pipelineSettings").selectAll().where("projectId", "=", projectId).executeTakeFirst();
    if (!row) return { resourceAuthorization: "fail", enforceSettableVar: true };
    const { projectId: _, ...stored } = row;
    return PIPELINE_SETTINGS_ROWS.fromRow(stored);
  }

  async putParallelism(organizationId: string, parallelism: Parallelism): Promise<void> {
    await this.db
      .insertInto("parallelJobs")
      .values({ organizationId, ...parallelism })
      .onConflict((oc) => oc.column("organizationId").doUpdateSet(parallelism))
      .execute();
  }

  /** Installs a Marketplace extension in an organization (again: replaces it), with the tasks it declares itself. */
  async putExtension(organizationId: string, extension: InstalledExtension): Promise<void> {
    const body = json.write(extension);
    await this.db
      .insertInto("installedExtensions")
      .values({ organizationId, extensionId: extension.id.toLowerCase(), body })
      .onConflict((oc) => oc.columns(["organizationId", "extensionId"]).doUpdateSet({ body }))
      .execute();
  }

  async extensions(organizationId: string): Promise<InstalledExtension[]> {
    const rows = await this.db.selectFrom("installedExtensions").select("body").where("organizationId", "=", organizationId).orderBy("extensionId").execute();
    return rows.map((r) => json.read(r.body, {} as InstalledExtension));
  }

  /** An organization's parallel jobs, or undefined when it declared none. */
  async parallelism(organizationId: string): Promise<Parallelism | undefined> {
    return this.db.selectFrom("parallelJobs").select(["microsoftHosted", "selfHosted"]).where("organizationId", "=", organizationId).executeTakeFirst();
  }

  async pools(organizationId: string): Promise<AgentPool[]> {
    const rows = await this.db.selectFrom("agentPools").selectAll().where("organizationId", "=", organizationId).orderBy("name").execute();
    return rows.map((r) => ({ ...AGENT_POOL_ROWS.fromRow(r), hosted: false }));
  }
}

const toPipeline = PIPELINE_ROWS.fromRow;
const toRepository = REPOSITORY_ROWS.fromRow;

const toRun = (r: { id: number; organizationId: string; projectId: string; pipelineId: number; status: string; body: string }): Run => ({
  id: r.id,
  organizationId: r.organizationId,
  projectId: r.projectId,
  pipelineId: r.pipelineId,
  status: r.status as Run["status"],
  ...(JSON.parse(r.body) as RunBody),
});
