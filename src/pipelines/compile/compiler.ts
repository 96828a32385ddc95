import { stringify } from "yaml";
import { findTask, type TaskDefinition } from "../tasks/catalog.js";
import type { Value } from "./expressions.js";
import { bindParameters, TemplateExpander, type ReadFile, type TemplateScope } from "./templates.js";
import { asBoolean, asSeq, asString, CompileError, readMap, type Pos, type YMap, type YNode } from "./yaml-tree.js";

export interface VariableDefinition {
  name: string;
  /** A literal (macros resolved at run time), or a `$[ ]` run-time expression. */
  value: string;
  isSecret: boolean;
  readonly: boolean;
}

export interface CompiledStep {
  kind: "task" | "checkout";
  task: TaskDefinition | null;
  /** The reference name (`name:`), or null: the compile-time messages then show an empty step name. */
  name: string | null;
  displayName: string;
  /** Inputs by canonical name, as written (macros resolved at run time). */
  inputs: Record<string, string>;
  /** Canonical input name → the key the YAML used (alias or canonical), for the messages that quote it. */
  inputKeys: Record<string, string>;
  env: Record<string, string>;
  condition: string | null;
  continueOnError: boolean;
  enabled: boolean;
  timeoutInMinutes: number;
  checkout?: "self" | "none";
  /** `target:` restrictions the agent enforces on the step's logging commands. */
  target: StepTarget;
  pos: Pos;
}

/**
 * A step's `target`: `settableVariables` (null: any; else the glob patterns a `task.setvariable` may set) and
 * `commands: restricted` (only the logging commands the agent allows in restricted mode).
 */
export interface StepTarget {
  settableVariables: string[] | null;
  commands: "any" | "restricted";
}

export const ANY_TARGET: StepTarget = { settableVariables: null, commands: "any" };

export interface PoolRequest {
  vmImage: string | null;
  name: string | null;
}

export interface CompiledJob {
  name: string;
  displayName: string;
  dependsOn: string[];
  condition: string | null;
  continueOnError: boolean;
  pool: PoolRequest | null;
  variables: VariableDefinition[];
  steps: CompiledStep[];
  timeoutInMinutes: number;
  pos: Pos;
}

export interface CompiledStage {
  name: string;
  displayName: string;
  dependsOn: string[];
  condition: string | null;
  pool: PoolRequest | null;
  variables: VariableDefinition[];
  jobs: CompiledJob[];
  pos: Pos;
}

export interface CompiledPipeline {
  name: string | null;
  pool: PoolRequest | null;
  variables: VariableDefinition[];
  stages: CompiledStage[];
  parameters: Record<string, Value>;
  /** The pipeline with templates and compile-time expressions expanded (the preview API's `finalYaml`). */
  finalYaml: string;
}

export interface CompileRequest {
  yamlPath: string;
  readFile: ReadFile;
  templateParameters: Record<string, string>;
  /** Variables set at queue time (compile-time for `${{ variables.x }}` and `$(x)` in connection names). */
  queueVariables: Record<string, string>;
}

/** Keys Azure Pipelines knows that svcconn does not run: a clear refusal rather than a silent skip. */
const UNSUPPORTED = new Set(["strategy", "container", "services", "deployment", "environment", "extends", "resources", "schedules", "lockbehavior", "workspace", "templatecontext", "uses", "pwsh", "powershell", "download", "downloadbuild", "getpackage", "publish", "reviewapp", "retrycountontaskfailure"]);
const unsupported = (key: { value: string; pos: Pos }): never => {
  throw new CompileError(`'${key.value}' is not supported by svcconn's pipelines (see README: the YAML subset).`, key.pos);
};

const PIPELINE_KEYS = ["name", "trigger", "pr", "parameters", "variables", "pool", "stages", "jobs", "steps", "timeoutInMinutes", "continueOnError", "appendCommitMessageToRunName", ...UNSUPPORTED];
const STAGE_KEYS = ["stage", "displayName", "dependsOn", "condition", "variables", "jobs", "pool", "isSkippable", "template", "parameters", ...UNSUPPORTED];
const JOB_KEYS = ["job", "displayName", "dependsOn", "condition", "continueOnError", "pool", "variables", "steps", "timeoutInMinutes", "cancelTimeoutInMinutes", "template", "parameters", ...UNSUPPORTED];
const STEP_KEYS = ["task", "script", "bash", "checkout", "template", "parameters", "displayName", "name", "condition", "continueOnError", "enabled", "env", "timeoutInMinutes", "inputs", "workingDirectory", "failOnStderr", "clean", "fetchDepth", "persistCredentials", "target", ...UNSUPPORTED];

