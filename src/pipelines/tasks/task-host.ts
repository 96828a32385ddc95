import { readFileSync, rmSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * The first module of every task process: it puts back into the environment the values the runner kept out of it
 * (`SVCCONN_LARGE_ENV_FILE`: any value over 32 KiB, such as a long inline script, which would make exec fail with
 * E2BIG), then runs the task module named by its argument. The task library moves inputs and connections from the
 * environment into its vault as it loads, so the processes a task starts do not inherit them.
 */
const file = process.env.SVCCONN_LARGE_ENV_FILE;
if (file) {
  Object.assign(process.env, JSON.parse(readFileSync(file, "utf8")) as Record<string, string>);
  rmSync(file, { force: true });
  delete process.env.SVCCONN_LARGE_ENV_FILE;
}
// svcconn's hosts are IP addresses (127.0.0.1), which real agents never reach: Node's warning that a TLS server name
// cannot be an IP (DEP0123) is svcconn's, not the task's, and stays out of its log. Other warnings print as Node prints them.
process.removeAllListeners("warning");
process.on("warning", (warning: Error & { code?: string }) => {
  if (warning.code !== "DEP0123") console.error(`(node:${process.pid}) ${warning.code ? `[${warning.code}] ` : ""}${warning.name}: ${warning.message}`);
});
const task = process.argv[2];
if (!task) throw new Error("task-host: no task module");
process.argv.splice(2, 1);
try {
  await import(pathToFileURL(task).href);
} catch (error) {
  // What a task throws (a required input left empty…) fails it with its message, as the task library's own
  // handlers print it: one error line, no stack trace with install paths. (The library is loaded only now: it
  // reads the environment as it loads, after the large values are back.)
  const lib = await import("azure-pipelines-task-lib/task.js");
  const tl = (lib.default ?? lib) as typeof lib.default;
  tl.setResult(tl.TaskResult.Failed, error instanceof Error ? error.message : String(error));
}
