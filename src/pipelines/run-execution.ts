
import type { AgentLease, AgentQueue, PoolChoice } from "./agent-queue.js";
import type { CompiledJob, CompiledLeg, CompiledPipeline, CompiledStage } from "./compile/compiler.js";
import { evaluate, ExpressionError, toText, type Value } from "./compile/expressions.js";
import type { ConnectionUse } from "./compile/resolve-connections.js";
import type { Approvals } from "./approvals.js";
import { type CheckpointContext, passCheckpoint } from "./checkpoint.js";
import type { ResourceLocks } from "./resource-locks.js";
import type { PipelineResourceRun, Pipeline, RecordResult, Repository, Run, RunResult, TimelineRecord } from "./model.js";
import type { CheckedResource, ConnectionForJob, OrganizationRef, ProjectRef } from "./ports.js";
import { compileTimeVariables, pipelineResourceVariables } from "./predefined.js";
import { isInside } from "./repositories.js";
import { type PlannedRecords, RunRecorder } from "./run-recorder.js";
import { expandMacros, isSecretAuthorizationParameter } from "./runner/agent-env.js";
import { folderArtifacts } from "./runner/artifacts.js";
import { JobRunner, type AgentInfo, type JobSink, type JobVariable, type OutputVariable, type RepositoryContent } from "./runner/job-runner.js";
import { SecretMasker } from "./runner/masker.js";
import type { PipelinesOptions } from "./service.js";

/** A job under way, as the job OIDC route checks it. */
export interface LiveJob {
  runId: number;
  pipelineId: number;
  projectId: string;
  /** The connections the job's steps name: the only ones its OIDC token route answers for. */
  connections: Set<string>;
}

/** The key of a job in a plan's pools. */
export const poolKey = (stage: { name: string }, job: { name: string }) => `${stage.name}\u0000${job.name}`;

/** What a queued run needs to go on once nothing stops it. */
export interface RunPlan {
  pipeline: Pipeline;
  repository: Repository;
  compiled: CompiledPipeline;
  /** Each job's pool, by `poolKey` (jobs are copied when variable groups resolve; names stay). */
  pools: Map<string, PoolChoice>;
  project: ProjectRef;
  org: OrganizationRef;
  /** What a checkout may copy: `self` and the aliases of `resources.repositories`. */
  repositories: Map<string, RepositoryContent>;
  /** `resources.pipelines`, each resolved to a run of its source pipeline. */
  pipelineResources: PipelineResourceRun[];
}

/** Azure Pipelines' words for a job whose agent stopped renewing its lock (a process that died under a job). */
export const STOPPED_HEARING =
  "We stopped hearing from agent {agent}. Verify the agent machine is running and has a healthy network connection. Anything that terminates an agent process, starves it for CPU, or blocks its network access can cause this error. For more information, see: https://go.microsoft.com/fwlink/?linkid=846610";

/** The pipelines plane's parts a run uses while it executes. */
export interface ExecutionDeps extends Omit<PipelinesOptions, "keyBox" | "leases"> {
  agents: AgentQueue;
  approvals: Approvals;
  locks: ResourceLocks;
  live: Map<string, LiveJob>;
  /** The pipeline's own variables with their values, secrets opened. */
  openVariables: (pipeline: Pipeline) => Record<string, { value: string; isSecret: boolean }>;
  /** A leg finished with these outputs (kept with the run's lease, for a process that takes the run over). */
  legFinished: (runId: number, leg: string, outputs: Record<string, OutputVariable>) => Promise<void>;
}

interface JobOutcome {
  result: RecordResult;
  outputs: Record<string, OutputVariable>;
}


/** A job's outputs from its legs': named after the leg in a matrix, and after the job for a deployment (runOnce). */
function jobOutputs(job: CompiledJob, legs: Array<Record<string, OutputVariable>>): Record<string, OutputVariable> {
  const outputs: Record<string, OutputVariable> = {};
  for (const [i, leg] of job.legs.entries()) {
    for (const [k, v] of Object.entries(legs[i] ?? {})) {
      outputs[leg.name ? `${leg.name}.${k}` : k] = v;
      if (job.kind === "deployment") outputs[`${job.name}.${k}`] = v;
    }
  }
  return outputs;
}

