import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureResourceManagerTemplateDeployment@3"], source: "microsoft/azure-pipelines-tasks Tasks/AzureResourceManagerTemplateDeploymentV3" });
