import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StepSandbox } from "./sandbox.js";

/** How a step's process ended. */
export interface StepExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not start (E2BIG, ENOENT, …): the step fails with this. */
  startError?: Error;
  /** Ended by svcconn: the job was canceled, timed out, or svcconn is stopping. */
  stoppedBy?: "cancel" | "timeout";
}

export interface StepCommand {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  jobFolder: string;
  /** Where large values go (the job's temp folder). */
  tempFolder: string;
  /** Identifies the job in the step's environment, so a later start can tell its leftover processes. */
  marker: string;
}

/**
 * Values above this leave the environment for a file the task host reads back (`SVCCONN_LARGE_ENV_FILE`): one
 * string of an environment over 128 KiB makes exec fail with E2BIG on Linux.
 */
export const LARGE_ENV_VALUE = 32 * 1024;
/** After SIGTERM, how long a step's process group has before SIGKILL. */
const KILL_GRACE_MS = 3_000;
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Runs one step's process as its own process group (inside the sandbox when there is one), hands each output line
 * to `onLine`, and ends the whole group on `stop` (cancel or timeout): SIGTERM, then SIGKILL after a grace period.
 */
export class StepProcess {
  private child: ChildProcess | undefined;
  private stopped: StepExit["stoppedBy"];
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sandbox: StepSandbox,
    private readonly onStarted: (pgid: number) => void,
  ) {}

  /** `backlog`: while it gives a promise, the step's output is not read (the pipe fills and the step waits). */
  run(command: StepCommand, onLine: (line: string) => void, backlog: () => Promise<void> | undefined = () => undefined): Promise<StepExit> {
    const env = withLargeValuesInFile(command.env, command.tempFolder);
    env.SVCCONN_JOB = command.marker;
    const wrapped = this.sandbox.wrap({ file: command.file, args: command.args, cwd: command.cwd, jobFolder: command.jobFolder });
    return new Promise<StepExit>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(wrapped.file, wrapped.args, { cwd: command.cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      } catch (error) {
        resolve({ code: null, signal: null, startError: error as Error });
        return;
      }
      this.child = child;
      let settled = false;
      const finish = (exit: StepExit) => {
        if (settled) return;
        settled = true;
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve({ ...exit, stoppedBy: this.stopped });
      };
      if (child.pid) this.onStarted(child.pid);
      lines(child.stdout!, onLine, backlog);
      lines(child.stderr!, onLine, backlog);
      child.on("error", (error) => finish({ code: null, signal: null, startError: error }));
      child.on("exit", (code, signal) => {
        // A step's processes end with it (a background `sleep &` too): what it left would hold the output open.
        this.signalGroup("SIGKILL");
        const late = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish({ code, signal });
        }, 2_000);
        late.unref();
        child.once("close", () => {
          clearTimeout(late);
          finish({ code, signal });
        });
      });
      if (this.stopped) this.stop(this.stopped);
    });
  }

  /** Ends the step's whole process group: SIGTERM now, SIGKILL if anything of it is still there after the grace. */
  stop(reason: "cancel" | "timeout"): void {
    this.stopped ??= reason;
    if (!this.child?.pid || this.killTimer) return;
    this.signalGroup("SIGTERM");
    this.killTimer = setTimeout(() => this.signalGroup("SIGKILL"), KILL_GRACE_MS);
    this.killTimer.unref();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone.
    }
  }
}

/** Moves values over LARGE_ENV_VALUE into an owner-only file the task host reads back. */
function withLargeValuesInFile(env: NodeJS.ProcessEnv, tempFolder: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  const large: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (Buffer.byteLength(value) > LARGE_ENV_VALUE) large[key] = value;
    else out[key] = value;
  }
  if (Object.keys(large).length) {
    const file = join(tempFolder, `.svcconn-env-${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(large), { mode: 0o600 });
    out.SVCCONN_LARGE_ENV_FILE = file;
  }
  return out;
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void, backlog: () => Promise<void> | undefined): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      onLine(pending.slice(0, nl).replace(/\r$/, ""));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf("\n");
    }
    if (pending.length > MAX_LINE_CHARS) {
      onLine(pending);
      pending = "";
    }
    const wait = backlog();
    if (wait) {
      stream.pause();
      void wait.finally(() => stream.resume());
    }
  });
  stream.on("end", () => {
    if (pending) onLine(pending);
  });
}
