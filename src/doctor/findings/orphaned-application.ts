import type { FixTarget } from "../fix/target.js";
import { planBase } from "../fix/steps.js";
import { roleId } from "../scan/connection-facts.js";
import { byAppId } from "../scan/reads.js";
import { type ApplicationInfo, type RoleAssignmentInfo, Unreadable } from "../scan/target.js";
import { defineFinding, type Finding, type FoundInOrganization, lacking, type OrganizationFacts } from "./define.js";
import { applicationsInUse } from "./shared-application.js";

type OrphanAssignment = { id: string; scope: string; role: string; roleDefinitionId: string };
/** What the finding read: the application, its service principal (if it has one) and that one's role assignments. */
type OrphanEvidence = { displayName: string; servicePrincipal: string | null; roleAssignments: OrphanAssignment[] };

/** An orphan's role assignments: the subscriptions' listings (at, above and below each) already hold them. */
function assignmentsOfOrphan(principalId: string, app: ApplicationInfo, { reads, notes }: OrganizationFacts): OrphanAssignment[] {
  // Keyed by id: one above the subscriptions (a management group) shows in each subscription's listing.
  const assignments = new Map<string, OrphanAssignment>();
  for (const found of reads.subscriptionAssignments.values()) {
    if (!notes.readable<RoleAssignmentInfo[]>(`application ${app.displayName}`, "orphan role assignments", found)) continue;
    for (const a of found) if (a.principalId.toLowerCase() === principalId.toLowerCase()) assignments.set(a.id, { id: a.id, scope: a.scope, role: a.roleName ?? roleId(a), roleDefinitionId: roleId(a) });
  }
  return [...assignments.values()];
}

/** Applications made for a project's automatic connections (`{org}-{project}-…`) that no connection uses any more. */
async function orphans(facts: OrganizationFacts): Promise<FoundInOrganization<OrphanEvidence>[]> {
  const { target, projects, notes } = facts;
  const used = applicationsInUse(facts.reports);
  const found: FoundInOrganization<OrphanEvidence>[] = [];
  for (const project of projects) {
    const candidates = await target.applicationsNamed(`${target.organization}-${project.name}-`);
    if (!notes.readable<ApplicationInfo[]>(`project ${project.name}`, "orphaned-applications", candidates)) continue;
    const unused = candidates.filter((app) => !used.has(app.appId.toLowerCase()));
    const principals = await byAppId(unused.length ? target.servicePrincipals(unused.map((a) => a.appId)) : Promise.resolve([]));
    for (const app of unused) {
      const principal = principals instanceof Unreadable ? principals : principals.get(app.appId.toLowerCase());
      const roleAssignments = principal && !(principal instanceof Unreadable) ? assignmentsOfOrphan(principal.objectId, app, facts) : [];
      const evidence: OrphanEvidence = { displayName: app.displayName, servicePrincipal: principal instanceof Unreadable ? null : (principal?.objectId ?? null), roleAssignments };
      found.push({ subject: app.appId, connection: null, application: { appId: app.appId, objectId: app.objectId, displayName: app.displayName }, scope: null, evidence });
    }
  }
  return found;
}

/** Role assignments first: an application deleted first would leave them pointing at nobody. */
function plan(f: Finding<OrphanEvidence>) {
  const app = f.application;
  if (!app?.objectId) return lacking(f);
  const objectId = app.objectId;
  const principal = String(f.evidence.servicePrincipal ?? "");
  const assignments = f.evidence.roleAssignments;
  const removals = assignments.map((a) => ({
    call: `DELETE https://management.azure.com${a.id}?api-version=2022-04-01`,
    before: a,
    after: null,
    run: (t: FixTarget) => t.removeRoleAssignment(a.id),
    undo: async (t: FixTarget) => void (await t.assignRole(principal, a.scope, a.roleDefinitionId)),
  }));
  const deletion = { call: `DELETE https://graph.microsoft.com/v1.0/applications/${objectId}`, before: { appId: app.appId, displayName: app.displayName }, after: null, run: (t: FixTarget) => t.deleteApplication(objectId) };
  return { ...planBase(f), summary: `Delete the orphaned application '${app.displayName}' and its ${assignments.length} role assignment(s)`, steps: [...removals, deletion] };
}

export default defineFinding({
  kind: "orphaned-application",
  severity: "medium",
  title: "An application created for a connection outlives it",
  explanation: "delete-cleanup-failed",
  fix: "Delete the application and its role assignments (az ad app delete --id <appId>; az role assignment delete --assignee <objectId>).",
  checkOrganization: orphans,
  plan,
});
