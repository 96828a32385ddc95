import tl from "azure-pipelines-task-lib/task.js";
import { runAppServiceTask } from "../lib/app-service-deployment.js";

/**
 * AzureWebApp@1 and AzureFunctionApp@2 (Tasks/AzureWebAppV1/taskparameters.ts, Tasks/AzureFunctionAppV2/
 * taskparameters.ts), which read the same inputs: those, then the App Service steps the tasks share.
 */
runAppServiceTask(() => {
  const toSlot = tl.getBoolInput("deployToSlotOrASE", false);
  return {
    connection: tl.getInput("azureSubscription", true) ?? "",
    appName: tl.getInput("appName", true) ?? "",
    resourceGroup: toSlot ? tl.getInput("resourceGroupName", false) : undefined,
    slot: toSlot ? tl.getInput("slotName", false) : undefined,
    packagePattern: tl.getPathInput("package", true) ?? "",
    packageFirst: false,
  };
});
