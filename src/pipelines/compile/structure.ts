import { findTask, type TaskDefinition } from "../tasks/catalog.js";
import type {
  CompiledEnvironment,
  CompiledJob,
  CompiledLeg,
  CompiledPipeline,
  CompiledResources,
  CompiledStage,
  CompiledStep,
  CompiledStrategy,
  GroupReference,
  PoolRequest,
  StepTarget,
  VariableDefinition,
} from "./compiler.js";
import { readDefinedVariables } from "./templates.js";
import { asBoolean, asSeq, asString, CompileError, readMap, toPlain, type Pos, type YMap, type YNode } from "./yaml-tree.js";

/*
 * The keys each construct takes, as Microsoft's YAML schema for Azure Pipelines lists them
 * (microsoft/azure-pipelines-vscode service-schema.json: pipeline, stage, job, step, … definitions).
 */
const PIPELINE_KEYS = ["name", "appendCommitMessageToRunName", "trigger", "pr", "schedules", "resources", "parameters", "variables", "lockBehavior", "pool", "stages", "jobs", "steps", "extends", "container", "continueOnError", "services", "strategy", "workspace", "queue", "server", "phases", "timeoutInMinutes"];
const STAGE_KEYS = ["stage", "displayName", "dependsOn", "condition", "variables", "jobs", "pool", "lockBehavior", "isSkippable", "templateContext", "trigger", "checks", "group"];
const JOB_KEYS = ["job", "displayName", "dependsOn", "condition", "continueOnError", "pool", "variables", "steps", "timeoutInMinutes", "cancelTimeoutInMinutes", "strategy", "container", "services", "workspace", "uses", "templateContext"];
const DEPLOYMENT_KEYS = ["deployment", "displayName", "dependsOn", "condition", "continueOnError", "pool", "variables", "timeoutInMinutes", "cancelTimeoutInMinutes", "strategy", "container", "services", "workspace", "uses", "templateContext", "environment"];
const COMMON_STEP_KEYS = ["condition", "continueOnError", "displayName", "enabled", "env", "name", "retryCountOnTaskFailure", "target", "timeoutInMinutes"];
const STEP_KEYS: Record<string, string[]> = {
  task: ["task", "inputs", ...COMMON_STEP_KEYS],
  script: ["script", "failOnStderr", "workingDirectory", ...COMMON_STEP_KEYS],
  bash: ["bash", "failOnStderr", "workingDirectory", ...COMMON_STEP_KEYS],
  pwsh: ["pwsh", "errorActionPreference", "failOnStderr", "ignoreLASTEXITCODE", "workingDirectory", ...COMMON_STEP_KEYS],
  powershell: ["powershell", "errorActionPreference", "failOnStderr", "ignoreLASTEXITCODE", "workingDirectory", ...COMMON_STEP_KEYS],
  checkout: ["checkout", "clean", "fetchDepth", "fetchFilter", "fetchTags", "lfs", "path", "persistCredentials", "sparseCheckoutDirectories", "sparseCheckoutPatterns", "submodules", "workspaceRepo", ...COMMON_STEP_KEYS],
  download: ["download", "artifact", "patterns", ...COMMON_STEP_KEYS],
  downloadBuild: ["downloadBuild", "artifact", "inputs", "path", "patterns", ...COMMON_STEP_KEYS],
  getPackage: ["getPackage", "path", ...COMMON_STEP_KEYS],
  publish: ["publish", "artifact", ...COMMON_STEP_KEYS],
  upload: ["upload", "artifact", ...COMMON_STEP_KEYS],
  reviewApp: ["reviewApp", ...COMMON_STEP_KEYS],
};
const STEP_KINDS = Object.keys(STEP_KEYS);
const HOOKS = ["preDeploy", "deploy", "routeTraffic", "postRouteTraffic"] as const;

