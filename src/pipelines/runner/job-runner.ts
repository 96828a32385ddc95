import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { minimatch } from "minimatch";
import type { Clock } from "../../core/clock.js";
import type { CompiledJob, CompiledStep } from "../compile/compiler.js";
import { ANY_TARGET } from "../compile/structure.js";
import { evaluate, ExpressionError, type Value } from "../compile/expressions.js";
import { newTimelineRecord, type RecordResult, type TimelineIssue, type TimelineRecord } from "../model.js";
import type { ConnectionForJob } from "../ports.js";
import { realpathOrSelf } from "../repositories.js";
import { runsOnLinux, versionText } from "../tasks/catalog.js";
import { agentTexts, connectionEnvironment, HOSTED_AGENT_PROXY_USER, envName, expandMacros, isReadOnlyVariable, RESTRICTED_MODE_COMMANDS, systemConnectionEnvironment, type CloudUrls } from "./agent-env.js";
import { parseLoggingCommand, type LoggingCommand } from "./logging-commands.js";
import type { SecretMasker } from "./masker.js";
import type { StepSandbox } from "./sandbox.js";
import { StepProcess } from "./step-process.js";
import type { WorkFolders } from "./work-folders.js";

export interface JobVariable {
  value: string;
  isSecret: boolean;
  /** `readonly: true` in the YAML, or `isreadonly=true` on `task.setvariable`: no step may change it. */
  readonly?: boolean;
}

/** An output variable a step set (`isOutput=true`), by `step.name`: secret ones stay secret in later jobs. */
export interface OutputVariable {
  value: string;
  isSecret: boolean;
}

/** Where a job's records, log lines and output variables go (the service persists them). */
export interface JobSink {
  record(record: TimelineRecord): void;
  log(record: TimelineRecord, line: string): void;
  newLogId(): number;
  /** While the log's writes lag behind, a promise of their catching up: steps' output waits (memory stays bounded). */
  backlog(): Promise<void> | undefined;
}

export interface AgentInfo {
  name: string;
  pool: string;
  hosted: boolean;
  /** The VM of the world the agent runs on (its managed identities answer at 169.254.169.254), or null. */
  vm: string | null;
}

/** A repository's content for a checkout: a folder to copy, or files to write. */
export interface RepositoryContent {
  name: string;
  folder: string | null;
  files: Record<string, string> | null;
}

/** A run's pipeline artifacts, kept by svcconn (out of every step's reach) between its jobs. */
export interface ArtifactStore {
  /** Stores a copy of `from` (a file or folder) as artifact `name`; fails when the name is taken. */
  publish(name: string, from: string): void;
  /** Copies the artifacts (one by name, or all: each in a folder of its name) into `to`; returns their names. */
  download(name: string | null, to: string): string[];
}

export interface JobContext {
  job: CompiledJob;
  jobRecord: TimelineRecord;
  variables: Map<string, JobVariable>;
  /** `${stepIndex}:${input}` → the connection that input resolved to. */
  connections: Map<string, ConnectionForJob>;
  collectionUri: string;
  cloud: CloudUrls;
  /** svcconn's instance metadata listener, which stands for 169.254.169.254 on the agent's machine. */
  imdsUrl: string;
  /** svcconn's real-host proxy: a step's clients may keep Microsoft's own URLs. */
  proxyUrl?: string;
  jobToken: string;
  /** Repositories a checkout may copy, by alias (`self`, and the aliases of `resources.repositories`). */
  repositories: Map<string, RepositoryContent>;
  /** The run's pipeline artifacts: a `publish` step stores a folder, a `download` step copies them back. */
  artifacts: ArtifactStore;
  /** The artifacts of the run a pipeline resource (by alias) stands for. */
  resourceArtifacts: (alias: string) => { run: { id: number; name: string }; store: ArtifactStore } | undefined;
  agent: AgentInfo;
  /** Environment the agent itself has (PATH, proxy, CA bundle) that every step inherits. */
  baseEnv: NodeJS.ProcessEnv;
  masker: SecretMasker;
  clock: Clock;
  signal: AbortSignal;
  /** Where the job's folder is made (outside svcconn's data folder) and removed. */
  workFolders: WorkFolders;
  sandbox: StepSandbox;
  /** True for a path no checkout may copy (svcconn's data folder and CA). */
  isProtected: (path: string) => boolean;
}

