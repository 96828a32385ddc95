import builtin from "./builtin-tasks.json" with { type: "json" };
import marketplace from "./marketplace-tasks.json" with { type: "json" };

/**
 * Every built-in Azure Pipelines task, with the real tasks' identities and input metadata (builtin-tasks.json,
 * made by scripts/extract-task-catalog.ts from each task's `task.json` in microsoft/azure-pipelines-tasks). Inputs
 * are what the compiler needs: canonical names, YAML aliases, types (`connectedService:AzureRM` marks a connection)
 * and defaults, which the agent fills in for inputs a step leaves out. Any pipeline's tasks therefore compile and
 * their connections resolve; the tasks svcconn also runs name their implementation module here.
 */
export interface TaskInput {
  name: string;
  aliases?: string[];
  type: string;
  defaultValue?: string;
  required?: boolean;
}

export interface TaskDefinition {
  id: string;
  name: string;
  friendlyName: string;
  description: string;
  author: string;
  version: { major: number; minor: number; patch: number };
  helpUrl: string;
  inputs: TaskInput[];
  /** The task's execution handlers (`Node20_1`, `PowerShell3`, …): a Linux agent runs only Node and Process ones. */
  handlers: string[];
  /** The module under `tasks/` that implements it in svcconn (run as the task's own process), when there is one. */
  entry?: string;
  /** The Marketplace extension (`publisher.extensionId`) a task comes from; built-in tasks have none. */
  extension?: string;
}

/** A Marketplace extension an organization may install: its tasks' facts. */
export interface TaskExtension {
  id: string;
  name: string;
  tasks: TaskDefinition[];
}

/**
 * Marketplace extensions whose tasks real pipelines use (marketplace-tasks.json, made by
 * scripts/extract-extension-tasks.ts from each extension's manifest and task.json files).
 */
export const MARKETPLACE: TaskExtension[] = marketplace.extensions.map((e) => ({ id: e.id, name: e.name, tasks: e.tasks.map((t) => ({ ...t, extension: e.id })) }));

/** The tasks svcconn runs, by `Name@major`: their implementation modules under `tasks/`. */
const IMPLEMENTATIONS: Record<string, string> = {
  "CmdLine@2": "cmdline",
  "Bash@3": "bash",
  "PowerShell@2": "powershell",
  "AzureCLI@2": "azure-cli",
  "AzureResourceManagerTemplateDeployment@3": "arm-template-deployment",
  "AzureFileCopy@4": "azure-file-copy",
};

export const TASKS: TaskDefinition[] = builtin.tasks.map((t) => ({ ...t, entry: IMPLEMENTATIONS[`${t.name}@${t.version.major}`] }));

/** A task by `Name@major` (or name alone: the highest major), case-insensitively, or by id. */
/** Built-in tasks by lower-case name and by id: a large pipeline looks tasks up thousands of times. */
const BY_KEY = new Map<string, TaskDefinition[]>();
for (const t of TASKS) for (const key of new Set([t.name.toLowerCase(), t.id])) BY_KEY.set(key, [...(BY_KEY.get(key) ?? []), t]);

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

export const versionText = (t: TaskDefinition) => `${t.version.major}.${t.version.minor}.${t.version.patch}`;
