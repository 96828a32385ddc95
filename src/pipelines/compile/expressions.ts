/**
 * Azure Pipelines expressions (`${{ }}` at compile time, `$[ ]` and `condition:` at run time): literals, named
 * values with property and index access, and functions. There are no infix operators in this language.
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export class ExpressionError extends Error {}

type Ast =
  | { kind: "literal"; value: Value }
  | { kind: "name"; name: string }
  | { kind: "member"; target: Ast; key: Ast }
  | { kind: "call"; name: string; args: Ast[] };

/** What an expression may read, and the status functions a run-time condition adds. */
export interface ExpressionContext {
  /** Named values: `parameters`, `variables`, `dependencies`, … (looked up case-insensitively). */
  values: Record<string, Value>;
  /** `succeeded()`, `failed()`… (run time only). */
  status?: { succeeded: boolean; failed: boolean; canceled: boolean };
}

/** The evaluator's limits (actions/runner src/Sdk/DTExpressions2/Expressions2/ExpressionConstants.cs). */
const MAX_LENGTH = 21_000;
const MAX_DEPTH = 50;
/** What one evaluation may allocate (EvaluationContext: MaxMemory 1 MB), in .NET sizes. */
const MAX_MEMORY = 1024 * 1024;

export function parseExpression(text: string): Ast {
  if (text.length > MAX_LENGTH) throw new ExpressionError(`Exceeded max expression length ${MAX_LENGTH}`);
  let i = 0;
  const src = text;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new ExpressionError(`Unexpected symbol: '${src.slice(i, i + 1) || "end of expression"}'. Located at position ${i + 1} within expression: ${src.trim()}. ${what}`.trim());
  };
  const primary = (depth: number): Ast => {
    if (depth > MAX_DEPTH) throw new ExpressionError(`Exceeded max expression depth ${MAX_DEPTH}`);
    ws();
    const c = src[i];
    if (c === "'") {
      let out = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new ExpressionError(`Unclosed string literal in expression: ${src.trim()}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            out += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += src[i++];
      }
      return { kind: "literal", value: out };
    }
    const num = /^-?(\d+(\.\d+)?|\.\d+)/.exec(src.slice(i));
    if (num && (c === "-" || /\d|\./.test(c ?? ""))) {
      i += num[0].length;
      return { kind: "literal", value: Number(num[0]) };
    }
    const word = /^[A-Za-z_][\w-]*/.exec(src.slice(i));
    if (!word) return fail("");
    i += word[0].length;
    const lower = word[0].toLowerCase();
    ws();
    if (src[i] === "(") {
      i++;
      const args: Ast[] = [];
      ws();
      if (src[i] === ")") i++;
      else {
        for (;;) {
          args.push(postfix(depth + 1));
          ws();
          if (src[i] === ",") {
            i++;
            continue;
          }
          if (src[i] === ")") {
            i++;
            break;
          }
          fail("");
        }
      }
      return { kind: "call", name: lower, args };
    }
    if (lower === "true" || lower === "false") return { kind: "literal", value: lower === "true" };
    if (lower === "null") return { kind: "literal", value: null };
    return { kind: "name", name: word[0] };
  };
  const postfix = (depth: number): Ast => {
    let node = primary(depth);
    for (;;) {
      ws();
      if (src[i] === ".") {
        i++;
        const word = /^[A-Za-z_*][\w-]*/.exec(src.slice(i));
        if (!word) fail("");
        i += word![0].length;
        node = { kind: "member", target: node, key: { kind: "literal", value: word![0] } };
      } else if (src[i] === "[") {
        i++;
        const key = postfix(depth + 1);
        ws();
        if (src[i] !== "]") fail("");
        i++;
        node = { kind: "member", target: node, key };
      } else return node;
    }
  };
  const ast = postfix(0);
  ws();
  if (i < src.length) fail("");
  return ast;
}

// ---- conversions (Azure Pipelines' rules) ----------------------------------------------------------------------

export function truthy(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (typeof v === "string") return v.length > 0;
  return true;
}

export function toText(v: Value): string {
  if (v === null) return "";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v, null, 2);
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const t = v.trim();
    if (t === "") return 0;
    return /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(t) || /^0x[0-9a-f]+$/i.test(t) ? Number(t) : Number.NaN;
  }
  return Number.NaN;
}

/** Compares as Azure Pipelines does: the right side converts to the left side's type; strings ignore case. */
function compare(a: Value, b: Value): number | undefined {
  if (typeof a === "number") {
    const n = toNumber(b);
    return Number.isNaN(n) ? undefined : a === n ? 0 : a < n ? -1 : 1;
  }
  if (typeof a === "boolean") {
    const x = truthy(b);
    return a === x ? 0 : a ? 1 : -1;
  }
  if (typeof a === "string") {
    const x = toText(b).toUpperCase();
    const y = a.toUpperCase();
    return y === x ? 0 : y < x ? -1 : 1;
  }
  if (a === null) return b === null || b === "" || b === 0 || b === false ? 0 : undefined;
  return a === b ? 0 : undefined;
}
const equal = (a: Value, b: Value) => compare(a, b) === 0;

function member(target: Value, key: Value): Value {
  if (target === null || typeof target !== "object") return null;
  if (Array.isArray(target)) {
    const index = toNumber(key);
    return Number.isInteger(index) && index >= 0 && index < target.length ? target[index]! : null;
  }
  const name = toText(key);
  if (name in target) return target[name]!;
  const found = Object.keys(target).find((k) => k.toLowerCase() === name.toLowerCase());
  return found === undefined ? null : target[found]!;
}

/**
 * What one evaluation has allocated: every string, list or object a function makes counts (26 bytes plus two per
 * character for a string, as .NET sizes them); past 1 MB the evaluation ends with the service's text.
 */
class EvaluationMemory {
  private bytes = 0;

  constructor(private readonly expression: string) {}

  /** Counts `chars` characters about to be made (checked before they are, so nothing huge is ever built). */
  chars(chars: number): void {
    this.add(26 + 2 * chars);
  }

  value(v: Value): void {
    if (typeof v === "string") this.chars(v.length);
    else if (Array.isArray(v)) {
      this.add(24);
      for (const item of v) this.value(item);
    } else if (v !== null && typeof v === "object") {
      this.add(24);
      for (const [k, item] of Object.entries(v)) {
        this.chars(k.length);
        this.value(item);
      }
    }
  }

  private add(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes > MAX_MEMORY) throw new ExpressionError(`The maximum allowed memory size was exceeded while evaluating the following expression: ${this.expression.trim()}`);
  }
}

const memories = new WeakMap<ExpressionContext, EvaluationMemory>();
const memoryOf = (ctx: ExpressionContext) => memories.get(ctx) ?? new EvaluationMemory("");

function format(pattern: string, args: Value[], memory: EvaluationMemory): string {
  const texts = args.map(toText);
  let length = pattern.length;
  for (const m of pattern.matchAll(/\{(\d+)\}/g)) length += texts[Number(m[1])]?.length ?? 0;
  memory.chars(length);
  return pattern.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => (m === "{{" ? "{" : m === "}}" ? "}" : (texts[Number(n)] ?? "")));
}

function replace(text: string, find: string, by: string, memory: EvaluationMemory): string {
  const parts = text.split(find);
  memory.chars(text.length + (parts.length - 1) * Math.max(0, by.length - find.length));
  return parts.join(by);
}

function join(separator: string, items: Value, memory: EvaluationMemory): string {
  if (!Array.isArray(items)) return toText(items);
  const texts = items.map(toText);
  memory.chars(texts.reduce((n, t) => n + t.length, 0) + separator.length * Math.max(0, texts.length - 1));
  return texts.join(separator);
}

type Fn = (args: Value[], ctx: ExpressionContext) => Value;
const arity = (name: string, min: number, max: number, fn: Fn): [string, Fn] => [
  name,
  (args, ctx) => {
    if (args.length < min || args.length > max) throw new ExpressionError(`Function '${name}' expects ${min === max ? min : `${min} to ${max === Infinity ? "more" : max}`} parameter(s)`);
    return fn(args, ctx);
  },
];
const status = (name: string, pick: (s: NonNullable<ExpressionContext["status"]>) => boolean): [string, Fn] =>
  arity(name, 0, Infinity, (_args, ctx) => {
    if (!ctx.status) throw new ExpressionError(`Unrecognized value: '${name}'. Located at position 1 within expression: ${name}(). For more help, refer to https://go.microsoft.com/fwlink/?linkid=842996`);
    return pick(ctx.status);
  });

const counted = (text: string, ctx: ExpressionContext): string => {
  memoryOf(ctx).chars(text.length);
  return text;
};

const FUNCTIONS = new Map<string, Fn>([
  arity("and", 2, Infinity, (a) => a.every(truthy)),
  arity("or", 2, Infinity, (a) => a.some(truthy)),
  arity("not", 1, 1, (a) => !truthy(a[0]!)),
  arity("xor", 2, 2, (a) => truthy(a[0]!) !== truthy(a[1]!)),
  arity("eq", 2, 2, (a) => equal(a[0]!, a[1]!)),
  arity("ne", 2, 2, (a) => !equal(a[0]!, a[1]!)),
  arity("gt", 2, 2, (a) => (compare(a[0]!, a[1]!) ?? 0) > 0),
  arity("ge", 2, 2, (a) => (compare(a[0]!, a[1]!) ?? -1) >= 0),
  arity("lt", 2, 2, (a) => (compare(a[0]!, a[1]!) ?? 0) < 0),
  arity("le", 2, 2, (a) => (compare(a[0]!, a[1]!) ?? 1) <= 0),
  arity("in", 1, Infinity, (a) => a.slice(1).some((x) => equal(a[0]!, x))),
  arity("notin", 1, Infinity, (a) => !a.slice(1).some((x) => equal(a[0]!, x))),
  arity("contains", 2, 2, (a) => toText(a[0]!).toUpperCase().includes(toText(a[1]!).toUpperCase())),
  arity("containsvalue", 2, 2, (a) => {
    const c = a[0]!;
    const items = Array.isArray(c) ? c : c !== null && typeof c === "object" ? Object.values(c) : [];
    return items.some((x) => equal(x, a[1]!));
  }),
  arity("startswith", 2, 2, (a) => toText(a[0]!).toUpperCase().startsWith(toText(a[1]!).toUpperCase())),
  arity("endswith", 2, 2, (a) => toText(a[0]!).toUpperCase().endsWith(toText(a[1]!).toUpperCase())),
  arity("lower", 1, 1, (a, ctx) => counted(toText(a[0]!).toLowerCase(), ctx)),
  arity("upper", 1, 1, (a, ctx) => counted(toText(a[0]!).toUpperCase(), ctx)),
  arity("trim", 1, 1, (a, ctx) => counted(toText(a[0]!).trim(), ctx)),
  arity("format", 1, Infinity, (a, ctx) => format(toText(a[0]!), a.slice(1), memoryOf(ctx))),
  arity("coalesce", 1, Infinity, (a) => a.find((x) => x !== null && x !== "") ?? null),
  arity("length", 1, 1, (a) => {
    const v = a[0]!;
    return typeof v === "string" ? v.length : Array.isArray(v) ? v.length : v !== null && typeof v === "object" ? Object.keys(v).length : 0;
  }),
  arity("join", 2, 2, (a, ctx) => join(toText(a[0]!), a[1]!, memoryOf(ctx))),
  arity("split", 2, 2, (a, ctx) => {
    const parts = toText(a[0]!).split(toText(a[1]!));
    memoryOf(ctx).value(parts);
    return parts;
  }),
  arity("replace", 3, 3, (a, ctx) => replace(toText(a[0]!), toText(a[1]!), toText(a[2]!), memoryOf(ctx))),
  arity("converttojson", 1, 1, (a, ctx) => {
    memoryOf(ctx).value(a[0]!);
    const text = JSON.stringify(a[0]!, null, 2);
    memoryOf(ctx).chars(text.length);
    return text;
  }),
  arity("iif", 3, 3, (a) => (truthy(a[0]!) ? a[1]! : a[2]!)),
  status("always", () => true),
  status("succeeded", (s) => s.succeeded),
  status("failed", (s) => s.failed),
  status("canceled", (s) => s.canceled),
  status("succeededorfailed", (s) => !s.canceled),
]);

function evaluateAst(ast: Ast, ctx: ExpressionContext): Value {
  switch (ast.kind) {
    case "literal":
      return ast.value;
    case "name": {
      const key = Object.keys(ctx.values).find((k) => k.toLowerCase() === ast.name.toLowerCase());
      if (key === undefined) throw new ExpressionError(`Unrecognized value: '${ast.name}'.`);
      return ctx.values[key]!;
    }
    case "member":
      return member(evaluateAst(ast.target, ctx), evaluateAst(ast.key, ctx));
    case "call": {
      const fn = FUNCTIONS.get(ast.name);
      if (!fn) throw new ExpressionError(`Unrecognized function: '${ast.name}'.`);
      // and/or short-circuit, as the real evaluator does.
      if (ast.name === "and") {
        for (const a of ast.args) if (!truthy(evaluateAst(a, ctx))) return false;
        if (ast.args.length < 2) fn([], ctx);
        return true;
      }
      if (ast.name === "or") {
        for (const a of ast.args) if (truthy(evaluateAst(a, ctx))) return true;
        if (ast.args.length < 2) fn([], ctx);
        return false;
      }
      return fn(
        ast.args.map((a) => evaluateAst(a, ctx)),
        ctx,
      );
    }
  }
}

/**
 * Parsed expressions by text (an `each` evaluates the same few texts thousands of times), each with whether it calls
 * a function: one that does not (`parameters.env.name`) makes nothing, so it needs no memory account. Bounded.
 */
const parsed = new Map<string, { ast: Ast; calls: boolean }>();
const PARSED_CAPACITY = 10_000;

const callsFunction = (ast: Ast): boolean => ast.kind === "call" || (ast.kind === "member" && (callsFunction(ast.target) || callsFunction(ast.key)));

function parseOnce(text: string): { ast: Ast; calls: boolean } {
  let entry = parsed.get(text);
  if (entry === undefined) {
    const ast = parseExpression(text);
    entry = { ast, calls: callsFunction(ast) };
    if (parsed.size >= PARSED_CAPACITY) parsed.clear();
    parsed.set(text, entry);
  }
  return entry;
}

export function evaluate(text: string, ctx: ExpressionContext): Value {
  const { ast, calls } = parseOnce(text);
  if (!calls) return evaluateAst(ast, ctx);
  const own: ExpressionContext = { ...ctx };
  memories.set(own, new EvaluationMemory(text));
  return evaluateAst(ast, own);
}
