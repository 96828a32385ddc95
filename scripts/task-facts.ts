import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The facts svcconn keeps of a task, read from its `task.json` (built-in tasks and Marketplace extensions alike). */
export interface TaskJson {
  id: string;
  name: string;
  friendlyName?: string;
  description?: string;
  author?: string;
  helpUrl?: string;
  version: { Major: number | string; Minor: number | string; Patch: number | string };
  deprecated?: boolean;
  inputs?: Array<{ name: string; aliases?: string[]; type: string; defaultValue?: unknown; required?: boolean }>;
  execution?: Record<string, unknown>;
}

/** A version part that is a number, or `fallback` where the file holds a build-time placeholder (`#{…}#`). */
const part = (value: number | string, fallback: number) => (Number.isFinite(Number(value)) ? Number(value) : fallback);

export function taskFacts(text: string, source: string, major?: number) {
  const task = JSON.parse(text.replace(/^\uFEFF/, "")) as TaskJson;
  return {
    id: task.id.toLowerCase(),
    name: task.name,
    friendlyName: task.friendlyName ?? task.name,
    description: task.description ?? "",
    author: task.author ?? "Microsoft Corporation",
    helpUrl: task.helpUrl ?? "",
    version: { major: major ?? part(task.version.Major, 0), minor: part(task.version.Minor, 0), patch: part(task.version.Patch, 0) },
    ...(task.deprecated ? { deprecated: true } : {}),
    inputs: (task.inputs ?? []).map((i) => ({
      name: i.name,
      ...(i.aliases?.length ? { aliases: i.aliases } : {}),
      type: i.type,
      ...(i.defaultValue !== undefined ? { defaultValue: String(i.defaultValue) } : {}),
      ...(i.required ? { required: true } : {}),
    })),
    handlers: Object.keys(task.execution ?? {}).sort(),
    source,
  };
}

/** Where the tasks' sources are, from the command line: `--git-dir DIR` (a bare clone) or `--tasks DIR` (a work tree). */
export function taskSource(args: string[]): { gitDir?: string; folder?: string } {
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const gitDir = option("--git-dir");
  const folder = option("--tasks");
  if (!gitDir && !folder) throw new Error("pass --git-dir <bare clone of microsoft/azure-pipelines-tasks> or --tasks <its work tree>");
  return { gitDir, folder };
}

/** Each task folder's `task.json` in a copy of microsoft/azure-pipelines-tasks: a bare clone (`gitDir`) or a work tree (`folder`). */
export function taskFiles(gitDir: string | undefined, folder: string | undefined): Array<{ path: string; text: string }> {
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
