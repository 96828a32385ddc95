import { createHash } from "node:crypto";
import { nameBasedGuid } from "../core/ids.js";

/**
 * The ARM template expression language: `[function(args).property[index]]` inside JSON strings. This module
 * parses and evaluates it; the deployment engine supplies the context (parameters, variables, resources).
 */
export class TemplateError extends Error {}

type Node =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "call"; name: string; args: Node[]; accessors: Accessor[] };
type Accessor = { kind: "property"; name: string } | { kind: "index"; index: Node };

export interface ExpressionContext {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  resourceGroup(): Record<string, unknown>;
  subscription(): Record<string, unknown>;
  tenant(): Record<string, unknown>;
  deployment(): Record<string, unknown>;
  /** Full resource id for `resourceId(...)` given the already-disambiguated pieces. */
  resourceId(subscriptionId: string | undefined, resourceGroup: string | undefined, type: string, names: string[]): string;
  subscriptionResourceId(subscriptionId: string | undefined, type: string, names: string[]): string;
  reference(resourceIdOrName: string, full: boolean): unknown;
  /** Charges the evaluation for a value a function produced (bounds the work one deployment may cause). */
  spend?(size: number): void;
}

/** ARM's documented limit on one template expression's length. */
export const MAX_EXPRESSION_LENGTH = 24_576;
/** The largest value one function may produce: ARM's limit on one compiled resource (1 MB). */
export const MAX_VALUE_SIZE = 1_048_576;

/** About how many characters a value takes as JSON, stopping once past `limit`. */
export function sizeOf(value: unknown, limit = MAX_VALUE_SIZE): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object") return 8;
  let size = 2;
  for (const item of Array.isArray(value) ? value : Object.entries(value)) {
    size += Array.isArray(value) ? sizeOf(item, limit - size) + 1 : sizeOf((item as [string, unknown])[1], limit - size) + (item as [string, unknown])[0].length + 4;
    if (size > limit) return size;
  }
  return size;
}

/** True when a JSON string is an expression (`[...]`, not the `[[` escape). */
export const isExpression = (text: string): boolean => text.startsWith("[") && text.endsWith("]") && !text.startsWith("[[");

export function evaluateString(text: string, context: ExpressionContext): unknown {
  if (!isExpression(text)) return text.startsWith("[[") ? text.slice(1) : text;
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new TemplateError(`The template language expression is ${text.length} characters long, which exceeds the limit of ${MAX_EXPRESSION_LENGTH} characters.`);
  }
  const node = new Parser(text.slice(1, -1)).parseTop();
  return evaluate(node, context);
}

