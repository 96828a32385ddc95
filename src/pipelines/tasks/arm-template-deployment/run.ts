import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";
import { ArmClient, type ArmFailure } from "../lib/arm-client.js";
import { ConnectionCredentials } from "../lib/arm-credentials.js";

/**
 * AzureResourceManagerTemplateDeployment@3 as the real task behaves (microsoft/azure-pipelines-tasks
 * Tasks/AzureResourceManagerTemplateDeploymentV3): resource group check and creation, the template and parameters
 * from the sources, validation, the deployment with the connection's identity, outputs as variables, and its
 * messages. Resource group and subscription scopes, templates from the repository (no URL downloads offline).
 */

/** utils.getError: a message JSON-quoted, a string as it is. */
const getError = (error: unknown) => (error && typeof error === "object" && "message" in error ? JSON.stringify((error as { message: unknown }).message) : typeof error === "string" ? error : JSON.stringify(error));

function writeDeploymentErrors(error: ArmFailure): void {
  console.log(`There were errors in your deployment. Error code: ${error.code}.`);
  if (!error.message) return;
  tl.error(error.message);
  if (!error.details) return;
  tl.error("Details:");
  for (const detail of error.details) {
    let message = `${detail.code}: ${detail.message}`;
    if (detail.details) message += ` ${typeof detail.details === "object" ? JSON.stringify(detail.details) : String(detail.details)}`;
    tl.error(message);
  }
}

/** `-name value` pairs; values that parse as JSON are JSON. */
function overrideParameters(text: string): Record<string, { value: unknown }> {
  const out: Record<string, { value: unknown }> = {};
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith("-")) continue;
    const name = token.slice(1);
    let raw = tokens[i + 1] ?? "";
    if (raw.startsWith("-") && !/^-\d/.test(raw)) raw = "";
    else i++;
    if ((raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'"))) raw = raw.slice(1, -1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: the text itself
    }
    out[name] = { value };
  }
  return out;
}

function readJsonFile(path: string, failure: (path: string, error: string) => string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, "utf8").replace(/^\uFEFF/, "")) as Record<string, unknown>;
  } catch (error) {
    throw failure(path, (error as Error).message);
  }
}

/**
 * `getServicePrincipalName` (DeploymentScopeBase.ts): the connection's service principal as Graph shows it to the
 * connection itself (`GET {graph}/v1.0/{tenant}/servicePrincipals?$filter=appId eq '…'`). A principal without
 * directory read permission is refused, and the name is empty, as in the real task's message.
 */
