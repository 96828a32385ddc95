import { CompileBudget } from "./budget.js";
import { evaluate, ExpressionError, toText, type Value } from "./expressions.js";
import { asSeq, asString, CompileError, fromPlain, parseYamlFile, parseYamlValue, readMap, scalar, toPlain, type Pos, type YMap, type YNode, type YScalar } from "./yaml-tree.js";

/** Azure Pipelines' documented template limits: files per pipeline and nesting depth. */
export const MAX_TEMPLATE_FILES = 100;
export const MAX_TEMPLATE_DEPTH = 100;

/** What a compile-time expression sees: parameters and the variables defined so far. */
export interface TemplateScope {
  parameters: Record<string, Value>;
  variables: Record<string, string>;
  /** Loop variables bound by `${{ each }}`. */
  locals: Record<string, Value>;
  /** The file being expanded, as positions name it (`/path.yml`, or `/path.yml@alias` in another repository). */
  file: string;
  /** The repository alias the file belongs to (`self` for the pipeline's own). */
  repository: string;
  depth: number;
}

/** A file of a repository (`self`, or the `name` a `resources.repositories` entry gives), or undefined. */
export type ReadFile = (path: string, repository: string) => string | undefined;

/** The lists whose `- template:` items include a template of that kind. */
export type ListKind = "stages" | "jobs" | "steps" | "variables";
const LIST_KINDS: Record<string, ListKind> = { stages: "stages", jobs: "jobs", steps: "steps", variables: "variables" };
/** The list a key names (any case); only keys of a list's length are lowered (a large pipeline has many keys). */
const listKindOf = (key: string): ListKind | undefined => (key.length >= 4 && key.length <= 9 ? LIST_KINDS[key.toLowerCase()] : undefined);

const DIRECTIVE = /^\$\{\{\s*(if|elseif|else|each|insert)\b(.*?)\}\}$/s;
const WHOLE = /^\s*\$\{\{(.*?)\}\}\s*$/s;
const ANY = /\$\{\{(.*?)\}\}/gs;

/** A variable a `variables` list defines (name and value), as compile-time expressions then see it. */
export interface DefinedVariable {
  name: string;
  value: string;
  readonly: boolean;
  pos: Pos;
}

/**
 * The expansion stage of a compile: `${{ }}` values and directives (`if`/`elseif`/`else`, `each`, `insert`), and
 * `template:` files — in stage, job, step and variable lists, and `extends` — included with their declared
 * parameters, from the pipeline's repository or another one of `resources.repositories`. What comes out is the
 * whole pipeline with no template left in it (what `preview` shows); reading its structure is the next stage.
 * Variables are defined in order: an item of a `variables` list sees the ones before it.
 */
export class TemplateExpander {
  /** What expressions of a scope read, made once per scope (scopes are never changed once made). */
  private readonly scopeValues = new WeakMap<TemplateScope, Record<string, Value>>();

  /** Each file once, parsed (Azure counts separate files against its limit, not inclusions). */
  private readonly files = new Map<string, YNode>();
  /** How deep the node being expanded sits in the expanded pipeline. */
  private nesting = 0;

  constructor(
    private readonly readFile: ReadFile,
    readonly budget: CompileBudget = new CompileBudget(),
  ) {}

  /** The repositories templates may come from: alias (lower case) → the repository's name. */
  readonly repositories = new Map<string, string>();

  /** Loads a file of a repository (the pipeline itself or a template) as nodes, once. */
  load(path: string, repository = "self", from?: Pos): YNode {
    const id = repository === "self" ? path : `${path}@${repository}`;
    const cached = this.files.get(id);
    if (cached) return cached;
    if (this.files.size + 1 > MAX_TEMPLATE_FILES) throw new CompileError(`Maximum number of template files exceeded (${MAX_TEMPLATE_FILES}).`, from);
    const text = this.readFile(path, repository === "self" ? "self" : (this.repositories.get(repository) ?? repository));
    if (text === undefined) {
      throw new CompileError(repository === "self" ? `File ${path} not found in repository self branch refs/heads/main version` : `File ${path} not found in repository ${repository}`, from);
    }
    const node = parseYamlFile(id, text, this.budget);
    this.files.set(id, node);
    return node;
  }