/** The task each shorthand step is, with the inputs it sets (the server's own expansion). */
const SHORTHAND_TASKS: Record<string, { task: string; inputs: (value: string) => Record<string, string>; displayName: string }> = {
  script: { task: "CmdLine@2", inputs: (script) => ({ script }), displayName: "CmdLine" },
  bash: { task: "Bash@3", inputs: (script) => ({ targetType: "inline", script }), displayName: "Bash" },
  pwsh: { task: "PowerShell@2", inputs: (script) => ({ targetType: "inline", script, pwsh: "true" }), displayName: "PowerShell" },
  powershell: { task: "PowerShell@2", inputs: (script) => ({ targetType: "inline", script }), displayName: "PowerShell" },
  download: { task: "DownloadPipelineArtifact@2", inputs: (source) => ({ buildType: source === "current" ? "current" : "specific", ...(source === "current" ? {} : { definition: source }) }), displayName: "Download" },
  downloadBuild: { task: "DownloadBuildArtifacts@1", inputs: (source) => ({ buildType: source === "current" ? "current" : "specific" }), displayName: "Download Build Artifacts" },
  getPackage: { task: "DownloadPackage@1", inputs: (source) => ({ definition: source }), displayName: "Download Package" },
  publish: { task: "PublishPipelineArtifact@1", inputs: (path) => ({ targetPath: path }), displayName: "Publish" },
  upload: { task: "PublishBuildArtifacts@1", inputs: (path) => ({ PathtoPublish: path }), displayName: "Upload" },
};

export const ANY_TARGET: StepTarget = { settableVariables: null, commands: "any" };

const text = (fields: Map<string, { value: YNode }>, key: string) => (fields.has(key) ? asString(fields.get(key)!.value) : undefined);

/**
 * The structure stage of a compile: reads the expanded pipeline (no template or `${{ }}` left) with strict keys —
 * every construct of the schema — into stages, jobs and steps, each step's task resolved with its inputs by
 * canonical name. Service connections are checked afterwards (`resolve-connections.ts`).
 */
export class StructureReader {
  private autoJob = 0;

  /** `installed`: the tasks of the organization's Marketplace extensions, found beside the built-in ones. */
  constructor(private readonly installed: TaskDefinition[] = []) {}

  pipeline(node: YMap): Omit<CompiledPipeline, "parameters" | "finalYaml" | "extendsTemplate"> {
    const fields = readMap(node, PIPELINE_KEYS, "pipeline");
    const levels = ["stages", "jobs", "steps", "phases"].filter((k) => fields.has(k));
    if (levels.length > 1) throw new CompileError(`Unexpected value '${levels[1]}'`, fields.get(levels[1]!)!.key.pos);
    if (levels.length === 0) throw new CompileError("A pipeline needs 'stages', 'jobs' or 'steps'.", node.pos);
    const { variables, groups } = this.variables(fields.get("variables")?.value);
    let stages: CompiledStage[];
    if (fields.has("stages")) stages = this.stages(fields.get("stages")!.value);
    else {
      const jobLevel: YMap = { kind: "map", pos: node.pos, entries: node.entries.filter((e) => ["steps", "timeoutInMinutes", "continueOnError", "container", "services", "strategy", "workspace"].includes(e.key.value)) };
      const jobs = fields.has("jobs") || fields.has("phases") ? this.jobs(fields.get("jobs")?.value ?? fields.get("phases")!.value) : [this.job(jobLevel, "Job", "job")];
      const agentless = fields.has("server") && asBoolean(fields.get("server")!.value);
      if (agentless) for (const job of jobs) job.agentless = true;
      stages = [{ name: "__default", displayName: "__default", dependsOn: [], condition: null, pool: null, variables: [], groups: [], jobs, pos: node.pos }];
    }
    return {
      name: text(fields, "name") ?? null,
      pool: fields.has("pool") ? readPool(fields.get("pool")!.value) : null,
      variables,
      groups,
      stages,
      resources: readResources(fields.get("resources")?.value),
      triggers: { trigger: plain(fields, "trigger"), pr: plain(fields, "pr"), schedules: plain(fields, "schedules") },
      lockBehavior: text(fields, "lockBehavior") ?? null,
    };
  }

