import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export type Split = "development" | "held-out";

export interface LabelledMessage {
  id: string;
  source: string;
  text: string;
  split: Split;
}

const DIR = join(process.cwd(), "test/fixtures/errors");

/**
 * The fixed split, decided by the text alone so that adding or reordering messages moves nothing: a message whose
 * SHA-256 starts below 0.35 of the range is held out. Rules are written and tuned against the development part only;
 * the held-out figure is the one quoted.
 */
export function splitOf(text: string): Split {
  const head = Number.parseInt(createHash("sha256").update(text, "utf8").digest("hex").slice(0, 8), 16);
  return head / 0x1_0000_0000 < 0.35 ? "held-out" : "development";
}

/** The labelled corpus: one YAML file per diagnosis id, each with messages as real tools print them and a source. */
export function loadCorpus(): Map<string, LabelledMessage[]> {
  const corpus = new Map<string, LabelledMessage[]>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort()) {
    const doc = parse(readFileSync(join(DIR, file), "utf8")) as { id: string; messages: Array<{ source: string; text: string }> };
    corpus.set(doc.id, doc.messages.map((m) => ({ id: doc.id, source: m.source, text: m.text, split: splitOf(m.text) })));
  }
  return corpus;
}

/** A real message users posted (test/fixtures/explain-real), labelled with its root-cause class. */
export interface RealMessage {
  id: string;
  message: string;
  label: string;
  source: string;
  context?: unknown;
}

/** One part of the real messages: `development` (tuned and trained on) or `held-out` (measured, never read while tuning). */
export function loadRealMessages(part: "development" | "held-out"): RealMessage[] {
  return readFileSync(join(process.cwd(), "test/fixtures/explain-real", `${part}.jsonl`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RealMessage);
}

/** Where a real message was posted: a GitHub repository, or the site. Messages of one source never sit on both sides of a split. */
export function sourceOf(url: string): string {
  const { host, pathname } = new URL(url);
  return host === "github.com" ? `${host}/${pathname.split("/").filter(Boolean).slice(0, 2).join("/")}`.toLowerCase() : host.toLowerCase();
}
