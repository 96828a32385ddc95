import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { Command, Option } from "commander";
import { sdkDoctorTarget } from "../clients/doctor-target.js";
import { type Instance, openInstance } from "./instance.js";
import { SVCCONN_VERSION } from "../core/version.js";
import { SEVERITY_ORDER, type Severity } from "../doctor/findings/define.js";
import { failsAt, progressLine, renderTable } from "../doctor/scan/report.js";
import { applyFixes, type FixOutcome, type FixPlan, planFixes, planRevert, type Unfixable } from "../doctor/fix/plan.js";
import { toHtml } from "../doctor/scan/html.js";
import { toSarif } from "../doctor/scan/sarif.js";
import { ProjectNotFound, type ScanReport, scan } from "../doctor/scan/scan.js";
import { EXIT, exitCodeOf, UsageError } from "./exit.js";

interface ScanFlags {
  org?: string;
  project?: string;
  pat?: string;
  data?: string;
  tenant?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
  sarif?: string;
  html?: string;
  failOn?: Severity;
  expiringDays: string;
  unusedDays: string;
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


interface Opened {
  target: ReturnType<typeof sdkDoctorTarget>;
  now(): Promise<Date>;
  /** True for svcconn on a data folder; false for real Azure DevOps (fixes then ask first). */
  emulator: boolean;
  organizationUrl: string;
}

/** The organization to work on: svcconn's on the data folder, or the one --org names, with who reads and writes. */
function openTarget(flags: ScanFlags): Opened {
  const { data, instance } = openInstance(flags);

  const organizationUrl = flags.org ?? instance?.organization;
  if (!organizationUrl) throw new UsageError("no organization: pass --org https://dev.azure.com/<org> (or --data for a running svcconn)");
  const pat = flags.pat ?? process.env.AZURE_DEVOPS_EXT_PAT ?? instance?.pat ?? undefined;
  if (!pat) throw new UsageError("no personal access token: pass --pat or set AZURE_DEVOPS_EXT_PAT");
  const identity = instance ? { authorityHost: instance.login, disableInstanceDiscovery: true } : {};
  let credential: TokenCredential;
  if (flags.clientId && flags.clientSecret && flags.tenant) credential = new ClientSecretCredential(flags.tenant, flags.clientId, flags.clientSecret, identity);
  else if (instance?.bootstrap) credential = new ClientSecretCredential(instance.bootstrap.tenantId, instance.bootstrap.clientId, instance.bootstrap.clientSecret, identity);
  else credential = new DefaultAzureCredential();

  const keys = join(data, "keys.json");
  const adminKey = process.env.SVCCONN_ADMIN_KEY ?? (existsSync(keys) ? (JSON.parse(readFileSync(keys, "utf8")) as { adminKey?: string }).adminKey : undefined);
  return {
    target: sdkDoctorTarget({ organizationUrl, pat, credential, graphUrl: instance?.graph, armUrl: instance?.arm, caFile: instance?.caFile ?? undefined }),
    now: () => (instance ? emulatorNow(instance, adminKey) : Promise.resolve(new Date())),
    emulator: !!instance,
    organizationUrl,
  };
}

async function scanWith(opened: Opened, flags: ScanFlags, progress: boolean) {
  const started = Date.now();
  const report = await scan(opened.target, {
    now: await opened.now(),
    project: flags.project,
    expiringDays: Number(flags.expiringDays),
    unusedDays: Number(flags.unusedDays),
    progress: progress ? (done, total) => process.stderr.write(`\r${progressLine(done, total, Date.now() - started)}`) : undefined,
  });
  if (progress) process.stderr.write("\n");
  return report;
}

async function runScan(flags: ScanFlags): Promise<number> {
  const opened = openTarget(flags);
  const report = await scanWith(opened, flags, process.stderr.isTTY && !flags.json);
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report));
  if (flags.sarif) {
    writeFileSync(flags.sarif, `${JSON.stringify(toSarif(report, { organizationUrl: opened.organizationUrl, version: SVCCONN_VERSION }), null, 2)}\n`);
  }
  if (flags.html) writeFileSync(flags.html, toHtml(report, { organizationUrl: opened.organizationUrl, expiringDays: Number(flags.expiringDays) }));
  return flags.failOn && failsAt(report, flags.failOn) ? 1 : 0;
}

