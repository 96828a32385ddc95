import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureCLI@1"], source: "microsoft/azure-pipelines-tasks Tasks/AzureCLIV1" });
