import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { newGuid } from "../core/ids.js";
import type { OperationLeases } from "../core/leases.js";
import type { Logger } from "../core/logging.js";
import type { Store } from "../store/index.js";
import { pipelineNotValid } from "./compile/resolve-connections.js";
import { AgentQueue } from "./agent-queue.js";
import { Approvals } from "./approvals.js";
import { PipelineCatalog } from "./catalog.js";
import { pipelinesErrors } from "./errors.js";
import { LiveJobs } from "./live-jobs.js";
import { FREE_TIER_PARALLELISM, type Run } from "./model.js";
import type { DevOpsApi, PipelineCaller, ProjectRef } from "./ports.js";
import { type LockStore, ResourceLocks } from "./resource-locks.js";
import { PipelineRights } from "./rights.js";
import type { ExecutionDeps } from "./run-execution.js";
import { readLogLines } from "./run-logs.js";
import { RunPreparation } from "./run-preparation.js";
import { RunScheduler, type RunRequest } from "./run-scheduler.js";
import type { StepSandbox } from "./runner/sandbox.js";
import type { WorkFolders } from "./runner/work-folders.js";

export interface PipelinesOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  devops: DevOpsApi;
  /** svcconn's own listeners as a job sees them: the DevOps host (collection URL base), login, ARM and Graph. */
  urls: () => { devops: string; login: string; arm: string; graph: string; imds: string; proxy?: string };
  /** Environment every step inherits from the agent (PATH, the CA bundle that trusts svcconn, proxy settings). */
  agentEnvironment: () => NodeJS.ProcessEnv;
  /** Seals pipeline secret variables while stored. */
  keyBox: SecretBox;
  /** Leases on runs under way, so another process can take over one whose process stopped. */
  leases: OperationLeases;
  /** Where jobs run, and how their steps are isolated from svcconn. */
  workFolders: WorkFolders;
  sandbox: StepSandbox;
  /** svcconn's data folder and CA: no checkout copies them and no template reads them. */
  protectedPaths: string[];
}

/** What compiling a pipeline for a caller reads: the pipeline, its repository and project, and who queues it. */

/**
 * Azure Pipelines' runs: queued (`RunPreparation` checks, compiles and resolves them), held and started by the
 * `RunScheduler`, executed job by job, read back (timelines and logs), canceled; and the job OIDC route. What runs
 * are made of — repositories, definitions, settings, pools, extensions — is the `catalog`. Service connections,
 * permissions and tokens come from the DevOps plane through its port; tasks reach Entra ID and ARM over HTTPS like
 * real tasks.
 */
export class PipelinesService {
  readonly catalog: PipelineCatalog;
  readonly approvals: Approvals;
  private readonly rights: PipelineRights;
  private readonly preparation: RunPreparation;
  private readonly scheduler: RunScheduler;
  private readonly agents: AgentQueue;
  private readonly locks: ResourceLocks;
  private readonly jobs: LiveJobs;

  constructor(private readonly options: PipelinesOptions) {
    const { store, clock, devops, keyBox, leases } = options;
    this.rights = new PipelineRights(devops);
    this.approvals = new Approvals(store, clock, devops);
    // Parallel jobs and busy agents are counted in the store, over every process sharing it.
    this.agents = new AgentQueue(async (organizationId) => (await store.pipelines.parallelism(organizationId)) ?? FREE_TIER_PARALLELISM, {
      take: (slot) => leases.holdIfFree("agent", slot),
      free: (slot) => leases.release("agent", slot),
    });
    this.catalog = new PipelineCatalog({ store, clock, devops, keyBox, rights: this.rights, limitsChanged: (org) => this.agents.limitsChanged(org) });
    this.preparation = new RunPreparation({ store, devops, urls: options.urls, protectedPaths: options.protectedPaths, catalog: this.catalog, rights: this.rights });
    this.locks = new ResourceLocks(lockStore(leases));
    this.jobs = new LiveJobs(devops);
    this.scheduler = new RunScheduler(options, this.preparation, () => this.executionDeps());
  }

  private get store() {
    return this.options.store;
  }
  private now = () => this.options.clock.now().toISOString();

  caller(organization: string, authorization: string | undefined): Promise<PipelineCaller> {
    return this.rights.caller(organization, authorization);
  }

  project(caller: PipelineCaller, idOrName: string): Promise<ProjectRef> {
    return this.rights.project(caller, idOrName);
  }

