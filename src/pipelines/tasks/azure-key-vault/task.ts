import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureKeyVault@2"], source: "microsoft/azure-pipelines-tasks Tasks/AzureKeyVaultV2" });
