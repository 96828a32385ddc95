/**
 * Writes src/core/tasks/builtin-tasks.json: the facts of every built-in Azure Pipelines task that the compiler
 * and the agent need — id, name, version, the texts the agent's log header prints, each input's name, aliases, type
 * (`connectedService:AzureRM` marks a connection), default and whether it is required, and the execution handlers
 * (which tell whether a Linux agent can run the task at all). Read from each task's own `task.json` in a copy of
 * microsoft/azure-pipelines-tasks: a work tree (`--tasks DIR`) or a bare clone (`--git-dir DIR`).
 *
 *   node --import tsx scripts/extract-task-catalog.ts --git-dir /work/.mirror/microsoft+azure-pipelines-tasks/repo
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { taskFacts } from "./task-facts.js";

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const gitDir = option("--git-dir");
const folder = option("--tasks");
if (!gitDir && !folder) throw new Error("pass --git-dir <bare clone of microsoft/azure-pipelines-tasks> or --tasks <its work tree>");

function taskFiles(): Array<{ path: string; text: string }> {
  if (gitDir) {
    const names = execFileSync("git", ["--git-dir", gitDir, "ls-tree", "-r", "--name-only", "HEAD", "Tasks/"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
      .split("\n")
      .filter((p) => /^Tasks\/[^/]+\/task\.json$/.test(p));
    return names.map((path) => ({ path, text: execFileSync("git", ["--git-dir", gitDir, "show", `HEAD:${path}`], { encoding: "utf8" }) }));
  }
  const root = join(folder!, "Tasks");
  return readdirSync(root)
    .map((dir) => join(root, dir, "task.json"))
    .filter(existsSync)
    .map((path) => ({ path, text: readFileSync(path, "utf8") }));
}

const tasks = taskFiles().map(({ path, text }) => taskFacts(text, path.replace(/^.*?(Tasks\/)/, "$1")));
tasks.sort((a, b) => a.name.localeCompare(b.name) || a.version.major - b.version.major);
const out = join(import.meta.dirname, "..", "src", "core", "tasks", "builtin-tasks.json");
writeFileSync(out, `${JSON.stringify({ source: "microsoft/azure-pipelines-tasks Tasks/*/task.json", tasks }, null, 1)}\n`);
console.log(`${tasks.length} tasks → ${out}`);
