import { type ConnectionReport, roleId } from "./connection-scan.js";
import { type Finding, finding } from "./findings.js";
import { byAppId, type OrganizationReads, type ScanNotes } from "./reads.js";
import { type ApplicationInfo, type ProjectInfo, type RoleAssignmentInfo, type ScanTarget, Unreadable } from "./target.js";

/** Across connections: one application behind several connections (each of them gets the finding). */
export function sharedApplications(reports: ConnectionReport[]): Set<string> {
  const byApp = new Map<string, ConnectionReport[]>();
  for (const r of reports) if (r.appId && r.scheme !== "ManagedServiceIdentity") byApp.set(r.appId.toLowerCase(), [...(byApp.get(r.appId.toLowerCase()) ?? []), r]);
  for (const [appId, sharing] of byApp) {
    if (sharing.length < 2) continue;
    for (const r of sharing) {
      r.findings.push(finding("shared-application", r.id, { connection: { id: r.id, name: r.name, projects: r.projects }, application: { appId }, scope: null, evidence: { appId, connections: sharing.map((s) => s.name) } }));
    }
  }
  return new Set(byApp.keys());
}

/** Applications made for a project's automatic connections (`{org}-{project}-…`) that no connection uses any more. */
export async function orphanedApplications(target: ScanTarget, projects: ProjectInfo[], used: Set<string>, reads: OrganizationReads, notes: ScanNotes): Promise<Finding[]> {
  const other: Finding[] = [];
  for (const project of projects) {
    const candidates = await target.applicationsNamed(`${target.organization}-${project.name}-`);
    if (!notes.readable<ApplicationInfo[]>(`project ${project.name}`, "orphaned-applications", candidates)) continue;
    const orphans = candidates.filter((app) => !used.has(app.appId.toLowerCase()));
    const orphanPrincipals = await byAppId(orphans.length ? target.servicePrincipals(orphans.map((a) => a.appId)) : Promise.resolve([]));
    for (const app of orphans) {
      const principal = orphanPrincipals instanceof Unreadable ? orphanPrincipals : orphanPrincipals.get(app.appId.toLowerCase());
      const assignments = principal && !(principal instanceof Unreadable) ? assignmentsOfOrphan(principal.objectId, app, reads, notes) : [];
      other.push(
        finding("orphaned-application", app.appId, {
          connection: null,
          application: { appId: app.appId, objectId: app.objectId, displayName: app.displayName },
          scope: null,
          evidence: { displayName: app.displayName, servicePrincipal: principal instanceof Unreadable ? null : (principal?.objectId ?? null), roleAssignments: assignments },
        }),
      );
    }
  }
  return other;
}

/** An orphan's role assignments: the subscriptions' listings (at, above and below each) already hold them. */
function assignmentsOfOrphan(principalId: string, app: ApplicationInfo, reads: OrganizationReads, notes: ScanNotes) {
  // Keyed by id: one above the subscriptions (a management group) shows in each subscription's listing.
  const assignments = new Map<string, { id: string; scope: string; role: string; roleDefinitionId: string }>();
  for (const found of reads.subscriptionAssignments.values()) {
    if (!notes.readable<RoleAssignmentInfo[]>(`application ${app.displayName}`, "orphan role assignments", found)) continue;
    for (const a of found) if (a.principalId.toLowerCase() === principalId.toLowerCase()) assignments.set(a.id, { id: a.id, scope: a.scope, role: a.roleName ?? roleId(a), roleDefinitionId: roleId(a) });
  }
  return [...assignments.values()];
}
