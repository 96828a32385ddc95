import { defineTask } from "../define.js";

export default defineTask({ runs: ["ms-devlabs.custom-terraform-tasks/TerraformTaskV3@3"], source: "microsoft/azure-pipelines-terraform Tasks/TerraformTask/TerraformTaskV3" });
