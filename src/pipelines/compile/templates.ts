import { CompileBudget } from "./budget.js";
import { evaluate, ExpressionError, toText, type Value } from "./expressions.js";
import { asSeq, asString, CompileError, fromPlain, parseYamlFile, parseYamlValue, readMap, scalar, toPlain, type Pos, type YMap, type YNode } from "./yaml-tree.js";

/** Azure Pipelines' documented template limits: files per pipeline and nesting depth. */
export const MAX_TEMPLATE_FILES = 100;
export const MAX_TEMPLATE_DEPTH = 100;

/** What a compile-time expression sees: parameters and the variables defined so far. */
export interface TemplateScope {
  parameters: Record<string, Value>;
  variables: Record<string, string>;
  /** Loop variables bound by `${{ each }}`. */
  locals: Record<string, Value>;
  file: string;
  depth: number;
}

export type ReadFile = (path: string) => string | undefined;

const DIRECTIVE = /^\$\{\{\s*(if|elseif|else|each|insert)\b(.*?)\}\}$/s;
const WHOLE = /^\s*\$\{\{(.*?)\}\}\s*$/s;
const ANY = /\$\{\{(.*?)\}\}/gs;

/**
 * Template expressions and includes: `${{ }}` values and directives (`if`/`elseif`/`else`, `each`, `insert`),
 * and `template:` files resolved inside the same repository with their declared parameters.
 */
export class TemplateExpander {
  private files = 0;
  /** How deep the node being expanded sits in the expanded pipeline. */
  private nesting = 0;

  constructor(
    private readonly readFile: ReadFile,
    readonly budget: CompileBudget = new CompileBudget(),
  ) {}

  /** Loads a file of the repository (the pipeline itself or a template) as nodes. */
  load(path: string, from?: Pos): YNode {
    if (++this.files > MAX_TEMPLATE_FILES) throw new CompileError(`Maximum number of template files exceeded (${MAX_TEMPLATE_FILES}).`, from);
    const text = this.readFile(path);
    if (text === undefined) throw new CompileError(`File ${path} not found in repository self branch refs/heads/main version`, from);
    return parseYamlFile(path, text, this.budget);
  }

  /** A template path relative to the including file's folder, or from the repository root when it starts with `/`. */
  resolvePath(reference: string, including: string, pos: Pos): string {
    if (reference.includes("@")) throw new CompileError(`Templates from other repositories (${reference}) are not supported by svcconn.`, pos);
    const base = reference.startsWith("/") ? [] : including.split("/").slice(0, -1);
    for (const part of reference.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") base.pop();
      else base.push(part);
    }
    return `/${base.filter(Boolean).join("/")}`;
  }

  evaluate(text: string, scope: TemplateScope, pos: Pos): Value {
    try {
      return evaluate(text, { values: { parameters: scope.parameters, variables: scope.variables, ...scope.locals } });
    } catch (error) {
      if (error instanceof ExpressionError) throw new CompileError(error.message, pos);
      throw error;
    }
  }

