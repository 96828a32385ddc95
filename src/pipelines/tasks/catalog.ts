/**
 * The tasks svcconn's agent can run, with the real tasks' identities and input metadata (from each task's
 * `task.json` in microsoft/azure-pipelines-tasks; docs/reference/pipelines.md). Inputs are what the compiler needs:
 * canonical names, YAML aliases, types (`connectedService:AzureRM` marks a connection) and defaults, which the
 * agent fills in for inputs a step leaves out.
 */
export interface TaskInput {
  name: string;
  aliases?: string[];
  type: string;
  defaultValue?: string;
}

export interface TaskDefinition {
  id: string;
  name: string;
  friendlyName: string;
  description: string;
  version: { major: number; minor: number; patch: number };
  helpUrl: string;
  inputs: TaskInput[];
  /** The module under `tasks/` that implements it (run as the task's own process, as the agent runs a handler). */
  entry: string;
}

const task = (t: TaskDefinition) => t;

export const TASKS: TaskDefinition[] = [
  task({
    id: "d9bafed4-0b18-4f58-968d-86655b4d2ce9",
    name: "CmdLine",
    friendlyName: "Command line",
    description: "Run a command line script using Bash on Linux and macOS and cmd.exe on Windows",
    version: { major: 2, minor: 279, patch: 1 },
    helpUrl: "https://docs.microsoft.com/azure/devops/pipelines/tasks/utility/command-line",
    inputs: [
      { name: "script", type: "multiLine", defaultValue: "echo Write your commands here\n\necho Hello world\n" },
      { name: "workingDirectory", type: "filePath", defaultValue: "" },
      { name: "failOnStderr", type: "boolean", defaultValue: "false" },
    ],
    entry: "cmdline",
  }),
  task({
    id: "6c731c3c-3c68-459a-a5c9-bde6e6595b5b",
    name: "Bash",
    friendlyName: "Bash",
    description: "Run a Bash script on macOS, Linux, or Windows",
    version: { major: 3, minor: 278, patch: 0 },
    helpUrl: "https://docs.microsoft.com/azure/devops/pipelines/tasks/utility/bash",
    inputs: [
      { name: "targetType", type: "radio", defaultValue: "filePath" },
      { name: "filePath", type: "filePath", defaultValue: "" },
      { name: "arguments", type: "string", defaultValue: "" },
      { name: "script", type: "multiLine", defaultValue: "# Write your commands here\n\necho 'Hello world'\n" },
      { name: "workingDirectory", type: "filePath", defaultValue: "" },
      { name: "failOnStderr", type: "boolean", defaultValue: "false" },
      { name: "bashEnvValue", type: "string", defaultValue: "" },
    ],
    entry: "bash",
  }),
  task({
    id: "46e4be58-730b-4389-8a2f-ea10b3e5e815",
    name: "AzureCLI",
    friendlyName: "Azure CLI",
    description: "Run Azure CLI commands against an Azure subscription in a PowerShell Core/Shell script when running on Linux agent or PowerShell/PowerShell Core/Batch script when running on Windows agent.",
    version: { major: 2, minor: 279, patch: 0 },
    helpUrl: "https://aka.ms/azureclitroubleshooting",
    inputs: [
      { name: "connectedServiceNameARM", aliases: ["azureSubscription"], type: "connectedService:AzureRM" },
      { name: "scriptType", type: "pickList", defaultValue: "" },
      { name: "scriptLocation", type: "pickList", defaultValue: "scriptPath" },
      { name: "scriptPath", type: "filePath", defaultValue: "" },
      { name: "inlineScript", type: "multiLine", defaultValue: "" },
      { name: "scriptArguments", aliases: ["arguments"], type: "string", defaultValue: "" },
      { name: "addSpnToEnvironment", type: "boolean", defaultValue: "false" },
      { name: "useGlobalConfig", type: "boolean", defaultValue: "false" },
      { name: "cwd", aliases: ["workingDirectory"], type: "filePath", defaultValue: "" },
      { name: "failOnStandardError", type: "boolean", defaultValue: "false" },
      { name: "visibleAzLogin", type: "boolean", defaultValue: "true" },
      { name: "keepAzSessionActive", type: "boolean", defaultValue: "false" },
    ],
    entry: "azure-cli",
  }),
  task({
    id: "94a74903-f93f-4075-884f-dc11f34058b4",
    name: "AzureResourceManagerTemplateDeployment",
    friendlyName: "ARM template deployment",
    description: "Deploy an Azure Resource Manager (ARM) template to all the deployment scopes",
    version: { major: 3, minor: 277, patch: 0 },
    helpUrl: "https://docs.microsoft.com/azure/devops/pipelines/tasks/deploy/azure-resource-group-deployment",
    inputs: [
      { name: "deploymentScope", type: "pickList", defaultValue: "Resource Group" },
      { name: "ConnectedServiceName", aliases: ["azureResourceManagerConnection"], type: "connectedService:AzureRM" },
      { name: "subscriptionName", aliases: ["subscriptionId"], type: "pickList", defaultValue: "" },
      { name: "action", type: "pickList", defaultValue: "Create Or Update Resource Group" },
      { name: "resourceGroupName", type: "pickList", defaultValue: "" },
      { name: "location", type: "pickList", defaultValue: "" },
      { name: "templateLocation", type: "pickList", defaultValue: "Linked artifact" },
      { name: "csmFileLink", type: "string", defaultValue: "" },
      { name: "csmParametersFileLink", type: "string", defaultValue: "" },
      { name: "csmFile", type: "filePath", defaultValue: "" },
      { name: "csmParametersFile", type: "filePath", defaultValue: "" },
      { name: "overrideParameters", type: "multiLine", defaultValue: "" },
      { name: "deploymentMode", type: "pickList", defaultValue: "Incremental" },
      { name: "deploymentName", type: "string", defaultValue: "" },
      { name: "deploymentOutputs", type: "string", defaultValue: "" },
      { name: "addSpnToEnvironment", type: "boolean", defaultValue: "false" },
      { name: "useWithoutJSON", type: "boolean", defaultValue: "false" },
    ],
    entry: "arm-template-deployment",
  }),
  task({
    id: "eb72cb01-a7e5-427b-a8a1-1b31ccac8a43",
    name: "AzureFileCopy",
    friendlyName: "Azure file copy",
    description: "Copy files to Azure Blob Storage or virtual machines",
    version: { major: 4, minor: 278, patch: 0 },
    helpUrl: "https://docs.microsoft.com/azure/devops/pipelines/tasks/deploy/azure-file-copy",
    inputs: [
      { name: "SourcePath", type: "filePath", defaultValue: "" },
      { name: "ConnectedServiceNameARM", aliases: ["azureSubscription"], type: "connectedService:AzureRM" },
      { name: "Destination", type: "pickList", defaultValue: "" },
      { name: "StorageAccountRM", aliases: ["storage"], type: "pickList", defaultValue: "" },
      { name: "ContainerName", type: "string", defaultValue: "" },
      { name: "BlobPrefix", type: "string", defaultValue: "" },
      { name: "sasTokenTimeOutInMinutes", type: "string", defaultValue: "240" },
    ],
    entry: "azure-file-copy",
  }),
];

/** A task by `Name@major` (or name alone: the highest major), case-insensitively, or by id. */
export function findTask(reference: string): { task?: TaskDefinition; name: string; major?: number } {
  const [name = "", version] = reference.split("@");
  const major = version === undefined ? undefined : Number(version);
  const candidates = TASKS.filter((t) => t.name.toLowerCase() === name.toLowerCase() || t.id === name.toLowerCase());
  const task = major === undefined ? candidates.sort((a, b) => b.version.major - a.version.major)[0] : candidates.find((t) => t.version.major === major);
  return { task, name, major };
}

export const versionText = (t: TaskDefinition) => `${t.version.major}.${t.version.minor}.${t.version.patch}`;
