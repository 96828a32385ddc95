import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureWebApp@1", "AzureFunctionApp@2"], source: "microsoft/azure-pipelines-tasks Tasks/AzureWebAppV1, Tasks/AzureFunctionAppV2" });