  /**
   * Expands every `${{ }}` in a subtree. A map with `variables` defines them before its other keys are expanded.
   * Every node made counts against the compile's budget (events, size and depth).
   */
  expand(node: YNode, scope: TemplateScope): YNode {
    this.budget.depth(++this.nesting, node.pos);
    try {
      if (node.kind === "scalar") return this.expandScalar(node.value, node.pos, scope);
      this.budget.object(node.pos);
      if (node.kind === "seq") return { kind: "seq", pos: node.pos, items: this.expandItems(node.items, scope) };
      return this.expandMap(node, scope);
    } finally {
      this.nesting--;
    }
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

  private expandMap(node: YMap, scope: TemplateScope): YMap {
    const out: YMap = { kind: "map", pos: node.pos, entries: [] };
    let local = scope;
    const variables = node.entries.find((e) => e.key.value === "variables");
    if (variables) {
      const expanded = this.expand(variables.value, scope);
      local = { ...scope, variables: { ...scope.variables, ...this.variablesOf(expanded, scope) } };
    }
    this.expandEntries(node.entries, local, out, node.pos);
    return out;
  }

  private expandEntries(entries: YMap["entries"], scope: TemplateScope, out: YMap, pos: Pos): void {
    let chain: "taken" | "open" | "none" = "none";
    for (const entry of entries) {
      const directive = DIRECTIVE.exec(entry.key.value.trim());
      if (!directive) {
        chain = "none";
        const key = this.expandScalar(entry.key.value, entry.key.pos, scope);
        if (key.kind !== "scalar") throw new CompileError("A mapping key must be a string.", entry.key.pos);
        if (out.entries.some((e) => e.key.value === key.value)) throw new CompileError(`'${key.value}' is already defined`, entry.key.pos);
        out.entries.push({ key, value: this.expand(entry.value, scope) });
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
      chain = this.conditional(verb!, rest, entry.key.pos, chain, scope, (s) => merge(entry.value, s), pos);
    }
  }

  /** One `if`/`elseif`/`else`/`each`/`insert` directive; returns the state of the if-chain after it. */
  private conditional(verb: string, rest: string, pos: Pos, chain: "taken" | "open" | "none", scope: TemplateScope, apply: (s: TemplateScope) => void, _at: Pos): "taken" | "open" | "none" {
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

  /** A sequence's items, with directive items spliced in (their value is a sequence or one item). */
  expandItems(items: YNode[], scope: TemplateScope): YNode[] {
    const out: YNode[] = [];
    let chain: "taken" | "open" | "none" = "none";
    for (const item of items) {
      const only = item.kind === "map" && item.entries.length === 1 ? item.entries[0]! : undefined;
      const directive = only ? DIRECTIVE.exec(only.key.value.trim()) : null;
      if (!only || !directive) {
        chain = "none";
        out.push(this.expand(item, scope));
        continue;
      }
      chain = this.conditional(
        directive[1]!,
        directive[2] ?? "",
        only.key.pos,
        chain,
        scope,
        (s) => {
          const expanded = this.expand(only.value, s);
          if (expanded.kind === "seq") out.push(...expanded.items);
          else if (!(expanded.kind === "scalar" && expanded.value === "")) out.push(expanded);
        },
        item.pos,
      );
    }
    return out;
  }

  /** Compile-time variables a (expanded) `variables` node defines: map form, list form, and variable templates. */
  variablesOf(node: YNode, scope: TemplateScope): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of this.readVariables(node, scope)) out[v.name] = v.value;
    return out;
  }

  readVariables(node: YNode, scope: TemplateScope): Array<{ name: string; value: string; readonly: boolean; pos: Pos }> {
    if (node.kind === "scalar" && node.value === "") return [];
    if (node.kind === "map") return node.entries.map((e) => ({ name: e.key.value, value: asString(e.value), readonly: false, pos: e.key.pos }));
    const out: Array<{ name: string; value: string; readonly: boolean; pos: Pos }> = [];
    for (const item of asSeq(node)) {
      const fields = readMap(item, ["name", "value", "readonly", "group", "template", "parameters"], "variable");
      if (fields.has("group")) throw new CompileError("Variable groups are not supported by svcconn.", fields.get("group")!.key.pos);
      const template = fields.get("template");
      if (template) {
        const body = this.include(asString(template.value), fields.get("parameters")?.value, scope, template.value.pos);
        const inner = readMap(body.node, ["parameters", "variables"], "variables template").get("variables");
        if (inner) out.push(...this.readVariables(inner.value, body.scope));
        continue;
      }
      const name = fields.get("name");
      if (!name) throw new CompileError("Required property 'name' is missing", item.pos);
      out.push({ name: asString(name.value), value: fields.has("value") ? asString(fields.get("value")!.value) : "", readonly: fields.has("readonly") && /^true$/i.test(asString(fields.get("readonly")!.value)), pos: name.key.pos });
    }
    return out;
  }

  /**
   * Loads a template, binds its declared parameters to the given ones (`Unexpected parameter`, missing values,
   * types and allowed values checked as Azure Pipelines does) and expands it. Returns the expanded body and the
   * scope its contents were expanded in.
   */
  include(reference: string, given: YNode | undefined, scope: TemplateScope, pos: Pos): { node: YMap; scope: TemplateScope } {
    if (scope.depth + 1 > MAX_TEMPLATE_DEPTH) throw new CompileError(`Maximum template nesting depth (${MAX_TEMPLATE_DEPTH}) exceeded: ${reference}`, pos);
    const path = this.resolvePath(reference, scope.file, pos);
    const root = this.load(path, pos);
    if (root.kind !== "map") throw new CompileError("Expected a mapping", root.pos);
    const declared = root.entries.find((e) => e.key.value === "parameters");
    const values: Record<string, Value> = {};
    if (given && !(given.kind === "scalar" && given.value === "")) {
      if (given.kind !== "map") throw new CompileError("Expected a mapping", given.pos);
      for (const e of given.entries) values[e.key.value] = toPlain(e.value) as Value;
    }
    const parameters = bindParameters(declared?.value, values, given?.kind === "map" ? given : undefined, path, pos);
    const inner: TemplateScope = { parameters, variables: scope.variables, locals: {}, file: path, depth: scope.depth + 1 };
    const body: YMap = { kind: "map", pos: root.pos, entries: root.entries.filter((e) => e.key.value !== "parameters") };
    return { node: this.expandMap(body, inner), scope: inner };
  }
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
    for (const e of declared.entries) {
      known.set(e.key.value.toLowerCase(), e.key.value);
      out[e.key.value] = toPlain(e.value) as Value;
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
