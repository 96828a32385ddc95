import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureRmWebAppDeployment@4"], source: "microsoft/azure-pipelines-tasks Tasks/AzureRmWebAppDeploymentV4" });
