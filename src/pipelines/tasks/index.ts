import armTemplateDeployment from "./arm-template-deployment/task.js";
import azureCli from "./azure-cli/task.js";
import azureCliV1 from "./azure-cli-v1/task.js";
import azureFileCopy from "./azure-file-copy/task.js";
import azureKeyVault from "./azure-key-vault/task.js";
import azurePowershell from "./azure-powershell/task.js";
import azureRmWebAppDeployment from "./azure-rm-web-app-deployment/task.js";
import azureWebApp from "./azure-web-app/task.js";
import bash from "./bash/task.js";
import cmdline from "./cmdline/task.js";
import type { TaskImplementation } from "./define.js";
import powershell from "./powershell/task.js";
import terraformTask from "./terraform-task/task.js";
import terraformTaskV3 from "./terraform-task-v3/task.js";

/** The tasks svcconn runs, by their folder under `tasks/` (whose `run.ts` the task host runs). */
export const TASK_FOLDERS: Readonly<Record<string, TaskImplementation>> = {
  cmdline,
  bash,
  powershell,
  "azure-cli-v1": azureCliV1,
  "azure-cli": azureCli,
  "arm-template-deployment": armTemplateDeployment,
  "azure-file-copy": azureFileCopy,
  "azure-powershell": azurePowershell,
  "azure-web-app": azureWebApp,
  "azure-rm-web-app-deployment": azureRmWebAppDeployment,
  "azure-key-vault": azureKeyVault,
  "terraform-task": terraformTask,
  "terraform-task-v3": terraformTaskV3,
};
