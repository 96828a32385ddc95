import { type Finding, findingOf, type OrganizationFacts, SEVERITY_ORDER, type Severity } from "../findings/define.js";
import { FINDINGS } from "../findings/index.js";
import { ConnectionFacts, type ConnectionReport, type ScanLimits } from "./connection-facts.js";
import { type NotEvaluated, OrganizationReads, ScanNotes } from "./reads.js";
import type { ConnectionInfo, ProjectInfo, ScanTarget } from "./target.js";

export { type ConnectionReport, connectionScope } from "./connection-facts.js";
export type { NotEvaluated } from "./reads.js";

/** The project a scan was asked for is not in the organization (the caller's input). */
export class ProjectNotFound extends Error {}

export interface ScanOptions {
  /** Only this project (name or id); all projects otherwise. */
  project?: string;
  /** A secret or certificate expiring within this many days is reported (default 30). */
  expiringDays?: number;
  /** A connection unused for this many days is reported (default 90). */
  unusedDays?: number;
  /** The scan's "now" (the emulator's clock, or the wall clock). */
  now: Date;
  /** Connections read at the same time (default 8). */
  concurrency?: number;
  /** Called after each connection: how far the scan is. */
  progress?: (done: number, total: number) => void;
}

export interface ScanReport {
  organization: string;
  scannedAt: string;
  projects: string[];
  connections: ConnectionReport[];
  /** Findings not about one connection (orphaned applications). */
  other: Finding[];
  notEvaluated: NotEvaluated[];
  /** True when some check could not run: the report is incomplete. */
  partial: boolean;
  counts: Record<Severity, number>;
  /** Connections of other types, which the scan does not check. */
  skipped: Array<{ id: string; name: string; type: string }>;
}

/**
 * Scans every Azure Resource Manager connection of an organization (or one project) and reports what is broken or
 * will break, with evidence and the fix. Reads only; a check it cannot run is listed, never guessed. The checks are
 * the findings' own (src/doctor/findings/): each connection's first, then those across the organization.
 */
export async function scan(target: ScanTarget, options: ScanOptions): Promise<ScanReport> {
  const projects = await projectsToScan(target, options.project);
  const { entries, skipped } = await connectionsOf(target, projects);
  const notes = new ScanNotes();
  const reads = await OrganizationReads.read(target, entries.map((e) => e.connection));
  const limits: ScanLimits = { now: options.now, expiringDays: options.expiringDays ?? 30, unusedDays: options.unusedDays ?? 90 };
  const reports: ConnectionReport[] = [];
  let done = 0;
  const queue = [...entries];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      reports.push(await checkConnection(new ConnectionFacts(target, next.connection, next.project, limits, reads, notes)));
      options.progress?.(++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, Math.max(1, entries.length)) }, worker));
  reports.sort((a, b) => a.name.localeCompare(b.name));
  const other = await checkOrganization({ target, projects, reports, reads, notes });

  const all: Finding[] = [...reports.flatMap((r) => r.findings), ...other];
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, all.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  const notEvaluated: NotEvaluated[] = notes.notEvaluated;
  return { organization: target.organization, scannedAt: options.now.toISOString(), projects: projects.map((p) => p.name), connections: reports, other, notEvaluated, partial: notEvaluated.length > 0, counts, skipped };
}

/** One connection's findings, in the registry's order (each check reads through the shared facts). */
async function checkConnection(facts: ConnectionFacts): Promise<ConnectionReport> {
  const c = facts.connection;
  const ref = { id: c.id, name: c.name, projects: c.projects.map((p) => p.name) };
  const findings: Finding[] = [];
  for (const kind of FINDINGS) {
    const found = await kind.check?.(facts);
    if (!found) continue;
    const { application = c.appId ? { appId: c.appId } : null, ...rest } = found;
    findings.push(findingOf(kind, c.id, { connection: ref, application, scope: facts.scope, ...rest }));
  }
  const expiries = (await facts.credentials())?.expiries;
  return { ...ref, scheme: c.scheme, appId: c.appId, findings, ...(expiries ? { expiries } : {}) };
}

/** The findings across connections: a connection's go to its report, the others (orphaned applications) apart. */
async function checkOrganization(facts: OrganizationFacts): Promise<Finding[]> {
  const other: Finding[] = [];
  const byId = new Map(facts.reports.map((r) => [r.id, r]));
  for (const kind of FINDINGS) {
    for (const { subject, scope = null, application = null, ...rest } of (await kind.checkOrganization?.(facts)) ?? []) {
      const f = findingOf(kind, subject, { scope, application, ...rest });
      const report = f.connection && byId.get(f.connection.id);
      if (report) report.findings.push(f);
      else other.push(f);
    }
  }
  return other;
}

async function projectsToScan(target: ScanTarget, only: string | undefined): Promise<ProjectInfo[]> {
  const all = await target.projects().catch((error: unknown) => {
    throw new Error(`Could not read the projects of the organization ${target.organization || "(none)"}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  const projects = only ? all.filter((p) => p.name.toLowerCase() === only.toLowerCase() || p.id === only.toLowerCase()) : all;
  if (only && !projects.length) throw new ProjectNotFound(`The organization ${target.organization} has no project '${only}'.`);
  return projects;
}

/** The Azure Resource Manager connections to scan; a shared one once, under the first project that shows it. */
async function connectionsOf(target: ScanTarget, projects: ProjectInfo[]) {
  const byId = new Map<string, { connection: ConnectionInfo; project: ProjectInfo }>();
  const skipped: ScanReport["skipped"] = [];
  for (const project of projects) {
    for (const connection of await target.connections(project)) {
      if (byId.has(connection.id) || skipped.some((s) => s.id === connection.id)) continue;
      if (connection.type.toLowerCase() !== "azurerm") skipped.push({ id: connection.id, name: connection.name, type: connection.type });
      else byId.set(connection.id, { connection, project });
    }
  }
  return { entries: [...byId.values()], skipped };
}