  /** An expanded `variables` value: name/value items (and the map form), and the groups it links. */
  private variables(node: YNode | undefined): { variables: VariableDefinition[]; groups: GroupReference[] } {
    if (!node || (node.kind === "scalar" && node.value === "")) return { variables: [], groups: [] };
    if (node.kind === "map") return { variables: node.entries.map((e) => ({ name: e.key.value, value: asString(e.value), readonly: false, isSecret: false })), groups: [] };
    const items = asSeq(node);
    // Each group keeps its place in the list: a later `name:` overrides its variables, and it overrides earlier ones.
    const groups: GroupReference[] = [];
    let before = 0;
    for (const item of items) {
      const group = item.kind === "map" ? item.entries.find((e) => e.key.value === "group") : undefined;
      if (group) groups.push({ name: asString(group.value), pos: group.value.pos, index: before });
      else before++;
    }
    return { variables: readDefinedVariables(items).map((v) => ({ name: v.name, value: v.value, readonly: v.readonly, isSecret: false })), groups };
  }

  private stages(node: YNode): CompiledStage[] {
    const out: CompiledStage[] = [];
    for (const item of asSeq(node)) {
      const fields = readMap(item, STAGE_KEYS, "stage");
      const name = fields.has("stage") ? asString(fields.get("stage")!.value) : `Stage${out.length ? `_${out.length + 1}` : ""}`;
      checkName(name, fields.get("stage")?.value.pos ?? item.pos, "stage");
      const { variables, groups } = this.variables(fields.get("variables")?.value);
      out.push({
        name,
        displayName: text(fields, "displayName") ?? name,
        dependsOn: dependsOn(fields.get("dependsOn")?.value, out.at(-1)?.name),
        condition: text(fields, "condition") ?? null,
        pool: fields.has("pool") ? readPool(fields.get("pool")!.value) : null,
        variables,
        groups,
        jobs: this.jobs(fields.get("jobs")?.value ?? { kind: "seq", items: [], pos: item.pos }),
        pos: item.pos,
      });
    }
    unique(out, "stage");
    return out;
  }

  private jobs(node: YNode): CompiledJob[] {
    const out: CompiledJob[] = [];
    for (const item of asSeq(node)) {
      if (item.kind !== "map") throw new CompileError("Expected a mapping", item.pos);
      const deployment = item.entries.find((e) => e.key.value === "deployment");
      const named = deployment ?? item.entries.find((e) => e.key.value === "job");
      const name = named && asString(named.value) ? asString(named.value) : `Job${this.autoJob++ ? `_${this.autoJob}` : ""}`;
      out.push(this.job(item, name, deployment ? "deployment" : "job"));
    }
    unique(out, "job");
    return out;
  }

  job(node: YMap, name: string, kind: "job" | "deployment"): CompiledJob {
    const fields = readMap(node, kind === "deployment" ? DEPLOYMENT_KEYS : JOB_KEYS, kind);
    checkName(name, fields.get(kind)?.value.pos ?? node.pos, "job");
    const { variables, groups } = this.variables(fields.get("variables")?.value);
    const pool = fields.has("pool") ? readPool(fields.get("pool")!.value) : null;
    const strategy = fields.has("strategy") ? readStrategy(fields.get("strategy")!.value, kind) : null;
    let steps: CompiledStep[];
    let legs: CompiledLeg[] = [{ name: null, variables: {} }];
    if (kind === "deployment") {
      steps = this.deploymentSteps(fields.get("strategy")?.value, name);
    } else {
      steps = this.steps(fields.get("steps")?.value ?? { kind: "seq", items: [], pos: node.pos }, name);
      if (strategy) legs = legsOf(strategy, fields.get("strategy")!.value);
    }
    if (steps.length === 0) throw new CompileError(`Job ${name}: Steps are required.`, node.pos);
    return {
      name,
      kind,
      displayName: text(fields, "displayName") ?? name,
      dependsOn: dependsOn(fields.get("dependsOn")?.value, undefined),
      condition: text(fields, "condition") ?? null,
      continueOnError: fields.has("continueOnError") ? asBoolean(fields.get("continueOnError")!.value) : false,
      pool: pool?.server ? null : pool,
      agentless: pool?.server === true,
      variables,
      groups,
      steps,
      legs,
      strategy,
      environment: kind === "deployment" ? readEnvironment(fields.get("environment")?.value, node.pos) : null,
      container: fields.has("container") ? readContainer(fields.get("container")!.value) : null,
      timeoutInMinutes: fields.has("timeoutInMinutes") ? minutes(fields.get("timeoutInMinutes")!.value) : 60,
      pos: node.pos,
    };
  }

