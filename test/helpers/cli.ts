import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

/**
 * `svcconn …` from source, as users run it, in `cwd` (tsx by path: a folder outside the repository has no
 * node_modules). Resolves with the exit code and both streams.
 */
export function runCli(args: string[], cwd = process.cwd()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(join(process.cwd(), "node_modules/tsx/dist/loader.mjs")).href, join(process.cwd(), "src/cli/main.ts"), ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `svcconn serve --data DIR` on free ports; resolves once it printed its ready line. Kill it with SIGTERM. */
export async function startServe(data: string, extra: string[] = []): Promise<ChildProcess> {
  const server = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--data", data, "--ports", "auto", "--json", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: server.stdout! }).once("line", () => resolve());
    server.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  return server;
}
