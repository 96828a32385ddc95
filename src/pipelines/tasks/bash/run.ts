import tl from "azure-pipelines-task-lib/task.js";
import { runBashScript } from "../lib/script-runner.js";

// Bash@3 (`bash:` steps, and `task: Bash@3`).
const inline = (tl.getInput("targetType", false) ?? "filePath").toLowerCase() === "inline";
await runBashScript({
  script: inline ? (tl.getInput("script", false) ?? "") : "",
  file: inline ? undefined : tl.getPathInput("filePath", true, false),
  arguments: inline ? undefined : (tl.getInput("arguments", false) ?? ""),
  workingDirectory: tl.getPathInput("workingDirectory", true, false) ?? process.cwd(),
  failOnStderr: tl.getBoolInput("failOnStderr", false),
});
