import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { join, resolve } from "node:path";
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { Command, Option } from "commander";
import { sdkScanTarget } from "../clients/scan-target.js";
import { SEVERITY_ORDER, type Severity } from "../doctor/scan/findings.js";
import { failsAt, progressLine, renderTable } from "../doctor/scan/report.js";
import { scan } from "../doctor/scan/scan.js";

interface ScanFlags {
  org?: string;
  project?: string;
  pat?: string;
  data?: string;
  tenant?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
  failOn?: Severity;
  expiringDays: string;
  unusedDays: string;
}

interface Instance {
  devops: string;
  login: string;
  graph: string;
  arm: string;
  caFile: string | null;
  organization: string | null;
  pat: string | null;
  bootstrap: { tenantId: string; clientId: string; clientSecret: string } | null;
}

/** svcconn's clock, so expiry and "unused" are judged at the emulator's time, not the wall clock's. */
function emulatorNow(instance: Instance, adminKey: string | undefined): Promise<Date> {
  if (!adminKey) return Promise.resolve(new Date());
  return new Promise((ok) => {
    const req = request(`${instance.login}/_admin/clock`, { headers: { "x-svcconn-admin-key": adminKey }, ...(instance.caFile ? { ca: readFileSync(instance.caFile) } : {}) }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => ok(res.statusCode === 200 ? new Date((JSON.parse(body) as { now: string }).now) : new Date()));
    });
    req.on("error", () => ok(new Date()));
    req.end();
  });
}

/**
 * Trusting svcconn's CA must hold for every client in the process (Graph, ARM and identity read it at start): run
 * again with NODE_EXTRA_CA_CERTS set when it is not.
 */
function ensureTrusted(caFile: string | null): void {
  if (!caFile || process.env.NODE_EXTRA_CA_CERTS === caFile) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
  process.exit(child.status ?? 2);
}

async function runScan(flags: ScanFlags): Promise<number> {
  const data = resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn");
  const instanceFile = join(data, "instance.json");
  // svcconn's instance on the data folder unless an organization URL names another (real Azure DevOps).
  const instance = !flags.org || flags.data ? (existsSync(instanceFile) ? (JSON.parse(readFileSync(instanceFile, "utf8")) as Instance) : undefined) : undefined;
  if (flags.data && !instance) throw new Error(`no svcconn is running on ${data} (no ${instanceFile})`);
  if (instance) ensureTrusted(instance.caFile);

  const organizationUrl = flags.org ?? instance?.organization;
  if (!organizationUrl) throw new Error("no organization: pass --org https://dev.azure.com/<org> (or --data for a running svcconn)");
  const pat = flags.pat ?? process.env.AZURE_DEVOPS_EXT_PAT ?? instance?.pat ?? undefined;
  if (!pat) throw new Error("no personal access token: pass --pat or set AZURE_DEVOPS_EXT_PAT");
  const identity = instance ? { authorityHost: instance.login, disableInstanceDiscovery: true } : {};
  let credential: TokenCredential;
  if (flags.clientId && flags.clientSecret && flags.tenant) credential = new ClientSecretCredential(flags.tenant, flags.clientId, flags.clientSecret, identity);
  else if (instance?.bootstrap) credential = new ClientSecretCredential(instance.bootstrap.tenantId, instance.bootstrap.clientId, instance.bootstrap.clientSecret, identity);
  else credential = new DefaultAzureCredential();

  const keys = join(data, "keys.json");
  const adminKey = process.env.SVCCONN_ADMIN_KEY ?? (existsSync(keys) ? (JSON.parse(readFileSync(keys, "utf8")) as { adminKey?: string }).adminKey : undefined);
  const now = instance ? await emulatorNow(instance, adminKey) : new Date();
  const target = sdkScanTarget({ organizationUrl, pat, credential, graphUrl: instance?.graph, armUrl: instance?.arm, caFile: instance?.caFile ?? undefined });

  const tty = process.stderr.isTTY && !flags.json;
  const started = Date.now();
  const report = await scan(target, {
    now,
    project: flags.project,
    expiringDays: Number(flags.expiringDays),
    unusedDays: Number(flags.unusedDays),
    progress: tty ? (done, total) => process.stderr.write(`\r${progressLine(done, total, Date.now() - started)}`) : undefined,
  });
  if (tty) process.stderr.write("\n");
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report));
  return flags.failOn && failsAt(report, flags.failOn) ? 1 : 0;
}

export function doctorCommand(): Command {
  const doctor = new Command("doctor").description("Scan an organization's Azure Resource Manager connections for what is broken or will break");
  doctor
    .command("scan")
    .description("Read every connection of an organization (or one project), its application, service principal and roles; report findings with evidence and the fix")
    .option("--org <url>", "organization URL, https://dev.azure.com/<org> (default: the svcconn running on --data)")
    .option("--project <name>", "only this project")
    .option("--pat <pat>", "personal access token of a project administrator (default: env AZURE_DEVOPS_EXT_PAT, or the svcconn instance's)")
    .option("--data <dir>", "data folder of a running svcconn to scan (default ./.svcconn; env SVCCONN_DATA)")
    .option("--tenant <id>", "tenant of the service principal that reads Graph and ARM (default: az login / DefaultAzureCredential)")
    .option("--client-id <id>", "client id of that service principal")
    .option("--client-secret <secret>", "its secret")
    .option("--json", "print the report as JSON")
    .addOption(new Option("--fail-on <severity>", "exit 1 when a finding of this severity or worse is found").choices(SEVERITY_ORDER))
    .option("--expiring-days <n>", "report secrets and certificates expiring within n days", "30")
    .option("--unused-days <n>", "report connections unused for n days", "90")
    .action(async (flags: ScanFlags) => {
      for (const [name, value] of [["--expiring-days", flags.expiringDays], ["--unused-days", flags.unusedDays]] as const) {
        if (!/^\d{1,5}$/.test(value)) throw new Error(`${name} takes a number of days, not '${value}'`);
      }
      try {
        process.exitCode = await runScan(flags);
      } catch (error) {
        process.stderr.write(`svcconn doctor scan: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 2;
      }
    });
  return doctor;
}