async function servicePrincipalName(connection: string, credentials: ConnectionCredentials): Promise<string> {
  try {
    const graph = (tl.getEndpointDataParameter(connection, "graphUrl", true) ?? "").replace(/\/+$/, "");
    const token = await credentials.getToken(graph);
    const filter = encodeURIComponent(`appId eq '${credentials.clientId}'`);
    const response = await fetch(`${graph}/v1.0/${credentials.tenantId}/servicePrincipals?$filter=${filter}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
    const body = (await response.json()) as { value?: Array<{ appDisplayName?: string }> };
    return body.value?.[0]?.appDisplayName ?? "";
  } catch (error) {
    tl.debug(`Error while fetching Service Principal details: ${error instanceof Error ? error.message : String(error)}`);
    return "";
  }
}

function deploymentName(csmFile: string): string {
  const name = basename(csmFile).split(".")[0]!.replace(/\s/g, "").slice(0, 40);
  const t = new Date();
  const two = (n: number) => String(n).padStart(2, "0");
  const suffix = `${t.getFullYear()}${two(t.getMonth() + 1)}${two(t.getDate())}-${two(t.getHours())}${two(t.getMinutes())}${two(t.getSeconds())}-${randomUUID().slice(0, 4)}`;
  const candidate = `${name}-${suffix}`;
  return /^[-\w._()]+$/.test(candidate) ? candidate : `deployment-${suffix}`;
}

async function run(): Promise<void> {
  const connection = tl.getInput("ConnectedServiceName", true) ?? "";
  const scope = tl.getInput("deploymentScope", true) ?? "Resource Group";
  const credentials = new ConnectionCredentials(connection);
  const arm = new ArmClient(credentials, "2021-04-01");
  const subscriptionId = tl.getInput("subscriptionName", false) || credentials.subscriptionId;
  const resourceGroup = tl.getInput("resourceGroupName", scope === "Resource Group") ?? "";
  const location = tl.getInput("location", false) ?? "";
  if (scope !== "Resource Group" && scope !== "Subscription") throw `Deployment scope '${scope}' is not supported by svcconn: use 'Resource Group' or 'Subscription'.`;
  const action = tl.getInput("action", false) ?? "Create Or Update Resource Group";
  const rgPath = `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}`;

  if (scope === "Resource Group" && action === "DeleteRG") {
    console.log(`Deleting resource group: ${resourceGroup}`);
    try {
      await arm.call("DELETE", rgPath);
    } catch (error) {
      throw `Could not delete resource group: '${resourceGroup}'. Operation failed with error: ${getError(error)}`;
    }
    console.log(`Deleted resource group: ${resourceGroup}`);
    return;
  }
  if (scope === "Resource Group" && action !== "Create Or Update Resource Group") throw "This action is not defined. Check with the task author.";

  if (scope === "Resource Group") {
    console.log(`Checking if the following resource group exists: ${resourceGroup}.`);
    let exists: boolean;
    try {
      const head = await arm.call("HEAD", rgPath);
      if (head.status >= 400 && head.status !== 404) throw { statusCode: head.status, code: String(head.status), message: `The request failed with status ${head.status}` } satisfies ArmFailure;
      exists = head.status < 300;
    } catch (error) {
      throw `Failed to check the resource group status. Error: ${getError(error)}.`;
    }
    console.log(`Resource group exists: ${exists}.`);
    if (!exists) {
      console.log(`Creating resource Group: ${resourceGroup}`);
      try {
        await arm.call("PUT", rgPath, { name: resourceGroup, location });
      } catch (error) {
        throw `Failed to create the resource group. Error: ${getError(error)}`;
      }
      console.log("Resource Group created successfully.");
    }
  }

  console.log("Creating deployment parameters.");
  if ((tl.getInput("templateLocation", false) ?? "Linked artifact") !== "Linked artifact") throw "The template location supplied is invalid. Task only supports 'Linked artifact' or 'URL of the file'";
  const csmFile = tl.getPathInput("csmFile", true, false) ?? "";
  if (statSync(csmFile, { throwIfNoEntry: false })?.isDirectory()) throw `Template file pattern matches a directory instead of a file: ${csmFile}`;
  if (!tl.exist(csmFile)) throw "Could not find any file matching the template file pattern";
  const template = readJsonFile(csmFile, (p, e) => `Ensure the Template file ( '${p}' ) is valid. Task failed while parsing with following error: ${e}`);
  let parameters: Record<string, unknown> = {};
  const parametersFile = tl.getPathInput("csmParametersFile", false, false);
  if (parametersFile && tl.filePathSupplied("csmParametersFile") && !statSync(parametersFile, { throwIfNoEntry: false })?.isDirectory()) {
    const parsed = readJsonFile(parametersFile, (p, e) => `Ensure the Parameters file ( '${p}' ) is valid. Task failed while parsing with following error: ${e}`);
    parameters = (parsed.parameters as Record<string, unknown>) ?? parsed;
  }
  Object.assign(parameters, overrideParameters(tl.getInput("overrideParameters", false) ?? ""));
  let mode = tl.getInput("deploymentMode", false) ?? "Incremental";
  const properties: Record<string, unknown> = { template, parameters, mode };
  const body = { properties, ...(scope === "Subscription" ? { location } : {}) };
  const base = scope === "Subscription" ? `/subscriptions/${subscriptionId}` : rgPath;
  const name = tl.getInput("deploymentName", false) || deploymentName(csmFile);

  const validate = async () => {
    console.log("Starting template validation.");
    if (mode !== "Complete" && mode !== "Incremental") properties.mode = "Incremental";
    console.log(`Deployment name is ${name}`);
    try {
      await arm.call("POST", `${base}/providers/Microsoft.Resources/deployments/${name}/validate`, body);
    } catch (error) {
      throw `Template validation failed. Error: ${getError(error)}.`;
    }
    console.log("Template deployment validation was completed successfully.");
  };
  if (mode === "Validation") {
    mode = "Incremental";
    properties.mode = mode;
    await validate();
    return;
  }
  try {
    await validate();
  } catch (error) {
    tl.warning(`Validation errors were found in the Azure Resource Manager template. This can potentially cause template deployment to fail. ${error}. Please follow https://docs.microsoft.com/en-us/azure/azure-resource-manager/templates/template-syntax`);
  }
  const spnName = credentials.scheme === "ServicePrincipal" ? await servicePrincipalName(connection, credentials) : "";
  console.log("Starting Deployment.");
  console.log(`Deployment name is ${name}`);
  let result: Record<string, unknown>;
  try {
    result = (await arm.call("PUT", `${base}/providers/Microsoft.Resources/deployments/${name}`, body)).body;
    const state = (result.properties as { provisioningState?: string; error?: Omit<ArmFailure, "statusCode"> } | undefined) ?? {};
    if (state.provisioningState === "Failed") throw { statusCode: 200, ...(state.error ?? { code: "DeploymentFailed", message: "The deployment failed." }) } satisfies ArmFailure;
  } catch (error) {
    // The token could not be had: the library's message, as the task fails with it.
    if (typeof error === "string") throw error;
    if (error instanceof Error) throw error.message;
    const failure = error as ArmFailure;
    writeDeploymentErrors(failure);
    if (failure.statusCode < 400 || failure.statusCode >= 500) {
      const path = `/subscriptions/${subscriptionId}${scope === "Resource Group" ? `/resourceGroups/${resourceGroup}` : ""}/providers/Microsoft.Resources/deployments/${name}`;
      tl.error(`Task successfully created an Azure Resource Manager deployment, but the deployment failed. Please see more detailed Azure resource manager deployment logs at: (Please Copy-Paste the link) https://portal.azure.com/#blade/HubsExtension/DeploymentDetailsBlade/overview/id/${path.replace(/\//g, "%2F")}`);
    }
    if (failure.statusCode === 403) {
      if (credentials.scheme.toLowerCase() === "managedserviceidentity") tl.error(`Please make sure the Managed Service Identity used for deployment is assigned the right roles for the Resource Group ${resourceGroup}. Follow the link for more details: https://docs.microsoft.com/en-us/azure/active-directory/managed-identities-azure-resources/howto-assign-access-portal`);
      // Only these two schemes: a workload identity connection gets neither line.
      else if (credentials.scheme === "ServicePrincipal") tl.error(`Please make sure the Service Principal with name ${spnName} is assigned the right roles for the entity ${scope === "Resource Group" ? resourceGroup : subscriptionId}. Follow the link for more details: https://docs.microsoft.com/en-us/azure/role-based-access-control/role-assignments-portal`);
    }
    throw "Task failed while creating or updating the template deployment.";
  }
  const outputsName = tl.getInput("deploymentOutputs", false);
  const outputs = (result.properties as { outputs?: Record<string, unknown> } | undefined)?.outputs;
  if (outputs && outputsName) {
    const withoutJson = tl.getBoolInput("useWithoutJSON", false);
    const set = (path: string, value: Record<string, unknown>) => {
      for (const [key, inner] of Object.entries(value)) {
        if (inner && typeof inner === "object") set(`${path}.${key}`, inner as Record<string, unknown>);
        else {
          console.log(`##vso[task.setvariable variable=${path}.${key};]${withoutJson ? inner : JSON.stringify(inner)}`);
          console.log(`Updated output variable '${path}.${key}', which contains the outputs section of the current deployment object in string format.`);
        }
      }
    };
    set(outputsName, outputs);
    console.log(`##vso[task.setvariable variable=${outputsName};]${JSON.stringify(outputs)}`);
    console.log(`Updated output variable '${outputsName}', which contains the outputs section of the current deployment object in string format.`);
  }
  console.log("Successfully deployed the template.");
}

run().then(
  () => tl.setResult(tl.TaskResult.Succeeded, ""),
  (error) => {
    tl.error("Check out the troubleshooting guide to see if your issue is addressed: https://docs.microsoft.com/en-us/azure/devops/pipelines/tasks/deploy/azure-resource-group-deployment?view=azure-devops#troubleshooting");
    tl.setResult(tl.TaskResult.Failed, error instanceof Error ? error.message : String(error));
  },
);
