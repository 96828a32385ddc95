/**
 * Writes src/core/tasks/builtin-tasks.json: the facts of every built-in Azure Pipelines task that the compiler
 * and the agent need — id, name, version, the texts the agent's log header prints, each input's name, aliases, type
 * (`connectedService:AzureRM` marks a connection), default and whether it is required, and the execution handlers
 * (which tell whether a Linux agent can run the task at all). Read from each task's own `task.json` in a copy of
 * microsoft/azure-pipelines-tasks: a work tree (`--tasks DIR`) or a bare clone (`--git-dir DIR`).
 *
 *   node --import tsx scripts/extract-task-catalog.ts --git-dir /work/.mirror/microsoft+azure-pipelines-tasks/repo
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { taskFacts, taskFiles, taskSource } from "./task-facts.js";

const { gitDir, folder } = taskSource(process.argv.slice(2));

const tasks = taskFiles(gitDir, folder).map(({ path, text }) => taskFacts(text, path.replace(/^.*?(Tasks\/)/, "$1")));
tasks.sort((a, b) => a.name.localeCompare(b.name) || a.version.major - b.version.major);
const out = join(import.meta.dirname, "..", "src", "core", "tasks", "builtin-tasks.json");
writeFileSync(out, `${JSON.stringify({ source: "microsoft/azure-pipelines-tasks Tasks/*/task.json", tasks }, null, 1)}\n`);
console.log(`${tasks.length} tasks → ${out}`);
