import { dirname } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";
import { ArmClient, formattedError } from "./arm-client.js";
import { ConnectionCredentials } from "./arm-credentials.js";

/**
 * What AzureWebApp@1, AzureRmWebAppDeployment@4 and AzureFunctionApp@2 do with their connection before they deploy
 * (microsoft/azure-pipelines-tasks Tasks/AzureWebAppV1, AzureRmWebAppDeploymentV4, AzureFunctionAppV2 and the
 * `azure-pipelines-tasks-azure-arm-rest` and `-webdeployment-common` libraries; docs/reference/pipelines.md §1.8):
 * the package found by its pattern, the app's resource group looked up by name across the subscription, the app's
 * publishing credentials listed (the call a Reader is refused), each failure in those libraries' words. svcconn has no
 * App Service deployment service (Kudu): the package is not deployed, the log says so, and the step ends succeeded
 * with issues.
 */
export interface AppServiceTarget {
  connection: string;
  appName: string;
  /** Read only when the step deploys to a slot or an App Service Environment, as the tasks read it. */
  resourceGroup?: string;
  slot?: string;
  packagePattern: string;
  /** AzureRmWebAppDeployment@4 finds its package before it reads the connection; the others after the lookup. */
  packageFirst: boolean;
}

/** `findfiles` of webdeployment-common: a literal path that exists, or the files under the pattern's root it matches. */
function findPackage(pattern: string): string {
  let found: string[];
  const wildcard = pattern.search(/[*?]/);
  if (wildcard === -1) found = tl.exist(pattern) ? [pattern] : [];
  else {
    const sliced = pattern.slice(0, wildcard);
    const root = /[\\/]$/.test(sliced) ? sliced : dirname(sliced);
    found = tl.exist(root) ? tl.match(tl.find(root), pattern, "", { matchBase: true, nocase: false }) : [];
  }
  if (found.length === 0) throw new Error(`No package found with specified pattern: ${pattern}<br/>Check if the package mentioned in the task is published as an artifact in the build or a previous stage and downloaded in the current job.`);
  if (found.length > 1) throw new Error(`More than one package matched with specified pattern: ${pattern}. Please restrain the search pattern.`);
  return found[0]!;
}

/** `Resources.getAppDetails`: the one `Microsoft.Web/Sites` of that name the connection can see, and its group. */
async function resourceGroupOf(arm: ArmClient, subscriptionId: string, appName: string): Promise<string> {
  let sites: Array<{ id: string }>;
  try {
    const filter = new URLSearchParams({ $filter: `resourceType EQ 'Microsoft.Web/Sites' AND name EQ '${appName}'` });
    sites = ((await arm.call("GET", `/subscriptions/${subscriptionId}/resources?${filter}`, undefined, "2016-07-01")).body.value ?? []) as Array<{ id: string }>;
  } catch (error) {
    throw new Error(`Failed to get resource ID for resource type 'Microsoft.Web/Sites' and resource name '${appName}'. Error: ${formattedError(error)}`);
  }
  if (sites.length === 0) throw new Error(`Resource '${appName}' doesn't exist. Resource should exist before deployment.`);
  if (sites.length > 1) throw new Error(`Multiple resource group found for App Service '${appName}'.`);
  return sites[0]!.id.split("/")[4]!;
}

export async function deployToAppService(target: AppServiceTarget): Promise<void> {
  const packagePath = target.packageFirst ? findPackage(target.packagePattern) : undefined;
  const credentials = new ConnectionCredentials(target.connection);
  const arm = new ArmClient(credentials, "2016-08-01");
  console.log(`Got service connection details for Azure App Service:'${target.appName}'`);
  const resourceGroup = target.resourceGroup || (await resourceGroupOf(arm, credentials.subscriptionId, target.appName));
  const deployed = packagePath ?? findPackage(target.packagePattern);
  const slot = target.slot && target.slot.toLowerCase() !== "production" ? target.slot : undefined;
  const name = slot ? `${target.appName}-${slot}` : target.appName;
  const site = `/subscriptions/${credentials.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${target.appName}${slot ? `/slots/${slot}` : ""}`;
  try {
    await arm.call("POST", `${site}/config/publishingcredentials/list`);
  } catch (error) {
    throw new Error(`Failed to fetch App Service '${name}' publishing credentials. Error: ${formattedError(error)}`);
  }
  tl.warning(`svcconn does not emulate App Service's deployment service (Kudu): the package '${deployed}' was not deployed to App Service '${name}'.`);
  const details = await arm.call("GET", site).catch(() => undefined);
  const host = (details?.body.properties as { defaultHostName?: string } | undefined)?.defaultHostName ?? `${name}.azurewebsites.net`;
  console.log(`App Service Application URL: http://${host}`);
  tl.setVariable("AppServiceApplicationUrl", `http://${host}`);
  tl.setResult(tl.TaskResult.SucceededWithIssues, "The App Service was found and its publishing credentials were read; the package was not deployed.");
}

/** Runs a task's deployment: what it throws fails the step as the tasks report it (`Error: …`). */
export function runAppServiceTask(target: () => AppServiceTarget): void {
  Promise.resolve()
    .then(() => deployToAppService(target()))
    .catch((error) => tl.setResult(tl.TaskResult.Failed, error instanceof Error ? String(error) : `Error: ${String(error)}`));
}
