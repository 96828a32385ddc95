import tl from "azure-pipelines-task-lib/task.js";
import type { ToolRunner } from "azure-pipelines-task-lib/toolrunner.js";
import { ConnectionCredentials } from "./arm-credentials.js";

/**
 * TerraformTaskV4@4 of the Marketplace extension ms-devlabs.custom-terraform-tasks with the azurerm provider
 * (microsoft/azure-pipelines-terraform Tasks/TerraformTask/TerraformTaskV4/src, docs/reference/pipelines.md §1.9):
 * `init` hands the azurerm backend its `-backend-config` arguments (or, on request, `ARM_*` variables), the other
 * commands hand the azurerm provider `ARM_SUBSCRIPTION_ID`, `ARM_TENANT_ID` and per scheme `ARM_CLIENT_SECRET`,
 * `ARM_OIDC_TOKEN` with `ARM_USE_OIDC` (the job's OIDC token) or `ARM_USE_MSI`, then run `terraform`. The one
 * svcconn step: the hand-over is made before the binary is looked for (the task looks first), so the OIDC request
 * and its failures happen where Terraform is not installed, which then fails the step with the task's text.
 */

type Scheme = "serviceprincipal" | "managedserviceidentity" | "workloadidentityfederation";

/** The task's `mapAuthorizationScheme`: an unknown or missing scheme is taken as a service principal. */
function schemeOf(connection: string): Scheme {
  const scheme = (tl.getEndpointAuthorizationScheme(connection, true) ?? "").toLowerCase();
  return scheme === "managedserviceidentity" || scheme === "workloadidentityfederation" ? scheme : "serviceprincipal";
}

async function credentialsOf(connection: string, scheme: Scheme): Promise<{ clientId: string; secret?: string; idToken?: string }> {
  const clientId = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalid", true) ?? "";
  if (scheme === "workloadidentityfederation") {
    const idToken = await new ConnectionCredentials(connection).federatedToken();
    console.log(`##vso[task.setsecret]${idToken}`);
    return { clientId, idToken };
  }
  return { clientId, secret: tl.getEndpointAuthorizationParameter(connection, "serviceprincipalkey", true) ?? "" };
}

/** `handleBackend`: the backend's settings as `-backend-config=key=value` (credentials as variables on request). */
async function backendConfig(): Promise<string[]> {
  const connection = tl.getInput("backendServiceArm", true) ?? "";
  const scheme = schemeOf(connection);
  const config = new Map<string, string>([
    ["storage_account_name", tl.getInput("backendAzureRmStorageAccountName", true) ?? ""],
    ["container_name", tl.getInput("backendAzureRmContainerName", true) ?? ""],
    ["key", tl.getInput("backendAzureRmKey", true) ?? ""],
    ["resource_group_name", tl.getInput("backendAzureRmResourceGroupName", true) ?? ""],
  ]);
  const subscriptionId = tl.getEndpointDataParameter(connection, "subscriptionid", true);
  if (subscriptionId) config.set("subscription_id", subscriptionId);
  config.set("tenant_id", tl.getEndpointAuthorizationParameter(connection, "tenantid", true) ?? "");
  if (tl.getInput("backendAzureRmUseEntraIdForAuthentication", false) === "true") config.set("use_azuread_auth", "true");
  const asVariables = tl.getInput("backendAzureRmUseEnvironmentVariablesForAuthentication", false) === "true";
  if (scheme === "managedserviceidentity") config.set("use_msi", "true");
  else {
    const { clientId, secret, idToken } = await credentialsOf(connection, scheme);
    const [secretKey, secretVariable] = idToken ? ["oidc_token", "ARM_OIDC_TOKEN"] : ["client_secret", "ARM_CLIENT_SECRET"];
    if (asVariables) Object.assign(process.env, { ARM_CLIENT_ID: clientId, [secretVariable]: idToken ?? secret });
    else config.set("client_id", clientId).set(secretKey, idToken ?? secret ?? "");
    if (idToken) config.set("use_oidc", "true");
  }
  return [...config].map(([key, value]) => `-backend-config=${key}=${value}`);
}

/** `handleProvider`: what the azurerm provider reads from the environment. */
async function provideCredentials(): Promise<void> {
  const connection = tl.getInput("environmentServiceNameAzureRM", true) ?? "";
  const scheme = schemeOf(connection);
  const subscriptionId = tl.getEndpointDataParameter(connection, "subscriptionid", true);
  if (subscriptionId) process.env.ARM_SUBSCRIPTION_ID = subscriptionId;
  process.env.ARM_TENANT_ID = tl.getEndpointAuthorizationParameter(connection, "tenantid", false) ?? "";
  if (scheme === "managedserviceidentity") {
    process.env.ARM_USE_MSI = "true";
    return;
  }
  const { clientId, secret, idToken } = await credentialsOf(connection, scheme);
  process.env.ARM_CLIENT_ID = clientId;
  if (idToken) Object.assign(process.env, { ARM_OIDC_TOKEN: idToken, ARM_USE_OIDC: "true" });
  else process.env.ARM_CLIENT_SECRET = secret;
}

/** Each command's arguments after its name, as the task builds them. */
function commandArguments(command: string): string {
  const options = tl.getInput("commandOptions", false);
  switch (command) {
    case "plan":
      return options ? `${options} -detailed-exitcode` : "-detailed-exitcode";
    case "apply":
    case "destroy": {
      const given = options || "-auto-approve";
      return given.includes("-auto-approve") ? given : `-auto-approve ${given}`;
    }
    case "output":
      return options ? `-json ${options}` : "-json";
    case "show":
      return tl.getInput("outputFormat", false) === "json" ? (options ? `-json  ${options}` : "-json") : (options ?? "");
    default:
      return options ?? "";
  }
}

/** The step's result: succeeded, or skipped for a provider svcconn does not hand credentials to. */
async function run(): Promise<"succeeded" | "skipped"> {
  const provider = tl.getInput("provider", true);
  if (provider !== "azurerm") {
    tl.warning(`svcconn runs TerraformTaskV4@4 with the azurerm provider only; the '${provider}' provider's step was not run (skipped).`);
    return "skipped";
  }
  const command = tl.getInput("command", true) ?? "";
  const name = command === "custom" ? (tl.getInput("customCommand", true) ?? "") : command;
  const backend = command === "init" ? await backendConfig() : [];
  if (command !== "init" && command !== "validate") await provideCredentials();
  let terraform: string;
  try {
    terraform = tl.which("terraform", true);
  } catch {
    throw new Error("Failed to find terraform tool in paths");
  }
  const tool: ToolRunner = tl.tool(terraform).arg(name);
  const extra = commandArguments(command);
  if (extra) tool.line(extra);
  for (const argument of backend) tool.arg(argument);
  const cwd = tl.getInput("workingDirectory", false) || process.cwd();
  const code = await tool.exec({ cwd, ignoreReturnCode: command === "plan" });
  if (command === "plan") {
    // task.json has no `TerraformPlanFailed` string: the task library warns and formats the key itself.
    if (code !== 0 && code !== 2) {
      tl.warning("Can't find loc string for key: TerraformPlanFailed");
      throw new Error(`TerraformPlanFailed ${code}`);
    }
    tl.setVariable("changesPresent", String(code === 2), false, true);
  }
  return "succeeded";
}

run().then(
  (result) => tl.setResult(result === "skipped" ? tl.TaskResult.Skipped : tl.TaskResult.Succeeded, ""),
  (error) => tl.setResult(tl.TaskResult.Failed, String(error)),
);
