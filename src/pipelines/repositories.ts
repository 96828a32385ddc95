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

/** The path with its links resolved, or as given when it does not exist (yet). */
export function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** True when `path` is one of `roots` or inside one. */
export function isInside(path: string, roots: string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep));
}

/**
 * Reads a file of a repository: inline files, or the backing folder (never outside it, links included, and never
 * inside `hidden`: svcconn's data folder and CA, which a repository folder may contain).
 */
export function readRepositoryFile(repository: Repository, path: string, hidden: string[] = []): string | undefined {
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
    if (isInside(target, hidden)) return undefined;
    const stat = statSync(target);
    if (!stat.isFile() || stat.size > MAX_FILE) return undefined;
    return readFileSync(target, "utf8");
  } catch {
    return undefined;
  }
}
