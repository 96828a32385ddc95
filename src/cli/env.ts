import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command, Option } from "commander";
import { INSTANCE_FILE } from "../server/start.js";
import { exitCodeOf, UnreachableError, UsageError } from "./exit.js";

/** The module that points Node's fetch at the proxy (lib/ beside src/ and dist/). */
const FETCH_PROXY = fileURLToPath(new URL("../../lib/fetch-proxy.mjs", import.meta.url));

interface Instance {
  proxy?: string;
  caFile?: string | null;
}

/**
 * The environment of real-host mode for the instance running on a data folder: every client keeps Microsoft's own
 * URLs and reaches svcconn through its proxy, trusting svcconn's CA; the Azure CLI gets a configuration folder of
 * its own, so the user's ~/.azure is never touched.
 */
export function realHostEnvironment(dataDir: string, options: { vm?: string } = {}): Record<string, string> {
  const folder = resolve(dataDir);
  const file = join(folder, INSTANCE_FILE);
  if (!existsSync(file)) throw new UnreachableError(`no svcconn is running on ${folder} (no ${INSTANCE_FILE}); start one with: svcconn serve --data ${dataDir}`);
  const instance = JSON.parse(readFileSync(file, "utf8")) as Instance;
  if (!instance.proxy) throw new Error(`the svcconn running on ${folder} has no proxy (it is older than real-host mode): restart it`);
  if (!instance.caFile) throw new Error(`the svcconn running on ${folder} serves plain HTTP (--no-tls): real-host mode needs its CA`);
  if (options.vm !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(options.vm)) throw new UsageError(`--vm takes a VM name of the world, not '${options.vm}'`);
  // On a VM, every call goes through the proxy as that VM: the proxy user name names it (169.254.169.254 then
  // answers with its identities). undici sends proxy credentials only with a password, so one is given.
  const proxy = options.vm ? instance.proxy.replace("://", `://${encodeURIComponent(options.vm)}:vm@`) : instance.proxy;
  const azureConfigDir = join(folder, options.vm ? `azure-cli-${options.vm}` : "azure-cli");
  mkdirSync(azureConfigDir, { recursive: true, mode: 0o700 });
  return {
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    HTTP_PROXY: proxy,
    http_proxy: proxy,
    // svcconn's own listener URLs stay direct; 169.254.169.254 goes through the proxy to the metadata listener.
    NO_PROXY: "localhost,127.0.0.1,::1",
    no_proxy: "localhost,127.0.0.1,::1",
    NODE_EXTRA_CA_CERTS: instance.caFile,
    REQUESTS_CA_BUNDLE: instance.caFile,
    SSL_CERT_FILE: instance.caFile,
    // azure-pipelines-task-lib reads its proxy from the agent's variable.
    AGENT_PROXYURL: proxy,
    AZURE_CONFIG_DIR: azureConfigDir,
    AZURE_CORE_COLLECT_TELEMETRY: "false",
    // Node's built-in fetch follows no proxy variable; this makes it (msal-node, the Graph client) follow them.
    NODE_OPTIONS: `--import=${pathToFileURL(FETCH_PROXY).href}`,
  };
}

const quote = {
  bash: (v: string) => `'${v.replace(/'/g, `'\\''`)}'`,
  pwsh: (v: string) => `'${v.replace(/'/g, "''")}'`,
  fish: (v: string) => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`,
};

export function renderEnvironment(environment: Record<string, string>, shell: keyof typeof quote): string {
  const line = (key: string, value: string) =>
    shell === "pwsh" ? `$env:${key} = ${quote.pwsh(value)}` : shell === "fish" ? `set -gx ${key} ${quote.fish(value)}` : `export ${key}=${quote.bash(value)}`;
  return `${Object.entries(environment)
    .map(([k, v]) => line(k, v))
    .join("\n")}\n`;
}

/** A line that makes `eval` (bash, fish) or `Invoke-Expression` (pwsh) fail; the message itself goes to stderr. */
export function failingLine(message: string, shell: keyof typeof quote): string {
  return shell === "pwsh" ? `throw ${quote.pwsh(message)}` : `false # ${message.replace(/[\r\n]+/g, " ")}`;
}

const dataOption = () => new Option("--data <dir>", "data folder of the running svcconn (default ./.svcconn; env SVCCONN_DATA)");
const vmOption = () => new Option("--vm <name>", "act as a process on this VM of the world: 169.254.169.254 answers with its managed identities");
const dataDirOf = (flags: { data?: string }) => flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn";

export function envCommand(): Command {
  return new Command("env")
    .description("Print the environment that sends clients to svcconn under Microsoft's own host names (eval \"$(svcconn env)\")")
    .addOption(new Option("--shell <shell>", "the shell to write for").choices(["bash", "pwsh", "fish"]).default("bash"))
    .addOption(dataOption())
    .addOption(vmOption())
    .action((flags: { shell: keyof typeof quote; data?: string; vm?: string }) => {
      try {
        process.stdout.write(renderEnvironment(realHostEnvironment(dataDirOf(flags), { vm: flags.vm }), flags.shell));
      } catch (error) {
        // Printing nothing would let `eval "$(svcconn env)" && az login` go on to the real Microsoft hosts: the shell
        // gets a line that fails, naming the folder looked in.
        const message = `svcconn env: ${error instanceof Error ? error.message : String(error)}`;
        process.stdout.write(`${failingLine(message, flags.shell)}\n`);
        process.stderr.write(`${message}\n`);
        process.exitCode = exitCodeOf(error);
      }
    });
}

export function execCommand(): Command {
  return new Command("exec")
    .description("Run one command in real-host mode: svcconn exec -- az group list")
    .addOption(dataOption())
    .addOption(vmOption())
    .argument("<command...>", "the command and its arguments (after --)")
    .action((command: string[], flags: { data?: string; vm?: string }) => {
      const [file, ...args] = command;
      const child = spawn(file!, args, { stdio: "inherit", env: { ...process.env, ...realHostEnvironment(dataDirOf(flags), { vm: flags.vm }) } });
      // Ctrl-C and SIGTERM reach the command; svcconn exits with its code.
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      process.on("SIGINT", forward);
      process.on("SIGTERM", forward);
      child.on("error", (error) => {
        process.stderr.write(`svcconn exec: cannot run ${file}: ${error.message}\n`);
        process.exit(127);
      });
      child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
    });
}