  /**
   * A template reference (`path`, or `path@alias`) from the including file: relative to that file's folder, or
   * from its repository's root when it starts with `/`; `@self` is the pipeline's own repository.
   */
  resolvePath(reference: string, scope: Pick<TemplateScope, "file" | "repository">, pos: Pos): { path: string; repository: string } {
    const at = reference.lastIndexOf("@");
    let repository = scope.repository;
    let path = reference;
    if (at >= 0) {
      repository = reference.slice(at + 1).trim().toLowerCase();
      path = reference.slice(0, at);
      if (repository !== "self" && !this.repositories.has(repository)) throw new CompileError(`Could not find a repository with alias ${reference.slice(at + 1)}. The repository resource does not exist.`, pos);
    }
    const including = repository === scope.repository ? scope.file.replace(/@[^@/]*$/, "") : "/";
    const base = path.startsWith("/") || at >= 0 ? [] : including.split("/").slice(0, -1);
    for (const part of path.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") base.pop();
      else base.push(part);
    }
    return { path: `/${base.filter(Boolean).join("/")}`, repository };
  }

  evaluate(text: string, scope: TemplateScope, pos: Pos): Value {
    try {
      let values = this.scopeValues.get(scope);
      if (!values) {
        values = { parameters: scope.parameters, variables: scope.variables, ...scope.locals };
        this.scopeValues.set(scope, values);
      }
      return evaluate(text, { values });
    } catch (error) {
      if (error instanceof ExpressionError) throw new CompileError(error.message, pos);
      throw error;
    }
  }

  /**
   * Expands every `${{ }}` in a subtree; `kind` names the list it is (its `- template:` items are included). A map
   * with `variables` defines them, in order, before its other keys are expanded. Every node made counts against
   * the compile's budget (events, size and depth).
   */
  expand(node: YNode, scope: TemplateScope, kind?: ListKind): YNode {
    this.budget.depth(++this.nesting, node.pos);
    try {
      if (node.kind === "scalar") return this.expandScalarNode(node, scope);
      this.budget.object(node.pos);
      if (node.kind === "seq") return { kind: "seq", pos: node.pos, items: kind === "variables" ? this.expandVariables(node, scope).items : this.expandItems(node.items, scope, kind) };
      return this.expandMap(node, scope);
    } finally {
      this.nesting--;
    }
  }

  /** Nodes are never changed once made: a scalar without an expression is used as it is. */
  private expandScalarNode(node: YScalar, scope: TemplateScope): YNode {
    if (node.value.includes("${{")) return this.expandScalar(node.value, node.pos, scope);
    this.budget.text(node.value, node.pos);
    return node;
  }

  private expandScalar(value: string, pos: Pos, scope: TemplateScope): YNode {
    if (!value.includes("${{")) {
      this.budget.text(value, pos);
      return scalar(value, pos);
    }
    const whole = WHOLE.exec(value);
    if (whole && !whole[1]!.includes("}}")) return fromPlain(this.evaluate(whole[1]!, scope, pos), pos, this.budget, this.nesting);
    const text = value.replace(ANY, (_m, expr: string) => toText(this.evaluate(expr, scope, pos)));
    this.budget.text(text, pos);
    return scalar(text, pos);
  }

  /** A map: its `variables` first (the other keys see them), then the rest in order. */
  expandMap(node: YMap, scope: TemplateScope): YMap {
    const out: YMap = { kind: "map", pos: node.pos, entries: [] };
    let local = scope;
    let variables: YNode | undefined;
    const declared = node.entries.find((e) => listKindOf(e.key.value) === "variables");
    if (declared) {
      const expanded = declared.value.kind === "seq" ? this.expandVariables(declared.value, scope) : this.expandVariableMap(declared.value, scope);
      variables = expanded.node;
      local = expanded.scope;
    }
    this.expandEntries(node.entries, local, out, variables);
    return out;
  }

