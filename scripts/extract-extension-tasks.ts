/**
 * Adds (or replaces) one Marketplace extension in src/core/tasks/marketplace-tasks.json: its publisher and id
 * from its manifest (`azure-devops-extension.json`, `vss-extension*.json`) and every task's facts from the task's
 * own `task.json`, as scripts/extract-task-catalog.ts reads built-in tasks. A world installs such an extension by
 * its id. Task files whose major version is a build-time placeholder take the majors given with `--majors`.
 *
 *   node --import tsx scripts/extract-extension-tasks.ts --git-dir /work/.mirror/microsoft+azure-pipelines-terraform/repo
 *   node --import tsx scripts/extract-extension-tasks.ts --git-dir …/jason-johnson+azure-pipelines-tasks-terraform/repo --majors 0,1,2
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { taskFacts } from "./task-facts.js";

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const gitDir = option("--git-dir");
if (!gitDir) throw new Error("pass --git-dir <bare clone of the extension's repository>");
const majors = option("--majors")?.split(",").map(Number);
const git = (...a: string[]) => execFileSync("git", ["--git-dir", gitDir, ...a], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
const files = git("ls-tree", "-r", "--name-only", "HEAD").split("\n").filter(Boolean);
/** The repository it came from: `--source owner/name`, else the mirror's folder name (`owner+name/repo`). */
const repository = option("--source") ?? gitDir.replace(/\/repo\/?$/, "").split("/").pop()!.replace("+", "/");

// The manifest may be split (a base file and a release overlay): later files fill what earlier ones lack.
const manifest: { publisher?: string; id?: string; name?: string } = {};
for (const name of ["vss-extension.json", "azure-devops-extension.json", "vss-extension-ga.json"]) {
  if (!files.includes(name)) continue;
  const m = JSON.parse(git("show", `HEAD:${name}`).replace(/^\uFEFF/, "")) as typeof manifest;
  for (const key of ["publisher", "id", "name"] as const) manifest[key] ??= m[key];
}
if (!manifest.publisher || !manifest.id) throw new Error("no publisher and id in the extension's manifest");

const tasks = files
  .filter((p) => /(^|\/)task\.json$/.test(p) && !/node_modules|test/i.test(p))
  .flatMap((path) => {
    const text = git("show", `HEAD:${path}`);
    const placeholder = /"Major"\s*:\s*"#\{/.test(text);
    return placeholder ? (majors ?? [0]).map((major) => taskFacts(text, path, major)) : [taskFacts(text, path)];
  })
  .sort((a, b) => a.name.localeCompare(b.name) || a.version.major - b.version.major);

const out = join(import.meta.dirname, "..", "src", "core", "tasks", "marketplace-tasks.json");
const catalog = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as { extensions: Array<{ id: string }> }) : { extensions: [] };
const id = `${manifest.publisher}.${manifest.id}`;
const extensions = [...catalog.extensions.filter((e) => e.id.toLowerCase() !== id.toLowerCase()), { id, publisher: manifest.publisher, extensionId: manifest.id, name: manifest.name ?? manifest.id, source: repository, tasks }];
extensions.sort((a, b) => a.id.localeCompare(b.id));
writeFileSync(out, `${JSON.stringify({ source: "each extension's manifest and task.json files", extensions }, null, 1)}\n`);
console.log(`${id}: ${tasks.length} tasks → ${out}`);
