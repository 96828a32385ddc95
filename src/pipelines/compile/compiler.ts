import { stringify } from "yaml";
import type { TaskDefinition } from "../tasks/catalog.js";
import type { Value } from "./expressions.js";
import { StructureReader } from "./structure.js";
import { bindParameters, TemplateExpander, type ReadFile, type TemplateScope } from "./templates.js";
import { asString, CompileError, readMap, toPlain, type Pos, type YMap, type YNode } from "./yaml-tree.js";

export interface VariableDefinition {
  name: string;
  /** A literal (macros resolved at run time), or a `$[ ]` run-time expression. */
  value: string;
  isSecret: boolean;
  readonly: boolean;
  /** The variable group it comes from: its value is taken as it is (no `$[ ]` expression). */
  group?: string;
  /** That group's id (set when the run resolves its groups). */
  groupId?: number;
}

/** A `- group:` a variables list links (its variables come from the library when the run is queued). */
export interface GroupReference {
  name: string;
  pos: Pos;
  /** How many of the list's own variables come before it. */
  index: number;
}

/**
 * A step's `target`: the container it runs in (null: the host), `settableVariables` (null: any; else the glob
 * patterns a `task.setvariable` may set) and `commands: restricted` (only the logging commands the agent allows).
 */
export interface StepTarget {
  settableVariables: string[] | null;
  commands: "any" | "restricted";
  container?: string | null;
}

export interface CompiledStep {
  /** `publish` and `download` move pipeline artifacts; `task` is every other task (shorthand steps included). */
  kind: "task" | "checkout" | "publish" | "download";
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
  retryCountOnTaskFailure: number;
  /** `checkout:` the repository (`self`, `none`, or an alias of `resources.repositories`) and its options. */
  checkout?: { repository: string; options: Record<string, string> };
  /** A `publish` or `download` step's artifact: where from (`current`, a pipeline resource), its name and path. */
  artifact?: { source: string | null; name: string | null; patterns: string | null; path: string | null };
  target: StepTarget;
  pos: Pos;
}

export interface PoolRequest {
  vmImage: string | null;
  name: string | null;
  /** `pool: server`: an agentless job. */
  server?: boolean;
}

export interface CompiledStrategy {
  kind: "matrix" | "parallel" | "runOnce" | "rolling" | "canary";
  maxParallel?: number;
  count?: number;
}

/** One leg of a job: a matrix entry or a `parallel` copy (name), with the variables it sets; one unnamed leg else. */
export interface CompiledLeg {
  name: string | null;
  variables: Record<string, string>;
}

export interface CompiledEnvironment {
  name: string;
  resourceName: string | null;
  /** Set when the run resolves it (queue time). */
  id?: number;
  pos: Pos;
}

export interface CompiledJob {
  name: string;
  kind: "job" | "deployment";
  displayName: string;
  dependsOn: string[];
  condition: string | null;
  continueOnError: boolean;
  pool: PoolRequest | null;
  /** `pool: server`: the job runs on the server, not an agent. */
  agentless: boolean;
  variables: VariableDefinition[];
  groups: GroupReference[];
  steps: CompiledStep[];
  legs: CompiledLeg[];
  strategy: CompiledStrategy | null;
  /** A deployment job's environment. */
  environment: CompiledEnvironment | null;
  /** A container job's container (an alias of `resources.containers`, or an image). */
  container: string | null;
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
  groups: GroupReference[];
  jobs: CompiledJob[];
  pos: Pos;
}

export interface CompiledResources {
  repositories: Array<{ alias: string; type: string; name: string; ref: string | null; endpoint: string | null; pos: Pos }>;
  pipelines: Array<{ alias: string; source: string; project: string | null; branch: string | null; version: string | null; pos: Pos }>;
  containers: Array<{ alias: string; image: string; endpoint: string | null; azureSubscription: string | null; pos: Pos }>;
  /** Other resource kinds present (builds, packages, webhooks): recorded, not resolved. */
  other: string[];
}

export interface CompiledPipeline {
  name: string | null;
  pool: PoolRequest | null;
  variables: VariableDefinition[];
  groups: GroupReference[];
  stages: CompiledStage[];
  parameters: Record<string, Value>;
  resources: CompiledResources;
  /** `trigger`, `pr` and `schedules` as written: accepted and recorded (a run here is always manual). */
  triggers: { trigger: unknown; pr: unknown; schedules: unknown };
  lockBehavior: string | null;
  /** The template the pipeline `extends`, as its root names it (for required-template checks), or null. */
  extendsTemplate: string | null;
  /** The pipeline with templates and compile-time expressions expanded (the preview API's `finalYaml`), when asked for. */
  finalYaml: string | null;
}

