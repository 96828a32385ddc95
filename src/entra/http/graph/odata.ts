import { GraphError } from "../../graph/graph-errors.js";

/**
 * The part of OData `$filter` that Graph clients use on directory objects: comparisons, `startswith`,
 * `endswith`, `in` (`appId in ('a','b')`, at most 15 values, as Graph allows), `and`/`or`/`not`, parentheses and
 * lambda `any` over collections (`federatedIdentityCredentials/any(f:f/subject eq 'x')`,
 * `servicePrincipalNames/any(c:c eq 'x')`).
 */
export type FilterNode =
  | { kind: "compare"; path: string[]; op: "eq" | "ne" | "gt" | "ge" | "lt" | "le"; value: unknown }
  | { kind: "call"; name: "startswith" | "endswith" | "contains"; path: string[]; value: string }
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; inner: FilterNode }
  | { kind: "in"; path: string[]; values: unknown[] }
  | { kind: "any"; path: string[]; variable: string; body: FilterNode };

type Token = { type: "word" | "string" | "punct"; value: string; at: number };

const syntaxError = (filter: string, at: number) => new GraphError(400, "BadRequest", `Invalid filter clause: Syntax error at position ${at} in '${filter}'.`);

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = "";
      const at = i++;
      for (;;) {
        if (i >= filter.length) throw syntaxError(filter, at);
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += filter[i++];
      }
      tokens.push({ type: "string", value, at });
    } else if ("(),:".includes(c)) {
      tokens.push({ type: "punct", value: c, at: i++ });
    } else {
      const match = /^[A-Za-z0-9_.@$/-]+/.exec(filter.slice(i));
      if (!match) throw syntaxError(filter, i);
      tokens.push({ type: "word", value: match[0], at: i });
      i += match[0].length;
    }
  }
  return tokens;
}

/** The most values an `in` list may hold on directory objects. */
const MAX_IN = 15;

/** How deep parentheses, `not` and lambdas may nest: OData's default `MaxExpressionDepth`. */
const MAX_DEPTH = 100;

export function parseFilter(filter: string): FilterNode {
  const tokens = tokenize(filter);
  let p = 0;
  let depth = 0;
  const deeper = <T>(at: number, parse: () => T): T => {
    if (++depth > MAX_DEPTH) throw new GraphError(400, "BadRequest", `Invalid filter clause: The query specified in the URI is not valid. The recursion depth limit of '${MAX_DEPTH}' was exceeded at position ${at} in '${filter.length > 200 ? `${filter.slice(0, 200)}…` : filter}'.`);
    try {
      return parse();
    } finally {
      depth--;
    }
  };
  const peek = () => tokens[p];
  const next = () => tokens[p++];
  const expect = (value: string) => {
    const t = next();
    if (!t || t.value !== value) throw syntaxError(filter, t?.at ?? filter.length);
  };
  const literal = (): unknown => {
    const t = next();
    if (!t) throw syntaxError(filter, filter.length);
    if (t.type === "string") return t.value;
    if (t.type !== "word") throw syntaxError(filter, t.at);
    if (t.value === "true") return true;
    if (t.value === "false") return false;
    if (t.value === "null") return null;
    if (/^-?\d+(\.\d+)?$/.test(t.value)) return Number(t.value);
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t.value)) return t.value;
    throw syntaxError(filter, t.at);
  };
  const or = (): FilterNode => {
    let left = and();
    while (peek()?.value.toLowerCase() === "or") {
      next();
      left = { kind: "or", left, right: and() };
    }
    return left;
  };
  const and = (): FilterNode => {
    let left = unary();
    while (peek()?.value.toLowerCase() === "and") {
      next();
      left = { kind: "and", left, right: unary() };
    }
    return left;
  };
  const unary = (): FilterNode => {
    if (peek()?.value.toLowerCase() === "not") {
      const at = next()!.at;
      return { kind: "not", inner: deeper(at, unary) };
    }
    return primary();
  };
  const primary = (): FilterNode => {
    const t = next();
    if (!t) throw syntaxError(filter, filter.length);
    if (t.value === "(") {
      const inner = deeper(t.at, or);
      expect(")");
      return inner;
    }
    if (t.type !== "word") throw syntaxError(filter, t.at);
    const lower = t.value.toLowerCase();
    if ((lower === "startswith" || lower === "endswith" || lower === "contains") && peek()?.value === "(") {
      next();
      const pathToken = next();
      if (pathToken?.type !== "word") throw syntaxError(filter, pathToken?.at ?? filter.length);
      expect(",");
      const value = literal();
      expect(")");
      return { kind: "call", name: lower, path: pathToken.value.split("/"), value: String(value) };
    }
    const anyMatch = /^(.*)\/any$/i.exec(t.value);
    if (anyMatch && peek()?.value === "(") {
      next();
      const variable = next();
      if (variable?.type !== "word") throw syntaxError(filter, variable?.at ?? filter.length);
      expect(":");
      const body = deeper(variable.at, or);
      expect(")");
      return { kind: "any", path: anyMatch[1]!.split("/"), variable: variable.value, body };
    }
    const op = next();
    if (op?.value.toLowerCase() === "in") {
      expect("(");
      const values = [literal()];
      while (peek()?.value === ",") {
        next();
        values.push(literal());
      }
      expect(")");
      if (values.length > MAX_IN) throw new GraphError(400, "BadRequest", `Invalid filter clause: Too many child clauses specified in search filter expression containing 'OR' operators: ${values.length}. Max allowed: ${MAX_IN}.`);
      return { kind: "in", path: t.value.split("/"), values };
    }
    if (!op || !["eq", "ne", "gt", "ge", "lt", "le"].includes(op.value.toLowerCase())) throw syntaxError(filter, op?.at ?? filter.length);
    return { kind: "compare", path: t.value.split("/"), op: op.value.toLowerCase() as "eq", value: literal() };
  };
  const node = or();
  if (p !== tokens.length) throw syntaxError(filter, tokens[p]!.at);
  return node;
}