/**
 * A job's log stops growing past this much text (svcconn's cap: the agent uploads logs in 8 MB pages and the service
 * keeps them; svcconn keeps a job's log bounded so one job cannot fill the store). The job goes on and says so.
 */
export const MAX_JOB_LOG_BYTES = 64 * 1024 * 1024;
const MAX_LINE_CHARS = 64 * 1024;
/** How often deadlines are compared with svcconn's clock (timeouts follow the clock you can move). */
const DEADLINE_TICK_MS = 250;
const AGENT_VERSION = "4.264.2";
const here = dirname(fileURLToPath(import.meta.url));
/** lib/fetch-proxy.mjs of this package (from src/ and from dist/ alike). */
const FETCH_PROXY = pathToFileURL(join(here, "..", "..", "..", "lib", "fetch-proxy.mjs")).href;
const fromSource = import.meta.url.endsWith(".ts");

/**
 * The process that runs a task: the task host, then its folder's `run` module under `tasks/`, with tsx when
 * svcconn runs from source.
 */
function taskCommand(folder: string): { file: string; args: string[] } {
  const module = (path: string) => join(here, "..", "tasks", `${path}${fromSource ? ".ts" : ".js"}`);
  const modules = [module("task-host"), module(`${folder}/run`)];
  if (!fromSource) return { file: process.execPath, args: modules };
  // tsx by its resolved location: a step's working folder has no node_modules.
  const loader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs")).href;
  return { file: process.execPath, args: ["--import", loader, ...modules] };
}

/**
 * Runs one job as the agent does: a work folder, the implicit checkout, each step as its own process group (in the
 * sandbox) with the environment the agent builds (variables, inputs, connections, the system connection), logging
 * commands turned into timeline issues, variables and masks under the agent's rules, and every line masked before
 * it is kept. Timeouts follow svcconn's clock.
 */
export class JobRunner {
  private order = 0;
  private readonly outputs: Record<string, OutputVariable> = {};
  private readonly prependPath: string[] = [];
  private current: StepProcess | undefined;
  private jobTimedOut = false;
  /** Characters written to the job's log, and whether its cap was reached. */
  private logBytes = 0;
  private logCapped = false;

  constructor(private readonly ctx: JobContext, private readonly sink: JobSink) {}

  private now = () => this.ctx.clock.now().toISOString();

  private newRecord(name: string, step?: CompiledStep): TimelineRecord {
    return newTimelineRecord({
      parentId: this.ctx.jobRecord.id,
      type: "Task",
      name,
      identifier: step?.name ?? null,
      order: ++this.order,
      task: step?.task ? { id: step.task.id, name: step.task.name, version: versionText(step.task) } : null,
      workerName: this.ctx.agent.name,
    });
  }

  /** Runs the job; returns its result and the output variables its steps set (`step.name` → value). */
  async run(): Promise<{ result: RecordResult; outputs: Record<string, OutputVariable> }> {
    const work = this.ctx.workFolders.create();
    const dirs = { temp: join(work, "_temp"), sources: join(work, "s"), artifacts: join(work, "a"), binaries: join(work, "b") };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    const set = (name: string, value: string) => this.ctx.variables.set(name, { value, isSecret: false, readonly: true });
    set("Agent.TempDirectory", dirs.temp);
    set("Agent.WorkFolder", work);
    set("Agent.BuildDirectory", work);
    set("Pipeline.Workspace", work);
    set("Build.SourcesDirectory", dirs.sources);
    set("Build.Repository.LocalPath", dirs.sources);
    set("System.DefaultWorkingDirectory", dirs.sources);
    set("Build.ArtifactStagingDirectory", dirs.artifacts);
    set("Build.BinariesDirectory", dirs.binaries);
    const deadline = this.jobDeadline();
    const ticker = setInterval(() => this.checkDeadline(deadline), DEADLINE_TICK_MS);
    const cancel = () => this.current?.stop("cancel");
    this.ctx.signal.addEventListener("abort", cancel);
    try {
      const outcome = await this.steps(work, dirs.sources);
      if (this.jobTimedOut) return { result: "failed", outputs: this.outputs };
      if (this.ctx.signal.aborted) return { result: "canceled", outputs: this.outputs };
      return { result: outcome, outputs: this.outputs };
    } finally {
      clearInterval(ticker);
      this.ctx.signal.removeEventListener("abort", cancel);
      this.ctx.workFolders.remove(work);
    }
  }