/**
 * Compiles a YAML pipeline as the Azure Pipelines server does before a run: parameters, templates and `${{ }}`
 * expressions, then the structure (stages → jobs → steps) with strict keys, each step's task resolved with its
 * inputs by canonical name. Service connections are checked afterwards (`resolve-connections.ts`).
 */
export function compilePipeline(request: CompileRequest): CompiledPipeline {
  const expander = new TemplateExpander(request.readFile);
  const root = expander.load(request.yamlPath);
  if (root.kind !== "map") throw new CompileError("Expected a mapping", root.pos);
  const fields = readMap(root, PIPELINE_KEYS, "pipeline");
  for (const [key, entry] of fields) if (UNSUPPORTED.has(key)) unsupported(entry.key);
  const given: Record<string, Value> = { ...request.templateParameters };
  const parameters = bindParameters(fields.get("parameters")?.value, given, undefined, request.yamlPath);
  const scope: TemplateScope = { parameters, variables: { ...request.queueVariables }, locals: {}, file: request.yamlPath, depth: 0 };
  const body: YMap = { kind: "map", pos: root.pos, entries: root.entries.filter((e) => e.key.value !== "parameters") };
  const expanded = expander.expand(body, scope) as YMap;
  const reader = new StructureReader(expander);
  const pipeline = reader.pipeline(expanded, { ...scope, variables: { ...scope.variables, ...expander.variablesOf(readMap(expanded, PIPELINE_KEYS, "").get("variables")?.value ?? { kind: "scalar", value: "", pos: root.pos }, scope) } });
  return { ...pipeline, parameters, finalYaml: finalYaml(pipeline) };
}

class StructureReader {
  private autoJob = 0;

  constructor(private readonly expander: TemplateExpander) {}

  pipeline(node: YMap, scope: TemplateScope): Omit<CompiledPipeline, "parameters" | "finalYaml"> {
    const fields = readMap(node, PIPELINE_KEYS, "pipeline");
    const variables = this.variables(fields.get("variables")?.value, scope);
    const pool = fields.has("pool") ? readPool(fields.get("pool")!.value) : null;
    const levels = ["stages", "jobs", "steps"].filter((k) => fields.has(k));
    if (levels.length > 1) throw new CompileError(`Unexpected value '${levels[1]}'`, fields.get(levels[1]!)!.key.pos);
    if (levels.length === 0) throw new CompileError("A pipeline needs 'stages', 'jobs' or 'steps'.", node.pos);
    let stages: CompiledStage[];
    if (fields.has("stages")) stages = this.stages(fields.get("stages")!.value, scope);
    else {
      const jobs = fields.has("jobs")
        ? this.jobs(fields.get("jobs")!.value, scope)
        : [this.jobFrom({ kind: "map", pos: node.pos, entries: node.entries.filter((e) => ["steps", "timeoutInMinutes", "continueOnError"].includes(e.key.value)) }, scope, "Job")];
      stages = [{ name: "__default", displayName: "__default", dependsOn: [], condition: null, pool: null, variables: [], jobs, pos: node.pos }];
    }
    return { name: fields.has("name") ? asString(fields.get("name")!.value) : null, pool, variables, stages };
  }

  private variables(node: YNode | undefined, scope: TemplateScope): VariableDefinition[] {
    if (!node) return [];
    return this.expander.readVariables(node, scope).map((v) => ({ name: v.name, value: v.value, readonly: v.readonly, isSecret: false }));
  }

  /** A `- template:` item: the included file's list of `key`, read in the template's own scope. */
  private fromTemplate<T>(fields: ReturnType<typeof readMap>, scope: TemplateScope, key: "stages" | "jobs" | "steps", read: (node: YNode, scope: TemplateScope) => T[]): T[] | undefined {
    const template = fields.get("template");
    if (!template) return undefined;
    const included = this.expander.include(asString(template.value), fields.get("parameters")?.value, scope, template.value.pos);
    const inner = readMap(included.node, [key, "variables"], `${key} template`).get(key);
    return inner ? read(inner.value, included.scope) : [];
  }