const resultWord = (r: RecordResult): string => (r === "succeededWithIssues" ? "SucceededWithIssues" : r.charAt(0).toUpperCase() + r.slice(1));
const worst = (results: RecordResult[]): RecordResult =>
  results.includes("failed") ? "failed" : results.includes("canceled") ? "canceled" : results.includes("succeededWithIssues") ? "succeededWithIssues" : results.length && results.every((r) => r === "skipped") ? "skipped" : "succeeded";

/**
 * One run's execution: its timeline (stages, phases and a job per matrix leg, pending from the start), stages in
 * order with their conditions, jobs waiting for an agent within the organization's parallel jobs, each job's
 * variables and connections, logs written as they come, and the connections' usage history at the end.
 */
export class RunExecution {
  private readonly recorder: RunRecorder;
  private readonly stageResults = new Map<string, { result: RecordResult; jobs: Map<string, JobOutcome> }>();
  private readonly connectionsUsed = new Map<string, { connection: ConnectionForJob; result: RecordResult }>();
  private readonly compileTime: Record<string, string>;
  private handedOver = false;

  constructor(
    private readonly deps: ExecutionDeps,
    private readonly run: Run,
    private readonly plan: RunPlan,
    private readonly uses: ConnectionUse[],
    private readonly signal: AbortSignal,
    /** A run taken over: the outputs of its legs that finished, by the leg's record identifier. */
    private readonly finished: Record<string, Record<string, OutputVariable>> = {},
  ) {
    this.recorder = new RunRecorder(deps.store, deps.clock, deps.logger, run);
    const collectionUri = `${deps.urls().devops}/${plan.org.name}/`;
    this.compileTime = { ...pipelineResourceVariables(plan.pipelineResources), ...compileTimeVariables({ runId: run.id, buildNumber: run.name, sourceBranch: run.sourceBranch, sourceVersion: run.sourceVersion, requestedBy: run.requestedBy, pipeline: plan.pipeline, repository: plan.repository, project: plan.project, organization: plan.org, collectionUri }) };
  }

  private now = () => this.deps.clock.now().toISOString();

  /**
   * svcconn is stopping: the run stays stored as it is at this instant, for the process that takes it over (the
   * next start, or another process on the same database), and `stop` ends its jobs; nothing after is recorded.
   */
  handOver(stop: () => void): Promise<void> {
    this.handedOver = true;
    const saved = this.recorder.freeze();
    stop();
    return saved;
  }

  async execute(): Promise<void> {
    const { compiled } = this.plan;
    const records = this.recorder.planRecords(compiled);
    await this.recorder.flush();
    for (const stage of compiled.stages) await this.stage(stage, records);
    const all = [...this.stageResults.values()].map((s) => s.result);
    const result: RunResult = this.signal.aborted ? "canceled" : all.includes("failed") ? "failed" : all.includes("succeededWithIssues") ? "partiallySucceeded" : "succeeded";
    Object.assign(this.run, { status: "completed", result, finishTime: this.now() });
    await this.recorder.close();
    if (this.handedOver) return;
    for (const { connection, result: r } of this.connectionsUsed.values()) {
      await this.deps.devops.recordExecution({
        endpointId: connection.id,
        projectId: this.run.projectId,
        planType: "Build",
        definition: { id: this.plan.pipeline.id, name: this.plan.pipeline.name },
        owner: { id: this.run.id, name: this.run.name },
        result: r === "failed" ? "failed" : r === "canceled" ? "canceled" : "succeeded",
        startTime: this.run.startTime ?? this.run.queueTime,
        finishTime: this.run.finishTime!,
      });
    }
  }

  // ---- stages and jobs -------------------------------------------------------------------------------------

