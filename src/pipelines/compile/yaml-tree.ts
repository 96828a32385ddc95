import { isMap, isScalar, isSeq, Lexer, LineCounter, parse, parseDocument, type Node as YamlNode } from "yaml";
import { CompileBudget } from "./budget.js";
import { CompileError, type Pos } from "./compile-error.js";

export { CompileError, type Pos } from "./compile-error.js";

export interface YScalar {
  kind: "scalar";
  value: string;
  pos: Pos;
}
export interface YMap {
  kind: "map";
  entries: Array<{ key: YScalar; value: YNode }>;
  pos: Pos;
}
export interface YSeq {
  kind: "seq";
  items: YNode[];
  pos: Pos;
}
export type YNode = YScalar | YMap | YSeq;

/** Pipelines refuse files above this size (Azure Pipelines' own limit on a YAML file is far lower than memory). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Azure Pipelines' YAML reader refuses anchors and aliases (YamlObjectReader, with its texts). */
const ANCHOR_TEXT = (name: string) => `Anchors are not currently supported. Remove the anchor '${name}'`;
const ALIAS_TEXT = "Unexpected parsing event type: AnchorAlias";
/** Characters the lexer emits that are not in the source (document start, flow error end, scalar). */
const CONTROL_TOKENS = new Set(["\x02", "\x18", "\x1f"]);

/**
 * Finds the first anchor or alias with the lexer alone (linear, and it stops there), before anything is composed:
 * a file full of aliases never reaches the parser, whose alias resolution is quadratic.
 */
function refuseAnchors(text: string): { offset: number; reason: string } | undefined {
  if (!text.includes("&") && !text.includes("*")) return undefined;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token.length === 1 && CONTROL_TOKENS.has(token)) continue;
    if (token[0] === "&") return { offset, reason: ANCHOR_TEXT(token.slice(1)) };
    if (token[0] === "*") return { offset, reason: ALIAS_TEXT };
    offset += token.length;
  }
  return undefined;
}

/**
 * A YAML value given as text (a structured template parameter at queue time), read as the pipeline's own files
 * are: every scalar a string, no anchors or aliases.
 */
export function parseYamlValue(text: string): unknown {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new CompileError(`The value is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB.`);
  const refused = refuseAnchors(text);
  if (refused) throw new CompileError(refused.reason);
  return parse(text, { schema: "failsafe", maxAliasCount: 0 }) ?? null;
}

/**
 * Parses one YAML file into plain nodes with positions. Every scalar is a string (YAML's failsafe schema): Azure
 * Pipelines reads `true` and `1` as text and converts where a value is used. Anchors and aliases are refused, and
 * the nodes count against the compile's budget.
 */