  /**
   * A deployment job's steps, its strategy's lifecycle hooks in order (preDeploy, deploy, routeTraffic,
   * postRouteTraffic, then on: success or failure). The deploy hook downloads the run's artifacts first, as Azure
   * Pipelines does, unless it has a `download` step of its own.
   */
  private deploymentSteps(strategy: YNode | undefined, job: string): CompiledStep[] {
    if (!strategy) return [];
    const fields = readMap(strategy, ["runOnce", "rolling", "canary"], "deployment strategy");
    const [kind] = [...fields.keys()];
    if (!kind) return [];
    const hooks = readMap(fields.get(kind)!.value, ["preDeploy", "deploy", "routeTraffic", "postRouteTraffic", "on", "maxParallel", "increments"], `${kind} strategy`);
    const out: CompiledStep[] = [];
    for (const hook of HOOKS) {
      const value = hooks.get(hook)?.value;
      if (!value) continue;
      const hookFields = readMap(value, ["steps", "pool"], `${hook} hook`);
      const steps = this.steps(hookFields.get("steps")?.value ?? { kind: "seq", items: [], pos: value.pos }, job);
      if (hook === "deploy" && !steps.some((s) => s.kind === "download")) out.push(this.implicitDownload(value.pos));
      out.push(...steps);
    }
    const on = hooks.get("on")?.value;
    if (on) {
      const outcomes = readMap(on, ["success", "failure"], "on");
      for (const [outcome, condition] of [["failure", "failed()"], ["success", "succeeded()"]] as const) {
        const value = outcomes.get(outcome)?.value;
        if (!value) continue;
        const steps = this.steps(readMap(value, ["steps", "pool"], `on ${outcome} hook`).get("steps")?.value ?? { kind: "seq", items: [], pos: value.pos }, job);
        out.push(...steps.map((s) => ({ ...s, condition: s.condition ? `and(${condition}, ${s.condition})` : condition })));
      }
    }
    return out;
  }

  private implicitDownload(pos: Pos): CompiledStep {
    const download = SHORTHAND_TASKS.download!;
    const task = findTask(download.task).task ?? null;
    return { kind: "download", task, name: null, displayName: "Download", inputs: download.inputs("current"), inputKeys: {}, env: {}, condition: null, continueOnError: false, enabled: true, timeoutInMinutes: 0, retryCountOnTaskFailure: 0, target: ANY_TARGET, artifact: { source: "current", name: null, patterns: null, path: null }, pos };
  }

  steps(node: YNode, job: string): CompiledStep[] {
    return asSeq(node).map((item) => this.step(item, job));
  }