  private stages(node: YNode, scope: TemplateScope): CompiledStage[] {
    const out: CompiledStage[] = [];
    for (const item of asSeq(node)) {
      const fields = readMap(item, STAGE_KEYS, "stage");
      const included = this.fromTemplate(fields, scope, "stages", (n, s) => this.stages(n, s));
      if (included) {
        out.push(...included);
        continue;
      }
      for (const [key, entry] of fields) if (UNSUPPORTED.has(key.toLowerCase())) unsupported(entry.key);
      const name = fields.has("stage") ? asString(fields.get("stage")!.value) : `Stage${out.length ? `_${out.length + 1}` : ""}`;
      checkName(name, fields.get("stage")?.value.pos ?? item.pos, "stage");
      const variables = this.variables(fields.get("variables")?.value, scope);
      const inner = withVariables(scope, variables);
      out.push({
        name,
        displayName: fields.has("displayName") ? asString(fields.get("displayName")!.value) : name,
        dependsOn: dependsOn(fields.get("dependsOn")?.value, out.at(-1)?.name),
        condition: fields.has("condition") ? asString(fields.get("condition")!.value) : null,
        pool: fields.has("pool") ? readPool(fields.get("pool")!.value) : null,
        variables,
        jobs: this.jobs(fields.get("jobs")?.value ?? { kind: "seq", items: [], pos: item.pos }, inner),
        pos: item.pos,
      });
    }
    unique(out, "stage");
    return out;
  }

  private jobs(node: YNode, scope: TemplateScope): CompiledJob[] {
    const out: CompiledJob[] = [];
    for (const item of asSeq(node)) {
      const fields = readMap(item, JOB_KEYS, "job");
      const included = this.fromTemplate(fields, scope, "jobs", (n, s) => this.jobs(n, s));
      if (included) {
        out.push(...included);
        continue;
      }
      const name = fields.has("job") && asString(fields.get("job")!.value) ? asString(fields.get("job")!.value) : `Job${this.autoJob++ ? `_${this.autoJob}` : ""}`;
      out.push(this.jobFrom(item as YMap, scope, name));
    }
    unique(out, "job");
    return out;
  }

  jobFrom(node: YMap, scope: TemplateScope, name: string): CompiledJob {
    const fields = readMap(node, JOB_KEYS, "job");
    for (const [key, entry] of fields) if (UNSUPPORTED.has(key.toLowerCase())) unsupported(entry.key);
    checkName(name, fields.get("job")?.value.pos ?? node.pos, "job");
    const variables = this.variables(fields.get("variables")?.value, scope);
    const inner = withVariables(scope, variables);
    const steps = this.steps(fields.get("steps")?.value ?? { kind: "seq", items: [], pos: node.pos }, inner, name);
    if (steps.length === 0) throw new CompileError(`Job ${name}: Steps are required.`, node.pos);
    return {
      name,
      displayName: fields.has("displayName") ? asString(fields.get("displayName")!.value) : name,
      dependsOn: dependsOn(fields.get("dependsOn")?.value, undefined),
      condition: fields.has("condition") ? asString(fields.get("condition")!.value) : null,
      continueOnError: fields.has("continueOnError") ? asBoolean(fields.get("continueOnError")!.value) : false,
      pool: fields.has("pool") ? readPool(fields.get("pool")!.value) : null,
      variables,
      steps,
      timeoutInMinutes: fields.has("timeoutInMinutes") ? minutes(fields.get("timeoutInMinutes")!.value) : 60,
      pos: node.pos,
    };
  }

  private steps(node: YNode, scope: TemplateScope, job: string): CompiledStep[] {
    const out: CompiledStep[] = [];
    for (const item of asSeq(node)) {
      const fields = readMap(item, STEP_KEYS, "step");
      const included = this.fromTemplate(fields, scope, "steps", (n, s) => this.steps(n, s, job));
      if (included) {
        out.push(...included);
        continue;
      }
      out.push(this.step(fields, item.pos, job));
    }
    return out;
  }

