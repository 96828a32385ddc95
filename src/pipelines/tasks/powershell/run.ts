import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";

/**
 * PowerShell@2 (`pwsh:` and `powershell:` steps) on a Linux agent, with the task's observable behaviour and texts
 * (Tasks/PowerShellV2 task.json messages): the preferences and the script go to a .ps1 file in
 * Agent.TempDirectory, run by `pwsh -NoLogo -NoProfile -NonInteractive -Command . '<file>'`; the exit code and,
 * optionally, stderr decide the result. Where PowerShell is not installed, the task library's own `which` failure
 * ("Unable to locate executable file: 'pwsh'…") fails the step, as on an agent without it.
 */
async function run(): Promise<void> {
  const targetType = (tl.getInput("targetType", false) ?? "filePath").toLowerCase();
  if (targetType !== "filepath" && targetType !== "inline") throw new Error(`Invalid target type '${targetType}'. The value must be one of: 'filepath' or 'inline'`);
  const lines: string[] = [];
  for (const [input, variable] of [["errorActionPreference", "ErrorActionPreference"], ["warningPreference", "WarningPreference"], ["informationPreference", "InformationPreference"], ["verbosePreference", "VerbosePreference"], ["debugPreference", "DebugPreference"], ["progressPreference", "ProgressPreference"]] as const) {
    const value = tl.getInput(input, false) ?? "default";
    if (value.toLowerCase() !== "default") lines.push(`$${variable} = '${value}'`);
  }
  let script: string;
  if (targetType === "filepath") {
    const file = tl.getPathInput("filePath", true, false) ?? "";
    if (!file.toLowerCase().endsWith(".ps1") || !existsSync(file)) throw new Error(`Invalid file path '${file}'. A path to a .ps1 file is required.`);
    script = `. '${file.replace(/'/g, "''")}' ${tl.getInput("arguments", false) ?? ""}`.trim();
  } else script = tl.getInput("script", false) ?? "";
  console.log("Generating script.");
  lines.push(script);
  if (!tl.getBoolInput("ignoreLASTEXITCODE", false)) lines.push("if (Test-Path -LiteralPath variable:\\LASTEXITCODE) { exit $LASTEXITCODE }");
  const temp = tl.getVariable("Agent.TempDirectory");
  if (!temp) throw new Error("Agent.TempDirectory is not set");
  const path = join(temp, `${randomUUID()}.ps1`);
  writeFileSync(path, `\uFEFF${lines.join("\n")}`, "utf8");
  const pwsh = tl.which("pwsh") || tl.which("powershell") || tl.which("pwsh", true);
  console.log("========================== Starting Command Output ===========================");
  const tool = tl.tool(pwsh).arg("-NoLogo").arg("-NoProfile").arg("-NonInteractive").arg("-Command").arg(`. '${path.replace(/'/g, "''")}'`);
  let stderr = false;
  if (tl.getBoolInput("failOnStderr", false)) tool.on("stderr", () => (stderr = true));
  const code = await tool.exec({ cwd: tl.getPathInput("workingDirectory", false, false) || process.cwd(), failOnStdErr: false, errStream: process.stdout, outStream: process.stdout, ignoreReturnCode: true });
  if (code !== 0) tl.setResult(tl.TaskResult.Failed, `PowerShell exited with code '${code}'.`);
  else if (stderr) tl.setResult(tl.TaskResult.Failed, "PowerShell wrote one or more lines to the standard error stream.");
  else tl.setResult(tl.TaskResult.Succeeded, "", true);
}

run().catch((error) => tl.setResult(tl.TaskResult.Failed, (error as Error).message || "run() failed"));