  private step(item: YNode, job: string): CompiledStep {
    if (item.kind !== "map") throw new CompileError("Expected a mapping", item.pos);
    const kind = item.entries.map((e) => e.key.value).find((k) => STEP_KINDS.includes(k));
    if (!kind) throw new CompileError(item.entries[0] ? `Unexpected value '${item.entries[0].key.value}'` : "A step needs one of 'task', 'script', 'bash', 'pwsh', 'powershell', 'checkout', 'download', 'publish' or 'template'.", item.entries[0]?.key.pos ?? item.pos);
    const fields = readMap(item, STEP_KEYS[kind]!, "step");
    const common = {
      name: text(fields, "name") ?? null,
      env: fields.has("env") ? stringMap(fields.get("env")!.value) : {},
      condition: text(fields, "condition") ?? null,
      continueOnError: fields.has("continueOnError") ? asBoolean(fields.get("continueOnError")!.value) : false,
      enabled: fields.has("enabled") ? asBoolean(fields.get("enabled")!.value) : true,
      timeoutInMinutes: fields.has("timeoutInMinutes") ? minutes(fields.get("timeoutInMinutes")!.value) : 0,
      retryCountOnTaskFailure: fields.has("retryCountOnTaskFailure") ? minutes(fields.get("retryCountOnTaskFailure")!.value) : 0,
      target: fields.has("target") ? readTarget(fields.get("target")!.value) : ANY_TARGET,
      pos: item.pos,
    };
    if (common.name !== null) checkName(common.name, fields.get("name")!.value.pos, "step");
    if (kind === "checkout") {
      const repository = text(fields, "checkout")!;
      const options = Object.fromEntries([...fields].filter(([k]) => !["checkout", ...COMMON_STEP_KEYS].includes(k)).map(([k, e]) => [k, asString(e.value)]));
      return { ...common, kind: "checkout", task: null, displayName: text(fields, "displayName") ?? "Checkout", inputs: {}, inputKeys: {}, checkout: { repository, options } };
    }
    if (kind === "task") {
      const { task, name, major } = findTask(text(fields, "task")!, this.installed);
      if (!task) throw new CompileError(taskMissing(name, major, job, common.name), fields.get("task")!.value.pos);
      const { inputs, inputKeys } = taskInputs(task, fields.get("inputs")?.value);
      // `common` is this step's own object: completing it costs less than copying it (thousands of steps).
      return Object.assign(common, { kind: "task" as const, task, displayName: text(fields, "displayName") ?? task.name, inputs, inputKeys });
    }
    // Shorthand steps are tasks, as the server expands them.
    const shorthand = SHORTHAND_TASKS[kind]!;
    const value = text(fields, kind)!;
    const task = findTask(shorthand.task).task!;
    const given = shorthand.inputs(value);
    for (const key of ["workingDirectory", "failOnStderr", "errorActionPreference", "ignoreLASTEXITCODE", "path", "patterns"]) if (fields.has(key)) given[key === "patterns" ? "itemPattern" : key === "path" ? "targetPath" : key] = asString(fields.get(key)!.value);
    if (fields.has("artifact")) given[kind === "publish" ? "artifactName" : kind === "upload" ? "ArtifactName" : "artifactName"] = asString(fields.get("artifact")!.value);
    const extra = fields.get("inputs")?.value;
    const { inputs, inputKeys } = taskInputs(task, extra, given);
    const artifactKinds = ["download", "downloadBuild", "publish", "upload"];
    const stepKind: CompiledStep["kind"] = artifactKinds.includes(kind) ? (kind === "download" || kind === "downloadBuild" ? "download" : "publish") : "task";
    const step: CompiledStep = Object.assign(common, { kind: stepKind, task, displayName: text(fields, "displayName") ?? shorthand.displayName, inputs, inputKeys });
    if (stepKind !== "task") step.artifact = { source: stepKind === "download" ? value : null, name: text(fields, "artifact") ?? null, patterns: text(fields, "patterns") ?? null, path: stepKind === "publish" ? value : (text(fields, "path") ?? null) };
    return step;
  }
}

export const taskMissing = (name: string, major: number | undefined, job: string, step: string | null) =>
  `A task is missing. The pipeline references a task called '${name}'. This usually indicates the task isn't installed, and you may be able to install it from the Marketplace: https://marketplace.visualstudio.com. (Task version ${major ?? ""}, job '${job}', step '${step ?? ""}'.)`;

/** Each task's inputs by lower-case name and alias, made once per task. */
const inputIndex = new WeakMap<TaskDefinition, Map<string, TaskDefinition["inputs"][number]>>();
function inputsOf(task: TaskDefinition): Map<string, TaskDefinition["inputs"][number]> {
  let index = inputIndex.get(task);
  if (!index) {
    index = new Map();
    for (const input of task.inputs) for (const key of [input.name, ...(input.aliases ?? [])]) if (!index.has(key.toLowerCase())) index.set(key.toLowerCase(), input);
    inputIndex.set(task, index);
  }
  return index;
}

/** Inputs by canonical name: YAML keys matched to names or aliases (case-insensitively), defaults filled in. */
export function taskInputs(task: TaskDefinition, node: YNode | undefined, given: Record<string, string> = {}) {
  const inputs: Record<string, string> = {};
  const inputKeys: Record<string, string> = {};
  const written: Array<[string, string]> = Object.entries(given);
  if (node && !(node.kind === "scalar" && node.value === "")) {
    if (node.kind !== "map") throw new CompileError("Expected a mapping", node.pos);
    for (const e of node.entries) written.push([e.key.value, asString(e.value)]);
  }
  for (const [key, value] of written) {
    const input = inputsOf(task).get(key.toLowerCase());
    // Unknown inputs reach the task as INPUT_ variables too, as on the real agent.
    const name = input?.name ?? key;
    inputs[name] = value;
    inputKeys[name] = key;
  }
  for (const input of task.inputs) if (!(input.name in inputs) && input.defaultValue !== undefined) inputs[input.name] = input.defaultValue;
  return { inputs, inputKeys };
}