  private step(fields: ReturnType<typeof readMap>, pos: Pos, job: string): CompiledStep {
    for (const [key, entry] of fields) if (UNSUPPORTED.has(key.toLowerCase())) unsupported(entry.key);
    const kinds = ["task", "script", "bash", "checkout"].filter((k) => fields.has(k));
    if (kinds.length !== 1) throw new CompileError(kinds.length ? `Unexpected value '${kinds[1]}'` : "A step needs one of 'task', 'script', 'bash' or 'checkout'.", kinds.length ? fields.get(kinds[1]!)!.key.pos : pos);
    const text = (key: string) => (fields.has(key) ? asString(fields.get(key)!.value) : undefined);
    const common = {
      name: text("name") ?? null,
      env: fields.has("env") ? stringMap(fields.get("env")!.value) : {},
      condition: text("condition") ?? null,
      continueOnError: fields.has("continueOnError") ? asBoolean(fields.get("continueOnError")!.value) : false,
      enabled: fields.has("enabled") ? asBoolean(fields.get("enabled")!.value) : true,
      timeoutInMinutes: fields.has("timeoutInMinutes") ? minutes(fields.get("timeoutInMinutes")!.value) : 0,
      target: fields.has("target") ? readTarget(fields.get("target")!.value) : ANY_TARGET,
      pos,
    };
    if (common.name !== null) checkName(common.name, fields.get("name")!.value.pos, "step");
    const kind = kinds[0]!;
    if (kind === "checkout") {
      const target = text("checkout")!.toLowerCase();
      if (target !== "self" && target !== "none") throw new CompileError(`Checking out '${text("checkout")}' is not supported by svcconn: only 'self' and 'none'.`, fields.get("checkout")!.value.pos);
      return { ...common, kind: "checkout", task: null, displayName: text("displayName") ?? "Checkout", inputs: {}, inputKeys: {}, checkout: target };
    }
    if (kind === "task") {
      const reference = text("task")!;
      const { task, name, major } = findTask(reference);
      if (!task) {
        throw new CompileError(
          `A task is missing. The pipeline references a task called '${name}'. This usually indicates the task isn't installed, and you may be able to install it from the Marketplace: https://marketplace.visualstudio.com. (Task version ${major ?? ""}, job '${job}', step '${common.name ?? ""}'.)`,
          fields.get("task")!.value.pos,
        );
      }
      const { inputs, inputKeys } = taskInputs(task, fields.get("inputs")?.value);
      return { ...common, kind: "task", task, displayName: text("displayName") ?? task.name, inputs, inputKeys };
    }
    // `script:` is the CmdLine task and `bash:` the Bash task with an inline script, as the server expands them.
    const script = text(kind)!;
    const task = findTask(kind === "script" ? "CmdLine@2" : "Bash@3").task!;
    const given: Record<string, string> = kind === "script" ? { script } : { targetType: "inline", script };
    for (const key of ["workingDirectory", "failOnStderr"]) if (fields.has(key)) given[key] = asString(fields.get(key)!.value);
    const { inputs, inputKeys } = taskInputs(task, undefined, given);
    return { ...common, kind: "task", task, displayName: text("displayName") ?? (kind === "script" ? "CmdLine" : "Bash"), inputs, inputKeys };
  }
}

/** Inputs by canonical name: YAML keys matched to names or aliases (case-insensitively), defaults filled in. */
function taskInputs(task: TaskDefinition, node: YNode | undefined, given: Record<string, string> = {}) {
  const inputs: Record<string, string> = {};
  const inputKeys: Record<string, string> = {};
  const written: Array<[string, string, Pos | undefined]> = Object.entries(given).map(([k, v]) => [k, v, undefined]);
  if (node && !(node.kind === "scalar" && node.value === "")) {
    if (node.kind !== "map") throw new CompileError("Expected a mapping", node.pos);
    for (const e of node.entries) written.push([e.key.value, asString(e.value), e.key.pos]);
  }
  for (const [key, value] of written) {
    const input = task.inputs.find((i) => i.name.toLowerCase() === key.toLowerCase() || i.aliases?.some((a) => a.toLowerCase() === key.toLowerCase()));
    // Unknown inputs reach the task as INPUT_ variables too, as on the real agent.
    const name = input?.name ?? key;
    inputs[name] = value;
    inputKeys[name] = key;
  }
  for (const input of task.inputs) if (!(input.name in inputs) && input.defaultValue !== undefined) inputs[input.name] = input.defaultValue;
  return { inputs, inputKeys };
}

