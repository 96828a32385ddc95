import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tl from "azure-pipelines-task-lib/task.js";

/**
 * What CmdLine@2 and Bash@3 share, written with the real task library as those tasks are: the script goes to a
 * file in Agent.TempDirectory, runs under `bash --noprofile --norc` with stderr on stdout, and the exit code and
 * (optionally) stderr decide the result, with the tasks' own messages.
 */
export async function runBashScript(options: { script: string; workingDirectory: string; failOnStderr: boolean; arguments?: string; file?: string }): Promise<void> {
  try {
    const temp = tl.getVariable("Agent.TempDirectory");
    if (!temp) throw new Error("Agent.TempDirectory is not set");
    let path = options.file;
    if (!path) {
      console.log("Generating script.");
      path = join(temp, `${randomUUID()}.sh`);
      writeFileSync(path, options.script, "utf8");
      if (!options.script.includes("\n") && !options.script.toUpperCase().includes("##VSO[")) {
        console.log("Script contents:");
        console.log(options.script);
      }
    } else if (!existsSync(path)) {
      throw new Error(`Invalid file path '${path}'.`);
    }
    console.log("========================== Starting Command Output ===========================");
    const bash = tl.tool(tl.which("bash", true)).arg("--noprofile").arg("--norc").arg(path);
    if (options.arguments) bash.line(options.arguments);
    let stderrFailure = false;
    const stderr: string[] = [];
    if (options.failOnStderr) {
      bash.on("stderr", (data: Buffer) => {
        stderrFailure = true;
        stderr.push(data.toString("utf8"));
      });
    }
    const exitCode = await bash.exec({ cwd: options.workingDirectory, failOnStdErr: false, errStream: process.stdout, outStream: process.stdout, ignoreReturnCode: true });
    let result = tl.TaskResult.Succeeded;
    if (exitCode !== 0) {
      tl.error(exitCode === 137 ? "Bash exited with code 137, which means it ran out of memory. Make sure the agent (container) host has sufficient memory configured." : `Bash exited with code '${exitCode}'.`);
      result = tl.TaskResult.Failed;
    }
    if (stderrFailure) {
      tl.error("Bash wrote one or more lines to the standard error stream.");
      for (const line of stderr) tl.error(line, tl.IssueSource.CustomerScript);
      result = tl.TaskResult.Failed;
    }
    tl.setResult(result, "", true);
  } catch (error) {
    tl.setResult(tl.TaskResult.Failed, (error as Error).message || "run() failed", true);
  }
}
