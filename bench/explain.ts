/**
 * npm run bench:explain — accuracy of `explain` on the labelled corpus (test/fixtures/errors) and messages per
 * second on one core. Target: at least 20 000 messages/s.
 */
import { explain } from "../src/doctor/explain.js";
import { loadCorpus } from "../test/doctor/corpus.js";

const messages = [...loadCorpus().values()].flat();
let correct = 0;
const wrong: string[] = [];
for (const m of messages) {
  const got = explain(m.text).id;
  if (got === m.id) correct++;
  else wrong.push(`  ${m.id} (${m.source}) → ${got}`);
}
console.log(`bench:explain — ${messages.length} labelled messages, Node ${process.version}`);
console.log(`accuracy: ${correct}/${messages.length} = ${((100 * correct) / messages.length).toFixed(1)}%`);
if (wrong.length) console.log(wrong.join("\n"));

// Warm up, then time whole passes over the corpus for about three seconds.
for (let i = 0; i < 20; i++) for (const m of messages) explain(m.text);
let n = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < 3) {
  for (const m of messages) explain(m.text);
  n += messages.length;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
const bytes = messages.reduce((sum, m) => sum + m.text.length, 0) / messages.length;
console.log(`throughput: ${(n / elapsed).toFixed(0)} messages/s on one core (mean message ${bytes.toFixed(0)} characters; target ≥ 20000)`);
