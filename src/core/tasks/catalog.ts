import builtin from "./builtin-tasks.json" with { type: "json" };
import marketplace from "./marketplace-tasks.json" with { type: "json" };

/**
 * The facts of Azure Pipelines tasks, shared by the pipelines plane (which compiles and runs them) and the doctor
 * (which reads a task's header in a pasted log): every built-in task's identity and input metadata
 * (builtin-tasks.json, made by scripts/extract-task-catalog.ts from each task's `task.json` in
 * microsoft/azure-pipelines-tasks) and the Marketplace extensions real pipelines use (marketplace-tasks.json, made by
 * scripts/extract-extension-tasks.ts). Inputs are what the compiler needs: canonical names, YAML aliases, types
 * (`connectedService:AzureRM` marks a connection) and defaults, which the agent fills in for inputs a step leaves out.
 */
export interface TaskInput {
  name: string;
  aliases?: string[];
  type: string;
  defaultValue?: string;
  required?: boolean;
}

export interface TaskFacts {
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
  /** The Marketplace extension (`publisher.extensionId`) a task comes from; built-in tasks have none. */
  extension?: string;
}

/** A Marketplace extension an organization may install: its tasks' facts. */
export interface TaskExtension {
  id: string;
  name: string;
  tasks: TaskFacts[];
}

export const BUILTIN_TASKS: TaskFacts[] = builtin.tasks;

export const MARKETPLACE: TaskExtension[] = marketplace.extensions.map((e) => ({ id: e.id, name: e.name, tasks: e.tasks.map((t) => ({ ...t, extension: e.id })) }));

export const versionText = (t: TaskFacts) => `${t.version.major}.${t.version.minor}.${t.version.patch}`;

/**
 * The names (and YAML aliases) task inputs give an Azure Resource Manager service connection, over the built-in and
 * Marketplace tasks, lower-cased: what a task's "Input required: <name>" names when its connection was empty.
 */
export const AZURE_RM_CONNECTION_INPUTS: readonly string[] = [
  ...new Set(
    [...BUILTIN_TASKS, ...MARKETPLACE.flatMap((e) => e.tasks)].flatMap((t) => t.inputs.filter((i) => i.type === "connectedService:AzureRM").flatMap((i) => [i.name, ...(i.aliases ?? [])].map((n) => n.toLowerCase()))),
  ),
].sort();
