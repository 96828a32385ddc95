import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the Azure CLI asynchronously (the server under test runs in this process) and never throws. */
export async function runAz(args: string[], env: NodeJS.ProcessEnv, timeout = 60_000): Promise<AzResult> {
  try {
    const { stdout, stderr } = await execFileAsync("az", args, { env, timeout });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
