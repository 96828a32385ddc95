import { CommanderError } from "commander";
import { ConfigError } from "../core/config.js";
import { WorldError } from "../world/load.js";

/** svcconn's exit codes, the same for every command (docs/cli.md). */
export const EXIT = {
  /** Done; or, for `explain`, a cause was named. */
  ok: 0,
  /** What was checked failed: findings at `--fail-on`, a run that failed, a scenario that did not pass, a fix not made; or the command could not finish. */
  failed: 1,
  /** Usage: a flag or argument svcconn cannot use, a file or id it cannot read, a text `explain` does not recognise. */
  usage: 2,
  /** svcconn (or the service named) cannot be reached: no instance on the data folder, a refused or failed connection. */
  unreachable: 3,
} as const;

/** A flag, argument or input the command cannot use. */
export class UsageError extends Error {}

/** The instance or service the command talks to cannot be reached. */
export class UnreachableError extends Error {}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/** The exit code an error that ended a command means. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof WorldError) return EXIT.usage;
  if (error instanceof UnreachableError || isNetworkFailure(error)) return EXIT.unreachable;
  return EXIT.failed;
}

function isNetworkFailure(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown; message?: string } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth += 1) {
    if (e.code && NETWORK_CODES.has(e.code)) return true;
    if (e.message === "fetch failed") return true;
  }
  return false;
}
