/**
 * npm run bench:explain-real — how often `explain` names the right root-cause class on real messages users posted
 * (test/fixtures/explain-real, split once by source by scripts/split-explain-real.ts): top-1 (its answer's
 * `rootCauseClass`) and top-3 (the answer or one of its alternatives), on the development part and on the held-out
 * part. A message labelled `other` (not caused by the connection) counts as right only when the answer's class is
 * `other`: "unknown" does not count. Development misses are listed by id and label → answer (their texts stay in the
 * fixture); held-out ones are only counted, so reading the bench leaks nothing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { explain } from "../src/doctor/explain.js";

interface Entry {
  id: string;
  message: string;
  label: string;
}

const folder = join(import.meta.dirname, "..", "test", "fixtures", "explain-real");
const load = (name: string): Entry[] =>
  readFileSync(join(folder, name), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);

function measure(entries: Entry[]) {
  let top1 = 0;
  let top3 = 0;
  let blamedConnection = 0;
  const notConnection = entries.filter((e) => e.label === "other").length;
  const misses: string[] = [];
  for (const e of entries) {
    const answer = explain(e.message);
    const classes = [answer.rootCauseClass, ...answer.alternatives.slice(0, 2).map((a) => a.rootCauseClass)];
    if (answer.rootCauseClass === e.label) top1++;
    else misses.push(`${e.id} ${e.label} → ${answer.rootCauseClass ?? "unknown"} (${answer.id}, ${answer.confidence.toFixed(2)})`);
    if (classes.includes(e.label as never)) top3++;
    if (e.label === "other" && answer.rootCauseClass !== null && answer.rootCauseClass !== "other") blamedConnection++;
  }
  const pct = (n: number, of = entries.length) => `${((100 * n) / Math.max(1, of)).toFixed(0)} %`;
  return { line: `top-1 ${top1}/${entries.length} (${pct(top1)}), top-3 ${top3}/${entries.length} (${pct(top3)}); of ${notConnection} messages not caused by the connection, ${blamedConnection} blamed on it (${pct(blamedConnection, notConnection)})`, misses };
}

const development = measure(load("development.jsonl"));
const heldOut = measure(load("held-out.jsonl"));
console.log(`development: ${development.line}`);
if (process.argv.includes("--misses")) for (const m of development.misses) console.log(`  ${m}`);
console.log(`held-out:    ${heldOut.line}`);
