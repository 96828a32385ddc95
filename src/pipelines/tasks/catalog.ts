import { BUILTIN_TASKS, type TaskFacts } from "../../core/tasks/catalog.js";
import { TASK_FOLDERS } from "./index.js";

export { MARKETPLACE, type TaskExtension, type TaskInput, versionText } from "../../core/tasks/catalog.js";

/**
 * Every built-in Azure Pipelines task (facts in core/tasks): any pipeline's tasks therefore compile and their
 * connections resolve; the tasks svcconn also runs name their implementation module here.
 */
export interface TaskDefinition extends TaskFacts {
  /** The folder under `tasks/` that implements it in svcconn (its `run.ts` runs as the task's own process), when there is one. */
  entry?: string;
}

/** The tasks svcconn runs, by `Name@major` (`{extension}/Name@major` for a Marketplace one): their folders under `tasks/`. */
export const IMPLEMENTATIONS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(TASK_FOLDERS).flatMap(([folder, task]) => task.runs.map((reference) => [reference, folder])));

/** A task's facts with the module that implements it in svcconn, when there is one. */
export const withImplementation = (t: TaskFacts): TaskDefinition => ({ ...t, entry: IMPLEMENTATIONS[`${t.extension ? `${t.extension}/` : ""}${t.name}@${t.version.major}`] });

export const TASKS: TaskDefinition[] = BUILTIN_TASKS.map(withImplementation);

/** Built-in tasks by lower-case name and by id: a large pipeline looks tasks up thousands of times. */
const BY_KEY = new Map<string, TaskDefinition[]>();
for (const t of TASKS) for (const key of new Set([t.name.toLowerCase(), t.id])) BY_KEY.set(key, [...(BY_KEY.get(key) ?? []), t]);

/** A task by `Name@major` (or name alone: the highest major), case-insensitively, or by id. */
export function findTask(reference: string, installed: TaskDefinition[] = []): { task?: TaskDefinition; name: string; major?: number } {
  const [written = "", version] = reference.split("@");
  const major = version === undefined ? undefined : Number(version);
  // An extension's task may be named in full: {publisher}.{extension}.{contribution}.{task}.
  const dotted = written.split(".");
  const name = dotted.length >= 4 ? dotted[dotted.length - 1]! : written;
  const key = name.toLowerCase();
  const prefix = dotted.length >= 4 ? `${dotted[0]}.${dotted[1]}`.toLowerCase() : undefined;
  const candidates = [...(BY_KEY.get(key) ?? []), ...installed.filter((t) => t.name.toLowerCase() === key || t.id === key)].filter((t) => !prefix || t.extension?.toLowerCase() === prefix);
  const task = major === undefined ? candidates.sort((a, b) => b.version.major - a.version.major)[0] : candidates.find((t) => t.version.major === major);
  return { task, name, major };
}

/** Whether a Linux agent can run the task at all (Windows-only tasks carry only PowerShell handlers). */
export const runsOnLinux = (t: TaskDefinition): boolean => t.handlers.some((h) => /^(Node|Process|AgentPlugin)/.test(h));