  /** Whether the caller may queue the pipeline (its queue-time input is read only after this). */
  async checkQueue(caller: PipelineCaller, projectIdOrName: string, pipelineId: number): Promise<void> {
    const project = await this.rights.project(caller, projectIdOrName);
    const pipeline = await this.catalog.pipeline(caller, project.id, pipelineId);
    if (!(await this.rights.canEdit(caller, project))) throw pipelinesErrors.queueDenied(caller.identity.displayName, pipeline.id, project.name);
  }

  /** The pipeline after templates and expressions (`pipelines/{id}/preview`): a dry run, with a run's rights. */
  async preview(caller: PipelineCaller, projectIdOrName: string, pipelineId: number, request: RunRequest): Promise<string> {
    const project = await this.rights.project(caller, projectIdOrName);
    const pipeline = await this.catalog.pipeline(caller, project.id, pipelineId);
    await this.preparation.admit(caller, project, pipeline, request);
    return this.preparation.finalYaml(caller, project, pipeline, request);
  }

  // ---- runs ------------------------------------------------------------------------------------------------

  async queueRun(caller: PipelineCaller, projectIdOrName: string, pipelineId: number, request: RunRequest): Promise<Run> {
    const project = await this.rights.project(caller, projectIdOrName);
    const pipeline = await this.catalog.pipeline(caller, project.id, pipelineId);
    await this.preparation.admit(caller, project, pipeline, request);
    const { plan, pools } = await this.preparation.prepare(caller, project, pipeline, request);
    const now = this.now();
    const day = now.slice(0, 10).replace(/-/g, "");
    const run: Omit<Run, "id"> = {
      organizationId: caller.organization.id,
      projectId: project.id,
      pipelineId: pipeline.id,
      pipelineRevision: pipeline.revision,
      name: `${day}.${(await this.store.pipelines.runsOfDay(pipeline.id, day)) + 1}`,
      status: "notStarted",
      result: null,
      reason: "manual",
      requestedBy: { id: caller.identity.id, displayName: caller.identity.displayName, uniqueName: caller.identity.uniqueName },
      queueTime: now,
      startTime: null,
      finishTime: null,
      sourceBranch: request.sourceBranch ?? plan.repository.defaultBranch,
      sourceVersion: "0000000000000000000000000000000000000000",
      variables: request.variables,
      templateParameters: request.templateParameters,
      validationResults: [],
      planId: newGuid(),
      // Only a preview run shows it; a stored run does not keep it (it can weigh megabytes).
      finalYaml: request.previewRun ? plan.compiled.finalYaml : null,
      queue: pools.first,
      timeline: [],
    };
    if (request.previewRun) return { ...run, id: -1 };
    const resolution = await this.preparation.resolve(plan, caller.identity.id);
    if (resolution.errors.length) {
      if (resolution.onlyUnauthorized && (await this.store.pipelines.settings(project.id)).resourceAuthorization === "wait") {
        return this.scheduler.waitForPermit(run, resolution.unauthorized, plan);
      }
      // A resource authorization failure is a run that failed before any job (the UI's "There was a resource authorization issue").
      const failed = { ...run, status: "completed" as const, result: "failed" as const, startTime: now, finishTime: now, validationResults: [{ result: "error" as const, message: pipelineNotValid(resolution.errors) }] };
      return this.store.pipelines.insertRun(failed);
    }
    const stored = await this.store.pipelines.insertRun(run);
    await this.scheduler.hold(stored, plan);
    this.scheduler.start(stored, plan, resolution);
    return stored;
  }


  private executionDeps(): Omit<ExecutionDeps, "legFinished"> {
    const { store, clock, logger, devops, urls, agentEnvironment, workFolders, sandbox, protectedPaths } = this.options;
    return {
      store,
      clock,
      logger,
      devops,
      urls,
      agentEnvironment,
      workFolders,
      sandbox,
      protectedPaths,
      agents: this.agents,
      approvals: this.approvals,
      locks: this.locks,
      live: this.jobs.byKey,
      openVariables: (p) => this.catalog.openVariables(p),
    };
  }


  async run(caller: PipelineCaller, projectIdOrName: string, runId: number, pipelineId?: number): Promise<Run> {
    const project = await this.rights.project(caller, projectIdOrName);
    const run = Number.isSafeInteger(runId) ? await this.store.pipelines.run(runId) : undefined;
    if (!run || run.projectId !== project.id || (pipelineId !== undefined && run.pipelineId !== pipelineId)) throw pipelinesErrors.runNotFound(runId);
    return run;
  }

  async runs(caller: PipelineCaller, projectIdOrName: string, options: { pipelineId?: number; runIds?: number[]; top?: number }): Promise<Run[]> {
    const project = await this.rights.project(caller, projectIdOrName);
    if (options.pipelineId !== undefined) await this.catalog.pipeline(caller, project.id, options.pipelineId);
    return this.store.pipelines.runs(project.id, { pipelineId: options.pipelineId, runIds: options.runIds, top: Math.min(Math.max(Math.floor(options.top ?? 1000) || 1000, 1), 10_000) });
  }