const withVariables = (scope: TemplateScope, variables: VariableDefinition[]): TemplateScope => ({ ...scope, variables: { ...scope.variables, ...Object.fromEntries(variables.map((v) => [v.name, v.value])) } });

/** `target: host`, or `{commands: any | restricted, settableVariables: none | [patterns]}`; containers are not run. */
function readTarget(node: YNode): StepTarget {
  const container = (value: YNode) => {
    if (asString(value).toLowerCase() !== "host") throw new CompileError("Container targets are not supported by svcconn's pipelines: steps run on the agent's host.", value.pos);
  };
  if (node.kind === "scalar") {
    container(node);
    return ANY_TARGET;
  }
  const fields = readMap(node, ["container", "commands", "settableVariables"], "target");
  if (fields.has("container")) container(fields.get("container")!.value);
  const commands = fields.has("commands") ? asString(fields.get("commands")!.value).toLowerCase() : "any";
  if (commands !== "any" && commands !== "restricted") throw new CompileError(`Unexpected value '${asString(fields.get("commands")!.value)}'`, fields.get("commands")!.value.pos);
  const settable = fields.get("settableVariables")?.value;
  let settableVariables: string[] | null = null;
  if (settable) {
    if (settable.kind === "scalar" && settable.value.toLowerCase() !== "none" && settable.value !== "") throw new CompileError(`Unexpected value '${settable.value}'`, settable.pos);
    settableVariables = settable.kind === "scalar" ? [] : asSeq(settable).map(asString);
  }
  return { commands, settableVariables };
}

function readPool(node: YNode): PoolRequest {
  if (node.kind === "scalar") return { name: node.value, vmImage: null };
  const fields = readMap(node, ["name", "vmImage", "demands"], "pool");
  return { name: fields.has("name") ? asString(fields.get("name")!.value) : null, vmImage: fields.has("vmImage") ? asString(fields.get("vmImage")!.value) : null };
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

function finalYaml(p: Omit<CompiledPipeline, "parameters" | "finalYaml">): string {
  const vars = (vs: VariableDefinition[]) => (vs.length ? { variables: vs.map((v) => ({ name: v.name, value: v.value })) } : {});
  const pool = (pr: PoolRequest | null) => (pr ? { pool: pr.vmImage ? { vmImage: pr.vmImage } : { name: pr.name } } : {});
  const doc = {
    ...(p.name ? { name: p.name } : {}),
    ...vars(p.variables),
    ...pool(p.pool),
    stages: p.stages.map((s) => ({
      stage: s.name,
      ...(s.displayName !== s.name ? { displayName: s.displayName } : {}),
      ...(s.dependsOn.length ? { dependsOn: s.dependsOn } : {}),
      ...(s.condition ? { condition: s.condition } : {}),
      ...vars(s.variables),
      jobs: s.jobs.map((j) => ({
        job: j.name,
        ...(j.displayName !== j.name ? { displayName: j.displayName } : {}),
        ...(j.dependsOn.length ? { dependsOn: j.dependsOn } : {}),
        ...(j.condition ? { condition: j.condition } : {}),
        ...pool(j.pool),
        ...vars(j.variables),
        steps: j.steps.map((step) =>
          step.kind === "checkout"
            ? { checkout: step.checkout }
            : {
                task: `${step.task!.name}@${step.task!.version.major}`,
                ...(step.name ? { name: step.name } : {}),
                displayName: step.displayName,
                ...(step.condition ? { condition: step.condition } : {}),
                ...(Object.keys(step.env).length ? { env: step.env } : {}),
                inputs: Object.fromEntries(Object.keys(step.inputKeys).map((k) => [step.inputKeys[k]!, step.inputs[k]!])),
              },
        ),
      })),
    })),
  };
  return stringify(doc, { lineWidth: 0 });
}