  private expandEntries(entries: YMap["entries"], scope: TemplateScope, out: YMap, variables?: YNode): void {
    let chain: "taken" | "open" | "none" = "none";
    for (const entry of entries) {
      const directive = entry.key.value.includes("${{") ? DIRECTIVE.exec(entry.key.value.trim()) : null;
      if (!directive) {
        chain = "none";
        const key = this.expandScalarNode(entry.key, scope);
        if (key.kind !== "scalar") throw new CompileError("A mapping key must be a string.", entry.key.pos);
        if (out.entries.some((e) => e.key.value === key.value)) throw new CompileError(`'${key.value}' is already defined`, entry.key.pos);
        const listKind = listKindOf(key.value);
        const value = listKind === "variables" && variables ? variables : this.expand(entry.value, scope, listKind);
        out.entries.push({ key, value });
        continue;
      }
      const [, verb, rest = ""] = directive;
      const merge = (value: YNode, s: TemplateScope) => {
        const expanded = this.expand(value, s);
        if (expanded.kind === "scalar" && expanded.value === "") return;
        if (expanded.kind !== "map") throw new CompileError("Expected a mapping", value.pos);
        for (const e of expanded.entries) {
          if (out.entries.some((x) => x.key.value === e.key.value)) throw new CompileError(`'${e.key.value}' is already defined`, e.key.pos);
          out.entries.push(e);
        }
      };
      chain = this.conditional(verb!, rest, entry.key.pos, chain, scope, (s) => merge(entry.value, s));
    }
  }

  /** One `if`/`elseif`/`else`/`each`/`insert` directive; returns the state of the if-chain after it. */
  private conditional(verb: string, rest: string, pos: Pos, chain: "taken" | "open" | "none", scope: TemplateScope, apply: (s: TemplateScope) => void): "taken" | "open" | "none" {
    switch (verb) {
      case "if":
        if (this.truthy(rest, scope, pos)) {
          apply(scope);
          return "taken";
        }
        return "open";
      case "elseif":
        if (chain === "none") throw new CompileError("Unexpected elseif: it must follow an if or elseif", pos);
        if (chain === "open" && this.truthy(rest, scope, pos)) {
          apply(scope);
          return "taken";
        }
        return chain;
      case "else":
        if (chain === "none") throw new CompileError("Unexpected else: it must follow an if or elseif", pos);
        if (rest.trim()) throw new CompileError(`Unexpected symbol after 'else': ${rest.trim()}`, pos);
        if (chain === "open") apply(scope);
        return "none";
      case "each": {
        const m = /^\s*([A-Za-z_][\w-]*)\s+in\s+(.+)$/s.exec(rest);
        if (!m) throw new CompileError(`Expected 'each <name> in <expression>': ${rest.trim()}`, pos);
        const collection = this.evaluate(m[2]!, scope, pos);
        const items: Value[] = Array.isArray(collection)
          ? collection
          : collection !== null && typeof collection === "object"
            ? Object.entries(collection).map(([key, value]) => ({ key, value }))
            : [];
        for (const item of items) apply({ ...scope, locals: { ...scope.locals, [m[1]!]: item } });
        return "none";
      }
      default:
        if (rest.trim()) throw new CompileError(`Unexpected symbol after 'insert': ${rest.trim()}`, pos);
        apply(scope);
        return "none";
    }
  }

  private truthy(expression: string, scope: TemplateScope, pos: Pos): boolean {
    const v = this.evaluate(expression, scope, pos);
    return v !== null && v !== false && v !== "" && v !== 0;
  }

