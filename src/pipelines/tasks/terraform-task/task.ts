import { defineTask } from "../define.js";

export default defineTask({ runs: ["ms-devlabs.custom-terraform-tasks/TerraformTaskV4@4"], source: "microsoft/azure-pipelines-terraform Tasks/TerraformTask/TerraformTaskV4" });
