import { defineTask } from "../define.js";

export default defineTask({ runs: ["AzureFileCopy@4"], source: "microsoft/azure-pipelines-tasks Tasks/AzureFileCopyV4" });
