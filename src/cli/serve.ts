import { Command, Option } from "commander";
import { ConfigError, parsePorts } from "../core/config.js";
import { startServer, type ReadyFacts } from "../server/start.js";

interface ServeFlags {
  data?: string;
  memory?: boolean;
  world?: string;
  reset?: boolean;
  tls: boolean;
  ports?: string;
  host?: string;
  adminKey?: string;
  caDir?: string;
  rbacDelay?: string;
  directoryDelay?: string;
  leaseSeconds?: string;
  keys?: string;
  join?: boolean;
  json?: boolean;
  logLevel?: string;
  stepSandbox?: string;
  database?: string;
}

export function serveCommand(): Command {
  return new Command("serve")
    .description("Run Entra ID, Graph, ARM, Azure DevOps, Key Vault and IMDS listeners on the embedded SQLite store (or PostgreSQL)")
    .option("--data <dir>", "data folder for the store, the local CA and the admin key (default ./.svcconn; env SVCCONN_DATA)")
    .option("--memory", "keep the store in memory")
    .option("--database <url>", "keep the store in PostgreSQL (postgres://user@host:port/db) instead of DATA/svcconn.db (env SVCCONN_DATABASE)")
    .option("--keys <dir>", "key folder shared by every process on one --database: key file and local CA, made by the first process (default: the data folder; env SVCCONN_KEYS)")
    .option("--join", "join processes already serving --database: load no world unless the database is empty")
    .option("--world <file>", "world file to load into a new store (default: the demo world; env SVCCONN_WORLD)")
    .option("--reset", "wipe the store and load the world again")
    .option("--no-tls", "serve plain HTTP (official Azure clients refuse it for login and ARM)")
    .option("--ports <spec>", "'auto', a base port (default 8443: login, graph, arm, devops, imds, proxy, vault in order), or login=N,graph=N,arm=N,devops=N,imds=N[,proxy=N][,vault=N]")
    .option("--host <address>", "address to bind (default 127.0.0.1)")
    .option("--admin-key <key>", "admin API key (default: random per data folder; env SVCCONN_ADMIN_KEY)")
    .option("--ca-dir <dir>", "folder of the local CA that signs the server certificate (default DATA/tls; made when absent)")
    .option("--rbac-delay <seconds>", "seconds before a new or removed role assignment takes effect (default 300; env SVCCONN_RBAC_DELAY)")
    .option("--directory-delay <seconds>", "seconds before a directory-settings change takes effect (default 900; env SVCCONN_DIRECTORY_DELAY)")
    .option("--lease-seconds <seconds>", "seconds a run or automatic creation of a stopped process waits before another process takes it over (default 30; env SVCCONN_LEASE_SECONDS)")
    .option("--json", "print one JSON line when ready, nothing else on stdout")
    .addOption(new Option("--step-sandbox <mode>", "isolate pipeline steps from svcconn's data folder: auto (bubblewrap where it works, else a loud warning), bubblewrap (required) or none (env SVCCONN_STEP_SANDBOX)").choices(["auto", "bubblewrap", "none"]))
    .addOption(new Option("--log-level <level>", "log level on stderr").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .action(async (flags: ServeFlags) => {
      let ports;
      try {
        ports = flags.ports ? parsePorts(flags.ports) : undefined;
      } catch (error) {
        throw error instanceof ConfigError ? error : new ConfigError("ports", String(error));
      }
      const server = await startServer({
        dataDir: flags.data,
        database: flags.database,
        keysDir: flags.keys,
        join: flags.join,
        memory: flags.memory,
        world: flags.world,
        reset: flags.reset,
        tls: flags.tls,
        ports,
        host: flags.host,
        adminKey: flags.adminKey,
        caDir: flags.caDir,
        rbacPropagationSeconds: flags.rbacDelay === undefined ? undefined : Number(flags.rbacDelay),
        directoryPropagationSeconds: flags.directoryDelay === undefined ? undefined : Number(flags.directoryDelay),
        leaseSeconds: flags.leaseSeconds === undefined ? undefined : Number(flags.leaseSeconds),
        logLevel: flags.logLevel as never,
        stepSandbox: flags.stepSandbox as never,
      });
      const { close, runtime: _runtime, ...facts } = server;
      process.stdout.write(flags.json ? `${JSON.stringify(facts)}\n` : readyText(facts));
      const stop = () => {
        void close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}

/** The ready facts for people, with the lines to paste so clients reach svcconn. */
export function readyText(facts: ReadyFacts): string {
  const lines = [
    "svcconn is ready.",
    "",
    `  login (Entra ID)   ${facts.login}`,
    `  graph (MS Graph)   ${facts.graph}`,
    `  arm   (ARM)        ${facts.arm}`,
    `  devops (DevOps)    ${facts.devops}`,
    `  imds  (IMDS)       ${facts.imds}`,
    `  proxy (real hosts) ${facts.proxy}    eval "$(svcconn env)": clients keep login.microsoftonline.com, management.azure.com, dev.azure.com…`,
    "",
    `  CA certificate     ${facts.caFile ?? "(none: --no-tls)"}`,
    `  admin key          ${facts.adminKey}`,
  ];
  if (facts.bootstrap) {
    lines.push(
      "",
      "Bootstrap service principal (Global Administrator; well-known secret, local use only):",
      `  tenant id          ${facts.bootstrap.tenantId}`,
      `  client id          ${facts.bootstrap.clientId}`,
      `  client secret      ${facts.bootstrap.clientSecret}`,
    );
  }
  if (facts.organization) {
    lines.push(
      "",
      "Azure DevOps (a project administrator's PAT; well known, local use only):",
      `  organization       ${facts.organization}`,
      `  project            ${facts.project}`,
      `  PAT                ${facts.pat}`,
      ...(facts.web ? ["", `Web UI (sign in as a demo user): ${facts.web}`] : []),
    );
  }
  if (facts.caFile) {
    const arm = `${facts.arm}/`;
    lines.push(
      "",
      "Point clients at svcconn (paste into your shell):",
      `  export NODE_EXTRA_CA_CERTS=${facts.caFile}`,
      `  export REQUESTS_CA_BUNDLE=${facts.caFile}`,
      `  export AZURE_AUTHORITY_HOST=${facts.login}`,
      ...(facts.bootstrap
        ? [
            `  export AZURE_TENANT_ID=${facts.bootstrap.tenantId} AZURE_CLIENT_ID=${facts.bootstrap.clientId} AZURE_CLIENT_SECRET='${facts.bootstrap.clientSecret}'`,
          ]
        : []),
      "",
      "Azure CLI:",
      `  az cloud register -n svcconn --cloud-config '${JSON.stringify({
        endpoints: {
          activeDirectory: `${facts.login}/adfs`,
          activeDirectoryResourceId: "https://management.core.windows.net/",
          activeDirectoryGraphResourceId: "https://graph.windows.net/",
          resourceManager: arm,
          management: "https://management.core.windows.net/",
          microsoftGraphResourceId: `${facts.graph}/`,
        },
      })}'`,
      "  az cloud set -n svcconn",
      ...(facts.bootstrap
        ? [`  az login --service-principal -u ${facts.bootstrap.clientId} -p '${facts.bootstrap.clientSecret}' --tenant ${facts.bootstrap.tenantId}`]
        : []),
      "",
      "@azure/identity: pass { authorityHost: process.env.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true }.",
    );
  }
  return `${lines.join("\n")}\n`;
}
