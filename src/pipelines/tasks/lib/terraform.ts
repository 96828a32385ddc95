import tl from "azure-pipelines-task-lib/task.js";
import type { ToolRunner } from "azure-pipelines-task-lib/toolrunner.js";

/**
 * What the Terraform tasks of ms-devlabs.custom-terraform-tasks share (microsoft/azure-pipelines-terraform
 * Tasks/TerraformTask/TerraformTaskV3 and V4, docs/reference/pipelines.md §1.9): the commands' arguments, the binary
 * on the agent's PATH, `plan`'s exit codes. Each version hands the azurerm backend and provider their credentials
 * its own way (`TerraformHandOver`); svcconn makes that hand-over before the binary is looked for (the tasks look
 * first), so where Terraform is not installed the hand-over and its failures still happen, then the task's text.
 */
export interface TerraformHandOver {
  /** The task as its warnings name it. */
  task: string;
  /** `handleBackend`: `-backend-config=key=value` arguments for `init`. */
  backend(): Promise<string[]>;
  /** `handleProvider`: the provider's `ARM_*` variables, for every command but `init` and `validate`. */
  provider(): Promise<void>;
}

/** Each command's arguments after its name, as the task builds them. */
function commandArguments(command: string): string {
  const options = tl.getInput("commandOptions", false);
  switch (command) {
    case "plan":
      return options ? `${options} -detailed-exitcode` : "-detailed-exitcode";
    case "apply":
    case "destroy": {
      const given = options || "-auto-approve";
      return given.includes("-auto-approve") ? given : `-auto-approve ${given}`;
    }
    case "output":
      return options ? `-json ${options}` : "-json";
    case "show":
      return tl.getInput("outputFormat", false) === "json" ? (options ? `-json  ${options}` : "-json") : (options ?? "");
    default:
      return options ?? "";
  }
}

/** The step's result: succeeded, or skipped for a provider svcconn does not hand credentials to. */
async function run(handOver: TerraformHandOver): Promise<"succeeded" | "skipped"> {
  const provider = tl.getInput("provider", true);
  if (provider !== "azurerm") {
    tl.warning(`svcconn runs ${handOver.task} with the azurerm provider only; the '${provider}' provider's step was not run (skipped).`);
    return "skipped";
  }
  const command = tl.getInput("command", true) ?? "";
  const name = command === "custom" ? (tl.getInput("customCommand", true) ?? "") : command;
  const backend = command === "init" ? await handOver.backend() : [];
  if (command !== "init" && command !== "validate") await handOver.provider();
  let terraform: string;
  try {
    terraform = tl.which("terraform", true);
  } catch {
    throw new Error("Failed to find terraform tool in paths");
  }
  const tool: ToolRunner = tl.tool(terraform).arg(name);
  const extra = commandArguments(command);
  if (extra) tool.line(extra);
  for (const argument of backend) tool.arg(argument);
  const cwd = tl.getInput("workingDirectory", false) || process.cwd();
  const code = await tool.exec({ cwd, ignoreReturnCode: command === "plan" });
  if (command === "plan") {
    // task.json has no `TerraformPlanFailed` string: the task library warns and formats the key itself.
    if (code !== 0 && code !== 2) {
      tl.warning("Can't find loc string for key: TerraformPlanFailed");
      throw new Error(`TerraformPlanFailed ${code}`);
    }
    tl.setVariable("changesPresent", String(code === 2), false, true);
  }
  return "succeeded";
}

/** Runs the task with a version's hand-over and sets its result. */
export function runTerraform(handOver: TerraformHandOver): void {
  run(handOver).then(
    (result) => tl.setResult(result === "skipped" ? tl.TaskResult.Skipped : tl.TaskResult.Succeeded, ""),
    (error) => tl.setResult(tl.TaskResult.Failed, String(error)),
  );
}