  /** Variables a stage's or job's condition and `$[ ]` read: predefined, the pipeline's own, queue-time, YAML's. */
  private conditionVariables(stage?: CompiledStage): Record<string, Value> {
    const out: Record<string, Value> = { ...this.compileTime };
    for (const [name, v] of Object.entries(this.deps.openVariables(this.plan.pipeline))) if (!v.isSecret) out[name] = v.value;
    for (const [name, v] of Object.entries(this.run.variables)) if (!v.isSecret) out[name] = v.value;
    for (const v of [...this.plan.compiled.variables, ...(stage?.variables ?? [])]) if (!v.isSecret) out[v.name] = v.value;
    return out;
  }

  /** `dependencies.Stage.result` and `.outputs['Job.step.var']` for a stage's condition. */
  private stageDependencies(): Record<string, Value> {
    return Object.fromEntries(
      [...this.stageResults].map(([name, s]) => [
        name,
        { result: resultWord(s.result), outputs: Object.fromEntries([...s.jobs].flatMap(([job, o]) => Object.entries(o.outputs).map(([k, v]) => [`${job}.${k}`, v.value]))) },
      ]),
    );
  }

  /** `stageDependencies.Stage.Job.result` and `.outputs['step.var']` for jobs of later stages. */
  private jobStageDependencies(): Record<string, Value> {
    return Object.fromEntries([...this.stageResults].map(([name, s]) => [name, Object.fromEntries([...s.jobs].map(([job, o]) => [job, { result: resultWord(o.result), outputs: Object.fromEntries(Object.entries(o.outputs).map(([k, v]) => [k, v.value])) }]))]));
  }

  private condition(condition: string | null, status: { succeeded: boolean; failed: boolean }, values: Record<string, Value>): boolean {
    try {
      const value = evaluate(condition ?? "succeeded()", { values, status: { succeeded: status.succeeded && !this.signal.aborted, failed: status.failed, canceled: this.signal.aborted } });
      return value !== null && value !== false && value !== "" && value !== 0;
    } catch (error) {
      if (error instanceof ExpressionError) return false;
      throw error;
    }
  }

  private async stage(stage: CompiledStage, records: PlannedRecords): Promise<void> {
    const stageRecord = records.get(stage)!.stage!;
    if (stageRecord.state === "completed") {
      const jobs = new Map(stage.jobs.map((job) => [job.name, this.finishedJob(job, records.get(job)!) ?? { result: "skipped" as const, outputs: {} }]));
      this.stageResults.set(stage.name, { result: stageRecord.result ?? "skipped", jobs });
      return;
    }
    const deps = stage.dependsOn.map((d) => this.stageResults.get(d)?.result ?? "skipped");
    const status = { succeeded: deps.every((r) => r === "succeeded" || r === "succeededWithIssues"), failed: deps.includes("failed") };
    const jobs = new Map<string, JobOutcome>();
    if (this.signal.aborted || !this.condition(stage.condition, status, { variables: this.conditionVariables(), dependencies: this.stageDependencies() })) {
      const result: RecordResult = this.signal.aborted ? "canceled" : "skipped";
      this.recorder.complete([stageRecord, ...stage.jobs.flatMap((j) => [records.get(j)!.phase, ...records.get(j)!.legs])], result);
      this.stageResults.set(stage.name, { result, jobs });
      return;
    }
    // A stage in progress passed its checks before the run was taken over; one still pending evaluates them anew.
    const checks = stageRecord.state === "inProgress" ? { passed: true as const, release: () => undefined } : await passCheckpoint(this.checkpointContext(), stage, this.withoutUnfinishedCheckpoint(stage, stageRecord), this.checkedResources(stage));
    if (!checks.passed) {
      // A stage whose checks fail does not run: its jobs are skipped, the stage fails.
      this.recorder.complete(stage.jobs.flatMap((j) => [records.get(j)!.phase, ...records.get(j)!.legs]), "skipped");
      Object.assign(stageRecord, { startTime: this.now() });
      this.recorder.complete([stageRecord], this.signal.aborted ? "canceled" : "failed");
      this.stageResults.set(stage.name, { result: this.signal.aborted ? "canceled" : "failed", jobs });
      return;
    }
    Object.assign(stageRecord, { state: "inProgress", startTime: this.now() });
    this.recorder.changed();
    try {
      for (const job of stage.jobs) jobs.set(job.name, await this.job(stage, job, records.get(job)!, jobs));
    } finally {
      checks.release();
    }
    const result = worst([...jobs.values()].map((j) => j.result));
    this.recorder.complete([stageRecord], result);
    this.stageResults.set(stage.name, { result, jobs });
  }