  private async steps(work: string, sources: string): Promise<RecordResult> {
    let failed = false;
    let issues = false;
    const init = this.newRecord("Initialize job");
    this.start(init);
    this.line(init, `Agent name: '${this.ctx.agent.name}'`);
    this.line(init, `Agent machine name: '${this.ctx.agent.hosted ? "fv-az-svcconn" : this.ctx.agent.name}'`);
    this.line(init, `Current agent version: '${AGENT_VERSION}'`);
    this.line(init, `Agent running as: '${this.ctx.agent.hosted ? "vsts" : "svcconn"}'`);
    const container = this.ctx.job.container ?? this.ctx.job.steps.find((s) => s.target.container)?.target.container;
    if (container) this.line(init, `svcconn has no container runtime: the steps this job would run in container '${container}' run on the agent's host.`);
    if (this.ctx.sandbox.kind === "none") this.issue(init, "warning", `svcconn runs this job's steps without a sandbox: ${this.ctx.sandbox.reason}. A step can then read svcconn's data folder (its keys) and environment; install bubblewrap (scripts/install-system-deps.sh) to isolate steps.`);
    this.finish(init, "succeeded");
    const steps = this.ctx.job.steps.filter((s) => !(s.kind === "checkout" && s.checkout?.repository.toLowerCase() === "none"));
    // A job checks out its own repository unless it says otherwise; a deployment job checks out nothing by itself.
    if (this.ctx.job.kind === "job" && !this.ctx.job.agentless && !this.ctx.job.steps.some((s) => s.kind === "checkout") && this.ctx.repositories.has("self")) {
      steps.unshift({ kind: "checkout", checkout: { repository: "self", options: {} }, task: null, name: null, displayName: "Checkout", inputs: {}, inputKeys: {}, env: {}, condition: null, continueOnError: false, enabled: true, timeoutInMinutes: 0, retryCountOnTaskFailure: 0, target: ANY_TARGET, pos: this.ctx.job.pos });
    }
    // With more than one repository checked out, each goes to a folder of its name under s/.
    const several = steps.filter((s) => s.kind === "checkout").length > 1;
    for (const step of steps) {
      const index = this.ctx.job.steps.indexOf(step);
      const label = step.kind === "checkout" ? this.checkoutLabel(step, several) : expandMacros(step.displayName, this.lookup);
      const record = this.newRecord(label, step);
      if (this.ctx.signal.aborted || this.jobTimedOut) {
        this.sink.record({ ...record, state: "completed", result: "canceled" });
        continue;
      }
      if (!step.enabled || !this.condition(step.condition, failed)) {
        this.sink.record({ ...record, state: "completed", result: "skipped" });
        continue;
      }
      this.start(record);
      const result = await this.runStep(record, step, index, work, sources, several);
      this.finish(record, result);
      if (result === "failed") {
        if (step.continueOnError) issues = true;
        else failed = true;
      }
      if (result === "succeededWithIssues") issues = true;
    }
    const finalize = this.newRecord("Finalize Job");
    this.start(finalize);
    this.line(finalize, "Cleaning up task key");
    this.finish(finalize, "succeeded");
    return failed ? "failed" : issues ? "succeededWithIssues" : "succeeded";
  }

  /** When the job must end (its `timeoutInMinutes` on svcconn's clock; 0 is no limit on a self-hosted agent). */
  private jobDeadline(): number | undefined {
    const minutes = this.ctx.job.timeoutInMinutes || (this.ctx.agent.hosted ? 60 : 0);
    return minutes ? this.ctx.clock.nowMs() + minutes * 60_000 : undefined;
  }

