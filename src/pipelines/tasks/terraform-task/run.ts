import tl from "azure-pipelines-task-lib/task.js";
import { ConnectionCredentials } from "../lib/arm-credentials.js";
import { runTerraform } from "../lib/terraform.js";

/**
 * TerraformTaskV4@4 of the Marketplace extension ms-devlabs.custom-terraform-tasks with the azurerm provider
 * (microsoft/azure-pipelines-terraform Tasks/TerraformTask/TerraformTaskV4/src, docs/reference/pipelines.md §1.9):
 * `init` hands the azurerm backend its `-backend-config` arguments (or, on request, `ARM_*` variables), the other
 * commands hand the azurerm provider `ARM_SUBSCRIPTION_ID`, `ARM_TENANT_ID` and per scheme `ARM_CLIENT_SECRET`,
 * `ARM_OIDC_TOKEN` with `ARM_USE_OIDC` (the job's OIDC token) or `ARM_USE_MSI`, then run `terraform` (terraform.ts).
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

runTerraform({ task: "TerraformTaskV4@4", backend: backendConfig, provider: provideCredentials });
