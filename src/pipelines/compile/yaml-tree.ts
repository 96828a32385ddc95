import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";

/** Where a node is: the file (repository path) and 1-based line and column, as Azure Pipelines quotes them. */
export interface Pos {
  file: string;
  line: number;
  col: number;
}

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

/** A compile error with the position Azure Pipelines prints: `/azure-pipelines.yml (Line: 3, Col: 5): …`. */
export class CompileError extends Error {
  constructor(
    readonly reason: string,
    readonly pos?: Pos,
  ) {
    super(pos ? `${pos.file} (Line: ${pos.line}, Col: ${pos.col}): ${reason}` : reason);
  }
}

/** Pipelines refuse files above this size (Azure Pipelines' own limit on a YAML file is far lower than memory). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Parses one YAML file into plain nodes with positions. Every scalar is a string (YAML's failsafe schema): Azure
 * Pipelines reads `true` and `1` as text and converts where a value is used.
 */
export function parseYamlFile(file: string, text: string): YNode {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new CompileError(`The file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB.`, { file, line: 1, col: 1 });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, schema: "failsafe", uniqueKeys: true, prettyErrors: false });
  const posAt = (offset: number): Pos => {
    const { line, col } = lines.linePos(offset);
    return { file, line, col };
  };
  const failure = doc.errors[0];
  if (failure) {
    const key = /^["']?([^"':\n]+)/.exec(text.slice(failure.pos[0]))?.[1]?.trim();
    const message = failure.code === "DUPLICATE_KEY" ? `'${key ?? "key"}' is already defined` : failure.message.split("\n")[0]!.replace(/ at line \d+, column \d+.*$/, "");
    throw new CompileError(message, posAt(failure.pos[0]));
  }
  if (!doc.contents) return { kind: "map", entries: [], pos: posAt(0) };
  let budget = 250_000;
  const convert = (node: unknown, depth: number): YNode => {
    if (--budget < 0) throw new CompileError("The file has too many nodes.", posAt(0));
    const n = node as YamlNode;
    const pos = posAt(n?.range?.[0] ?? 0);
    if (depth > 200) throw new CompileError("The file is nested too deeply.", pos);
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
    // An alias resolves to its anchor's node.
    const resolved = (n as { resolve?: (d: unknown) => unknown }).resolve?.(doc);
    if (resolved) return convert(resolved, depth + 1);
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

/** Plain data as nodes, all at one position (values a template expression produced). */
export function fromPlain(value: unknown, pos: Pos): YNode {
  if (Array.isArray(value)) return { kind: "seq", pos, items: value.map((v) => fromPlain(v, pos)) };
  if (value !== null && typeof value === "object") return { kind: "map", pos, entries: Object.entries(value).map(([k, v]) => ({ key: scalar(k, pos), value: fromPlain(v, pos) })) };
  if (value === null || value === undefined) return scalar("", pos);
  return scalar(typeof value === "number" ? numberText(value) : String(value), pos);
}

const numberText = (n: number) => (Number.isInteger(n) ? String(n) : String(n));

/** Reads a map strictly: every key must be one of `allowed`; duplicates and unknown keys fail at their position. */
export function readMap(node: YNode, allowed: readonly string[], what: string): Map<string, { key: YScalar; value: YNode }> {
  if (node.kind !== "map") throw new CompileError(node.kind === "seq" ? "A sequence was not expected" : `Expected a mapping${what ? ` (${what})` : ""}`, node.pos);
  const out = new Map<string, { key: YScalar; value: YNode }>();
  for (const entry of node.entries) {
    const name = allowed.find((a) => a.toLowerCase() === entry.key.value.toLowerCase());
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
