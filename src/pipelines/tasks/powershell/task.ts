import { defineTask } from "../define.js";

export default defineTask({ runs: ["PowerShell@2"], source: "microsoft/azure-pipelines-tasks Tasks/PowerShellV2" });