  /**
   * The protected resources a stage uses whose checks it must pass: its deployment jobs' environments, the
   * connections its steps name, the variable groups it links (its own, its jobs', the pipeline's).
   */
  private checkedResources(stage: CompiledStage): CheckedResource[] {
    const out: CheckedResource[] = [];
    const add = (r: CheckedResource) => {
      if (!out.some((o) => o.type === r.type && o.id === r.id)) out.push(r);
    };
    for (const job of stage.jobs) if (job.environment?.id !== undefined) add({ type: "environment", id: String(job.environment.id) });
    for (const v of [...this.plan.compiled.variables, ...stage.variables, ...stage.jobs.flatMap((j) => j.variables)]) if (v.groupId !== undefined) add({ type: "variablegroup", id: String(v.groupId) });
    for (const use of this.uses) if (use.stage === stage.name) add({ type: "endpoint", id: use.connection.id });
    return out;
  }

  private checkpointContext(): CheckpointContext {
    const { devops, approvals, locks, clock } = this.deps;
    const { org, project, pipeline, compiled } = this.plan;
    return { devops, approvals, locks, clock, signal: this.signal, run: this.run, org, project, pipeline: { id: pipeline.id, name: pipeline.name }, compiled, record: (r) => this.recorder.add(r), changed: () => this.recorder.changed() };
  }