  /**
   * A list's items, with directive items spliced in (their value is a list or one item) and, in a list of `kind`,
   * `- template:` items replaced by the template's list.
   */
  private expandItems(items: YNode[], scope: TemplateScope, kind?: ListKind): YNode[] {
    const out: YNode[] = [];
    let chain: "taken" | "open" | "none" = "none";
    for (const item of items) {
      const only = item.kind === "map" && item.entries.length === 1 ? item.entries[0]! : undefined;
      const directive = only ? DIRECTIVE.exec(only.key.value.trim()) : null;
      if (!only || !directive) {
        chain = "none";
        if (kind && isTemplateItem(item)) out.push(...this.includeList(item, scope, kind).items);
        else out.push(this.expand(item, scope));
        continue;
      }
      chain = this.conditional(directive[1]!, directive[2] ?? "", only.key.pos, chain, scope, (s) => {
        const value = only.value;
        if (value.kind === "seq") out.push(...this.expandItems(value.items, s, kind));
        else if (kind && isTemplateItem(value)) out.push(...this.includeList(value, s, kind).items);
        else {
          const expanded = this.expand(value, s);
          if (!(expanded.kind === "scalar" && expanded.value === "")) out.push(expanded);
        }
      });
    }
    return out;
  }

  /**
   * A `variables` list, item by item: each sees the variables defined before it (a template's name may use one),
   * templates are included, and directives spliced in. Returns the expanded list and the scope after it.
   */
  expandVariables(node: YNode, scope: TemplateScope): { node: YNode; items: YNode[]; scope: TemplateScope } {
    if (node.kind === "scalar" && node.value === "") return { node, items: [], scope };
    if (node.kind === "map") {
      const expanded = this.expandVariableMap(node, scope);
      return { node: expanded.node, items: [], scope: expanded.scope };
    }
    const items: YNode[] = [];
    let local = scope;
    const define = (defined: YNode[]) => {
      items.push(...defined);
      const values = Object.fromEntries(readDefinedVariables(defined).map((v) => [v.name, v.value]));
      local = { ...local, variables: { ...local.variables, ...values } };
    };
    let chain: "taken" | "open" | "none" = "none";
    for (const item of asSeq(node)) {
      const only = item.kind === "map" && item.entries.length === 1 ? item.entries[0]! : undefined;
      const directive = only ? DIRECTIVE.exec(only.key.value.trim()) : null;
      if (!only || !directive) {
        chain = "none";
        define(isTemplateItem(item) ? this.includeList(item, local, "variables").items : [this.expand(item, local)]);
        continue;
      }
      chain = this.conditional(directive[1]!, directive[2] ?? "", only.key.pos, chain, local, (s) => {
        const inner = only.value.kind === "seq" ? only.value : { kind: "seq" as const, pos: only.value.pos, items: [only.value] };
        define(this.expandVariables(inner, { ...local, locals: s.locals }).items);
      });
    }
    return { node: { kind: "seq", pos: node.pos, items }, items, scope: local };
  }

  /** The map form of `variables`: every entry a name and its value. */
  private expandVariableMap(node: YNode, scope: TemplateScope): { node: YNode; scope: TemplateScope } {
    const expanded = this.expand(node, scope);
    if (expanded.kind === "scalar" && expanded.value === "") return { node: expanded, scope };
    if (expanded.kind !== "map") throw new CompileError(expanded.kind === "seq" ? "A sequence was not expected" : `Unexpected value '${expanded.value}'`, expanded.pos);
    const values = Object.fromEntries(expanded.entries.map((e) => [e.key.value, asString(e.value)]));
    return { node: expanded, scope: { ...scope, variables: { ...scope.variables, ...values } } };
  }