  private checkDeadline(deadline: number | undefined): void {
    if (deadline === undefined || this.jobTimedOut || this.ctx.clock.nowMs() < deadline) return;
    this.jobTimedOut = true;
    const minutes = this.ctx.job.timeoutInMinutes || 60;
    const message = `The job running on agent ${this.ctx.agent.name} ran longer than the maximum time of ${minutes} minutes. For more information, see https://go.microsoft.com/fwlink/?linkid=2077134`;
    this.ctx.jobRecord.issues.push({ type: "error", category: "General", message, data: { type: "error" } });
    this.ctx.jobRecord.errorCount++;
    this.sink.record(this.ctx.jobRecord);
    this.current?.stop("cancel");
  }

  private start(record: TimelineRecord): void {
    record.state = "inProgress";
    record.startTime = this.now();
    record.logId = this.sink.newLogId();
    this.sink.record(record);
  }

  private finish(record: TimelineRecord, result: RecordResult): void {
    record.state = "completed";
    record.result = result;
    record.finishTime = this.now();
    this.sink.record(record);
  }

  /** Writes text (one or more lines) to a record's log; returns the number of its first line there. */
  private line(record: TimelineRecord, text: string): number {
    const counts = lineCounts(record);
    const first = counts.count + 1;
    const masked = this.ctx.masker.mask(text);
    for (const part of masked.includes("\n") ? masked.split(/\r?\n/) : [masked]) {
      const kept = part.length > MAX_LINE_CHARS ? `${part.slice(0, MAX_LINE_CHARS)}…` : part;
      this.logBytes += kept.length + 1;
      this.sink.log(record, kept);
      counts.count++;
    }
    return first;
  }

  private issue(record: TimelineRecord, type: "error" | "warning", message: string, data: Record<string, string> = {}): void {
    const masked = this.ctx.masker.mask(message);
    const line = this.line(record, `##[${type}]${masked}`);
    const issue: TimelineIssue = { type, category: "General", message: masked, data: { type, ...data, logFileLineNumber: String(line) } };
    record.issues.push(issue);
    if (type === "error") record.errorCount++;
    else record.warningCount++;
    this.sink.record(record);
  }

  /** A step's condition with the job's status so far (`succeeded()` when none is written). */
  private condition(condition: string | null, failed: boolean): boolean {
    try {
      const value = evaluate(condition ?? "succeeded()", {
        values: { variables: this.variableValues() },
        status: { succeeded: !failed, failed, canceled: this.ctx.signal.aborted },
      });
      return value !== null && value !== false && value !== "" && value !== 0;
    } catch (error) {
      if (error instanceof ExpressionError) return false;
      throw error;
    }
  }

