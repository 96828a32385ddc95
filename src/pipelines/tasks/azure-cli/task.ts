import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureCLI@2"], source: "microsoft/azure-pipelines-tasks Tasks/AzureCLIV2" });
