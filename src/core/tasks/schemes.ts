import { BUILTIN_TASKS, MARKETPLACE, type TaskFacts } from "./catalog.js";

/**
 * Which authentication schemes of an Azure Resource Manager connection a task version can use. Facts and sources
 * are in docs/reference/pipelines.md §5.2 ("WIF support table" and "Scheme support of tasks"): Microsoft's table of
 * built-in tasks without workload identity federation, the commits that added it to AzureCLI@2 and
 * AzurePowerShell@5, and the Terraform extensions' code (which reads `serviceprincipalkey` only, never a
 * certificate).
 */
export type ConnectionScheme = "secret" | "certificate" | "federation" | "managedIdentity";

export interface SchemeSupport {
  /** The task as `Name@major`. */
  task: string;
  schemes: ConnectionScheme[];
  /** What to use instead for federation, when the task lacks it and a version that has it exists. */
  federationIn?: string;
}

const ALL: ConnectionScheme[] = ["secret", "certificate", "federation", "managedIdentity"];
const NO_FEDERATION: ConnectionScheme[] = ["secret", "certificate", "managedIdentity"];

/** Built-in tasks Microsoft lists without federation, and the version that has it where one does. */
const BUILTIN_WITHOUT_FEDERATION: Record<string, string | undefined> = {
  "AzureNLBManagement@1": undefined,
  "ServiceFabricComposeDeploy@0": undefined,
  "ServiceFabricDeploy@1": undefined,
  "AzureFileCopy@1": "AzureFileCopy@6",
  "AzureFileCopy@2": "AzureFileCopy@6",
  "AzureFileCopy@3": "AzureFileCopy@6",
  "AzureFileCopy@4": "AzureFileCopy@6",
  "AzureFileCopy@5": "AzureFileCopy@6",
  "AzureCloudPowerShellDeployment@1": "AzureCloudPowerShellDeployment@2",
  "AzureFunctionOnKubernetes@0": "AzureFunctionOnKubernetes@1",
  "AzureMonitor@0": "AzureMonitor@1",
  "Kubernetes@0": "Kubernetes@1",
  "KubernetesManifest@0": "KubernetesManifest@1",
  "PackerBuild@0": "PackerBuild@1",
  "PublishToAzureServiceBus@1": "PublishToAzureServiceBus@2",
};

/** Built-in task versions older than the minor version that learnt federation (pinned versions, old servers). */
const FEDERATION_SINCE: Record<string, number> = { "AzureCLI@2": 217, "AzurePowerShell@5": 224 };

/** Marketplace tasks whose code was read: what their Azure authentication handles. */
const MARKETPLACE_SCHEMES: Record<string, { schemes: ConnectionScheme[]; federationIn?: string }> = {
  "ms-devlabs.custom-terraform-tasks/TerraformTaskV1@0": { schemes: ["secret"], federationIn: "TerraformTaskV4@4" },
  "ms-devlabs.custom-terraform-tasks/TerraformTaskV2@2": { schemes: ["secret"], federationIn: "TerraformTaskV4@4" },
  "ms-devlabs.custom-terraform-tasks/TerraformTaskV3@3": { schemes: ["secret"], federationIn: "TerraformTaskV4@4" },
  "ms-devlabs.custom-terraform-tasks/TerraformTaskV4@4": { schemes: ["secret", "federation", "managedIdentity"] },
  "ms-devlabs.custom-terraform-tasks/TerraformTask@5": { schemes: ["secret", "federation", "managedIdentity"] },
  "JasonBJohnson.azure-pipelines-tasks-terraform/TerraformCLI@0": { schemes: ["secret"], federationIn: "TerraformCLI@2" },
  "JasonBJohnson.azure-pipelines-tasks-terraform/TerraformCLI@1": { schemes: ["secret"], federationIn: "TerraformCLI@2" },
  "JasonBJohnson.azure-pipelines-tasks-terraform/TerraformCLI@2": { schemes: ["secret", "federation", "managedIdentity"] },
};

/**
 * Task versions whose Linux and macOS handler takes fewer schemes than their Windows one: AzurePowerShell@5's
 * InitializeAz.ps1 refuses certificates ("Only SPNKey auth type is supported…") and managed identities ("Only SPN
 * credential and WorkloadIdentityFederation auth schemes are supported for non windows agent"). svcconn's agents and
 * most hosted ones are Linux, so these are the schemes the doctor assumes.
 */
const ON_LINUX: Record<string, ConnectionScheme[]> = { "AzurePowerShell@5": ["secret", "federation"] };

const usesArmConnection = (t: TaskFacts) => t.inputs.some((i) => /^connectedService:AzureRM/i.test(i.type));

/** The schemes a task version supports, or undefined when svcconn does not know the task's code. */
export function schemeSupport(task: TaskFacts, minor?: number): SchemeSupport | undefined {
  const key = `${task.name}@${task.version.major}`;
  if (task.extension) {
    const known = MARKETPLACE_SCHEMES[`${task.extension}/${key}`];
    return known && { task: key, ...known };
  }
  if (!usesArmConnection(task)) return undefined;
  if (key in BUILTIN_WITHOUT_FEDERATION) return { task: key, schemes: NO_FEDERATION, federationIn: BUILTIN_WITHOUT_FEDERATION[key] };
  const since = FEDERATION_SINCE[key];
  if (since !== undefined && minor !== undefined && minor < since) return { task: key, schemes: NO_FEDERATION, federationIn: `${key} ${task.version.major}.${since} or later` };
  return { task: key, schemes: ON_LINUX[key] ?? ALL };
}

const EVERY_TASK: TaskFacts[] = [...BUILTIN_TASKS, ...MARKETPLACE.flatMap((e) => e.tasks)];

/** Task names long enough not to be ordinary words (`TerraformTaskV3`, `AzureFileCopy`), as a text may name them. */
const NAMES = [...new Set(EVERY_TASK.map((t) => t.name).filter((n) => n.length >= 8 && /[a-z][A-Z]|V\d$/.test(n)))];
const NAMED = new RegExp(`\\b(${NAMES.sort((a, b) => b.length - a.length).join("|")})(?:@(\\d+))?\\b`);

/** A task a text names by its name alone or as `Name@major` (the highest major when none is written). */
export function taskMentioned(text: string): { facts: TaskFacts; written: string } | undefined {
  const match = NAMED.exec(text);
  if (!match) return undefined;
  const versions = EVERY_TASK.filter((t) => t.name === match[1] && (match[2] === undefined || t.version.major === Number(match[2])));
  const facts = versions.sort((a, b) => b.version.major - a.version.major)[0];
  return facts && { facts, written: match[0] };
}

/**
 * The task a log names: `Name@major` as YAML writes it, or the header the agent prints (`Task : Azure CLI`,
 * `Version : 2.208.0`), which gives the friendly name and the version.
 */
export function taskNamed(reference: { name?: string; friendlyName?: string; major: number }): TaskFacts | undefined {
  const name = reference.name?.toLowerCase();
  const friendly = reference.friendlyName?.toLowerCase();
  return EVERY_TASK.find((t) => t.version.major === reference.major && (name ? t.name.toLowerCase() === name : t.friendlyName.toLowerCase() === friendly));
}