/** How deep function calls may nest in one expression: far beyond real templates, well within the stack. */
export const MAX_NESTING = 128;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly src: string) {}

  parseTop(): Node {
    const node = this.parseExpression();
    this.skip();
    if (this.i !== this.src.length) throw new TemplateError(`The language expression '${this.src}' is not valid: unexpected '${this.src[this.i]}' at position ${this.i}.`);
    return node;
  }

  private skip() {
    while (this.i < this.src.length && /\s/.test(this.src[this.i]!)) this.i++;
  }

  private parseExpression(): Node {
    if (this.depth >= MAX_NESTING) throw new TemplateError(`The template language expression nests functions more than ${MAX_NESTING} deep.`);
    this.depth++;
    try {
      return this.parseOne();
    } finally {
      this.depth--;
    }
  }

  private parseOne(): Node {
    this.skip();
    const c = this.src[this.i];
    if (c === "'") return this.parseString();
    if (c !== undefined && /[-\d]/.test(c)) return this.parseNumber();
    if (c !== undefined && /[A-Za-z_]/.test(c)) return this.parseCall();
    throw new TemplateError(`The language expression '${this.src}' is not valid: expected a function, string or number at position ${this.i}.`);
  }

  private parseString(): Node {
    this.i++;
    let value = "";
    while (this.i < this.src.length) {
      const c = this.src[this.i]!;
      if (c === "'") {
        if (this.src[this.i + 1] === "'") {
          value += "'";
          this.i += 2;
          continue;
        }
        this.i++;
        return { kind: "string", value };
      }
      value += c;
      this.i++;
    }
    throw new TemplateError(`The language expression '${this.src}' is not valid: the string literal is not terminated.`);
  }

  private parseNumber(): Node {
    const match = /^-?\d+(\.\d+)?/.exec(this.src.slice(this.i));
    if (!match) throw new TemplateError(`The language expression '${this.src}' is not valid: bad number at position ${this.i}.`);
    this.i += match[0].length;
    return { kind: "number", value: Number(match[0]) };
  }

  private parseCall(): Node {
    const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.src.slice(this.i))!;
    const name = match[0];
    this.i += name.length;
    this.skip();
    if (this.src[this.i] !== "(") throw new TemplateError(`The language expression '${this.src}' is not valid: '${name}' must be followed by '('.`);
    this.i++;
    const args: Node[] = [];
    this.skip();
    if (this.src[this.i] === ")") this.i++;
    else {
      for (;;) {
        args.push(this.parseExpression());
        this.skip();
        const c = this.src[this.i];
        this.i++;
        if (c === ")") break;
        if (c !== ",") throw new TemplateError(`The language expression '${this.src}' is not valid: expected ',' or ')' at position ${this.i - 1}.`);
      }
    }
    const accessors: Accessor[] = [];
    for (;;) {
      this.skip();
      const c = this.src[this.i];
      if (c === ".") {
        this.i++;
        const prop = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(this.src.slice(this.i));
        if (!prop) throw new TemplateError(`The language expression '${this.src}' is not valid: expected a property name at position ${this.i}.`);
        this.i += prop[0].length;
        accessors.push({ kind: "property", name: prop[0] });
      } else if (c === "[") {
        this.i++;
        const index = this.parseExpression();
        this.skip();
        if (this.src[this.i] !== "]") throw new TemplateError(`The language expression '${this.src}' is not valid: expected ']' at position ${this.i}.`);
        this.i++;
        accessors.push({ kind: "index", index });
      } else break;
    }
    return { kind: "call", name, args, accessors };
  }
}

function evaluate(node: Node, context: ExpressionContext): unknown {
  if (node.kind === "string" || node.kind === "number") return node.value;
  const args = node.args.map((a) => evaluate(a, context));
  let value = call(node.name, args, context);
  const size = sizeOf(value);
  if (size > MAX_VALUE_SIZE) {
    throw new TemplateError(`The template function '${node.name}' produced a value of more than ${MAX_VALUE_SIZE} characters, the limit for a value in a template.`);
  }
  context.spend?.(size);
  for (const accessor of node.accessors) {
    const key = accessor.kind === "property" ? accessor.name : evaluate(accessor.index, context);
    if (value === null || value === undefined || typeof value !== "object") {
      throw new TemplateError(`The language expression property '${String(key)}' can't be evaluated.`);
    }
    const found = Array.isArray(value) ? value[Number(key)] : caseInsensitiveGet(value as Record<string, unknown>, String(key));
    if (found === undefined) throw new TemplateError(`The language expression property '${String(key)}' doesn't exist, available properties are '${Object.keys(value).join(", ")}'.`);
    value = found;
  }
  return value;
}

function caseInsensitiveGet(object: Record<string, unknown>, key: string): unknown {
  if (key in object) return object[key];
  const match = Object.keys(object).find((k) => k.toLowerCase() === key.toLowerCase());
  return match === undefined ? undefined : object[match];
}

const asString = (v: unknown): string => (typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));

function requireArgs(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    throw new TemplateError(`Unable to evaluate template language function '${name}': function requires ${min === max ? min : `${min} to ${max}`} argument(s) while ${args.length} were provided.`);
  }
}

