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

const MAX_LENGTH = 20_000;
const MAX_DEPTH = 50;

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

function format(pattern: string, args: Value[]): string {
  return pattern.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => (m === "{{" ? "{" : m === "}}" ? "}" : toText(args[Number(n)] ?? null)));
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
  arity("lower", 1, 1, (a) => toText(a[0]!).toLowerCase()),
  arity("upper", 1, 1, (a) => toText(a[0]!).toUpperCase()),
  arity("trim", 1, 1, (a) => toText(a[0]!).trim()),
  arity("format", 1, Infinity, (a) => format(toText(a[0]!), a.slice(1))),
  arity("coalesce", 1, Infinity, (a) => a.find((x) => x !== null && x !== "") ?? null),
  arity("length", 1, 1, (a) => {
    const v = a[0]!;
    return typeof v === "string" ? v.length : Array.isArray(v) ? v.length : v !== null && typeof v === "object" ? Object.keys(v).length : 0;
  }),
  arity("join", 2, 2, (a) => (Array.isArray(a[1]) ? a[1].map(toText).join(toText(a[0]!)) : toText(a[1]!))),
  arity("split", 2, 2, (a) => toText(a[0]!).split(toText(a[1]!))),
  arity("replace", 3, 3, (a) => toText(a[0]!).split(toText(a[1]!)).join(toText(a[2]!))),
  arity("converttojson", 1, 1, (a) => JSON.stringify(a[0]!, null, 2)),
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

export function evaluate(text: string, ctx: ExpressionContext): Value {
  return evaluateAst(parseExpression(text), ctx);
}
