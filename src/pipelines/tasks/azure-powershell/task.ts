import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzurePowerShell@5"], source: "microsoft/azure-pipelines-tasks Tasks/AzurePowerShellV5" });
