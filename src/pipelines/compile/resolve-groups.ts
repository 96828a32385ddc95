import type { ConnectionSummary, ResourceRef, VariableGroupForRun } from "../ports.js";
import { findTask } from "../tasks/catalog.js";
import type { CompiledJob, CompiledPipeline, CompiledStep, GroupReference, VariableDefinition } from "./compiler.js";

const AUTHZ = "For authorization details, refer to https://aka.ms/yamlauthz.";

export interface GroupResolution {
  /** One sentence per group that is missing or not permitted, and per Key Vault group whose connection is not usable. */
  errors: string[];
  /** Groups (and Key Vault groups' connections) whose only fault is that the pipeline may not use them. */
  unauthorized: ResourceRef[];
  /** The pipeline with each group's variables in its place in its `variables` list (secrets marked). */
  pipeline: CompiledPipeline;
  /** True when every error is a missing pipeline permission: permitting the pipeline would let the run go on. */
  onlyUnauthorized: boolean;
}

export interface GroupContext {
  groups: VariableGroupForRun[];
  connections: ConnectionSummary[];
  isAuthorized: (resource: Omit<ResourceRef, "name">) => Promise<boolean>;
}

/**
 * Resolves every `- group:` of the pipeline, its stages and its jobs, as Azure Pipelines does when a run is queued:
 * the group must exist in the project and be permitted to the pipeline; a Key Vault-linked group's connection must
 * exist and be permitted too. Group variables are not seen by `${{ }}` (templates expand first) but are by `$(x)` in
 * connection inputs, which resolve after this.
 */
export async function resolveGroups(compiled: CompiledPipeline, context: GroupContext): Promise<GroupResolution> {
  const errors: string[] = [];
  const unauthorized = new Map<string, ResourceRef>();
  let permissionErrors = 0;
  const checked = new Map<string, Promise<boolean>>();
  const permitted = (resource: Omit<ResourceRef, "name">) => {
    const key = `${resource.type}:${resource.id}`;
    if (!checked.has(key)) checked.set(key, context.isAuthorized(resource));
    return checked.get(key)!;
  };
  const reported = new Set<string>();
  const report = (key: string, message: string, missing?: ResourceRef) => {
    if (reported.has(key)) return;
    reported.add(key);
    errors.push(message);
    if (!missing) return;
    unauthorized.set(`${missing.type}:${missing.id}`, missing);
    permissionErrors++;
  };

  /** A list's variables with its groups' in place; the Key Vault groups it links are added to `vaults`. */
  const resolveList = async (variables: VariableDefinition[], references: GroupReference[], vaults: VariableGroupForRun[]): Promise<VariableDefinition[]> => {
    if (references.length === 0) return variables;
    const out: VariableDefinition[] = [];
    let next = 0;
    for (const reference of references) {
      while (next < reference.index && next < variables.length) out.push(variables[next++]!);
      const group = context.groups.find((g) => g.name.toLowerCase() === reference.name.trim().toLowerCase());
      const notFound = `Variable group ${reference.name} could not be found. The variable group does not exist or has not been authorized for use. ${AUTHZ}`;
      if (!group) {
        report(`group:${reference.name.toLowerCase()}`, notFound);
        continue;
      }
      if (!(await permitted({ type: "variablegroup", id: String(group.id) }))) {
        report(`group:${group.id}`, notFound, { type: "variablegroup", id: String(group.id), name: group.name });
        continue;
      }
      if (group.keyVault) {
        const connection = context.connections.find((c) => c.id === group.keyVault!.connectionId);
        const invalid = `Service connection : ${connection?.name ?? group.keyVault.connectionId} used in variable group : ${group.name} is not valid. Either service connection does not exist or has not been authorized for use.`;
        if (!connection || connection.isDisabled || !connection.isReady) {
          report(`kv:${group.id}`, invalid);
          continue;
        }
        if (!(await permitted({ type: "endpoint", id: connection.id }))) {
          report(`kv:${group.id}`, invalid, { type: "endpoint", id: connection.id, name: connection.name });
          continue;
        }
        // The vault's secrets become variables when the job runs, through the step Azure Pipelines adds for it.
        if (!vaults.includes(group)) vaults.push(group);
        continue;
      }
      for (const v of group.variables) out.push({ name: v.name, value: v.value, isSecret: v.isSecret, readonly: false, group: group.name, groupId: group.id });
    }
    while (next < variables.length) out.push(variables[next++]!);
    return out;
  };

  const pipelineVaults: VariableGroupForRun[] = [];
  const pipelineVariables = await resolveList(compiled.variables, compiled.groups, pipelineVaults);
  const stages = [];
  for (const stage of compiled.stages) {
    const stageVaults = [...pipelineVaults];
    const stageVariables = await resolveList(stage.variables, stage.groups, stageVaults);
    const jobs: CompiledJob[] = [];
    for (const job of stage.jobs) {
      const jobVaults = [...stageVaults];
      const jobVariables = await resolveList(job.variables, job.groups, jobVaults);
      jobs.push({ ...job, variables: jobVariables, steps: [...jobVaults.map((g) => downloadSecretsStep(g, job)), ...job.steps] });
    }
    stages.push({ ...stage, variables: stageVariables, jobs });
  }
  const pipeline: CompiledPipeline = { ...compiled, variables: pipelineVariables, stages };
  return { errors, unauthorized: [...unauthorized.values()], pipeline, onlyUnauthorized: errors.length > 0 && errors.length === permissionErrors };
}

/**
 * What Azure Pipelines adds at the start of a job that links a Key Vault-linked group: the Azure Key Vault task
 * ("Download secrets: {vault}") with the group's connection, its vault and the secrets the group names.
 */
function downloadSecretsStep(group: VariableGroupForRun, job: CompiledJob): CompiledStep {
  const vault = group.keyVault!;
  return {
    kind: "task",
    task: findTask("AzureKeyVault@2").task ?? null,
    name: null,
    displayName: `Download secrets: ${vault.vault}`,
    inputs: { ConnectedServiceName: vault.connectionId, KeyVaultName: vault.vault, SecretsFilter: group.variables.map((v) => v.name).join(",") || "*", RunAsPreJob: "false" },
    inputKeys: {},
    env: {},
    condition: null,
    continueOnError: false,
    enabled: true,
    timeoutInMinutes: 0,
    retryCountOnTaskFailure: 0,
    target: { settableVariables: null, commands: "any" },
    pos: job.pos,
  };
}