export function parseYamlFile(file: string, text: string, budget: CompileBudget = new CompileBudget()): YNode {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new CompileError(`The file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB.`, { file, line: 1, col: 1 });
  const lines = new LineCounter();
  const posAt = (offset: number): Pos => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const refused = refuseAnchors(text);
  if (refused) {
    const before = text.slice(0, refused.offset);
    throw new CompileError(refused.reason, { file, line: before.split("\n").length, col: refused.offset - before.lastIndexOf("\n") });
  }
  const doc = parseDocument(text, { lineCounter: lines, schema: "failsafe", uniqueKeys: true, prettyErrors: false });
  const failure = doc.errors[0];
  if (failure) {
    const key = /^["']?([^"':\n]+)/.exec(text.slice(failure.pos[0]))?.[1]?.trim();
    const message = failure.code === "DUPLICATE_KEY" ? `'${key ?? "key"}' is already defined` : failure.message.split("\n")[0]!.replace(/ at line \d+, column \d+.*$/, "");
    throw new CompileError(message, posAt(failure.pos[0]));
  }
  if (!doc.contents) return { kind: "map", entries: [], pos: posAt(0) };
  const convert = (node: unknown, depth: number): YNode => {
    const n = node as YamlNode;
    const pos = posAt(n?.range?.[0] ?? 0);
    budget.event(pos);
    budget.depth(depth, pos);
    if (isMap(n)) {
      return {
        kind: "map",
        pos,
        entries: n.items.map((pair) => {
          const key = convert(pair.key, depth + 1);
          if (key.kind !== "scalar") throw new CompileError("A mapping key must be a string.", key.pos);
          return { key, value: pair.value === null || pair.value === undefined ? { kind: "scalar", value: "", pos: key.pos } : convert(pair.value, depth + 1) };
        }),
      };
    }
    if (isSeq(n)) return { kind: "seq", pos, items: n.items.map((item) => convert(item, depth + 1)) };
    if (isScalar(n)) return { kind: "scalar", pos, value: n.value === null || n.value === undefined ? "" : String(n.value) };
    return { kind: "scalar", pos, value: "" };
  };
  return convert(doc.contents, 0);
}

export const scalar = (value: string, pos: Pos): YScalar => ({ kind: "scalar", value, pos });

/** The node as plain data (maps → objects, sequences → arrays, scalars → strings). */
export function toPlain(node: YNode): unknown {
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map(toPlain);
  return Object.fromEntries(node.entries.map((e) => [e.key.value, toPlain(e.value)]));
}

/** Plain data as nodes, all at one position (values a template expression produced), counted by the budget. */
export function fromPlain(value: unknown, pos: Pos, budget?: CompileBudget, depth = 0): YNode {
  budget?.depth(depth, pos);
  if (Array.isArray(value)) {
    budget?.object(pos);
    return { kind: "seq", pos, items: value.map((v) => fromPlain(v, pos, budget, depth + 1)) };
  }
  if (value !== null && typeof value === "object") {
    budget?.object(pos);
    return { kind: "map", pos, entries: Object.entries(value).map(([k, v]) => ({ key: scalar(k, pos), value: fromPlain(v, pos, budget, depth + 1) })) };
  }
  const text = value === null || value === undefined ? "" : typeof value === "number" ? numberText(value) : String(value);
  budget?.text(text, pos);
  return scalar(text, pos);
}

const numberText = (n: number) => (Number.isInteger(n) ? String(n) : String(n));

/** Reads a map strictly: every key must be one of `allowed`; duplicates and unknown keys fail at their position. */
/** Each list of allowed keys by lower-case key, made once per list (the structure reads thousands of mappings). */
const allowedKeys = new WeakMap<readonly string[], Map<string, string>>();

export function readMap(node: YNode, allowed: readonly string[], what: string): Map<string, { key: YScalar; value: YNode }> {
  if (node.kind !== "map") throw new CompileError(node.kind === "seq" ? "A sequence was not expected" : `Expected a mapping${what ? ` (${what})` : ""}`, node.pos);
  let byKey = allowedKeys.get(allowed);
  if (!byKey) {
    byKey = new Map(allowed.map((a) => [a.toLowerCase(), a]));
    allowedKeys.set(allowed, byKey);
  }
  const out = new Map<string, { key: YScalar; value: YNode }>();
  for (const entry of node.entries) {
    const name = byKey.get(entry.key.value.toLowerCase());
    if (!name) throw new CompileError(`Unexpected value '${entry.key.value}'`, entry.key.pos);
    if (out.has(name)) throw new CompileError(`'${entry.key.value}' is already defined`, entry.key.pos);
    out.set(name, entry);
  }
  return out;
}

export function asString(node: YNode): string {
  if (node.kind !== "scalar") throw new CompileError(node.kind === "seq" ? "A sequence was not expected" : "A mapping was not expected", node.pos);
  return node.value;
}

export function asSeq(node: YNode): YNode[] {
  if (node.kind === "scalar" && node.value === "") return [];
  if (node.kind !== "seq") throw new CompileError(node.kind === "map" ? "A mapping was not expected" : `Unexpected value '${node.value}'`, node.pos);
  return node.items;
}

/** A YAML boolean as Azure Pipelines reads it (true/false in any case; the YAML 1.1 words too). */
export function asBoolean(node: YNode): boolean {
  const text = asString(node).trim().toLowerCase();
  if (["true", "y", "yes", "on"].includes(text)) return true;
  if (["false", "n", "no", "off"].includes(text)) return false;
  throw new CompileError(`Unexpected value '${asString(node)}'`, node.pos);
}