interface FixFlags extends ScanFlags {
  plan?: boolean;
  apply?: boolean;
  yes?: boolean;
  convert?: boolean;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((ok) => rl.question(question, ok));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function runFix(ids: string[], flags: FixFlags): Promise<number> {
  if (!!flags.plan === !!flags.apply) throw new UsageError("say --plan (print what would change) or --apply (change it)");
  const opened = openTarget(flags);
  const report = await scanWith(opened, flags, false);
  const { plans, unfixable } = planFixes(report, ids, await opened.now(), { convert: flags.convert });
  return carryOut(opened, plans, unfixable, flags, () => scanWith(opened, flags, false));
}

/** Prints the plans; with --apply (and consent for a real organization) applies them and prints each outcome. */
async function carryOut(opened: Opened, plans: FixPlan[], unfixable: Unfixable[], flags: FixFlags, rescan?: () => Promise<ScanReport>): Promise<number> {
  const shown = { plans: plans.map(({ steps, ...p }) => ({ ...p, steps: steps.map(({ run: _, undo: __, ...s }) => s) })), unfixable };
  if (flags.json && (flags.plan || !plans.length)) {
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return unfixable.length ? 1 : 0;
  }
  if (flags.json) return applied(opened, plans, unfixable, flags, rescan, (outcomes) => process.stdout.write(`${JSON.stringify({ ...shown, outcomes }, null, 2)}\n`));
  const lines: string[] = [];
  for (const plan of plans) {
    lines.push(`${plan.findingId}: ${plan.summary}`);
    for (const step of plan.steps) lines.push(`  ${step.call}`, `    before: ${JSON.stringify(step.before)}`, `    after:  ${JSON.stringify(step.after)}`);
  }
  for (const u of unfixable) lines.push(`${u.findingId}: not fixed: ${u.reason}`);
  if (!plans.length) lines.push("Nothing to fix.");
  process.stdout.write(`${lines.join("\n")}\n`);
  if (flags.plan || !plans.length) return unfixable.length ? 1 : 0;
  return applied(opened, plans, unfixable, flags, rescan, (outcomes) => {
    for (const o of outcomes) process.stdout.write(`${o.status === "fixed" ? "✓" : "✗"} ${o.findingId}: ${o.status}${o.message ? ` — ${o.message}` : ""}\n`);
    const skipped = plans.length - outcomes.length;
    if (skipped) process.stdout.write(`${skipped} fix(es) not tried after the failure.\n`);
  });
}

/** Applies the plans (with consent for a real organization), shows the outcomes; 0 when every fix was made. */
async function applied(opened: Opened, plans: FixPlan[], unfixable: Unfixable[], flags: FixFlags, rescan: (() => Promise<ScanReport>) | undefined, show: (outcomes: FixOutcome[]) => void): Promise<number> {
  if (!opened.emulator && !flags.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`refusing to change ${opened.target.organization} without --yes (no terminal to ask)`);
    if (!(await confirm(`Apply ${plans.length} fix(es) to ${opened.target.organization}? [y/N] `))) return 1;
  }
  const outcomes = await applyFixes(plans, opened.target, rescan);
  show(outcomes);
  return outcomes.every((o) => o.status === "fixed") && outcomes.length === plans.length && !unfixable.length ? 0 : 1;
}

async function runRevert(connectionId: string, flags: FixFlags): Promise<number> {
  if (!!flags.plan === !!flags.apply) throw new UsageError("say --plan (print what would change) or --apply (change it)");
  if (!flags.project) throw new UsageError("--project is needed: the project the connection is in");
  const opened = openTarget(flags);
  const project = (await opened.target.projects()).find((p) => p.name.toLowerCase() === flags.project!.toLowerCase() || p.id === flags.project!.toLowerCase());
  if (!project) throw new UsageError(`The organization ${opened.target.organization} has no project '${flags.project}'.`);
  const connection = (await opened.target.connections(project)).find((c) => c.id === connectionId.toLowerCase() || c.name === connectionId);
  if (!connection) throw new UsageError(`The project ${project.name} has no service connection '${connectionId}'.`);
  if (connection.scheme !== "WorkloadIdentityFederation") throw new UsageError(`'${connection.name}' uses ${connection.scheme}: only a connection converted to workload identity federation can be reverted.`);
  // Nothing for a scan to show afterwards: the conversion's call either succeeds or names why (the seven days passed).
  return carryOut(opened, [planRevert(connection, project.name)], [], flags);
}