  private variableValues(): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const [name, v] of this.ctx.variables) out[name] = v.value;
    return out;
  }

  private variable(name: string): [string, JobVariable] | undefined {
    const lower = name.toLowerCase();
    for (const entry of this.ctx.variables) if (entry[0].toLowerCase() === lower) return entry;
    return undefined;
  }

  private lookup = (name: string): string | undefined => this.variable(name)?.[1].value;

  /** One step: a checkout, an artifact, or a task (retried as `retryCountOnTaskFailure` says, as the agent does). */
  private async runStep(record: TimelineRecord, step: CompiledStep, index: number, work: string, sources: string, several: boolean): Promise<RecordResult> {
    if (step.kind === "checkout") return this.checkout(record, step, sources, several);
    if (this.ctx.job.agentless) return this.notRun(record, step, "agentless");
    if (step.kind === "publish" || step.kind === "download") return this.artifact(record, step);
    const attempts = Math.min(step.retryCountOnTaskFailure, 10);
    if (step.retryCountOnTaskFailure > 10) this.issue(record, "warning", `The maximum allowed number of attempts is 10 but got ${step.retryCountOnTaskFailure}. Retry attempts count will be decreased to 10.`);
    let result = await this.task(record, step, index, work);
    for (let attempt = 1; attempt <= attempts && result === "failed" && !this.ctx.signal.aborted && !this.jobTimedOut; attempt++) {
      const delay = (attempt * attempt) * 1000;
      this.issue(record, "warning", `RetryHelper encountered task failure, will retry (attempt #: ${attempt} out of ${attempts}) after ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
      result = await this.task(record, step, index, work);
    }
    return result;
  }

  private checkoutLabel(step: CompiledStep, several: boolean): string {
    const alias = step.checkout!.repository;
    const name = this.ctx.repositories.get(alias.toLowerCase())?.name ?? alias;
    return `Checkout ${name}@main to ${several ? `s/${name}` : "s"}`;
  }

  /** Copies a repository into the sources folder; svcconn's data folder and CA are never copied. */
  private checkout(record: TimelineRecord, step: CompiledStep, sources: string, several: boolean): RecordResult {
    const alias = step.checkout!.repository.toLowerCase();
    const repository = this.ctx.repositories.get(alias);
    const label = this.checkoutLabel(step, several);
    if (!repository) {
      this.issue(record, "error", alias === "self" ? "Checkout of 'self' failed: the pipeline has no repository." : `Checkout of '${step.checkout!.repository}' failed: no repository resource has that alias.`);
      return "failed";
    }
    const target = several ? join(sources, repository.name) : sources;
    this.line(record, `##[section]Starting: ${label}`);
    this.line(record, `Syncing repository: ${repository.name} (Git)`);
    try {
      mkdirSync(target, { recursive: true });
      if (repository.folder) {
        if (this.ctx.isProtected(realpathOrSelf(repository.folder))) throw new Error(`the repository's folder lies inside svcconn's data folder, which no job may read`);
        cpSync(repository.folder, target, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes(".git") && !this.ctx.isProtected(realpathOrSelf(src)) });
      }
      for (const [path, text] of Object.entries(repository.files ?? {})) {
        const file = join(target, ...path.split("/").filter((p) => p && p !== ".."));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
    } catch (error) {
      this.issue(record, "error", `Checkout failed: ${(error as Error).message}`);
      return "failed";
    }
    this.line(record, `##[section]Finishing: ${label}`);
    return "succeeded";
  }

  /** `publish` and `download`: the run's pipeline artifacts, kept by svcconn between jobs. */
  private artifact(record: TimelineRecord, step: CompiledStep): RecordResult {
    const artifact = step.artifact!;
    const workspace = this.lookup("Pipeline.Workspace") ?? "";
    try {
      if (step.kind === "publish") {
        const from = isAbsolute(artifact.path ?? "") ? artifact.path! : join(this.lookup("System.DefaultWorkingDirectory") ?? workspace, expandMacros(artifact.path ?? "", this.lookup));
        const name = artifact.name ? expandMacros(artifact.name, this.lookup) : `${this.ctx.job.name}`;
        this.line(record, `Uploading pipeline artifact from ${from} for build #${this.lookup("Build.BuildId") ?? ""}`);
        this.ctx.artifacts.publish(name, from);
        this.line(record, `Successfully uploaded '${from}' to pipeline artifact '${name}'`);
        return "succeeded";
      }
      const resource = artifact.source && artifact.source !== "current" ? this.ctx.resourceArtifacts(artifact.source) : undefined;
      if (artifact.source && artifact.source !== "current" && !resource) {
        this.issue(record, "error", `'${artifact.source}' is not a pipeline resource of this pipeline: declare it under resources.pipelines.`);
        return "failed";
      }
      // Artifacts land in $(Pipeline.Workspace)/<artifact>, a pipeline resource's in $(Pipeline.Workspace)/<alias>/<artifact>.
      const name = artifact.name ? expandMacros(artifact.name, this.lookup) : null;
      const location = resource ? join(workspace, artifact.source!) : workspace;
      const to = artifact.path ? expandMacros(artifact.path, this.lookup) : name ? join(location, name) : location;
      if (resource) this.line(record, `Downloading artifacts of ${resource.run.name} (run ${resource.run.id}), pipeline resource '${artifact.source}'`);
      const names = (resource?.store ?? this.ctx.artifacts).download(name, to);
      this.line(record, `Downloading ${names.length} pipeline artifact(s) to ${to}: ${names.join(", ")}`);
      return "succeeded";
    } catch (error) {
      this.issue(record, "error", (error as Error).message);
      return "failed";
    }
  }

  private stepEnvironment(step: CompiledStep, index: number): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.ctx.baseEnv };
    const publicNames: string[] = [];
    const secretNames: string[] = [];
    for (const [name, v] of this.ctx.variables) {
      if (v.isSecret) {
        secretNames.push(name);
        env[`SECRET_${envName(name)}`] = v.value;
      } else {
        publicNames.push(name);
        env[envName(name)] = v.value;
      }
    }
    env.VSTS_PUBLIC_VARIABLES = JSON.stringify(publicNames);
    env.VSTS_SECRET_VARIABLES = JSON.stringify(secretNames);
    env.AGENT_VERSION = AGENT_VERSION;
    env.AGENT_NAME = this.ctx.agent.name;
    env.AGENT_OS = "Linux";
    env.AGENT_OSARCHITECTURE = "X64";
    env.AGENT_JOBNAME = this.ctx.job.displayName;
    env.TF_BUILD = "True";
    const workingDirectory = this.lookup("System.DefaultWorkingDirectory") ?? "";
    for (const [name, value] of Object.entries(step.inputs)) {
      let expanded = expandMacros(value, this.lookup);
      // The agent roots file path inputs at the default working directory (an empty one is that directory).
      if (step.task?.inputs.find((i) => i.name === name)?.type === "filePath" && !isAbsolute(expanded)) expanded = join(workingDirectory, expanded);
      env[`INPUT_${envName(name)}`] = expanded;
    }
    Object.assign(env, systemConnectionEnvironment(this.ctx.collectionUri, this.ctx.jobToken));
    for (const input of step.task?.inputs ?? []) {
      const connection = this.ctx.connections.get(`${index}:${input.name}`);
      if (!connection) continue;
      env[`INPUT_${envName(input.name)}`] = connection.id;
      Object.assign(env, connectionEnvironment(connection, this.ctx.cloud));
    }
    if (this.prependPath.length) env.PATH = [...this.prependPath, env.PATH ?? ""].join(":");
    // Real-host mode: Microsoft's hosts through svcconn's proxy, and 169.254.169.254 of the agent's machine through it
    // to the metadata listener, which knows the VM by the proxy user name (a Microsoft-hosted agent's machine has no
    // identity of yours). Without the proxy, plain HTTP goes to the metadata listener directly.
    const via = new URL(this.ctx.proxyUrl ?? this.ctx.imdsUrl);
    const proxy = `http://${this.proxyUser()}${via.host}`;
    env.HTTP_PROXY = proxy;
    env.http_proxy = proxy;
    if (this.ctx.proxyUrl) {
      Object.assign(env, { HTTPS_PROXY: proxy, https_proxy: proxy, NO_PROXY: "localhost,127.0.0.1,::1", no_proxy: "localhost,127.0.0.1,::1", AGENT_PROXYURL: this.ctx.proxyUrl });
      // Node's fetch reads no proxy variable: as `svcconn env` does, it is pointed at the proxy too, so nothing a
      // step runs resolves Microsoft's real hosts.
      env.NODE_OPTIONS = [env.NODE_OPTIONS, `--import=${FETCH_PROXY}`].filter(Boolean).join(" ");
    }
    // `env:` is the only way a step sees a secret variable as an environment variable (System.AccessToken too).
    for (const [name, value] of Object.entries(step.env)) env[name] = expandMacros(value, this.lookup);
    return env;
  }

  /** Who the agent's machine is, for svcconn's proxy: its VM, a Microsoft-hosted agent, or this machine. */
  private proxyUser(): string {
    if (this.ctx.agent.vm) return `${encodeURIComponent(this.ctx.agent.vm)}:agent@`;
    return this.ctx.agent.hosted ? `${encodeURIComponent(HOSTED_AGENT_PROXY_USER)}:agent@` : "";
  }

  private async task(record: TimelineRecord, step: CompiledStep, index: number, work: string): Promise<RecordResult> {
    const task = step.task!;
    this.line(record, `##[section]Starting: ${step.displayName}`);
    this.line(record, "==============================================================================");
    this.line(record, `Task         : ${task.friendlyName}`);
    this.line(record, `Description  : ${task.description}`);
    this.line(record, `Version      : ${versionText(task)}`);
    this.line(record, `Author       : ${task.author}`);
    this.line(record, `Help         : ${task.helpUrl}`);
    this.line(record, "==============================================================================");
    if (!task.entry) {
      const result = this.notRun(record, step);
      this.line(record, `##[section]Finishing: ${step.displayName}`);
      return result;
    }
    const { file, args } = taskCommand(task.entry);
    const env = this.stepEnvironment(step, index);
    const cwd = env.BUILD_SOURCESDIRECTORY ?? work;
    let completed: RecordResult | undefined;
    let commandFailed = false;
    const process = new StepProcess(this.ctx.sandbox, (pgid) => this.ctx.workFolders.recordStep(work, pgid, this.ctx.jobRecord.id));
    this.current = process;
    const stepMinutes = step.timeoutInMinutes;
    const stepDeadline = stepMinutes ? this.ctx.clock.nowMs() + stepMinutes * 60_000 : undefined;
    let stepTimedOut = false;
    const ticker = setInterval(() => {
      if (stepDeadline !== undefined && this.ctx.clock.nowMs() >= stepDeadline) {
        stepTimedOut = true;
        process.stop("timeout");
      }
    }, DEADLINE_TICK_MS);
    if (this.ctx.signal.aborted || this.jobTimedOut) process.stop("cancel");
    const exit = await process
      .run({ file, args, cwd, env, jobFolder: work, tempFolder: join(work, "_temp"), marker: this.ctx.jobRecord.id }, (line) => {
        const outcome = this.output(record, line, step);
        if (outcome === "commandFailed") commandFailed = true;
        else if (outcome) completed = outcome;
      }, () => this.sink.backlog())
      .finally(() => {
        clearInterval(ticker);
        this.current = undefined;
      });
    let result: RecordResult = completed ?? "succeeded";
    if (stepTimedOut) {
      this.issue(record, "error", "The task has timed out.");
      result = "failed";
    } else if (exit.stoppedBy === "cancel") {
      this.issue(record, "error", "The operation was canceled.");
      result = this.jobTimedOut ? "failed" : "canceled";
    } else if (exit.startError) {
      this.issue(record, "error", `An error occurred trying to start process '${file}' with working directory '${cwd}'. ${exit.startError.message}`);
      result = "failed";
    } else if (exit.code !== 0) {
      // A task process that dies without reporting (a crash, a signal) fails its step, as on the agent.
      this.issue(record, "error", `Exit code ${exit.code ?? 1} returned from process: file name '${file}', arguments '${args.map((a) => `"${a}"`).join(" ")}'.`);
      result = "failed";
    } else if (commandFailed) result = "failed";
    this.line(record, `##[section]Finishing: ${step.displayName}`);
    return result;
  }

  /**
   * A task svcconn compiles (its connections resolved and authorized) but does not run: a Windows-only task fails as
   * the agent fails it on Linux; any other says svcconn does not emulate it. Either way the step fails, as a missing
   * capability does on an agent.
   */
  /**
   * A task svcconn does not run: resolved and authorized like any other, then skipped with a warning that says so
   * (the run goes on, as the issue of tasks svcconn runs asks); a Windows-only task on the Linux agent fails as the
   * agent makes it fail.
   */
  private notRun(record: TimelineRecord, step: CompiledStep, why: "not emulated" | "agentless" = "not emulated"): RecordResult {
    const task = step.task;
    const name = task ? `${task.name}@${task.version.major}` : step.displayName;
    if (why === "not emulated" && task && !runsOnLinux(task)) {
      this.issue(record, "error", agentTexts.windowsOnlyTask);
      return "failed";
    }
    const what = why === "agentless" ? `agentless (server) jobs: the task ${name}` : `the task ${name}: it`;
    const message = `svcconn does not run ${what} compiled, and its service connections were resolved and authorized, but it was not run (skipped).`;
    this.line(record, message);
    this.issue(record, "warning", message);
    return "skipped";
  }

  /** One line of a task's output: a logging command the agent acts on, or a line for the log. */
  private output(record: TimelineRecord, line: string, step: CompiledStep): RecordResult | "commandFailed" | undefined {
    const command = parseLoggingCommand(line);
    if (!command) {
      if (this.logBytes >= MAX_JOB_LOG_BYTES) {
        if (!this.logCapped) {
          this.logCapped = true;
          this.issue(record, "warning", `The log of this job was cut at ${MAX_JOB_LOG_BYTES / 1024 / 1024} MB (svcconn's limit); the job goes on.`);
        }
        return undefined;
      }
      this.line(record, line);
      return undefined;
    }
    if (step.target.commands === "restricted" && !RESTRICTED_MODE_COMMANDS.has(command.command)) {
      const [area = "", event = ""] = command.command.split(".");
      this.issue(record, "warning", agentTexts.commandNotAllowed(area, event));
      return undefined;
    }
    try {
      return this.command(record, command, line, step);
    } catch (error) {
      // The agent fails the step when a command cannot be processed (WorkerCommandManager).
      this.issue(record, "error", agentTexts.commandProcessFailed(line));
      this.issue(record, "error", (error as Error).message);
      return "commandFailed";
    }
  }

  private command(record: TimelineRecord, command: LoggingCommand, line: string, step: CompiledStep): RecordResult | undefined {
    const p = command.properties;
    switch (command.command) {
      case "task.issue":
      case "task.logissue": {
        const type = p.type === "warning" ? "warning" : "error";
        const data: Record<string, string> = {};
        if (p.source) data.source = p.source;
        this.issue(record, type, command.data, data);
        return undefined;
      }
      case "task.complete": {
        const r = (p.result ?? "succeeded").toLowerCase();
        return r === "failed" ? "failed" : r === "succeededwithissues" ? "succeededWithIssues" : r === "skipped" ? "skipped" : "succeeded";
      }
      case "task.setsecret":
        this.ctx.masker.add(command.data);
        return undefined;
      case "task.setvariable":
        this.setVariable(record, command, step);
        return undefined;
      case "task.prependpath":
        if (!this.settable(record, step, "PATH")) return undefined;
        this.prependPath.unshift(command.data);
        return undefined;
      case "task.debug":
        if (/^true$/i.test(this.lookup("System.Debug") ?? "")) this.line(record, `##[debug]${command.data}`);
        return undefined;
      case "build.updatebuildnumber":
        return undefined;
      default:
        if (/^true$/i.test(this.lookup("System.Debug") ?? "")) this.line(record, `##[debug]Processed: ${line}`);
        return undefined;
    }
  }

  /** `task.setvariable` under the agent's rules: read-only variables refuse (failing the step), `target` limits. */
  private setVariable(record: TimelineRecord, command: LoggingCommand, step: CompiledStep): void {
    const p = command.properties;
    const name = p.variable;
    if (!name) throw new Error("Variable name is missing");
    const isSecret = /^true$/i.test(p.issecret ?? "");
    const isOutput = /^true$/i.test(p.isoutput ?? "");
    const readonly = /^true$/i.test(p.isreadonly ?? "");
    const existing = this.variable(name);
    if (existing && (existing[1].readonly || isReadOnlyVariable(existing[0]))) throw new Error(agentTexts.readOnlyVariable(name));
    if (!existing && isReadOnlyVariable(name)) throw new Error(agentTexts.readOnlyVariable(name));
    if (isSecret) {
      if (/[\r\n]/.test(command.data)) throw new Error(agentTexts.multilineSecret);
      this.ctx.masker.add(command.data);
    }
    if (!this.settable(record, step, name)) return;
    if (isOutput) {
      if (!step.name) return;
      this.ctx.variables.set(`${step.name}.${name}`, { value: command.data, isSecret, readonly });
      this.outputs[`${step.name}.${name}`] = { value: command.data, isSecret };
      return;
    }
    if (existing) this.ctx.variables.delete(existing[0]);
    this.ctx.variables.set(existing?.[0] ?? name, { value: command.data, isSecret, readonly });
  }

  /** The step's `target.settableVariables` (glob patterns, case-insensitive), with the agent's warning. */
  private settable(record: TimelineRecord, step: CompiledStep, name: string): boolean {
    const allowed = step.target.settableVariables;
    if (allowed === null || allowed.some((pattern) => minimatch(name, pattern, { nocase: true }))) return true;
    this.issue(record, "warning", agentTexts.setVariableNotAllowed(name));
    return false;
  }
}

const counters = new WeakMap<TimelineRecord, { count: number }>();
function lineCounts(record: TimelineRecord) {
  const found = counters.get(record);
  if (found) return found;
  const made = { count: 0 };
  counters.set(record, made);
  return made;
}


