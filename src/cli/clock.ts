import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { send, type ServerFlags, storedAdminKey, target } from "./server-target.js";
import { UnreachableError, UsageError } from "./exit.js";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `90d`, `12h`, `15m`, `30s`, `2w` or a number of seconds; anything else is refused with the forms it takes. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw]?)$/i.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNITS[(match[2] || "s").toLowerCase()]! : Number.NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 100 * 365 * 86_400) {
    throw new UsageError(`'${text}' is not a duration: give a positive number of seconds or one with a unit, e.g. 90d, 12h, 15m, 30s, 2w`);
  }
  return Math.round(seconds);
}

/**
 * Makes the Azure CLI of real-host mode (`svcconn env`'s AZURE_CONFIG_DIR) ask for new tokens: MSAL keeps access
 * tokens by the real clock, so after svcconn's clock moves the CLI would present ones svcconn sees as expired. Only
 * the access tokens go; accounts, refresh tokens and service principal logins stay, so the next call signs in again
 * as svcconn now decides (a session past 90 days without use then fails as Entra's does). Returns how many went.
 */
export function forgetAccessTokens(azureConfigDir: string): number {
  const file = join(azureConfigDir, "msal_token_cache.json");
  if (!existsSync(file)) return 0;
  const cache = JSON.parse(readFileSync(file, "utf8")) as { AccessToken?: Record<string, unknown> };
  const count = Object.keys(cache.AccessToken ?? {}).length;
  if (count) writeFileSync(file, JSON.stringify({ ...cache, AccessToken: {} }), { mode: 0o600 });
  return count;
}

interface ClockState {
  now: string;
  offsetSeconds: number;
}

async function clockCall(flags: ServerFlags, body?: { advanceSeconds: number }): Promise<ClockState & { data: string }> {
  const { loginUrl, data, ca } = target(flags);
  const adminKey = flags.adminKey ?? process.env.SVCCONN_ADMIN_KEY ?? storedAdminKey(data);
  if (!adminKey) throw new UsageError(`an admin key is needed: --admin-key, SVCCONN_ADMIN_KEY, or the data folder of a running svcconn (looked in ${data})`);
  const response = await send(body ? "POST" : "GET", `${loginUrl}/_admin/clock`, body ? JSON.stringify(body) : "", { "content-type": "application/json", "x-svcconn-admin-key": adminKey }, ca).catch((error: Error) => {
    throw new UnreachableError(`cannot reach svcconn at ${loginUrl}: ${error.message}`);
  });
  const answer = JSON.parse(response.body) as ClockState & { error?: { message?: string } };
  if (response.status !== 200) throw new Error(answer.error?.message ?? response.body);
  return { now: answer.now, offsetSeconds: answer.offsetSeconds, data };
}

const ahead = (seconds: number) => (seconds >= 86_400 ? `${(seconds / 86_400).toFixed(seconds % 86_400 ? 2 : 0)} days` : `${seconds} seconds`);

function serverOptions(command: Command): Command {
  return command
    .option("--admin-key <key>", "admin key (default: env SVCCONN_ADMIN_KEY, else read from the data folder)")
    .option("--login-url <url>", "svcconn's login listener (default: the instance running on the data folder; env SVCCONN_LOGIN_URL)")
    .option("--data <dir>", "data folder of the running svcconn (default ./.svcconn; env SVCCONN_DATA)")
    .option("--ca <file>", "CA certificate to trust")
    .option("--json", "print the result as JSON");
}

export function clockCommand(): Command {
  const clock = new Command("clock").description("svcconn's clock, on which secrets, sessions, tokens and timeouts expire: show it or move it forward");
  serverOptions(clock.command("show").description("Print svcconn's time and how far ahead of the real clock it is")).action(async (flags: ServerFlags & { json?: boolean }) => {
    const state = await clockCall(flags);
    process.stdout.write(flags.json ? `${JSON.stringify({ now: state.now, offsetSeconds: state.offsetSeconds })}\n` : `${state.now} (${ahead(state.offsetSeconds)} ahead of the real clock)\n`);
  });
  serverOptions(
    clock
      .command("advance")
      .description("Move svcconn's clock forward (it never goes back) and make real-host mode's Azure CLI fetch new tokens")
      .argument("<duration>", "how far: 90d, 12h, 15m, 30s, 2w, or seconds"),
  ).action(async (duration: string, flags: ServerFlags & { json?: boolean }) => {
    const state = await clockCall(flags, { advanceSeconds: parseDuration(duration) });
    const forgotten = forgetAccessTokens(join(state.data, "azure-cli"));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ now: state.now, offsetSeconds: state.offsetSeconds, azureCliAccessTokensForgotten: forgotten })}\n`);
      return;
    }
    const lines = [`svcconn's clock now reads ${state.now} (${ahead(state.offsetSeconds)} ahead of the real clock).`];
    if (forgotten) lines.push(`The Azure CLI of svcconn env (${join(state.data, "azure-cli")}) forgot ${forgotten} cached access token(s); its next call asks svcconn again.`);
    lines.push(
      "Clients cache tokens on the real clock. For an Azure CLI with another configuration folder, the one line that makes it ask again:",
      "  az account clear && az login …   (as you signed in before)",
      "and make @azure/identity credentials or MSAL applications anew.",
    );
    process.stdout.write(`${lines.join("\n")}\n`);
  });
  return clock;
}
