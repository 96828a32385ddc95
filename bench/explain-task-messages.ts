/**
 * npm run bench:explain-tasks -- --git-dir DIR (or --tasks DIR) — what `explain` makes of every message the built-in
 * tasks print (the `messages` of each task.json in a copy of microsoft/azure-pipelines-tasks, placeholders filled
 * with a neutral word). Most are about the task's own inputs, tools and files, so a connection diagnosis on one is
 * a likely false blame: the bench counts the answers by root-cause class, how many name the connection and how many
 * of those are stated (not uncertain), and lists the stated ones for a reader to judge (`--list`). It needs the
 * tasks' sources, which svcconn does not keep: run it where a copy was fetched.
 */
import { blamesConnection } from "../src/doctor/catalog/define.js";
import { explain } from "../src/doctor/explain.js";
import { taskFiles, taskSource } from "../scripts/task-facts.js";

const args = process.argv.slice(2);
const { gitDir, folder } = taskSource(args);

/** Each distinct message once, with the task folder and key it came from. */
const messages = new Map<string, string>();
for (const { path, text } of taskFiles(gitDir, folder)) {
  let task: { messages?: Record<string, unknown> };
  try {
    task = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    continue;
  }
  const name = path.split("/").at(-2);
  for (const [key, value] of Object.entries(task.messages ?? {})) {
    if (typeof value !== "string") continue;
    const message = value.replace(/%s|%d|\{\d+\}/g, "value1");
    if (!messages.has(message)) messages.set(message, `${name}.${key}`);
  }
}

const byClass = new Map<string, number>();
const stated: string[] = [];
let blamed = 0;
for (const [message, origin] of messages) {
  const answer = explain(message);
  const rootCause = answer.rootCauseClass ?? (answer.id === "no-failure-found" ? "no failure found" : "unknown");
  byClass.set(rootCause, (byClass.get(rootCause) ?? 0) + 1);
  if (!blamesConnection(answer.rootCauseClass)) continue;
  blamed++;
  if (!answer.uncertain) stated.push(`  ${origin} → ${answer.id} (${answer.confidence}): ${message.replace(/\s+/g, " ").slice(0, 160)}`);
}
console.log(`${messages.size} task messages; by root-cause class: ${[...byClass].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", ")}`);
console.log(`a connection cause named for ${blamed} (${stated.length} stated, ${blamed - stated.length} uncertain)`);
if (args.includes("--list")) console.log(stated.join("\n"));