  async logs(caller: PipelineCaller, projectIdOrName: string, runId: number) {
    const run = await this.run(caller, projectIdOrName, runId);
    return { run, logs: await this.store.pipelines.logs(run.id) };
  }

  /** A log's description and its lines from `start` to `end`, read a page at a time. */
  async log(caller: PipelineCaller, projectIdOrName: string, runId: number, logId: number, range: { start?: number; end?: number } = {}) {
    const run = await this.run(caller, projectIdOrName, runId);
    const all = await this.store.pipelines.logs(run.id);
    const log = all.find((l) => l.id === logId);
    if (!log) throw pipelinesErrors.logNotFound(logId);
    // A log still being written reads as far as its description counts (its pages may already hold more).
    return { run, log, lines: readLogLines(this.store.pipelines, log, all, range.start, Math.min(range.end ?? Number.POSITIVE_INFINITY, log.lineCount)) };
  }

  /** Cancels a run under way: running steps are stopped, the rest are canceled. */
  async cancel(caller: PipelineCaller, projectIdOrName: string, runId: number): Promise<Run> {
    const run = await this.run(caller, projectIdOrName, runId);
    const project = await this.rights.project(caller, projectIdOrName);
    if (!(await this.rights.canEdit(caller, project))) throw pipelinesErrors.queueDenied(caller.identity.displayName, run.pipelineId, project.name);
    return this.scheduler.cancel(run);
  }

  /** A run another process was asked to cancel, held here. */
  cancelHeld(runId: number): void {
    this.scheduler.cancelHeld(runId);
  }

  /** A run whose process stopped: see `RunScheduler.takeOver`. */
  takeOverRun(id: string, body: string): Promise<void> {
    return this.scheduler.takeOver(id, body);
  }

  /** Runs under way that no process holds end as failed (called at start): see `RunScheduler.recoverUnfinished`. */
  recoverUnfinishedRuns(graceMs = 0): Promise<number> {
    return this.scheduler.recoverUnfinished(graceMs);
  }

  /** Resolves when every run under way has finished (closing waits for it, bounded). */
  settled(): Promise<void> {
    return this.scheduler.settled();
  }

  /** svcconn is stopping: every run under way is handed over (see `RunScheduler.handOverAll`). */
  handOverAll(): void {
    this.scheduler.handOverAll();
  }

  // ---- the job OIDC token ----------------------------------------------------------------------------------

  /**
   * `POST …/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken`: only a job's own access token,
   * for its own plan and job while it runs, and for a connection the pipeline is authorized to use.
   */
  async oidcToken(caller: PipelineCaller, projectIdOrName: string, planId: string, jobId: string, connectionId: string | undefined): Promise<string> {
    if (!caller.job) throw pipelinesErrors.oidcNotAJob();
    return this.jobs.oidcToken(caller, await this.rights.project(caller, projectIdOrName), planId, jobId, connectionId);
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------

  /** How steps are isolated from svcconn (`none` when bubblewrap is missing or turned off). */
  sandboxKind(): "bubblewrap" | "none" {
    return this.options.sandbox.kind;
  }

  /** Ends the compile threads and removes the job folders' root (closing svcconn, after the runs have settled). */
  async close(): Promise<void> {
    await this.preparation.close();
    this.options.workFolders.close();
  }
}

/** Exclusive locks and their queues as leases: a lock's body names the run holding it; a place, its run. */
function lockStore(leases: OperationLeases): LockStore {
  const place = (key: string, runId: number) => `${key}#${runId}`;
  return {
    take: async (key, runId) => (await leases.holdIfFree("lock", key, { runId })) || (await leases.heldOf<{ runId: number }>("lock")).some((l) => l.id === key && l.body.runId === runId),
    free: async (key, runId) => {
      if ((await leases.heldOf<{ runId: number }>("lock")).some((l) => l.id === key && l.body.runId === runId)) await leases.release("lock", key);
    },
    enqueue: (key, runId) => leases.enqueue("lock-wait", place(key, runId), { runId }),
    leave: (key, runId) => leases.release("lock-wait", place(key, runId)),
    queue: async (key) =>
      (await leases.heldOf<{ runId: number; arrivedAt: number }>("lock-wait"))
        .filter((w) => w.id.startsWith(`${key}#`))
        .sort((a, b) => a.body.arrivedAt - b.body.arrivedAt)
        .map((w) => w.body.runId),
  };
}