  /** A `- template:` item of a list of `kind`: the template's list, expanded in its own scope. */
  private includeList(item: YNode, scope: TemplateScope, kind: ListKind): { items: YNode[] } {
    const fields = readMap(item, ["template", "parameters"], `${kind} template`);
    const template = fields.get("template")!;
    // The reference and the values given are expressions of the including scope.
    const reference = this.expand(template.value, scope);
    const given = fields.get("parameters") ? this.expand(fields.get("parameters")!.value, scope) : undefined;
    const { node } = this.include(asString(reference), given, scope, template.value.pos);
    for (const e of node.entries) if (e.key.value.toLowerCase() !== kind) throw new CompileError(`Unexpected value '${e.key.value}'`, e.key.pos);
    const list = node.entries.find((e) => e.key.value.toLowerCase() === kind)?.value;
    // A variables template may use the map form (`name: value`), as a pipeline's own `variables` may.
    if (kind === "variables" && list?.kind === "map") {
      return { items: list.entries.map((e) => ({ kind: "map" as const, pos: e.key.pos, entries: [{ key: scalar("name", e.key.pos), value: e.key }, { key: scalar("value", e.key.pos), value: e.value }] })) };
    }
    return { items: !list || (list.kind === "scalar" && list.value === "") ? [] : asSeq(list) };
  }

  /**
   * Loads a template, binds its declared parameters to the given ones (`Unexpected parameter`, missing values,
   * types and allowed values checked as Azure Pipelines does) and expands it. Returns the expanded body and the
   * scope its contents were expanded in.
   */
  include(reference: string, given: YNode | undefined, scope: TemplateScope, pos: Pos): { node: YMap; scope: TemplateScope } {
    if (scope.depth + 1 > MAX_TEMPLATE_DEPTH) throw new CompileError(`Maximum template nesting depth (${MAX_TEMPLATE_DEPTH}) exceeded: ${reference}`, pos);
    const { path, repository } = this.resolvePath(reference, scope, pos);
    const root = this.load(path, repository, pos);
    if (root.kind !== "map") throw new CompileError("Expected a mapping", root.pos);
    const file = repository === "self" ? path : `${path}@${repository}`;
    const declared = root.entries.find((e) => e.key.value === "parameters");
    const values: Record<string, Value> = {};
    if (given && !(given.kind === "scalar" && given.value === "")) {
      if (given.kind !== "map") throw new CompileError("Expected a mapping", given.pos);
      for (const e of given.entries) values[e.key.value] = toPlain(e.value) as Value;
    }
    const parameters = bindParameters(declared?.value, values, given?.kind === "map" ? given : undefined, file, pos);
    const inner: TemplateScope = { parameters, variables: scope.variables, locals: {}, file, repository, depth: scope.depth + 1 };
    const body: YMap = { kind: "map", pos: root.pos, entries: root.entries.filter((e) => e.key.value !== "parameters") };
    return { node: this.expandMap(body, inner), scope: inner };
  }
}

/** `- template: x.yml` (with `parameters`): an item to include, not a value. */
const isTemplateItem = (item: YNode): boolean => item.kind === "map" && item.entries.some((e) => e.key.value === "template");

/** The name/value variables of an expanded `variables` list (groups define nothing at compile time). */
export function readDefinedVariables(items: YNode[]): DefinedVariable[] {
  const out: DefinedVariable[] = [];
  for (const item of items) {
    const fields = readMap(item, ["name", "value", "readonly", "group"], "variable");
    if (fields.has("group")) continue;
    const name = fields.get("name");
    if (!name) throw new CompileError("Required property 'name' is missing", item.pos);
    out.push({ name: asString(name.value), value: fields.has("value") ? asString(fields.get("value")!.value) : "", readonly: fields.has("readonly") && /^true$/i.test(asString(fields.get("readonly")!.value)), pos: name.key.pos });
  }
  return out;
}

const PARAMETER_TYPES = ["string", "number", "boolean", "object", "step", "steplist", "job", "joblist", "deployment", "deploymentlist", "stage", "stagelist"];