/** A deterministic 13-character base-32 hash, as `uniqueString` returns (the real hash function is not public). */
export function uniqueString(...parts: string[]): string {
  const digest = createHash("sha256").update(parts.join("-")).digest();
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(digest[i]!);
  let out = "";
  for (let i = 0; i < 13; i++) {
    out += alphabet[Number(bits & 31n)];
    bits >>= 5n;
  }
  return out;
}

/** A deterministic GUID from strings, as `guid()` returns. */
export const deterministicGuid = (...parts: string[]): string => nameBasedGuid(...parts);

/**
 * A template function: how many arguments it takes (`arity`: exactly or a range; `atLeast`: no upper bound,
 * reported as "1 to 99" like ARM) and what it computes.
 */
interface TemplateFunction {
  arity?: [number, number];
  atLeast?: number;
  run: (args: unknown[], context: ExpressionContext) => unknown;
}

const exactly = (n: number, run: TemplateFunction["run"]): TemplateFunction => ({ arity: [n, n], run });

/** Split `[sub, rg,] type, names…` where the type is the first argument with a `/`. */
function typeAndNames(name: string, args: unknown[], maxPrefix: number) {
  const strings = args.map(asString);
  const typeIndex = strings.findIndex((s) => s.includes("/"));
  if (typeIndex < 0 || typeIndex > maxPrefix || strings.length < typeIndex + 2) {
    throw new TemplateError(`Unable to evaluate template language function '${name}': the type or name segments are not valid.`);
  }
  return { prefix: strings.slice(0, typeIndex), type: strings[typeIndex]!, names: strings.slice(typeIndex + 1) };
}

