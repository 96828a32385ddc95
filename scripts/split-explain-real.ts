/**
 * Splits the real error messages users posted (../shared/explain-real/dev-{a,b}.jsonl) once, by source, into
 * test/fixtures/explain-real/development.jsonl (tuned against) and held-out.jsonl (measured, never read while
 * tuning). A source is a GitHub repository, or a site for anything else: messages from one thread, project or site
 * never land on both sides. Sources are ordered by a hash of their name and taken into the held-out part until it
 * holds at least 38 % of the messages — a split blind to the messages and their labels. The entries keep the
 * message, its label, source and context; the collectors' notes stay out (ours are written in the catalog).
 *
 *   node --import tsx scripts/split-explain-real.ts [--from ../shared/explain-real]
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { type RealMessage as Entry, sourceOf } from "../test/doctor/corpus.js";

const args = process.argv.slice(2);
const from = args.includes("--from") ? args[args.indexOf("--from") + 1]! : join(import.meta.dirname, "..", "..", "shared", "explain-real");
const HELD_OUT_SHARE = 0.38;

const entries: Entry[] = ["dev-a.jsonl", "dev-b.jsonl"].flatMap((file) =>
  readFileSync(join(from, file), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const { id, message, label, source, context } = JSON.parse(line) as Entry;
      return { id, message, label, source, context };
    }),
);

const bySource = new Map<string, Entry[]>();
for (const e of entries) bySource.set(sourceOf(e.source), [...(bySource.get(sourceOf(e.source)) ?? []), e]);
const order = [...bySource.keys()].sort((a, b) => createHash("sha256").update(a).digest("hex").localeCompare(createHash("sha256").update(b).digest("hex")));
const heldOut: Entry[] = [];
const development: Entry[] = [];
for (const source of order) (heldOut.length < HELD_OUT_SHARE * entries.length ? heldOut : development).push(...bySource.get(source)!);

const out = join(import.meta.dirname, "..", "test", "fixtures", "explain-real");
mkdirSync(out, { recursive: true });
const write = (name: string, list: Entry[]) => writeFileSync(join(out, name), `${list.sort((a, b) => a.id.localeCompare(b.id)).map((e) => JSON.stringify(e)).join("\n")}\n`);
write("development.jsonl", development);
write("held-out.jsonl", heldOut);
console.log(`${entries.length} messages from ${bySource.size} sources: ${development.length} for development, ${heldOut.length} held out (${((100 * heldOut.length) / entries.length).toFixed(0)} %)`);
