import tl from "azure-pipelines-task-lib/task.js";
import { runBashScript } from "../lib/script-runner.js";

// CmdLine@2 (`script:` steps) on a Linux agent.
let script = tl.getInput("script", false) ?? "";
const { existsSync } = await import("node:fs");
if (existsSync(script)) script = `exec ${script}`;
await runBashScript({ script, workingDirectory: tl.getPathInput("workingDirectory", true, false) ?? process.cwd(), failOnStderr: tl.getBoolInput("failOnStderr", false) });
