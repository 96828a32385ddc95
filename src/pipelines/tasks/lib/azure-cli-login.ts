import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { getHandlerFromToken, WebApi } from "azure-devops-node-api";
import tl from "azure-pipelines-task-lib/task.js";

/**
 * What AzureCLI@1 and AzureCLI@2 share (Tasks/AzureCLIV1, Tasks/AzureCLIV2 and their src/AzureCliConfigDir.ts,
 * docs/reference/pipelines.md §1.5): the failure lines of an `az` command, the job's OIDC token for a connection,
 * the per-invocation configuration folder, and svcconn's one step — the connection's cloud pointed at svcconn.
 */

export type ExecResult = ReturnType<typeof tl.execSync>;

export const LOGIN_FAILED = "Azure login failed";
export const MSI_LOGIN_FAILED = "Azure login failed using Managed Service Identity";

/** `throwIfError`: a failed `az` prints the tasks' two error lines and is thrown (its stderr becomes the result). */
export function throwIfError(result: ExecResult, message?: string): void {
  if (result.code !== 0) {
    tl.error(`Error Code: [${result.code}]`);
    if (message) tl.error(`Error: ${message}`);
    throw result;
  }
}

/** `getIdToken`: the job's OIDC token for the connection, through the task API with the job's access token. */
export async function jobOidcToken(connection: string): Promise<string | null> {
  const token = tl.getEndpointAuthorizationParameter("SYSTEMVSSCONNECTION", "AccessToken", false) ?? "";
  const api = await new WebApi(tl.getVariable("System.CollectionUri") ?? "", getHandlerFromToken(token), { keepAlive: true }).getTaskApi();
  const response = await api.createOidcToken({}, tl.getVariable("System.TeamProjectId") ?? "", tl.getVariable("System.HostType") ?? "build", tl.getVariable("System.PlanId") ?? "", tl.getVariable("System.JobId") ?? "", connection);
  return response?.oidcToken ?? null;
}

/**
 * `createPerInvocationAzureConfigDir`: an unpredictable `.azclitask-XXXXXX` folder under Agent.TempDirectory as
 * AZURE_CONFIG_DIR, so no earlier step can seed the configuration `az` runs with; removed when the task ends.
 */
export function perInvocationConfigDir(): string {
  const temp = tl.getVariable("Agent.TempDirectory") ?? "";
  let dir: string;
  try {
    dir = mkdtempSync(join(temp, ".azclitask-"));
  } catch (error) {
    throw new Error(`Failed to create an isolated AZURE_CONFIG_DIR under '${temp}': ${(error as Error).message}. Verify Agent.TempDirectory exists and is writable by the agent account. If you intentionally want to use the global Azure CLI configuration (~/.azure), set the task input 'useGlobalConfig: true'.`);
  }
  process.env.AZURE_CONFIG_DIR = dir;
  console.log(`Setting AZURE_CONFIG_DIR env variable to: ${dir}`);
  return dir;
}

export function removeConfigDir(dir: string | undefined): void {
  if (!dir) return;
  tl.rmRF(dir);
  delete process.env.AZURE_CONFIG_DIR;
}

/** `az cloud set` to the connection's cloud (`Setting active cloud to: …`), pointed at svcconn first. */
export function setActiveCloud(connection: string): void {
  const environment = tl.getEndpointDataParameter(connection, "environment", true);
  if (!environment) return;
  pointCloudAtSvcconn(connection, environment);
  console.log(`Setting active cloud to: ${environment}`);
  throwIfError(tl.execSync("az", `cloud set -n ${environment}`));
}

/** What the tasks read at login and hand the script with `addSpnToEnvironment`. */
export interface LoginState {
  servicePrincipalId?: string;
  servicePrincipalKey?: string;
  federatedToken?: string;
  tenantId?: string;
  certificatePath?: string;
}

/** `addSpnToEnvironment`: the login's id and secret (or the federated token) and tenant, for the script. */
export function spnEnvironment(connection: string, state: LoginState): Record<string, string> {
  if (!tl.getBoolInput("addSpnToEnvironment", false)) return {};
  const scheme = (tl.getEndpointAuthorizationScheme(connection, true) ?? "").toLowerCase();
  if (scheme === "serviceprincipal") return { servicePrincipalId: state.servicePrincipalId ?? "", servicePrincipalKey: state.servicePrincipalKey ?? "", tenantId: state.tenantId ?? "" };
  if (scheme === "workloadidentityfederation") return { servicePrincipalId: state.servicePrincipalId ?? "", idToken: state.federatedToken ?? "", tenantId: state.tenantId ?? "" };
  return {};
}

/** Points the cloud a connection names at svcconn, in this invocation's own Azure CLI configuration. */
function pointCloudAtSvcconn(connection: string, environment: string): void {
  const authority = (tl.getEndpointDataParameter(connection, "activeDirectoryAuthority", true) ?? "").replace(/\/$/, "");
  const arm = tl.getEndpointUrl(connection, true) ?? "";
  const graph = tl.getEndpointDataParameter(connection, "microsoftGraphUrl", true) ?? "";
  if (!authority.startsWith("https://")) return;
  const config = JSON.stringify({ endpoints: { activeDirectory: `${authority}/adfs`, resourceManager: arm, ...(graph ? { microsoftGraphResourceId: graph } : {}) } });
  tl.debug(`svcconn: cloud ${environment} → ${authority}`);
  const result = tl.execSync("az", ["cloud", "update", "-n", environment, "--cloud-config", config], { silent: true });
  if (result.code !== 0) tl.warning(`svcconn could not point the Azure CLI cloud ${environment} at svcconn: ${result.stderr.trim()}`);
}

/** The expired-secret result both versions give when the failure names AADSTS7000222. */
export function expiredSecretMessage(connection: string): string {
  const link = encodeURI(`${tl.getVariable("System.CollectionUri")}${tl.getVariable("System.TeamProject")}/_settings/adminservices?resourceId=${connection}`);
  return `Secret expired, update service connection at ${link} See https://aka.ms/azdo-rm-workload-identity-conversion to learn more about conversion to secret-less service connections.`;
}
