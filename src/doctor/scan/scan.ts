import { dataPermissionsGrant, permissionsGrant } from "../../core/role-actions.js";
import { schemeSupport, taskNamed } from "../../core/tasks/schemes.js";
import { explain } from "../explain.js";
import { type Finding, finding, SEVERITY_ORDER, type Severity } from "./findings.js";
import {
  type ApplicationInfo,
  type ConnectionInfo,
  type ExecutionInfo,
  type FederatedCredentialInfo,
  type PermissionsInfo,
  type ProjectInfo,
  type Readable,
  type RoleAssignmentInfo,
  type RoleDefinitionInfo,
  type RunPoolInfo,
  type RunTaskInfo,
  type ScanTarget,
  type ServicePrincipalInfo,
  Unreadable,
} from "./target.js";

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

/** A check the scan could not run for one connection, and why (missing rights, a failed call). */
export interface NotEvaluated {
  connection: string;
  check: string;
  reason: string;
}

export interface ConnectionReport {
  id: string;
  name: string;
  projects: string[];
  scheme: string;
  appId: string | null;
  findings: Finding[];
  /** When the secrets or certificates the connection signs in with end (the report's expiry timeline). */
  expiries?: Array<{ kind: "secret" | "certificate"; displayName: string | null; endDateTime: string }>;
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

/** Roles that may grant roles: at subscription level or above they make a connection's identity an administrator. */
const PRIVILEGED = new Map([
  ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"],
  ["18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator"],
]);
const DAY = 86_400_000;
/** ARM's refusal, naming the principal, the action and the scope (`AuthorizationFailed`). */
const AUTHORIZATION_FAILED = /object id '([0-9a-f-]{36})' does not have (?:authorization|permission) to perform action '([^']+)' (?:over|at) scope '([^']+)'/i;

/** Key Vault's refusals name the caller's object id: a data action refused by Azure RBAC, or an access policy's permission. */
const VAULT_RBAC_REFUSED = /caller: appid=[^;]*;oid=([0-9a-f-]{36});[^\n]*\s+action: '(microsoft\.keyvault\/vaults\/[^']+)'\s+resource: '([^']+)'/i;
const VAULT_POLICY_REFUSED = /'appid=[^;]*;oid=([0-9a-f-]{36});[^']*' does not have secrets (\w+) permission on key vault '([a-z0-9-]+);/i;

/** A key vault's id from a refused resource (the vault itself or one of its secrets), in ARM's casing. */
function vaultScope(resource: string): string {
  return resource.replace(/\/secrets\/[^/]+$/i, "").replace(/\/resourcegroups\//i, "/resourceGroups/").replace(/\/providers\/microsoft\.keyvault\/vaults\//i, "/providers/Microsoft.KeyVault/vaults/");
}

/** The diagnosis of a connection's stored failure, when explain names one with some confidence. */
function storedFailureDiagnosis(message: string | null | undefined): string | undefined {
  if (!message) return undefined;
  const explained = explain(message);
  return explained.id === "unknown" || explained.id === "no-failure-found" || explained.uncertain ? undefined : explained.id;
}

/** The Azure tasks of a run whose versions cannot use workload identity federation, with the version that can. */
function withoutFederation(tasks: RunTaskInfo[]): Array<{ task: string; version: string; federationIn: string | null }> {
  const out = new Map<string, { task: string; version: string; federationIn: string | null }>();
  for (const t of tasks) {
    const [major, minor] = t.version.split(".").map(Number);
    const facts = major === undefined || Number.isNaN(major) ? undefined : taskNamed({ name: t.name, major });
    const support = facts && schemeSupport(facts, minor);
    if (support && !support.schemes.includes("federation")) out.set(`${t.name}@${t.version}`, { task: support.task, version: t.version, federationIn: support.federationIn ?? null });
  }
  return [...out.values()];
}

/** The ARM scope a connection works at: its resource group, subscription or management group. */
export function connectionScope(c: ConnectionInfo): string | null {
  if (c.scope) return c.scope;
  if (c.scopeLevel === "ManagementGroup" && c.managementGroupId) return `/providers/Microsoft.Management/managementGroups/${c.managementGroupId}`;
  if (c.subscriptionId) return `/subscriptions/${c.subscriptionId}`;
  return null;
}

const roleId = (a: RoleAssignmentInfo) => a.roleDefinitionId.split("/").pop()!.toLowerCase();
/** Subscription level or above: a subscription, a management group, or the root. */
const atSubscriptionOrAbove = (scope: string) => !/\/resourcegroups\//i.test(scope);

/**
 * Scans every Azure Resource Manager connection of an organization (or one project) and reports what is broken or
 * will break, with evidence and the fix. Reads only; a check it cannot run is listed, never guessed.
 */
export async function scan(target: ScanTarget, options: ScanOptions): Promise<ScanReport> {
  const now = options.now.getTime();
  const expiring = (options.expiringDays ?? 30) * DAY;
  const unused = (options.unusedDays ?? 90) * DAY;
  const notEvaluated: NotEvaluated[] = [];
  const readable = <T>(connection: string, check: string, value: T | Unreadable): value is T => {
    if (!(value instanceof Unreadable)) return true;
    notEvaluated.push({ connection, check, reason: value.reason });
    return false;
  };

  const allProjects = await target.projects().catch((error: unknown) => {
    throw new Error(`Could not read the projects of the organization ${target.organization || "(none)"}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  const projects = options.project ? allProjects.filter((p) => p.name.toLowerCase() === options.project!.toLowerCase() || p.id === options.project!.toLowerCase()) : allProjects;
  if (options.project && !projects.length) throw new ProjectNotFound(`The organization ${target.organization} has no project '${options.project}'.`);

  // A shared connection is listed in each project: scan it once, under the first project that shows it.
  const byId = new Map<string, { connection: ConnectionInfo; project: ProjectInfo }>();
  const skipped: ScanReport["skipped"] = [];
  for (const project of projects) {
    for (const connection of await target.connections(project)) {
      if (byId.has(connection.id) || skipped.some((s) => s.id === connection.id)) continue;
      if (connection.type.toLowerCase() !== "azurerm") skipped.push({ id: connection.id, name: connection.name, type: connection.type });
      else byId.set(connection.id, { connection, project });
    }
  }

  const entries = [...byId.values()];

  // Read in bulk what many connections share: applications and service principals in batches, the role
  // assignments of each subscription in one listing. A connection then costs its own few calls only.
  const appIds = [...new Set(entries.filter((e) => e.connection.scheme !== "ManagedServiceIdentity" && e.connection.appId).map((e) => e.connection.appId!.toLowerCase()))];
  const byAppId = async <T extends { appId: string }>(read: Promise<Readable<T[]>>): Promise<Readable<Map<string, T>>> => {
    const got = await read;
    return got instanceof Unreadable ? got : new Map(got.map((x) => [x.appId.toLowerCase(), x]));
  };
  const applications = await byAppId(appIds.length ? target.applications(appIds) : Promise.resolve([]));
  // Applications are read in one directory: a connection of another tenant's cannot be judged from it.
  const directory = appIds.length ? await target.directoryTenant() : undefined;
  const principals = await byAppId(appIds.length ? target.servicePrincipals(appIds) : Promise.resolve([]));
  const subscriptionOf = (scope: string | null) => (scope ? /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1]?.toLowerCase() : undefined);
  const subscriptionAssignments = new Map<string, Readable<RoleAssignmentInfo[]>>();
  for (const subscription of new Set(entries.map((e) => subscriptionOf(connectionScope(e.connection))).filter((s): s is string => !!s))) {
    subscriptionAssignments.set(subscription, await target.assignmentsAt(`/subscriptions/${subscription}`));
  }
  /** A principal's assignments at, above or below a scope: from the subscription's listing where there is one. */
  const assignmentsOf = async (principalId: string, scope: string): Promise<Readable<RoleAssignmentInfo[]>> => {
    const listed = subscriptionAssignments.get(subscriptionOf(scope) ?? "");
    if (!listed) return target.roleAssignments(principalId, scope);
    return listed instanceof Unreadable ? listed : listed.filter((a) => a.principalId.toLowerCase() === principalId.toLowerCase());
  };

  const reports: ConnectionReport[] = [];
  let done = 0;
  const queue = [...entries];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      reports.push(await scanConnection(next.connection, next.project));
      options.progress?.(++done, entries.length);
    }
  };

  /**
   * When the connection's last use failed because ARM refused its principal an action, that refusal: the role it
   * holds does not allow what the pipeline does. Read from the run's errors, recognised by `explain`.
   */
  async function refusedByRole(project: ProjectInfo, executions: ExecutionInfo[], principalId: string) {
    const last = [...executions].sort((a, b) => Date.parse(b.finishTime ?? "") - Date.parse(a.finishTime ?? ""))[0];
    if (last?.result !== "failed" || last.runId === null) return null;
    const errors = await target.runErrors(project, last.runId);
    if (errors instanceof Unreadable) return null;
    const run = { runId: last.runId, pipeline: last.definitionName, finishTime: last.finishTime };
    const mine = (id: string | undefined) => id?.toLowerCase() === principalId.toLowerCase();
    for (const message of errors) {
      const named = AUTHORIZATION_FAILED.exec(message);
      if (named && mine(named[1]) && explain(message).id === "rbac-authorization-failed") return { run, action: named[2], refusedScope: named[3], message };
      // A data plane's refusal (Key Vault): the data role, not Contributor, is what would allow it.
      const data = VAULT_RBAC_REFUSED.exec(message);
      if (data && mine(data[1])) return { run, dataAction: data[2], refusedScope: vaultScope(data[3]!), message };
      const policy = VAULT_POLICY_REFUSED.exec(message);
      if (policy && mine(policy[1])) return { run, vaultPermission: policy[2]!.toLowerCase(), vault: policy[3], message };
    }
    return null;
  }

  const definitions = new Map<string, Promise<Readable<RoleDefinitionInfo[]>>>();
  /** Whether one of these assignments' roles allows the action now; a role that cannot be read allows nothing known. */
  async function allowedNow(connection: string, assignments: RoleAssignmentInfo[], refused: { action?: string; dataAction?: string; vaultPermission?: string }): Promise<boolean> {
    // An access policy is the vault's own setting, not a role: a refusal by one is only settled by a new run.
    if (refused.vaultPermission) return false;
    for (const a of assignments) {
      const key = a.roleDefinitionId.toLowerCase();
      if (!definitions.has(key)) definitions.set(key, target.roleDefinitions([a.roleDefinitionId]));
      const read = await definitions.get(key)!;
      if (!readable<RoleDefinitionInfo[]>(connection, "role definitions", read)) continue;
      if (read.some((d) => (refused.dataAction ? dataPermissionsGrant(d.permissions.map((p) => ({ dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })), refused.dataAction) : permissionsGrant(d.permissions, refused.action ?? "")))) return true;
    }
    return false;
  }

  async function scanConnection(c: ConnectionInfo, project: ProjectInfo): Promise<ConnectionReport> {
    const findings: Finding[] = [];
    const ref = { id: c.id, name: c.name, projects: c.projects.map((p) => p.name) };
    const scope = connectionScope(c);
    const add = (kind: Parameters<typeof finding>[0], evidence: Record<string, unknown>, application: Finding["application"] = c.appId ? { appId: c.appId } : null, explanation?: string) =>
      findings.push(finding(kind, c.id, { connection: ref, application, scope, evidence, ...(explanation ? { explanation } : {}) }));

    if (!c.isReady) add("connection-not-ready", { isReady: c.isReady, operationStatus: { state: c.operationState, statusMessage: c.operationMessage } }, undefined, storedFailureDiagnosis(c.operationMessage));
    if (c.projects.length > 1) add("shared-across-projects", { projects: c.projects.map((p) => p.name) });

    const [executions, permissions] = await Promise.all([target.executions(project, c.id), target.permissions(project, c.id)]);
    if (readable<PermissionsInfo>(c.name, "open-access", permissions) && permissions.allPipelines) {
      // The pipelines that used it: what permitting them one by one keeps working.
      const usedBy = new Map<number, string>();
      if (!(executions instanceof Unreadable)) for (const e of executions) if (e.definitionId !== null) usedBy.set(e.definitionId, e.definitionName ?? String(e.definitionId));
      add("open-access", { allPipelines: { authorized: true }, permitted: permissions.pipelines, usedBy: [...usedBy].map(([id, name]) => ({ id, name })) });
    }
    if (readable<ExecutionInfo[]>(c.name, "unused", executions)) {
      const last = executions.map((e) => Date.parse(e.finishTime ?? "")).filter((t) => !Number.isNaN(t)).sort((a, b) => b - a)[0];
      const created = Date.parse(c.createdOn ?? "");
      if (last !== undefined ? now - last > unused : !Number.isNaN(created) && now - created > unused) {
        add("unused", { lastUsed: last !== undefined ? new Date(last).toISOString() : null, createdOn: c.createdOn, days: options.unusedDays ?? 90 });
      }
    }

    // Before a conversion to workload identity federation: what the connection's last run ran must support it.
    if (c.scheme === "ServicePrincipal" && !(executions instanceof Unreadable)) {
      const last = executions.filter((e) => e.runId !== null).sort((a, b) => Date.parse(b.finishTime ?? "") - Date.parse(a.finishTime ?? ""))[0];
      const tasks = last ? await target.runTasks(project, last.runId!) : [];
      if (last && readable<RunTaskInfo[]>(c.name, "task-without-federation", tasks)) {
        const lacking = withoutFederation(tasks);
        if (lacking.length) add("task-without-federation", { run: { runId: last.runId, pipeline: last.definitionName, finishTime: last.finishTime }, tasks: lacking });
      }
    }

    // A managed identity exists only on its VM: a run of the hosted pool could not have had it.
    if (c.scheme === "ManagedServiceIdentity" && !(executions instanceof Unreadable)) {
      const runIds = [...new Set(executions.map((e) => e.runId).filter((id): id is number => id !== null))];
      const pools = runIds.length ? await target.runPools(project, runIds) : [];
      if (readable<RunPoolInfo[]>(c.name, "managed-identity-pool", pools)) {
        const hosted = pools.filter((p) => p.hosted);
        if (hosted.length) {
          const byRun = new Map(executions.map((e) => [e.runId, e]));
          add("managed-identity-on-hosted", { scheme: c.scheme, runs: hosted.map((p) => ({ runId: p.runId, pool: p.pool, pipeline: byRun.get(p.runId)?.definitionName ?? null, result: byRun.get(p.runId)?.result ?? null })) }, null);
        }
      }
    }

    // The identity behind the connection: managed identities have no application to read.
    if (c.scheme === "ManagedServiceIdentity" || !c.appId) return { ...ref, scheme: c.scheme, appId: c.appId, findings };
    if (!readable<Map<string, ApplicationInfo>>(c.name, "application", applications)) return { ...ref, scheme: c.scheme, appId: c.appId, findings };
    if (typeof directory === "string" && directory && c.tenantId && c.tenantId.toLowerCase() !== directory) {
      notEvaluated.push({ connection: c.name, check: "application", reason: `its application is in tenant ${c.tenantId}; the scan reads the directory of tenant ${directory} (scan with a credential of that tenant to check it)` });
      return { ...ref, scheme: c.scheme, appId: c.appId, findings };
    }
    const application = applications.get(c.appId.toLowerCase());
    if (!application) {
      add("application-missing", { appId: c.appId, tenantId: c.tenantId });
      return { ...ref, scheme: c.scheme, appId: c.appId, findings };
    }
    const appRef = { appId: application.appId, objectId: application.objectId, displayName: application.displayName };
    let expiries: ConnectionReport["expiries"];

    if (c.scheme === "ServicePrincipal") {
      const certificate = application.keyCredentials.length > 0 && application.passwordCredentials.length === 0;
      const credentials = certificate ? application.keyCredentials : application.passwordCredentials;
      const ends = credentials.map((k) => Date.parse(k.endDateTime ?? "")).filter((t) => !Number.isNaN(t));
      const newest = ends.length ? Math.max(...ends) : undefined;
      const evidence = { credentials: credentials.map((k) => ({ displayName: k.displayName, endDateTime: k.endDateTime })), now: options.now.toISOString(), creationMode: c.creationMode };
      expiries = credentials.filter((k) => k.endDateTime).map((k) => ({ kind: certificate ? "certificate" : "secret", displayName: k.displayName, endDateTime: k.endDateTime! }));
      if (newest !== undefined && newest <= now) add(certificate ? "certificate-expired" : "secret-expired", evidence, appRef);
      else if (newest !== undefined && newest - now <= expiring) add(certificate ? "certificate-expiring" : "secret-expiring", { ...evidence, daysLeft: Math.floor((newest - now) / DAY) }, appRef);
    }

    if (c.scheme === "WorkloadIdentityFederation") {
      if (c.issuer && /vstoken\.(?:dev\.azure\.com|visualstudio\.com)/i.test(c.issuer)) add("legacy-issuer", { issuer: c.issuer }, appRef);
      const credentials = await target.federatedCredentials(application.objectId);
      if (readable<FederatedCredentialInfo[]>(c.name, "federated-credentials", credentials)) {
        if (!credentials.length) add("federated-credential-missing", { issuer: c.issuer, subject: c.subject }, appRef);
        else if (!credentials.some((f) => f.issuer === c.issuer && f.subject === c.subject)) {
          add("federated-credential-mismatch", { expected: { issuer: c.issuer, subject: c.subject }, found: credentials.map((f) => ({ name: f.name, issuer: f.issuer, subject: f.subject })) }, appRef);
        }
      }
    }

    if (!readable<Map<string, ServicePrincipalInfo>>(c.name, "service-principal", principals)) return { ...ref, scheme: c.scheme, appId: c.appId, findings, ...(expiries ? { expiries } : {}) };
    const principal = principals.get(c.appId.toLowerCase());
    if (!principal) {
      add("service-principal-missing", { appId: c.appId }, appRef);
      return { ...ref, scheme: c.scheme, appId: c.appId, findings, ...(expiries ? { expiries } : {}) };
    }
    if (!principal.accountEnabled) add("service-principal-disabled", { servicePrincipal: principal.objectId, accountEnabled: false }, appRef);

    if (scope) {
      const assignments = await assignmentsOf(principal.objectId, scope);
      if (readable<RoleAssignmentInfo[]>(c.name, "role-assignments", assignments)) {
        const relevant = assignments.filter((a) => scope.toLowerCase().startsWith(a.scope.toLowerCase()) || a.scope === "/");
        const shown = relevant.map((a) => ({ scope: a.scope, role: a.roleName ?? roleId(a) }));
        if (!relevant.length) add("no-role-at-scope", { principal: principal.objectId, scope, assignments: [] }, appRef);
        else if (!(executions instanceof Unreadable)) {
          const refused = await refusedByRole(project, executions, principal.objectId);
          // Only while no role it holds now allows the refused action (a role given since settles it).
          // A data role may sit on the vault itself, below the connection's scope: read the assignments there.
          const atRefused = refused?.dataAction ? await target.roleAssignments(principal.objectId, refused.refusedScope!) : relevant;
          if (refused && !(await allowedNow(c.name, atRefused instanceof Unreadable ? [] : atRefused, refused))) add("role-insufficient", { principal: principal.objectId, scope, assignments: shown, ...refused }, appRef, refused.action ? undefined : "key-vault-access-denied");
        }
        const privileged = relevant.filter((a) => PRIVILEGED.has(roleId(a)) && atSubscriptionOrAbove(a.scope));
        if (privileged.length) add("over-privileged", { principal: principal.objectId, assignments: privileged.map((a) => ({ scope: a.scope, role: PRIVILEGED.get(roleId(a)) })), all: shown }, appRef);
      }
    }
    return { ...ref, scheme: c.scheme, appId: c.appId, findings, ...(expiries ? { expiries } : {}) };
  }

  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, Math.max(1, entries.length)) }, worker));
  reports.sort((a, b) => a.name.localeCompare(b.name));

  // Across connections: one application behind several connections.
  const byApp = new Map<string, ConnectionReport[]>();
  for (const r of reports) if (r.appId && r.scheme !== "ManagedServiceIdentity") byApp.set(r.appId.toLowerCase(), [...(byApp.get(r.appId.toLowerCase()) ?? []), r]);
  for (const [appId, sharing] of byApp) {
    if (sharing.length < 2) continue;
    for (const r of sharing) {
      r.findings.push(finding("shared-application", r.id, { connection: { id: r.id, name: r.name, projects: r.projects }, application: { appId }, scope: null, evidence: { appId, connections: sharing.map((s) => s.name) } }));
    }
  }

  // Applications made for a project's automatic connections (`{org}-{project}-…`) that no connection uses any more.
  const other: Finding[] = [];
  const used = new Set([...byApp.keys()]);
  for (const project of projects) {
    const candidates = await target.applicationsNamed(`${target.organization}-${project.name}-`);
    if (!readable<ApplicationInfo[]>(`project ${project.name}`, "orphaned-applications", candidates)) continue;
    const orphans = candidates.filter((app) => !used.has(app.appId.toLowerCase()));
    const orphanPrincipals = await byAppId(orphans.length ? target.servicePrincipals(orphans.map((a) => a.appId)) : Promise.resolve([]));
    for (const app of orphans) {
      const principal = orphanPrincipals instanceof Unreadable ? orphanPrincipals : orphanPrincipals.get(app.appId.toLowerCase());
      // Keyed by id: one above the subscriptions (a management group) shows in each subscription's listing.
      const assignments = new Map<string, { id: string; scope: string; role: string; roleDefinitionId: string }>();
      if (principal && !(principal instanceof Unreadable)) {
        // The subscriptions' listings (at, above and below each) already hold the orphan's assignments.
        for (const found of subscriptionAssignments.values()) {
          if (!readable<RoleAssignmentInfo[]>(`application ${app.displayName}`, "orphan role assignments", found)) continue;
          for (const a of found) if (a.principalId.toLowerCase() === principal.objectId.toLowerCase()) assignments.set(a.id, { id: a.id, scope: a.scope, role: a.roleName ?? roleId(a), roleDefinitionId: roleId(a) });
        }
      }
      other.push(
        finding("orphaned-application", app.appId, {
          connection: null,
          application: { appId: app.appId, objectId: app.objectId, displayName: app.displayName },
          scope: null,
          evidence: { displayName: app.displayName, servicePrincipal: principal instanceof Unreadable ? null : (principal?.objectId ?? null), roleAssignments: [...assignments.values()] },
        }),
      );
    }
  }

  const all = [...reports.flatMap((r) => r.findings), ...other];
  const counts = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, all.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  return {
    organization: target.organization,
    scannedAt: options.now.toISOString(),
    projects: projects.map((p) => p.name),
    connections: reports,
    other,
    notEvaluated,
    partial: notEvaluated.length > 0,
    counts,
    skipped,
  };
}
