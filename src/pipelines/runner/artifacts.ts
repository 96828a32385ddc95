import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ArtifactStore } from "./job-runner.js";

/** Artifact names as Azure Pipelines takes them: no path separators or characters a file name cannot hold. */
const NAME = /^[^\\/:*?"<>|]{1,256}$/;

/**
 * A run's pipeline artifacts in a folder of svcconn's (outside every job's folder and hidden from steps by the
 * sandbox): `publish` copies a step's file or folder in, `download` copies them out into a later job's folder.
 */
export function folderArtifacts(root: string, runId: number): ArtifactStore {
  const folder = join(root, String(runId));
  return {
    publish(name, from) {
      if (!NAME.test(name)) throw new Error(`Artifact name '${name}' is not valid: it may not contain \\, /, :, *, ?, ", <, > or |.`);
      if (!existsSync(from)) throw new Error(`Path does not exist: ${from}`);
      const target = join(folder, name);
      if (existsSync(target)) throw new Error(`Artifact ${name} already exists for build ${runId}.`);
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      cpSync(from, statSync(from).isDirectory() ? target : join(target, from.split("/").pop()!), { recursive: true });
    },
    download(name, to) {
      const names = existsSync(folder) ? readdirSync(folder) : [];
      const chosen = name === null ? names : names.filter((n) => n === name);
      if (name !== null && chosen.length === 0) throw new Error(`Artifact ${name} was not found for build ${runId}.`);
      for (const n of chosen) cpSync(join(folder, n), name === null ? join(to, n) : to, { recursive: true });
      return chosen;
    },
  };
}