const handle = (work: () => Promise<number>, name: string) => async () => {
  try {
    process.exitCode = await work();
  } catch (error) {
    process.stderr.write(`svcconn doctor ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof ProjectNotFound ? EXIT.usage : exitCodeOf(error);
  }
};

/** The options both commands take: where the organization is and who reads it. */
function targetOptions(command: Command): Command {
  return command
    .option("--org <url>", "organization URL, https://dev.azure.com/<org> (default: the svcconn running on --data)")
    .option("--project <name>", "only this project")
    .option("--pat <pat>", "personal access token of a project administrator (default: env AZURE_DEVOPS_EXT_PAT, or the svcconn instance's)")
    .option("--data <dir>", "data folder of a running svcconn (default ./.svcconn; env SVCCONN_DATA)")
    .option("--tenant <id>", "tenant of the service principal that reads Graph and ARM (default: az login / DefaultAzureCredential)")
    .option("--client-id <id>", "client id of that service principal")
    .option("--client-secret <secret>", "its secret")
    .option("--expiring-days <n>", "report secrets and certificates expiring within n days", "30")
    .option("--unused-days <n>", "report connections unused for n days", "90")
    .hook("preAction", (cmd) => {
      for (const name of ["expiringDays", "unusedDays"] as const) {
        const value = String(cmd.opts()[name]);
        if (!/^\d{1,5}$/.test(value)) throw new UsageError(`--${name === "expiringDays" ? "expiring" : "unused"}-days takes a number of days, not '${value}'`);
      }
    });
}

export function doctorCommand(): Command {
  const doctor = new Command("doctor").description("Scan an organization's Azure Resource Manager connections for what is broken or will break, and fix it");
  targetOptions(doctor.command("scan"))
    .description("Read every connection of an organization (or one project), its application, service principal and roles; report findings with evidence and the fix")
    .option("--json", "print the report as JSON")
    .option("--sarif <file>", "also write the findings as SARIF 2.1.0 (for code-scanning tools)")
    .option("--html <file>", "also write a self-contained HTML report (summary, findings by severity, expiry timeline)")
    .addOption(new Option("--fail-on <severity>", "exit 1 when a finding of this severity or worse is found").choices(SEVERITY_ORDER))
    .action((flags: ScanFlags) => handle(() => runScan(flags), "scan")());
  targetOptions(doctor.command("fix").argument("[findingIds...]", "finding ids from a scan (default: every finding with an automatic fix)"))
    .description("Print (--plan) or apply (--apply) the fixes for findings: one finding at a time, re-scanned after each, stopping at the first failure")
    .option("--plan", "print exactly what would change: the calls, the objects before and after")
    .option("--apply", "make the changes")
    .option("--yes", "do not ask before changing a real organization")
    .option("--json", "print the plan (and, with --apply, the outcomes) as JSON")
    .option("--convert", "fix expired or expiring secrets by converting the connection to workload identity federation instead of a new secret")
    .action((ids: string[], flags: FixFlags) => handle(() => runFix(ids, flags), "fix")());
  targetOptions(doctor.command("revert").argument("<connection>", "the connection's id or name"))
    .description("Take a connection converted to workload identity federation back to its secret (within seven days of the conversion)")
    .option("--plan", "print the call")
    .option("--apply", "make it")
    .option("--yes", "do not ask before changing a real organization")
    .option("--json", "print the plan (and, with --apply, the outcome) as JSON")
    .action((connection: string, flags: FixFlags) => handle(() => runRevert(connection, flags), "revert")());
  return doctor;
}