export interface CompileRequest {
  yamlPath: string;
  readFile: ReadFile;
  templateParameters: Record<string, string>;
  /** Variables set at queue time (compile-time for `${{ variables.x }}` and `$(x)` in connection names). */
  queueVariables: Record<string, string>;
  /** The tasks of the Marketplace extensions the organization installed (built-in tasks are always there). */
  installedTasks?: TaskDefinition[];
  /** Write the expanded pipeline as YAML (preview): a run does not need it, and writing it costs as much as parsing. */
  finalYaml?: boolean;
}

/**
 * Compiles a YAML pipeline in Azure Pipelines' stages: parse, then expand (parameters, `extends`, templates and
 * `${{ }}` expressions, variables in order) into the final pipeline that preview shows, then read its structure
 * (stages → jobs → steps, every construct of the schema with strict keys, each step's task resolved with its
 * inputs by canonical name). Service connections are checked afterwards (`resolve-connections.ts`).
 */
export function compilePipeline(request: CompileRequest): CompiledPipeline {
  const expander = new TemplateExpander(request.readFile);
  const root = expander.load(request.yamlPath);
  if (root.kind !== "map") throw new CompileError("Expected a mapping", root.pos);
  const parametersEntry = root.entries.find((e) => e.key.value === "parameters");
  const parameters = bindParameters(parametersEntry?.value, { ...request.templateParameters }, undefined, request.yamlPath);
  const scope: TemplateScope = { parameters, variables: { ...request.queueVariables }, locals: {}, file: request.yamlPath, repository: "self", depth: 0 };
  // Repositories first: a template may come from any of them.
  const resources = root.entries.find((e) => e.key.value === "resources");
  if (resources) for (const [alias, name] of repositoryAliases(expander.expand(resources.value, scope))) expander.repositories.set(alias, name);
  const body: YMap = { kind: "map", pos: root.pos, entries: root.entries.filter((e) => e.key.value !== "parameters") };
  const { tree, extendsTemplate } = expandRoot(expander, body, scope);
  const pipeline = new StructureReader(request.installedTasks).pipeline(tree);
  return { ...pipeline, parameters, extendsTemplate, finalYaml: request.finalYaml === false ? null : stringify(toPlain(tree), { lineWidth: 0 }) };
}

/**
 * The root expanded; with `extends`, the template's expanded body takes the place of `extends` (the root keeps its
 * own trigger, resources, variables and name), as Azure Pipelines merges them. A template may extend another.
 */
function expandRoot(expander: TemplateExpander, body: YMap, scope: TemplateScope): { tree: YMap; extendsTemplate: string | null } {
  const expanded = expander.expandMap(body, scope);
  const extendsEntry = expanded.entries.find((e) => e.key.value === "extends");
  if (!extendsEntry) return { tree: expanded, extendsTemplate: null };
  const fields = readMap(extendsEntry.value, ["template", "parameters"], "extends");
  const template = fields.get("template");
  if (!template) throw new CompileError("Required property 'template' is missing", extendsEntry.value.pos);
  const reference = asString(template.value);
  const included = expander.include(reference, fields.get("parameters")?.value, scope, template.value.pos);
  const inner = expandRoot(expander, included.node, included.scope);
  const entries = expanded.entries.filter((e) => e.key.value !== "extends");
  for (const e of inner.tree.entries) {
    const same = entries.find((x) => x.key.value === e.key.value);
    if (!same) entries.push(e);
    else if (same.value.kind === "seq" && e.value.kind === "seq") same.value = { ...same.value, items: [...same.value.items, ...e.value.items] };
    else throw new CompileError(`'${e.key.value}' is already defined`, e.key.pos);
  }
  return { tree: { kind: "map", pos: expanded.pos, entries }, extendsTemplate: inner.extendsTemplate ?? reference };
}

/** The aliases `resources.repositories` declares (lower case), each with the repository's name. */
function repositoryAliases(resources: YNode): Array<[string, string]> {
  if (resources.kind !== "map") return [];
  const list = resources.entries.find((e) => e.key.value === "repositories")?.value;
  if (list?.kind !== "seq") return [];
  return list.items.flatMap((item) => {
    if (item.kind !== "map") return [];
    const alias = item.entries.find((e) => e.key.value === "repository");
    const name = item.entries.find((e) => e.key.value === "name");
    return alias ? [[asString(alias.value).toLowerCase(), name ? asString(name.value) : asString(alias.value)] as [string, string]] : [];
  });
}