/** `target: host | <container>`, or `{container, commands: any | restricted, settableVariables: none | [patterns]}`. */
function readTarget(node: YNode): StepTarget {
  if (node.kind === "scalar") return { ...ANY_TARGET, container: node.value.toLowerCase() === "host" ? null : node.value };
  const fields = readMap(node, ["container", "commands", "settableVariables"], "target");
  const commands = fields.has("commands") ? asString(fields.get("commands")!.value).toLowerCase() : "any";
  if (commands !== "any" && commands !== "restricted") throw new CompileError(`Unexpected value '${asString(fields.get("commands")!.value)}'`, fields.get("commands")!.value.pos);
  const settable = fields.get("settableVariables")?.value;
  let settableVariables: string[] | null = null;
  if (settable) {
    if (settable.kind === "scalar" && settable.value.toLowerCase() !== "none" && settable.value !== "") throw new CompileError(`Unexpected value '${settable.value}'`, settable.pos);
    settableVariables = settable.kind === "scalar" ? [] : asSeq(settable).map(asString);
  }
  const container = text(fields, "container");
  return { commands, settableVariables, container: container && container.toLowerCase() !== "host" ? container : null };
}

function readPool(node: YNode): PoolRequest {
  if (node.kind === "scalar") return { name: node.value, vmImage: null, server: node.value.toLowerCase() === "server" };
  const fields = readMap(node, ["name", "vmImage", "demands"], "pool");
  return { name: text(fields, "name") ?? null, vmImage: text(fields, "vmImage") ?? null, server: false };
}

function readStrategy(node: YNode, kind: "job" | "deployment"): CompiledStrategy {
  const fields = readMap(node, kind === "deployment" ? ["runOnce", "rolling", "canary"] : ["matrix", "maxParallel", "parallel"], "strategy");
  if (kind === "deployment") {
    const [name] = [...fields.keys()];
    if (!name) throw new CompileError("A deployment job needs a strategy: runOnce, rolling or canary.", node.pos);
    return { kind: name as "runOnce" | "rolling" | "canary" };
  }
  if (fields.has("parallel")) return { kind: "parallel", count: minutes(fields.get("parallel")!.value) };
  return { kind: "matrix", maxParallel: fields.has("maxParallel") ? minutes(fields.get("maxParallel")!.value) : 0 };
}

/** A matrix's legs (name and the variables each sets), or `parallel: N` copies. */
function legsOf(strategy: CompiledStrategy, node: YNode): CompiledLeg[] {
  if (strategy.kind === "parallel") return Array.from({ length: Math.max(strategy.count ?? 1, 1) }, (_, i) => ({ name: `Job${i + 1}`, variables: { "System.JobPositionInPhase": String(i + 1), "System.TotalJobsInPhase": String(strategy.count) } }));
  const matrix = readMap(node, ["matrix", "maxParallel"], "strategy").get("matrix")?.value;
  if (!matrix || (matrix.kind === "scalar" && matrix.value === "")) return [{ name: null, variables: {} }];
  if (matrix.kind !== "map") throw new CompileError("A matrix is a mapping of legs, each a mapping of variables.", matrix.pos);
  return matrix.entries.map((e) => {
    checkName(e.key.value, e.key.pos, "matrix leg");
    if (e.value.kind !== "map") throw new CompileError("Expected a mapping", e.value.pos);
    return { name: e.key.value, variables: Object.fromEntries(e.value.entries.map((v) => [v.key.value, asString(v.value)])) };
  });
}

function readEnvironment(node: YNode | undefined, pos: Pos): CompiledEnvironment {
  if (!node) throw new CompileError("A deployment job needs an environment.", pos);
  if (node.kind === "scalar") {
    const [name = "", resourceName] = node.value.split(".");
    return { name, resourceName: resourceName ?? null, pos: node.pos };
  }
  const fields = readMap(node, ["name", "resourceName", "resourceId", "resourceType", "tags"], "environment");
  return { name: text(fields, "name") ?? "", resourceName: text(fields, "resourceName") ?? null, pos: node.pos };
}