/** Every top-level property a filter reads (to check them against what a resource supports). */
export function filterProperties(node: FilterNode): string[] {
  switch (node.kind) {
    case "compare":
    case "call":
    case "in":
      return [node.path[0]!];
    case "and":
    case "or":
      return [...filterProperties(node.left), ...filterProperties(node.right)];
    case "not":
      return filterProperties(node.inner);
    case "any":
      return [node.path[0]!];
  }
}

function read(object: unknown, path: string[]): unknown {
  let value = object;
  for (const segment of path) {
    if (value === null || value === undefined || typeof value !== "object") return undefined;
    const record = value as Record<string, unknown>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === segment.toLowerCase());
    value = key === undefined ? undefined : record[key];
  }
  return value;
}

const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

export function matches(node: FilterNode, object: unknown, scope: Record<string, unknown> = {}): boolean {
  const resolve = (path: string[]) => (path[0]! in scope ? read(scope[path[0]!], path.slice(1)) : read(object, path));
  switch (node.kind) {
    case "and":
      return matches(node.left, object, scope) && matches(node.right, object, scope);
    case "or":
      return matches(node.left, object, scope) || matches(node.right, object, scope);
    case "not":
      return !matches(node.inner, object, scope);
    case "call": {
      const value = resolve(node.path);
      if (typeof value !== "string") return false;
      const a = value.toLowerCase();
      const b = node.value.toLowerCase();
      return node.name === "startswith" ? a.startsWith(b) : node.name === "endswith" ? a.endsWith(b) : a.includes(b);
    }
    case "in": {
      const actual = norm(resolve(node.path));
      return node.values.some((v) => norm(v) === actual);
    }
    case "any": {
      const collection = resolve(node.path);
      if (!Array.isArray(collection)) return false;
      return collection.some((item) => matches(node.body, object, { ...scope, [node.variable]: item }));
    }
    case "compare": {
      // Graph compares strings case-insensitively for these properties.
      const actual = norm(resolve(node.path));
      const expected = norm(node.value);
      switch (node.op) {
        case "eq":
          return actual === expected;
        case "ne":
          return actual !== expected;
        case "gt":
          return (actual as never) > (expected as never);
        case "ge":
          return (actual as never) >= (expected as never);
        case "lt":
          return (actual as never) < (expected as never);
        case "le":
          return (actual as never) <= (expected as never);
      }
    }
  }
}

/**
 * The values a filter pins `property` to, when every match must have one of them (`appId eq 'x'`, `appId in (…)`,
 * or either inside an `and`): a list can then be narrowed before it is rendered. Undefined when the filter does not.
 */
export function pinnedValues(node: FilterNode, property: string): Set<string> | undefined {
  const is = (path: string[]) => path.length === 1 && path[0]!.toLowerCase() === property.toLowerCase();
  switch (node.kind) {
    case "compare":
      return node.op === "eq" && is(node.path) && typeof node.value === "string" ? new Set([node.value.toLowerCase()]) : undefined;
    case "in":
      return is(node.path) && node.values.every((v) => typeof v === "string") ? new Set(node.values.map((v) => (v as string).toLowerCase())) : undefined;
    case "and":
      return pinnedValues(node.left, property) ?? pinnedValues(node.right, property);
    default:
      return undefined;
  }
}
