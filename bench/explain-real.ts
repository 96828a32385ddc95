/**
 * npm run bench:explain-real — how `explain` does on real messages users posted (test/fixtures/explain-real, split
 * once by source by scripts/split-explain-real.ts), on the development part and on the held-out part:
 * - top-1 (its answer's `rootCauseClass`) and top-3 (the answer or one of its first two alternatives);
 * - `other` (not caused by the connection): precision and recall of answering `other`, and how many of the `other`
 *   messages got a connection diagnosis (the goal: none);
 * - calibration: expected calibration error of the stated confidence over the answers that name a cause (ten equal
 *   bins), which way it leans (the answers stated below 0.5 and above, against how often each was right), and how many
 *   answers were "uncertain" and how often those were right.
 * "unknown" and "no failure found" name no class, so they never count as right. Development misses are listed by id
 * and label → answer (`--misses`); held-out ones are only counted, so reading the bench leaks nothing.
 * bench:explain prints the same figures next to the written corpus.
 */
import { blamesConnection } from "../src/doctor/catalog/define.js";
import { explain } from "../src/doctor/explain.js";
import { loadRealMessages, type RealMessage } from "../test/doctor/corpus.js";

export interface RealFigures {
  line: string;
  misses: string[];
}

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(0)} %`;

/** Expected calibration error: the mean gap between confidence and accuracy, over ten equal-width bins. */
export function calibrationError(answers: Array<{ confidence: number; right: boolean }>): number {
  let error = 0;
  for (let bin = 0; bin < 10; bin++) {
    const inBin = answers.filter((a) => Math.min(9, Math.floor(a.confidence * 10)) === bin);
    if (!inBin.length) continue;
    const confidence = inBin.reduce((s, a) => s + a.confidence, 0) / inBin.length;
    const accuracy = inBin.filter((a) => a.right).length / inBin.length;
    error += (inBin.length / answers.length) * Math.abs(confidence - accuracy);
  }
  return error;
}

/** Which way the calibration error leans for a set of answers: how sure they said they were, and how often they were right. */
function leaning(answers: Array<{ confidence: number; right: boolean }>): string {
  if (!answers.length) return "none";
  const stated = answers.reduce((sum, a) => sum + a.confidence, 0) / answers.length;
  return `${answers.length} answers at ${stated.toFixed(2)} on average, ${pct(answers.filter((a) => a.right).length, answers.length)} right`;
}

export function measureReal(entries: RealMessage[]): RealFigures {
  let top1 = 0;
  let top3 = 0;
  let blamed = 0;
  let saidOther = 0;
  let saidOtherRightly = 0;
  let uncertain = 0;
  let uncertainRight = 0;
  const calibrated: Array<{ confidence: number; right: boolean }> = [];
  const others = entries.filter((e) => e.label === "other").length;
  const misses: string[] = [];
  for (const e of entries) {
    const answer = explain(e.message);
    const right = answer.rootCauseClass === e.label;
    const classes = [answer.rootCauseClass, ...answer.alternatives.slice(0, 2).map((a) => a.rootCauseClass)];
    if (right) top1++;
    else misses.push(`${e.id} ${e.label} → ${answer.rootCauseClass ?? "unknown"} (${answer.id}, ${answer.confidence.toFixed(2)}${answer.uncertain ? ", uncertain" : ""})`);
    if (classes.includes(e.label as never)) top3++;
    if (e.label === "other" && blamesConnection(answer.rootCauseClass)) blamed++;
    if (answer.rootCauseClass === "other") {
      saidOther++;
      if (e.label === "other") saidOtherRightly++;
    }
    if (answer.rootCauseClass !== null) calibrated.push({ confidence: answer.confidence, right });
    if (answer.uncertain) {
      uncertain++;
      if (answer.uncertain.candidates.some((c) => c.rootCauseClass === e.label)) uncertainRight++;
    }
  }
  const n = entries.length;
  const line = [
    `top-1 ${top1}/${n} (${pct(top1, n)}), top-3 ${top3}/${n} (${pct(top3, n)})`,
    `\`other\`: precision ${saidOtherRightly}/${saidOther} (${pct(saidOtherRightly, saidOther)}), recall ${saidOtherRightly}/${others} (${pct(saidOtherRightly, others)}); ${blamed} of ${others} blamed on the connection (${pct(blamed, others)})`,
    `calibration error ${calibrationError(calibrated).toFixed(3)} over ${calibrated.length} answers naming a cause; ${uncertain} uncertain (right among their three: ${uncertainRight})`,
    `stated below 0.5: ${leaning(calibrated.filter((a) => a.confidence < 0.5))}; 0.5 and above: ${leaning(calibrated.filter((a) => a.confidence >= 0.5))}`,
  ].join("\n    ");
  return { line, misses };
}

export const realDevelopment = () => measureReal(loadRealMessages("development"));
export const realHeldOut = () => measureReal(loadRealMessages("held-out"));

// Run as a script (bench:explain imports the figures). `--development` leaves the held-out part unmeasured: tuning
// reads only development figures.
if (process.argv[1]?.endsWith("explain-real.ts")) {
  const development = realDevelopment();
  console.log(`real, development:\n    ${development.line}`);
  if (process.argv.includes("--misses")) for (const m of development.misses) console.log(`  ${m}`);
  if (!process.argv.includes("--development")) console.log(`real, held-out:\n    ${realHeldOut().line}`);
}
