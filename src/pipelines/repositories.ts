import { readFileSync, realpathSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import type { Repository } from "./model.js";

/** Largest file a pipeline reads from a repository (YAML and templates). */
const MAX_FILE = 2 * 1024 * 1024;

/** Normalises a repository path to `/a/b.yml` (no `..` above the root). */
export function repositoryPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** Reads a file of a repository: inline files, or the backing folder (never outside it, links included). */
export function readRepositoryFile(repository: Repository, path: string): string | undefined {
  const normalised = repositoryPath(path);
  if (repository.files) {
    const found = Object.entries(repository.files).find(([p]) => repositoryPath(p) === normalised);
    if (found) return found[1];
  }
  if (!repository.folder) return undefined;
  try {
    const root = realpathSync(repository.folder);
    const target = realpathSync(join(root, ...normalised.split("/").filter(Boolean)));
    if (target !== root && !target.startsWith(root + sep)) return undefined;
    const stat = statSync(target);
    if (!stat.isFile() || stat.size > MAX_FILE) return undefined;
    return readFileSync(target, "utf8");
  } catch {
    return undefined;
  }
}