/**
 * Binds declared parameters (list form with types, or the older map of defaults) to given values. `givenNode`
 * positions the errors about values that were passed.
 */
export function bindParameters(declared: YNode | undefined, given: Record<string, Value>, givenNode: YMap | undefined, file: string, includedAt?: Pos): Record<string, Value> {
  const out: Record<string, Value> = {};
  const known = new Map<string, string>();
  if (declared && declared.kind === "map") {
    // The older form is a map of defaults: values given replace them, and values it does not name are taken as they
    // are (Azure Pipelines accepts them; real pipelines pass such extras to shared templates).
    for (const e of declared.entries) out[e.key.value] = toPlain(e.value) as Value;
    for (const [name, value] of Object.entries(given)) {
      const declaredAs = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
      out[declaredAs] = value;
      known.set(name.toLowerCase(), declaredAs);
    }
  } else if (declared) {
    for (const item of asSeq(declared)) {
      const fields = readMap(item, ["name", "displayName", "type", "default", "values"], "parameter");
      const name = fields.get("name");
      if (!name) throw new CompileError("Required property 'name' is missing", item.pos);
      const parameterName = asString(name.value);
      const type = fields.has("type") ? asString(fields.get("type")!.value).toLowerCase() : "string";
      if (!PARAMETER_TYPES.includes(type)) throw new CompileError(`Unexpected parameter type '${type}'`, fields.get("type")!.value.pos);
      known.set(parameterName.toLowerCase(), parameterName);
      const passed = Object.keys(given).find((k) => k.toLowerCase() === parameterName.toLowerCase());
      const at = (passed && givenNode?.entries.find((e) => e.key.value === passed)?.value.pos) || name.value.pos;
      let value: Value;
      if (passed !== undefined) value = given[passed]!;
      else if (fields.has("default")) value = toPlain(fields.get("default")!.value) as Value;
      else throw new CompileError(`A value for the '${parameterName}' parameter must be provided.`, givenNode?.pos ?? includedAt ?? { file, line: 1, col: 1 });
      value = convertParameter(parameterName, type, value, at);
      const allowed = fields.get("values");
      if (allowed && passed !== undefined) {
        const options = asSeq(allowed.value).map(asString);
        if (!options.some((o) => o.toLowerCase() === toText(value).toLowerCase())) throw new CompileError(`The '${parameterName}' parameter value '${toText(value)}' is not a valid value.`, at);
      }
      out[parameterName] = value;
    }
  }
  for (const name of Object.keys(given)) {
    if (!known.has(name.toLowerCase())) {
      const pos = givenNode?.entries.find((e) => e.key.value === name)?.key.pos ?? { file, line: 1, col: 1 };
      throw new CompileError(`Unexpected parameter '${name}'`, pos);
    }
  }
  return out;
}

function convertParameter(name: string, type: string, value: Value, pos: Pos): Value {
  if (type === "boolean") {
    const t = toText(value).toLowerCase();
    if (t !== "true" && t !== "false") throw new CompileError(`The '${name}' parameter is not a valid Boolean.`, pos);
    return t === "true";
  }
  if (type === "number") {
    const n = Number(toText(value));
    if (toText(value).trim() === "" || Number.isNaN(n)) throw new CompileError(`The '${name}' parameter is not a valid Number.`, pos);
    return n;
  }
  if (type === "string") {
    if (value !== null && typeof value === "object") throw new CompileError(`A mapping or sequence was not expected for the '${name}' parameter of type string.`, pos);
    return toText(value);
  }
  // Structured parameters passed as text (queue-time templateParameters) are YAML.
  if (typeof value === "string" && value.trim()) {
    try {
      return parseYamlValue(value) as Value;
    } catch (error) {
      if (error instanceof CompileError) throw new CompileError(`The '${name}' parameter value is not valid: ${error.reason}`, pos);
      throw new CompileError(`The '${name}' parameter value is not valid YAML.`, pos);
    }
  }
  return value;
}
