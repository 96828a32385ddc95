import { ConnectionScan, type ConnectionReport } from "./connection-scan.js";
import { type Finding, SEVERITY_ORDER, type Severity } from "./findings.js";
import { orphanedApplications, sharedApplications } from "./organization-findings.js";
import { type NotEvaluated, OrganizationReads, ScanNotes } from "./reads.js";
import type { ConnectionInfo, ProjectInfo, ScanTarget } from "./target.js";

export { type ConnectionReport, connectionScope } from "./connection-scan.js";
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
 * will break, with evidence and the fix. Reads only; a check it cannot run is listed, never guessed. One
 * connection's checks are `ConnectionScan`'s (connection-scan.ts); what spans connections, organization-findings.ts.
 */
export async function scan(target: ScanTarget, options: ScanOptions): Promise<ScanReport> {
  const projects = await projectsToScan(target, options.project);
  const { entries, skipped } = await connectionsOf(target, projects);
  const notes = new ScanNotes();
  const reads = await OrganizationReads.read(target, entries.map((e) => e.connection));
  const connectionScan = new ConnectionScan(target, reads, notes, { now: options.now, expiringDays: options.expiringDays ?? 30, unusedDays: options.unusedDays ?? 90 });
  const reports: ConnectionReport[] = [];
  let done = 0;
  const queue = [...entries];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      reports.push(await connectionScan.run(next.connection, next.project));
      options.progress?.(++done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, Math.max(1, entries.length)) }, worker));
  reports.sort((a, b) => a.name.localeCompare(b.name));
  const used = sharedApplications(reports);
  const other = await orphanedApplications(target, projects, used, reads, notes);

  const all: Finding[] = [...reports.flatMap((r) => r.findings), ...other];
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, all.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  const notEvaluated: NotEvaluated[] = notes.notEvaluated;
  return { organization: target.organization, scannedAt: options.now.toISOString(), projects: projects.map((p) => p.name), connections: reports, other, notEvaluated, partial: notEvaluated.length > 0, counts, skipped };
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
