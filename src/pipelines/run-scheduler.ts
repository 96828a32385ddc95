import type { CompiledPipeline } from "./compile/compiler.js";
import { pipelineNotValid, type ConnectionUse } from "./compile/resolve-connections.js";
import { newTimelineRecord, type QueueTimeVariable, type Run } from "./model.js";
import type { ResourceRef } from "./ports.js";
import { RunExecution, STOPPED_HEARING, type ExecutionDeps, type RunPlan } from "./run-execution.js";
import type { OutputVariable } from "./runner/job-runner.js";
import type { PipelinesOptions } from "./service.js";

/** What queueing a run asks for (the REST body, read by `input.ts`). */
export interface RunRequest {
  variables: Record<string, QueueTimeVariable>;
  templateParameters: Record<string, string>;
  previewRun: boolean;
  sourceBranch?: string;
  /** The queue (agent pool) chosen when queueing, for jobs whose YAML names no pool. */
  defaultPool?: string;
}

/** What a queued run needs to go on once nothing stops it. */
export interface QueuedPlan extends RunPlan {
  request: RunRequest;
  /** The variables templates saw, for resolving connection names again after a permit. */
  compileTime: Record<string, string>;
}

/** Whether the resources a run names may be used by its pipeline, and its jobs with them resolved. */
export interface Resolution {
  errors: string[];
  unauthorized: ResourceRef[];
  onlyUnauthorized: boolean;
  uses: ConnectionUse[];
  pipeline: CompiledPipeline;
}

/** What the scheduler needs from the pipelines plane: a run's plan made again, and its resources resolved. */
export interface RunPlanner {
  /** The run compiled again for who queued it (a process taking it over). */
  replan(run: Run, request: RunRequest): Promise<QueuedPlan>;
  resolve(plan: QueuedPlan, requestedBy: string): Promise<Resolution>;
}

/**
 * What a process taking a run over needs beyond the stored run, sealed in the run's lease: the queue-time secret
 * variables (a stored run keeps only their names), the queue, and the outputs of the legs that finished.
 */
interface RunLease {
  defaultPool?: string;
  secrets: Record<string, QueueTimeVariable>;
  outputs: Record<string, Record<string, OutputVariable>>;
}

/** How often runs waiting for Permit look at their pipeline permissions again. */
const PERMIT_POLL_MS = 500;
const NEEDS_PERMISSION = "This pipeline needs permission to access a resource before this run can continue.";

/**
 * Runs under way, as the Azure Pipelines server keeps them: each held under this process's lease (so another process
 * or the next start takes it over), executing, waiting for Permit, or being canceled — here or, through its lease,
 * on whichever process holds it.
 */