const FUNCTIONS: Record<string, TemplateFunction> = {
  // The deployment's world.
  parameters: exactly(1, (args, context) => context.parameter(asString(args[0]))),
  variables: exactly(1, (args, context) => context.variable(asString(args[0]))),
  resourcegroup: exactly(0, (_args, context) => context.resourceGroup()),
  subscription: exactly(0, (_args, context) => context.subscription()),
  tenant: exactly(0, (_args, context) => context.tenant()),
  deployment: exactly(0, (_args, context) => context.deployment()),
  resourceid: {
    run: (args, context) => {
      const { prefix, type, names } = typeAndNames("resourceId", args, 2);
      return context.resourceId(prefix.length === 2 ? prefix[0] : undefined, prefix.length === 2 ? prefix[1] : prefix[0], type, names);
    },
  },
  subscriptionresourceid: {
    run: (args, context) => {
      const { prefix, type, names } = typeAndNames("subscriptionResourceId", args, 1);
      return context.subscriptionResourceId(prefix[0], type, names);
    },
  },
  reference: { arity: [1, 3], run: (args, context) => context.reference(asString(args[0]), String(args[2] ?? "").toLowerCase() === "full") },
  // Strings.
  concat: { run: (args) => (args.some(Array.isArray) ? args.flatMap((a) => (Array.isArray(a) ? a : [a])) : args.map(asString).join("")) },
  format: {
    atLeast: 1,
    run: ([pattern, ...rest]) =>
      asString(pattern).replace(/\{(\d+)(?::[^}]*)?\}/g, (_m, i: string) => {
        if (Number(i) >= rest.length) throw new TemplateError(`Unable to evaluate template language function 'format': index ${i} is out of range.`);
        return asString(rest[Number(i)]);
      }),
  },
  uniquestring: { atLeast: 1, run: (args) => uniqueString(...args.map(asString)) },
  guid: { atLeast: 1, run: (args) => deterministicGuid(...args.map(asString)) },
  tolower: exactly(1, (args) => asString(args[0]).toLowerCase()),
  toupper: exactly(1, (args) => asString(args[0]).toUpperCase()),
  string: exactly(1, (args) => asString(args[0])),
  replace: exactly(3, (args) => asString(args[0]).split(asString(args[1])).join(asString(args[2]))),
  substring: {
    arity: [2, 3],
    run: (args) => {
      const s = asString(args[0]);
      const start = Number(args[1]);
      return args.length === 3 ? s.substring(start, start + Number(args[2])) : s.substring(start);
    },
  },
  split: exactly(2, (args) => asString(args[0]).split(asString(args[1]))),
  trim: exactly(1, (args) => asString(args[0]).trim()),
  startswith: exactly(2, (args) => asString(args[0]).toLowerCase().startsWith(asString(args[1]).toLowerCase())),
  endswith: exactly(2, (args) => asString(args[0]).toLowerCase().endsWith(asString(args[1]).toLowerCase())),
  base64: exactly(1, (args) => Buffer.from(asString(args[0]), "utf8").toString("base64")),
  json: exactly(1, (args) => {
    try {
      return JSON.parse(asString(args[0]));
    } catch {
      throw new TemplateError("Unable to evaluate template language function 'json': the argument is not valid JSON.");
    }
  }),
  // Numbers and logic.
  int: exactly(1, (args) => Math.trunc(Number(args[0]))),
  bool: exactly(1, (args) => (typeof args[0] === "string" ? args[0].toLowerCase() === "true" : Boolean(args[0]))),
  true: { run: () => true },
  false: { run: () => false },
  null: { run: () => null },
  equals: exactly(2, (args) => JSON.stringify(args[0]) === JSON.stringify(args[1])),
  not: exactly(1, (args) => !args[0]),
  and: { run: (args) => args.every(Boolean) },
  or: { run: (args) => args.some(Boolean) },
  if: exactly(3, (args) => (args[0] ? args[1] : args[2])),
  coalesce: { run: (args) => args.find((a) => a !== null && a !== undefined) ?? null },
  // Collections.
  length: exactly(1, ([v]) => (typeof v === "string" || Array.isArray(v) ? (v as string | unknown[]).length : Object.keys(v as object).length)),
  contains: exactly(2, ([container, item]) => {
    if (typeof container === "string") return container.toLowerCase().includes(asString(item).toLowerCase());
    if (Array.isArray(container)) return container.includes(item);
    return caseInsensitiveGet(container as Record<string, unknown>, asString(item)) !== undefined;
  }),
  empty: exactly(1, ([v]) => v === null || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && Object.keys(v as object).length === 0)),
  createarray: { run: (args) => args },
  createobject: {
    run: (args) => {
      const object: Record<string, unknown> = {};
      for (let i = 0; i + 1 < args.length; i += 2) object[asString(args[i])] = args[i + 1];
      return object;
    },
  },
  first: exactly(1, ([v]) => (typeof v === "string" ? v[0] : (v as unknown[])[0])),
  last: exactly(1, ([v]) => (typeof v === "string" ? v.slice(-1) : (v as unknown[]).slice(-1)[0])),
};

function call(name: string, args: unknown[], context: ExpressionContext): unknown {
  // Own properties only: `constructor()` or `toString()` in a template must not reach Object's prototype.
  const fn = Object.hasOwn(FUNCTIONS, name.toLowerCase()) ? FUNCTIONS[name.toLowerCase()] : undefined;
  if (!fn) throw new TemplateError(`The template function '${name}' is not valid. Please see https://aka.ms/arm-syntax-functions for usage details.`);
  if (fn.arity) requireArgs(name, args, fn.arity[0], fn.arity[1]);
  if (fn.atLeast !== undefined && args.length < fn.atLeast) requireArgs(name, args, fn.atLeast, 99);
  return fn.run(args, context);
}

/** Evaluates every expression inside a JSON value (objects, arrays, strings). */
export function evaluateDeep(value: unknown, context: ExpressionContext): unknown {
  if (typeof value === "string") return evaluateString(value, context);
  if (Array.isArray(value)) return value.map((v) => evaluateDeep(v, context));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = evaluateDeep(v, context);
    return out;
  }
  return value;
}