  /** A job: its condition, then each of its legs in turn (one for a job without a matrix). */
  private async job(stage: CompiledStage, job: CompiledJob, records: { phase?: TimelineRecord; legs: TimelineRecord[] }, done: Map<string, JobOutcome>): Promise<JobOutcome> {
    const finished = this.finishedJob(job, records);
    if (finished) return finished;
    const deps = job.dependsOn.map((d) => done.get(d)?.result ?? "skipped");
    const dependencies: Record<string, Value> = Object.fromEntries([...done].map(([name, r]) => [name, { result: resultWord(r.result), outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, o]) => [k, o.value])) }]));
    const values = { variables: this.conditionVariables(stage), dependencies, stageDependencies: this.jobStageDependencies() };
    const status = { succeeded: deps.every((r) => r === "succeeded" || r === "succeededWithIssues"), failed: deps.includes("failed") };
    if (this.signal.aborted || !this.condition(job.condition, status, values)) {
      const result: RecordResult = this.signal.aborted ? "canceled" : "skipped";
      this.recorder.complete([records.phase, ...records.legs], result);
      return { result, outputs: {} };
    }
    // Secret outputs of the jobs this one reads are secrets here too.
    const secretOutputs = [...done.values(), ...[...this.stageResults.values()].flatMap((s) => [...s.jobs.values()])].flatMap((r) => Object.values(r.outputs).filter((o) => o.isSecret).map((o) => o.value));
    if (records.phase!.state !== "inProgress") Object.assign(records.phase!, { state: "inProgress", startTime: this.now() });
    const outcomes: JobOutcome[] = [];
    for (const [i, leg] of job.legs.entries()) outcomes.push(await this.leg(stage, job, leg, records.legs[i]!, values, secretOutputs));
    const result = worst(outcomes.map((o) => o.result));
    this.recorder.complete([records.phase], result);
    if (job.environment?.id !== undefined) await this.recordDeployment(stage, job, records.phase!, result);
    return { result, outputs: jobOutputs(job, outcomes.map((o) => o.outputs)) };
  }

  /** A job that finished before the run was taken over: its result, and its outputs as its legs left them. */
  private finishedJob(job: CompiledJob, records: { phase?: TimelineRecord; legs: TimelineRecord[] }): JobOutcome | undefined {
    if (records.phase?.state !== "completed") return undefined;
    return { result: records.phase.result ?? "skipped", outputs: jobOutputs(job, records.legs.map((l) => this.finished[l.identifier ?? ""] ?? {})) };
  }

  /** A stage's checkpoint that had not decided when the run was taken over is evaluated again from the start. */
  private withoutUnfinishedCheckpoint(stage: CompiledStage, stageRecord: TimelineRecord): TimelineRecord {
    const checkpoint = this.run.timeline.find((r) => r.type === "Checkpoint" && r.identifier === `${stage.name}.Checkpoint`);
    if (checkpoint) this.run.timeline = this.run.timeline.filter((r) => r !== checkpoint && r.parentId !== checkpoint.id);
    return stageRecord;
  }

  /** A deployment job that ran is in its environment's history (its Deployments tab). */
  private async recordDeployment(stage: CompiledStage, job: CompiledJob, phase: TimelineRecord, result: RecordResult): Promise<void> {
    if (this.handedOver) return;
    await this.deps.devops.recordDeployment(this.plan.org, {
      environmentId: job.environment!.id!,
      projectId: this.run.projectId,
      planId: this.run.planId,
      requestIdentifier: phase.id,
      stageName: stage.name,
      jobName: job.name,
      definition: { id: this.plan.pipeline.id, name: this.plan.pipeline.name },
      owner: { id: this.run.id, name: this.run.name },
      result: result === "succeededWithIssues" ? "succeededWithIssues" : result,
      queueTime: this.run.queueTime,
      startTime: phase.startTime,
      finishTime: phase.finishTime,
    });
  }

  /** One leg: it waits for an agent within the organization's parallel jobs, saying where it stands, then runs. */
  private async leg(stage: CompiledStage, job: CompiledJob, leg: CompiledLeg, jobRecord: TimelineRecord, values: Record<string, Value>, secretOutputs: string[]): Promise<JobOutcome> {
    if (jobRecord.state === "completed") return { result: jobRecord.result ?? "skipped", outputs: this.finished[jobRecord.identifier ?? ""] ?? {} };
    if (jobRecord.state === "inProgress") return this.lostLeg(jobRecord);
    let lease: AgentLease;
    try {
      // An agentless job runs on the server: no agent, and no parallel job.
      lease = job.agentless ? { agent: { name: "Server", pool: "server", hosted: true, vm: null }, release: () => undefined } : await this.deps.agents.acquire(this.plan.org.id, this.plan.pools.get(poolKey(stage, job))!, this.signal, (message) => {
        jobRecord.currentOperation = message;
        this.recorder.changed();
      });
    } catch {
      this.recorder.complete([jobRecord], "canceled");
      return { result: "canceled", outputs: {} };
    }
    Object.assign(this.run, { status: "inProgress" });
    this.run.startTime ??= this.now();
    Object.assign(jobRecord, { state: "inProgress", startTime: this.now(), workerName: lease.agent.name, currentOperation: null });
    jobRecord.logId = this.recorder.newLog();
    this.recorder.changed();
    const sink: JobSink = {
      record: (r) => this.recorder.upsert(r),
      log: (r, line) => this.recorder.append(r.logId, line),
      newLogId: () => this.recorder.newLog(jobRecord.logId),
      backlog: () => this.recorder.backlog(),
    };
    const outcome = await this.runJob({ stage, job, leg, jobRecord, agent: lease.agent, dependencies: values, secretOutputs, sink }).finally(() => lease.release());
    this.recorder.complete([jobRecord], outcome.result);
    if (!this.handedOver) await this.deps.legFinished(this.run.id, jobRecord.identifier ?? "", outcome.outputs);
    for (const c of outcome.connections) {
      const prior = this.connectionsUsed.get(c.id);
      this.connectionsUsed.set(c.id, { connection: c, result: prior?.result === "failed" ? "failed" : outcome.result });
    }
    return outcome;
  }

  /**
   * A leg that was running when its process stopped: Azure Pipelines ends a job whose agent stopped renewing
   * with "We stopped hearing from agent", failed; its unfinished steps end with it, and the run goes on.
   */
  private async lostLeg(jobRecord: TimelineRecord): Promise<JobOutcome> {
    await this.deps.devops.endJob(jobRecord.id);
    const now = this.now();
    for (const r of this.run.timeline) {
      if (r.parentId !== jobRecord.id || r.state === "completed") continue;
      Object.assign(r, { state: "completed", result: r.state === "inProgress" ? "failed" : "skipped", finishTime: r.state === "inProgress" ? now : null });
    }
    jobRecord.issues.push({ type: "error", category: "General", message: STOPPED_HEARING.replace("{agent}", jobRecord.workerName ?? "Hosted Agent"), data: { type: "error" } });
    jobRecord.errorCount++;
    this.recorder.complete([jobRecord], "failed");
    return { result: "failed", outputs: {} };
  }

  private async runJob(input: { stage: CompiledStage; job: CompiledJob; leg: CompiledLeg; jobRecord: TimelineRecord; agent: AgentInfo; dependencies: Record<string, Value>; secretOutputs: string[]; sink: JobSink }): Promise<JobOutcome & { connections: ConnectionForJob[] }> {
    const { run, plan, deps } = this;
    const { stage, job } = input;
    const urls = deps.urls();
    const collectionUri = `${urls.devops}/${plan.org.name}/`;
    // System.JobId is the job's timeline record id, as in Azure Pipelines.
    const jobId = input.jobRecord.id;
    const expiresAt = new Date(deps.clock.nowMs() + (job.timeoutInMinutes || 60) * 60_000 + 5 * 60_000);
    const jobToken = await deps.devops.issueJobToken(plan.org, { projectId: plan.project.id, planId: run.planId, jobId, runId: run.id, pipelineId: plan.pipeline.id }, expiresAt);
    const masker = new SecretMasker();
    masker.add(jobToken);
    for (const secret of input.secretOutputs) masker.add(secret);
    const variables = this.jobVariables(input, jobId, jobToken, collectionUri, masker);
    const connections = new Map<string, ConnectionForJob>();
    const used = new Map<string, ConnectionForJob>();
    for (const use of this.uses) {
      if (use.stage !== stage.name || use.job !== job.name) continue;
      const connection = used.get(use.connection.id) ?? (await deps.devops.connectionForJob(plan.org, use.connection.id));
      used.set(connection.id, connection);
      // The agent masks every authorization parameter but those it knows are not secrets (the tenant id among them).
      for (const [key, value] of Object.entries(connection.parameters)) if (isSecretAuthorizationParameter(key)) masker.add(value);
      connections.set(`${use.stepIndex}:${use.input}`, connection);
    }
    const liveKey = `${run.planId}:${jobId}`;
    deps.live.set(liveKey, { runId: run.id, pipelineId: plan.pipeline.id, projectId: plan.project.id, connections: new Set(used.keys()) });
    try {
      const runner = new JobRunner(
        {
          job,
          jobRecord: input.jobRecord,
          variables,
          connections,
          collectionUri,
          cloud: { login: urls.login, arm: urls.arm, graph: urls.graph },
          imdsUrl: urls.imds,
          proxyUrl: urls.proxy,
          jobToken,
          repositories: plan.repositories,
          artifacts: folderArtifacts(deps.workFolders.artifactsRoot, run.id),
          resourceArtifacts: (alias) => {
            const resource = plan.pipelineResources.find((r) => r.alias.toLowerCase() === alias.toLowerCase());
            return resource && { run: resource.run, store: folderArtifacts(deps.workFolders.artifactsRoot, resource.run.id) };
          },
          agent: input.agent,
          baseEnv: deps.agentEnvironment(),
          masker,
          clock: deps.clock,
          signal: this.signal,
          workFolders: deps.workFolders,
          sandbox: deps.sandbox,
          isProtected: (path) => isInside(path, deps.protectedPaths),
        },
        input.sink,
      );
      const outcome = await runner.run();
      return { ...outcome, connections: [...used.values()] };
    } finally {
      deps.live.delete(liveKey);
      await deps.devops.endJob(jobId);
    }
  }

  /**
   * A job's variables, lowest precedence first: predefined, the pipeline's own, queue-time values, the YAML's
   * (pipeline, stage, job; `$[ ]` evaluated now with the dependencies' outputs), then the leg's.
   */
  private jobVariables(input: { stage: CompiledStage; job: CompiledJob; leg: CompiledLeg; agent: AgentInfo; dependencies: Record<string, Value>; secretOutputs: string[] }, jobId: string, jobToken: string, collectionUri: string, masker: SecretMasker): Map<string, JobVariable> {
    const { run, plan } = this;
    const { stage, job } = input;
    const variables = new Map<string, JobVariable>();
    const set = (name: string, value: string, isSecret = false) => {
      const existing = [...variables.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
      if (existing !== undefined && existing !== name) variables.delete(existing);
      variables.set(name, { value, isSecret });
    };
    const jobDisplayName = input.leg.name ? `${job.displayName} ${input.leg.name}` : job.displayName;
    const predefined: Record<string, string> = {
      ...this.compileTime,
      "Build.BuildNumber": run.name,
      "Build.Repository.Id": plan.repository.id,
      "System.TeamFoundationServerUri": collectionUri,
      "System.ServerType": "Hosted",
      "System.PlanId": run.planId,
      "System.JobId": jobId,
      "System.JobName": input.leg.name ?? "__default",
      "System.JobDisplayName": jobDisplayName,
      "System.PhaseName": job.name,
      "System.PhaseDisplayName": job.displayName,
      "System.StageName": stage.name,
      "System.StageDisplayName": stage.displayName,
      "System.OidcRequestUri": `${collectionUri}${plan.project.id}/_apis/distributedtask/hubs/build/plans/${run.planId}/jobs/${jobId}/oidctoken`,
      "Agent.Name": input.agent.name,
      "Agent.JobName": jobDisplayName,
      ...(job.environment ? { "Environment.Name": job.environment.name, ...(job.environment.id !== undefined ? { "Environment.Id": String(job.environment.id) } : {}), ...(job.environment.resourceName ? { "Environment.ResourceName": job.environment.resourceName } : {}), "Strategy.Name": job.strategy?.kind ?? "runOnce" } : {}),
    };
    for (const [k, v] of Object.entries(predefined)) set(k, v);
    set("System.AccessToken", jobToken, true);
    const defined = this.deps.openVariables(plan.pipeline);
    for (const [name, v] of Object.entries(run.variables)) {
      const key = Object.keys(defined).find((k) => k.toLowerCase() === name.toLowerCase());
      const wasSecret = key !== undefined && defined[key]!.isSecret;
      if (key !== undefined) delete defined[key];
      defined[name] = { value: v.value, isSecret: !!v.isSecret || wasSecret };
    }
    for (const [name, v] of Object.entries(defined)) {
      set(name, v.value, v.isSecret);
      if (v.isSecret) masker.add(v.value);
    }
    const lookup = (name: string) => [...variables].find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1].value;
    for (const v of [...plan.compiled.variables, ...stage.variables, ...job.variables]) {
      const raw = v.value.trim();
      let value = v.value;
      if (v.isSecret) {
        // A variable group's secret: masked, and taken as it is.
        set(v.name, value, true);
        masker.add(value);
        continue;
      }
      if (!v.group && raw.startsWith("$[") && raw.endsWith("]")) {
        try {
          value = toText(evaluate(raw.slice(2, -1), { values: { ...input.dependencies, variables: Object.fromEntries([...variables].map(([k, x]) => [k, x.value])) } }));
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          value = "";
        }
      } else value = expandMacros(value, lookup);
      // A value made from a secret (a secret output of a job this one reads) is a secret variable here.
      set(v.name, value, input.secretOutputs.some((secret) => secret.length >= 3 && value.includes(secret)));
      if (v.readonly) variables.get(v.name)!.readonly = true;
    }
    for (const [name, value] of Object.entries(input.leg.variables)) set(name, value);
    return variables;
  }
}
