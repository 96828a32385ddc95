import tl from "azure-pipelines-task-lib/task.js";
import { runTerraform } from "../lib/terraform.js";

/**
 * TerraformTaskV3@3 of ms-devlabs.custom-terraform-tasks (microsoft/azure-pipelines-terraform
 * Tasks/TerraformTask/TerraformTaskV3/src/azure-terraform-command-handler.ts, docs/reference/pipelines.md §1.9): a
 * version without workload identity federation. It hands over a client id and secret when the connection has both,
 * and otherwise — a workload identity or managed identity connection alike — tells Terraform to use a managed
 * identity (`use_msi`, `ARM_USE_MSI`): on a hosted agent, which has none, Terraform's own sign-in then fails.
 */
function secretOf(connection: string): { clientId: string; secret: string } | undefined {
  const clientId = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalid", true);
  const secret = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalkey", true);
  return clientId && secret ? { clientId, secret } : undefined;
}

async function backend(): Promise<string[]> {
  const connection = tl.getInput("backendServiceArm", true) ?? "";
  const config = new Map<string, string>([
    ["storage_account_name", tl.getInput("backendAzureRmStorageAccountName", true) ?? ""],
    ["container_name", tl.getInput("backendAzureRmContainerName", true) ?? ""],
    ["key", tl.getInput("backendAzureRmKey", true) ?? ""],
    ["resource_group_name", tl.getInput("backendAzureRmResourceGroupName", true) ?? ""],
    ["subscription_id", tl.getEndpointDataParameter(connection, "subscriptionid", true) ?? ""],
    ["tenant_id", tl.getEndpointAuthorizationParameter(connection, "tenantid", true) ?? ""],
  ]);
  const credentials = secretOf(connection);
  if (credentials) config.set("client_id", credentials.clientId).set("client_secret", credentials.secret);
  else config.set("use_msi", "true");
  return [...config].map(([key, value]) => `-backend-config=${key}=${value}`);
}

async function provider(): Promise<void> {
  const connection = tl.getInput("environmentServiceNameAzureRM", true) ?? "";
  process.env.ARM_SUBSCRIPTION_ID = tl.getEndpointDataParameter(connection, "subscriptionid", false) ?? "";
  process.env.ARM_TENANT_ID = tl.getEndpointAuthorizationParameter(connection, "tenantid", false) ?? "";
  const credentials = secretOf(connection);
  if (credentials) Object.assign(process.env, { ARM_CLIENT_ID: credentials.clientId, ARM_CLIENT_SECRET: credentials.secret });
  else process.env.ARM_USE_MSI = "true";
}

runTerraform({ task: "TerraformTaskV3@3", backend, provider });