function readContainer(node: YNode): string {
  if (node.kind === "scalar") return node.value;
  const fields = readMap(node, ["alias", "image", "endpoint", "env", "mapDockerSocket", "mountReadOnly", "options", "ports", "volumes"], "container");
  return text(fields, "alias") ?? text(fields, "image") ?? "";
}

/** `resources`: repositories, pipelines and containers (what a run resolves); the other kinds are recorded. */
function readResources(node: YNode | undefined): CompiledResources {
  const out: CompiledResources = { repositories: [], pipelines: [], containers: [], other: [] };
  if (!node || (node.kind === "scalar" && node.value === "")) return out;
  const fields = readMap(node, ["repositories", "pipelines", "containers", "builds", "packages", "webhooks"], "resources");
  for (const item of fields.has("repositories") ? asSeq(fields.get("repositories")!.value) : []) {
    const r = readMap(item, ["repository", "type", "name", "ref", "endpoint", "connection", "trigger", "checkoutOptions"], "repository");
    out.repositories.push({ alias: text(r, "repository")!, type: (text(r, "type") ?? "git").toLowerCase(), name: text(r, "name") ?? text(r, "repository")!, ref: text(r, "ref") ?? null, endpoint: text(r, "endpoint") ?? text(r, "connection") ?? null, pos: item.pos });
  }
  for (const item of fields.has("pipelines") ? asSeq(fields.get("pipelines")!.value) : []) {
    const r = readMap(item, ["pipeline", "source", "project", "branch", "version", "tags", "trigger"], "pipeline resource");
    out.pipelines.push({ alias: text(r, "pipeline")!, source: text(r, "source") ?? text(r, "pipeline")!, project: text(r, "project") ?? null, branch: text(r, "branch") ?? null, version: text(r, "version") ?? null, pos: item.pos });
  }
  for (const item of fields.has("containers") ? asSeq(fields.get("containers")!.value) : []) {
    const r = readMap(item, ["container", "image", "type", "endpoint", "azureSubscription", "resourceGroup", "registry", "repository", "trigger", "env", "ports", "volumes", "options", "localImage", "mapDockerSocket", "mountReadOnly"], "container resource");
    out.containers.push({ alias: text(r, "container")!, image: text(r, "image") ?? "", endpoint: text(r, "endpoint") ?? null, azureSubscription: text(r, "azureSubscription") ?? null, pos: item.pos });
  }
  for (const kind of ["builds", "packages", "webhooks"]) if (fields.has(kind)) out.other.push(kind);
  return out;
}

function plain(fields: Map<string, { value: YNode }>, key: string): unknown {
  const value = fields.get(key)?.value;
  return value === undefined ? null : toPlain(value);
}

function dependsOn(node: YNode | undefined, previous: string | undefined): string[] {
  if (!node) return previous ? [previous] : [];
  if (node.kind === "scalar") return node.value ? [node.value] : [];
  return asSeq(node).map(asString);
}

function stringMap(node: YNode): Record<string, string> {
  if (node.kind === "scalar" && node.value === "") return {};
  if (node.kind !== "map") throw new CompileError("Expected a mapping", node.pos);
  return Object.fromEntries(node.entries.map((e) => [e.key.value, asString(e.value)]));
}

function minutes(node: YNode): number {
  const n = Number(asString(node));
  if (!Number.isInteger(n) || n < 0) throw new CompileError(`Unexpected value '${asString(node)}'`, node.pos);
  return n;
}

function checkName(name: string, pos: Pos, what: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new CompileError(`The ${what} name ${name} is invalid. Names may only contain alphanumeric characters and '_' and may not start with a number.`, pos);
  }
}

function unique(items: Array<{ name: string; pos: Pos }>, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.name.toLowerCase())) throw new CompileError(`The ${what} name ${item.name} appears more than once. ${what === "stage" ? "Stage" : "Job"} names must be unique within a pipeline.`, item.pos);
    seen.add(item.name.toLowerCase());
  }
}
