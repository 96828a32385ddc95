import { parentPort } from "node:worker_threads";
import { readRepositoryFile } from "../repositories.js";
import type { TaskDefinition } from "../tasks/catalog.js";
import { compilePipeline, type CompiledPipeline } from "./compiler.js";
import { CompileError, type Pos } from "./yaml-tree.js";

/** What the pool sends a worker: the pipeline's file, where its repository's files are, and the run's inputs. */
export interface CompileJob {
  id: number;
  yamlPath: string;
  /** The pipeline's repository (`self`) and the project's others by name (lower case; `project/name` by its last part). */
  repositories: Record<string, { folder: string | null; files: Record<string, string> | null }>;
  /** Paths no template may read (svcconn's data folder and CA). */
  hidden: string[];
  templateParameters: Record<string, string>;
  queueVariables: Record<string, string>;
  /** The tasks of the organization's Marketplace extensions. */
  installedTasks: TaskDefinition[];
  /** Whether to write the expanded YAML (preview). */
  finalYaml: boolean;
}

export type CompileAnswer = { id: number; compiled: CompiledPipeline } | { id: number; error: { reason: string; pos?: Pos } } | { id: number; crash: string };

/** A compile thread: YAML parsing and template expansion run here, off the event loop every listener shares. */
parentPort?.on("message", (job: CompileJob) => {
  let answer: CompileAnswer;
  try {
    const compiled = compilePipeline({
      yamlPath: job.yamlPath,
      readFile: (path, name) => {
        const repository = job.repositories[name.toLowerCase()] ?? job.repositories[name.toLowerCase().split("/").pop() ?? ""];
        return repository ? readRepositoryFile({ ...repository, id: "", organizationId: "", projectId: "", name: "", type: "git", defaultBranch: "", createdAt: "" }, path, job.hidden) : undefined;
      },
      templateParameters: job.templateParameters,
      queueVariables: job.queueVariables,
      installedTasks: job.installedTasks,
      finalYaml: job.finalYaml,
    });
    answer = { id: job.id, compiled };
  } catch (error) {
    answer = error instanceof CompileError ? { id: job.id, error: { reason: error.reason, pos: error.pos } } : { id: job.id, crash: (error as Error)?.message ?? String(error) };
  }
  parentPort!.postMessage(answer);
});
