import tl from "azure-pipelines-task-lib/task.js";
import { runAppServiceTask } from "../lib/app-service-deployment.js";

/**
 * AzureRmWebAppDeployment@4 (Tasks/AzureRmWebAppDeploymentV4/operations/TaskParameters.ts) with an Azure Resource
 * Manager connection: its inputs (the package first), then the App Service steps it shares. A publish profile
 * connection type uses no service connection and deploys through App Service's deployment service (Kudu) alone:
 * svcconn skips that form, saying so, as it skips the tasks it does not run.
 */
if (tl.getInput("ConnectionType", true) === "PublishProfile") {
  tl.warning("svcconn does not run AzureRmWebAppDeployment@4 with a publish profile: it deploys through App Service's deployment service (Kudu), which svcconn does not emulate (skipped).");
  tl.setResult(tl.TaskResult.Skipped, "");
} else runAppServiceTask(() => {
  const toSlot = tl.getBoolInput("DeployToSlotOrASEFlag", false);
  return {
    connection: tl.getInput("ConnectedServiceName", true) ?? "",
    appName: tl.getInput("WebAppName", true) ?? "",
    resourceGroup: toSlot ? tl.getInput("ResourceGroupName", false) : undefined,
    slot: toSlot ? tl.getInput("SlotName", false) : undefined,
    packagePattern: tl.getPathInput("Package", true) ?? "",
    packageFirst: true,
  };
});