export class RunScheduler {
  private readonly running = new Set<Promise<void>>();
  private readonly executions = new Map<number, { execution: RunExecution; controller: AbortController }>();
  /** Runs this process is handing over as it stops: their leases are given up, not released. */
  private readonly handingOver = new Set<number>();
  private readonly waiting = new Map<number, { run: Run; plan: QueuedPlan; resources: ResourceRef[] }>();
  /** The leases of the runs this process holds, as last written. */
  private readonly leased = new Map<number, RunLease>();
  private permitTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: PipelinesOptions,
    private readonly planner: RunPlanner,
    /** What a run's execution uses (the agent queue, approvals, locks, live jobs). */
    private readonly execution: () => Omit<ExecutionDeps, "legFinished">,
  ) {}

  private now = () => this.options.clock.now().toISOString();

  /** Cancels a run: here when this process holds it, else through its lease (its holder stops it). */
  async cancel(run: Run): Promise<Run> {
    const here = await this.cancelHere(run.id);
    if (here) return here;
    if (run.status !== "completed") await this.options.leases.requestCancel("run", String(run.id));
    return run;
  }

  /** Starts a run that passed its checks, with its variable groups' variables in place (a run taken over goes on). */
  start(run: Run, plan: QueuedPlan, resolution: { uses: ConnectionUse[]; pipeline: CompiledPipeline }): void {
    const controller = new AbortController();
    const finished = this.leased.get(run.id)?.outputs ?? {};
    const execution = new RunExecution({ ...this.execution(), legFinished: (id, leg, outputs) => this.legFinished(id, leg, outputs) }, run, { ...plan, compiled: resolution.pipeline }, resolution.uses, controller.signal, finished);
    this.executions.set(run.id, { execution, controller });
    const work = execution
      .execute()
      .catch(async (error) => {
        if (this.handingOver.has(run.id)) return;
        this.options.logger.error({ err: error, runId: run.id }, "a pipeline run failed unexpectedly");
        await this.abandon(run.id, `svcconn could not run this pipeline: ${(error as Error).message}`).catch(() => undefined);
      })
      .finally(async () => {
        this.running.delete(work);
        this.executions.delete(run.id);
        if (this.handingOver.delete(run.id)) await this.giveUp(run.id);
        else await this.release(run.id);
      });
    this.running.add(work);
  }

  /** Holds a run under this process's lease, with what another process would need to take it over. */
  async hold(run: Run, plan: QueuedPlan): Promise<void> {
    const secrets = Object.fromEntries(Object.entries(plan.request.variables).filter(([, v]) => v.isSecret));
    const lease: RunLease = { defaultPool: plan.request.defaultPool, secrets, outputs: {} };
    this.leased.set(run.id, lease);
    await this.options.leases.hold("run", String(run.id), this.sealed(lease));
  }

  private sealed = (lease: RunLease) => ({ sealed: this.options.keyBox.seal(JSON.stringify(lease)) });

  private async legFinished(runId: number, leg: string, outputs: Record<string, OutputVariable>): Promise<void> {
    const lease = this.leased.get(runId);
    if (!lease || Object.keys(outputs).length === 0) return;
    lease.outputs[leg] = outputs;
    await this.options.leases.update("run", String(runId), this.sealed(lease));
  }

  private async giveUp(runId: number): Promise<void> {
    this.leased.delete(runId);
    await this.options.leases.letGo("run", String(runId)).catch((err) => this.options.logger.error({ err, runId }, "cannot hand a run over"));
  }

  private async release(runId: number): Promise<void> {
    this.leased.delete(runId);
    await this.options.leases.release("run", String(runId)).catch((err) => this.options.logger.error({ err, runId }, "cannot release a run's lease"));
  }

  /**
   * A run whose process stopped (its lease lapsed and this process took it): compiled again for who queued it,
   * it goes on from its timeline — finished jobs keep their results and outputs, a job that was running ends as
   * Azure Pipelines ends a lost agent's job, a run waiting for Permit waits here. One that cannot go on ends failed.
   */
  async takeOver(id: string, body: string): Promise<void> {
    const runId = Number(id);
    const run = await this.options.store.pipelines.run(runId);
    if (!run || run.status === "completed") return this.release(runId);
    try {
      const lease = JSON.parse(this.options.keyBox.open((JSON.parse(body) as { sealed: string }).sealed)) as RunLease;
      this.leased.set(runId, lease);
      const request: RunRequest = { variables: { ...run.variables, ...lease.secrets }, templateParameters: run.templateParameters, previewRun: false, sourceBranch: run.sourceBranch, defaultPool: lease.defaultPool };
      const plan = await this.planner.replan(run, request);
      const resolution = await this.planner.resolve(plan, run.requestedBy.id);
      const permitting = run.timeline.some((r) => r.type === "Checkpoint.Authorization" && r.state !== "completed");
      if (permitting) return await this.waitAgain(run, plan, resolution);
      if (resolution.errors.length) throw new Error(pipelineNotValid(resolution.errors));
      this.start(run, plan, resolution);
    } catch (error) {
      this.options.logger.warn({ err: error, runId }, "a run taken over from a stopped process cannot go on");
      await this.abandon(runId, undefined);
    }
  }

  // ---- waiting for Permit (the project's resourceAuthorization: wait) -----------------------------------------

  /**
   * The run waits on an Authorization check until every connection it names is permitted to its pipeline
   * (pipelinePermissions PATCH, or open access); then it compiles its connections again and goes on.
   */
  async waitForPermit(run: Omit<Run, "id">, unauthorized: ResourceRef[], plan: QueuedPlan): Promise<Run> {
    const now = this.now();
    const checkpoint = newTimelineRecord({ type: "Checkpoint", name: "Checkpoint", identifier: "Checkpoint", state: "inProgress", startTime: now });
    const names = (type: ResourceRef["type"]) => unauthorized.filter((r) => r.type === type).map((r) => r.name).join(", ");
    const needs = [names("endpoint") && `Service connection: ${names("endpoint")}.`, names("variablegroup") && `Variable group: ${names("variablegroup")}.`, names("environment") && `Environment: ${names("environment")}.`].filter(Boolean).join(" ");
    const authorization = newTimelineRecord({
      type: "Checkpoint.Authorization",
      name: "Checkpoint.Authorization",
      identifier: "Checkpoint.Authorization",
      parentId: checkpoint.id,
      state: "inProgress",
      startTime: now,
      issues: [{ type: "warning", category: "General", message: `${NEEDS_PERMISSION} ${needs}`, data: { type: "warning" } }],
      warningCount: 1,
    });
    const waiting: Omit<Run, "id"> = { ...run, status: "inProgress", startTime: now, timeline: [checkpoint, authorization] };
    const stored = await this.options.store.pipelines.insertRun(waiting);
    await this.hold(stored, plan);
    this.waitHere(stored, plan, unauthorized);
    return stored;
  }

  /** A run taken over while it waited for Permit waits here: or goes on at once if it was permitted meanwhile. */
  private async waitAgain(run: Run, plan: QueuedPlan, resolution: Resolution): Promise<void> {
    if (resolution.errors.length && !resolution.onlyUnauthorized) throw new Error(pipelineNotValid(resolution.errors));
    this.waitHere(run, plan, resolution.unauthorized);
    await this.checkPermits();
  }

  private waitHere(run: Run, plan: QueuedPlan, unauthorized: ResourceRef[]): void {
    this.waiting.set(run.id, { run, plan, resources: unauthorized });
    this.permitTimer ??= setInterval(() => void this.checkPermits().catch((err) => this.options.logger.error({ err }, "cannot check waiting runs")), PERMIT_POLL_MS).unref();
  }

  private async checkPermits(): Promise<void> {
    for (const [id, waiting] of this.waiting) {
      const { run, plan } = waiting;
      const permitted = await Promise.all(waiting.resources.map((r) => this.options.devops.isAuthorized(plan.project.id, r, plan.pipeline.id)));
      if (!permitted.every(Boolean) || !this.waiting.delete(id)) continue;
      const resolution = await this.planner.resolve(plan, run.requestedBy.id);
      const now = this.now();
      const passed = resolution.errors.length === 0;
      for (const r of run.timeline) Object.assign(r, { state: "completed", result: passed ? "succeeded" : "failed", finishTime: now });
      if (!passed) {
        Object.assign(run, { status: "completed", result: "failed", finishTime: now, validationResults: [{ result: "error", message: pipelineNotValid(resolution.errors) }] });
        await this.options.store.pipelines.updateRun(run);
        await this.release(run.id);
        continue;
      }
      this.start(run, plan, resolution);
    }
    if (this.waiting.size === 0 && this.permitTimer) {
      clearInterval(this.permitTimer);
      this.permitTimer = undefined;
    }
  }


  /** Stops a run this process holds: one waiting for Permit ends canceled at once, a running one's steps stop. */
  async cancelHere(runId: number): Promise<Run | undefined> {
    const waiting = this.waiting.get(runId);
    if (waiting && this.waiting.delete(runId)) {
      const now = this.now();
      for (const r of waiting.run.timeline) Object.assign(r, { state: "completed", result: "canceled", finishTime: now });
      Object.assign(waiting.run, { status: "completed", result: "canceled", finishTime: now });
      await this.options.store.pipelines.updateRun(waiting.run);
      await this.release(waiting.run.id);
      return waiting.run;
    }
    const under = this.executions.get(runId);
    if (!under) return undefined;
    under.controller.abort();
    return this.options.store.pipelines.run(runId);
  }

  /** A run another process was asked to cancel, held here. */
  cancelHeld(runId: number): void {
    void this.cancelHere(runId).catch((err) => this.options.logger.error({ err, runId }, "cannot cancel a run"));
  }


  /**
   * Runs under way that no process holds (a store without leases left them) end as failed, with the agent's own
   * words (called at start, after lapsed leases were taken over; on a shared store only those queued more than
   * `graceMs` ago). A run that was waiting for Permit fails too: its queue-time secrets were not kept, so it cannot
   * go on; queue it again.
   */
  async recoverUnfinished(graceMs = 0): Promise<number> {
    const held = await this.options.leases.heldIds("run");
    // On a shared store a run queued a moment ago by another process may not hold its lease yet.
    const before = new Date(this.options.clock.nowMs() - graceMs).toISOString();
    const runs = (await this.options.store.pipelines.unfinishedRuns()).filter((run) => !held.has(String(run.id)) && run.queueTime < before);
    for (const run of runs) {
      const waited = run.timeline.some((r) => r.type === "Checkpoint.Authorization" && r.state !== "completed");
      await this.abandon(run.id, waited ? "svcconn stopped while this run waited for permission to use a resource. Queue the run again." : undefined);
    }
    return runs.length;
  }

  /** Ends a run that can no longer go on: running jobs fail with `message` (or the agent's "stopped hearing"). */
  async abandon(runId: number, message: string | undefined): Promise<void> {
    const run = await this.options.store.pipelines.run(runId);
    if (!run || run.status === "completed") return;
    const now = this.now();
    for (const r of run.timeline) {
      if (r.state === "completed") continue;
      if (r.type === "Job") await this.options.devops.endJob(r.id);
      if (r.state === "inProgress" && (r.type === "Job" || r.type === "Checkpoint.Authorization")) {
        r.issues.push({ type: "error", category: "General", message: message ?? STOPPED_HEARING.replace("{agent}", r.workerName ?? "Hosted Agent"), data: { type: "error" } });
        r.errorCount++;
      }
      Object.assign(r, { state: "completed", result: r.state === "inProgress" ? "failed" : "abandoned", finishTime: now });
    }
    Object.assign(run, { status: "completed", result: "failed", finishTime: now });
    await this.options.store.pipelines.updateRun(run);
    await this.release(runId);
  }

  /** Resolves when every run under way has finished (closing waits for it, bounded). */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /**
   * svcconn is stopping: each run under way is stored as it stands, its jobs stop, and its lease is given up for the
   * next process to take over (the next start, or another process on the database) — as after `kill -9`, the run
   * resumes rather than fails. Runs waiting for Permit stay held, taken over the same way.
   */
  handOverAll(): void {
    if (this.permitTimer) clearInterval(this.permitTimer);
    this.permitTimer = undefined;
    this.waiting.clear();
    for (const [runId, { execution, controller }] of this.executions) {
      this.handingOver.add(runId);
      void execution.handOver(() => controller.abort()).catch((err) => this.options.logger.error({ err, runId }, "cannot save a run handed over"));
    }
  }
}
