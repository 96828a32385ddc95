import { Command } from "commander";
import { post, type ServerFlags, storedAdminKey, target } from "./server-target.js";
import { UsageError } from "./exit.js";

const AZURE_CLI_CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

export function loginCommand(): Command {
  return new Command("login")
    .description("Sign a user in to one tenant (password grant) and print the tokens; the session is what the DevOps plane acts with")
    .requiredOption("--user <upn>", "user principal name (a guest signs in with its home account)")
    .requiredOption("--tenant <tenant>", "tenant id or domain to sign in to")
    .option("--password <password>", "password (default: env SVCCONN_PASSWORD)")
    .option("--scope <scope>", "scope to request", "https://management.core.windows.net//.default offline_access openid profile")
    .option("--login-url <url>", "svcconn's login listener (default: the instance running on the data folder, else https://127.0.0.1:8443; env SVCCONN_LOGIN_URL)")
    .option("--data <dir>", "data folder of the running instance (default ./.svcconn; env SVCCONN_DATA)")
    .option("--ca <file>", "CA certificate to trust")
    .option("--json", "print the token response as JSON")
    .action(async (flags: ServerFlags & { user: string; tenant: string; password?: string; scope: string; json?: boolean }) => {
      const password = flags.password ?? process.env.SVCCONN_PASSWORD;
      if (!password) throw new UsageError("a password is needed: --password or SVCCONN_PASSWORD");
      const { loginUrl, ca } = target(flags);
      const form = new URLSearchParams({ grant_type: "password", client_id: AZURE_CLI_CLIENT, username: flags.user, password, scope: flags.scope });
      const response = await post(`${loginUrl}/${encodeURIComponent(flags.tenant)}/oauth2/v2.0/token`, form.toString(), { "content-type": "application/x-www-form-urlencoded" }, ca);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      if (response.status !== 200) throw new Error(String(body.error_description ?? response.body).split("\r\n")[0]);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(body)}\n`);
        return;
      }
      const claims = JSON.parse(Buffer.from(String(body.access_token).split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
      process.stdout.write(
        [
          `Signed in as ${String(claims.upn)} to tenant ${String(claims.tid)} (object id ${String(claims.oid)}).`,
          `Access token expires ${new Date(Number(claims.exp) * 1000).toISOString()}; the session's refresh token expires after 90 days without use.`,
          // Tokens are credentials: people get a recognisable prefix, machines the whole response with --json.
          `Access token: ${String(body.access_token).slice(0, 16)}… (the tokens in full: --json)`,
          "",
        ].join("\n"),
      );
    });
}

export function logoutCommand(): Command {
  return new Command("logout")
    .description("Sign a user out of every session (revoke its refresh tokens), through the admin API")
    .requiredOption("--user <upn>", "user principal name or object id of the member account")
    .option("--tenant <tenant>", "the account's home tenant id or domain")
    .option("--admin-key <key>", "admin key (default: env SVCCONN_ADMIN_KEY, else read from the data folder)")
    .option("--login-url <url>", "svcconn's login listener (default: the instance running on the data folder, else https://127.0.0.1:8443; env SVCCONN_LOGIN_URL)")
    .option("--data <dir>", "data folder (default ./.svcconn)")
    .option("--ca <file>", "CA certificate to trust")
    .option("--json", "print the result as JSON")
    .action(async (flags: ServerFlags & { user: string; tenant?: string; json?: boolean }) => {
      const { loginUrl, data, ca } = target(flags);
      const adminKey = flags.adminKey ?? process.env.SVCCONN_ADMIN_KEY ?? storedAdminKey(data);
      if (!adminKey) throw new UsageError("an admin key is needed: --admin-key, SVCCONN_ADMIN_KEY, or a data folder with its keys.json");
      const response = await post(`${loginUrl}/_admin/sessions/sign-out`, JSON.stringify({ user: flags.user, ...(flags.tenant ? { tenant: flags.tenant } : {}) }), { "content-type": "application/json", "x-svcconn-admin-key": adminKey }, ca);
      const body = JSON.parse(response.body) as Record<string, unknown>;
      if (response.status !== 200) throw new Error(String((body.error as { message?: string } | undefined)?.message ?? response.body));
      process.stdout.write(flags.json ? `${JSON.stringify(body)}\n` : `Signed ${String(body.user)} out: ${String(body.revokedSessions)} session(s) revoked.\n`);
    });
}
