import { dataPermissionsGrant, permissionsGrant } from "../../core/role-actions.js";
import { schemeSupport, taskNamed } from "../../core/tasks/schemes.js";
import { explain } from "../explain.js";
import { type Finding, finding } from "./findings.js";
import type { OrganizationReads, ScanNotes } from "./reads.js";
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

/** The scan's limits: its "now", and how soon an expiry or how long a disuse is reported. */
export interface ScanLimits {
  now: Date;
  expiringDays: number;
  unusedDays: number;
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

export const roleId = (a: RoleAssignmentInfo) => a.roleDefinitionId.split("/").pop()!.toLowerCase();
const atSubscriptionOrAbove = (scope: string) => !/\/resourcegroups\//i.test(scope);
const lastFirst = (a: ExecutionInfo, b: ExecutionInfo) => Date.parse(b.finishTime ?? "") - Date.parse(a.finishTime ?? "");

type Add = (kind: Parameters<typeof finding>[0], evidence: Record<string, unknown>, application?: Finding["application"], explanation?: string) => void;

/**
 * One connection's checks, in the order what they read allows: its own state and use, then the application, its
 * credentials, its service principal and its roles. What cannot be read is noted, and the checks after it skipped.
 */
export class ConnectionScan {
  /** Role definitions read once per scan, by id. */
  private readonly definitions = new Map<string, Promise<Readable<RoleDefinitionInfo[]>>>();

  constructor(
    private readonly target: ScanTarget,
    private readonly reads: OrganizationReads,
    private readonly notes: ScanNotes,
    private readonly limits: ScanLimits,
  ) {}

  async run(c: ConnectionInfo, project: ProjectInfo): Promise<ConnectionReport> {
    const findings: Finding[] = [];
    const ref = { id: c.id, name: c.name, projects: c.projects.map((p) => p.name) };
    const scope = connectionScope(c);
    const add: Add = (kind, evidence, application = c.appId ? { appId: c.appId } : null, explanation) =>
      findings.push(finding(kind, c.id, { connection: ref, application, scope, evidence, ...(explanation ? { explanation } : {}) }));
    const executions = await this.use(c, project, add);
    const expiries = await this.identity(c, project, executions, add);
    return { ...ref, scheme: c.scheme, appId: c.appId, findings, ...(expiries ? { expiries } : {}) };
  }

  /** Its state and use: not ready, shared, open access, unused, tasks that cannot federate, a managed identity on hosted agents. */
  private async use(c: ConnectionInfo, project: ProjectInfo, add: Add): Promise<Readable<ExecutionInfo[]>> {
    if (!c.isReady) add("connection-not-ready", { isReady: c.isReady, operationStatus: { state: c.operationState, statusMessage: c.operationMessage } }, undefined, storedFailureDiagnosis(c.operationMessage));
    if (c.projects.length > 1) add("shared-across-projects", { projects: c.projects.map((p) => p.name) });
    const [executions, permissions] = await Promise.all([this.target.executions(project, c.id), this.target.permissions(project, c.id)]);
    if (this.notes.readable<PermissionsInfo>(c.name, "open-access", permissions) && permissions.allPipelines) {
      // The pipelines that used it: what permitting them one by one keeps working.
      const usedBy = new Map<number, string>();
      if (!(executions instanceof Unreadable)) for (const e of executions) if (e.definitionId !== null) usedBy.set(e.definitionId, e.definitionName ?? String(e.definitionId));
      add("open-access", { allPipelines: { authorized: true }, permitted: permissions.pipelines, usedBy: [...usedBy].map(([id, name]) => ({ id, name })) });
    }
    if (this.notes.readable<ExecutionInfo[]>(c.name, "unused", executions)) this.unused(c, executions, add);
    if (executions instanceof Unreadable) return executions;
    if (c.scheme === "ServicePrincipal") await this.tasksWithoutFederation(c, project, executions, add);
    if (c.scheme === "ManagedServiceIdentity") await this.managedIdentityOnHosted(c, project, executions, add);
    return executions;
  }

  private unused(c: ConnectionInfo, executions: ExecutionInfo[], add: Add): void {
    const now = this.limits.now.getTime();
    const last = executions.map((e) => Date.parse(e.finishTime ?? "")).filter((t) => !Number.isNaN(t)).sort((a, b) => b - a)[0];
    const created = Date.parse(c.createdOn ?? "");
    const unused = this.limits.unusedDays * DAY;
    if (last !== undefined ? now - last > unused : !Number.isNaN(created) && now - created > unused) {
      add("unused", { lastUsed: last !== undefined ? new Date(last).toISOString() : null, createdOn: c.createdOn, days: this.limits.unusedDays });
    }
  }

  /** Before a conversion to workload identity federation: what the connection's last run ran must support it. */
  private async tasksWithoutFederation(c: ConnectionInfo, project: ProjectInfo, executions: ExecutionInfo[], add: Add): Promise<void> {
    const last = executions.filter((e) => e.runId !== null).sort(lastFirst)[0];
    if (!last) return;
    const tasks = await this.target.runTasks(project, last.runId!);
    if (!this.notes.readable<RunTaskInfo[]>(c.name, "task-without-federation", tasks)) return;
    const lacking = withoutFederation(tasks);
    if (lacking.length) add("task-without-federation", { run: { runId: last.runId, pipeline: last.definitionName, finishTime: last.finishTime }, tasks: lacking });
  }

  /** A managed identity exists only on its VM: a run of the hosted pool could not have had it. */
  private async managedIdentityOnHosted(c: ConnectionInfo, project: ProjectInfo, executions: ExecutionInfo[], add: Add): Promise<void> {
    const runIds = [...new Set(executions.map((e) => e.runId).filter((id): id is number => id !== null))];
    const pools = runIds.length ? await this.target.runPools(project, runIds) : [];
    if (!this.notes.readable<RunPoolInfo[]>(c.name, "managed-identity-pool", pools)) return;
    const hosted = pools.filter((p) => p.hosted);
    if (!hosted.length) return;
    const byRun = new Map(executions.map((e) => [e.runId, e]));
    add("managed-identity-on-hosted", { scheme: c.scheme, runs: hosted.map((p) => ({ runId: p.runId, pool: p.pool, pipeline: byRun.get(p.runId)?.definitionName ?? null, result: byRun.get(p.runId)?.result ?? null })) }, null);
  }

  /** The identity behind the connection (managed identities have no application to read): its expiries, when it has credentials. */
  private async identity(c: ConnectionInfo, project: ProjectInfo, executions: Readable<ExecutionInfo[]>, add: Add): Promise<ConnectionReport["expiries"]> {
    const { applications, principals, directory } = this.reads;
    if (c.scheme === "ManagedServiceIdentity" || !c.appId) return undefined;
    if (!this.notes.readable<Map<string, ApplicationInfo>>(c.name, "application", applications)) return undefined;
    if (typeof directory === "string" && directory && c.tenantId && c.tenantId.toLowerCase() !== directory) {
      this.notes.note(c.name, "application", `its application is in tenant ${c.tenantId}; the scan reads the directory of tenant ${directory} (scan with a credential of that tenant to check it)`);
      return undefined;
    }
    const application = applications.get(c.appId.toLowerCase());
    if (!application) {
      add("application-missing", { appId: c.appId, tenantId: c.tenantId });
      return undefined;
    }
    const appRef = { appId: application.appId, objectId: application.objectId, displayName: application.displayName };
    const expiries = c.scheme === "ServicePrincipal" ? this.credentialExpiry(c, application, appRef, add) : undefined;
    if (c.scheme === "WorkloadIdentityFederation") await this.federation(c, application, appRef, add);
    if (!this.notes.readable<Map<string, ServicePrincipalInfo>>(c.name, "service-principal", principals)) return expiries;
    const principal = principals.get(c.appId.toLowerCase());
    if (!principal) {
      add("service-principal-missing", { appId: c.appId }, appRef);
      return expiries;
    }
    if (!principal.accountEnabled) add("service-principal-disabled", { servicePrincipal: principal.objectId, accountEnabled: false }, appRef);
    await this.roles(c, project, executions, principal, appRef, add);
    return expiries;
  }

  private credentialExpiry(c: ConnectionInfo, application: ApplicationInfo, appRef: Finding["application"], add: Add): ConnectionReport["expiries"] {
    const now = this.limits.now.getTime();
    const certificate = application.keyCredentials.length > 0 && application.passwordCredentials.length === 0;
    const credentials = certificate ? application.keyCredentials : application.passwordCredentials;
    const ends = credentials.map((k) => Date.parse(k.endDateTime ?? "")).filter((t) => !Number.isNaN(t));
    const newest = ends.length ? Math.max(...ends) : undefined;
    const evidence = { credentials: credentials.map((k) => ({ displayName: k.displayName, endDateTime: k.endDateTime })), now: this.limits.now.toISOString(), creationMode: c.creationMode };
    if (newest !== undefined && newest <= now) add(certificate ? "certificate-expired" : "secret-expired", evidence, appRef);
    else if (newest !== undefined && newest - now <= this.limits.expiringDays * DAY) add(certificate ? "certificate-expiring" : "secret-expiring", { ...evidence, daysLeft: Math.floor((newest - now) / DAY) }, appRef);
    return credentials.filter((k) => k.endDateTime).map((k) => ({ kind: certificate ? "certificate" : "secret", displayName: k.displayName, endDateTime: k.endDateTime! }));
  }

  private async federation(c: ConnectionInfo, application: ApplicationInfo, appRef: Finding["application"], add: Add): Promise<void> {
    if (c.issuer && /vstoken\.(?:dev\.azure\.com|visualstudio\.com)/i.test(c.issuer)) add("legacy-issuer", { issuer: c.issuer }, appRef);
    const credentials = await this.target.federatedCredentials(application.objectId);
    if (!this.notes.readable<FederatedCredentialInfo[]>(c.name, "federated-credentials", credentials)) return;
    if (!credentials.length) add("federated-credential-missing", { issuer: c.issuer, subject: c.subject }, appRef);
    else if (!credentials.some((f) => f.issuer === c.issuer && f.subject === c.subject)) {
      add("federated-credential-mismatch", { expected: { issuer: c.issuer, subject: c.subject }, found: credentials.map((f) => ({ name: f.name, issuer: f.issuer, subject: f.subject })) }, appRef);
    }
  }

  /** Its roles at its scope: none, one that refused what the last run did, or one that makes it an administrator. */
  private async roles(c: ConnectionInfo, project: ProjectInfo, executions: Readable<ExecutionInfo[]>, principal: ServicePrincipalInfo, appRef: Finding["application"], add: Add): Promise<void> {
    const scope = connectionScope(c);
    if (!scope) return;
    const assignments = await this.reads.assignmentsOf(principal.objectId, scope);
    if (!this.notes.readable<RoleAssignmentInfo[]>(c.name, "role-assignments", assignments)) return;
    const relevant = assignments.filter((a) => scope.toLowerCase().startsWith(a.scope.toLowerCase()) || a.scope === "/");
    const shown = relevant.map((a) => ({ scope: a.scope, role: a.roleName ?? roleId(a) }));
    if (!relevant.length) add("no-role-at-scope", { principal: principal.objectId, scope, assignments: [] }, appRef);
    else if (!(executions instanceof Unreadable)) {
      const refused = await this.refusedByRole(project, executions, principal.objectId);
      // Only while no role it holds now allows the refused action (a role given since settles it).
      // A data role may sit on the vault itself, below the connection's scope: read the assignments there.
      const atRefused = refused?.dataAction ? await this.target.roleAssignments(principal.objectId, refused.refusedScope!) : relevant;
      if (refused && !(await this.allowedNow(c.name, atRefused instanceof Unreadable ? [] : atRefused, refused))) add("role-insufficient", { principal: principal.objectId, scope, assignments: shown, ...refused }, appRef, refused.action ? undefined : "key-vault-access-denied");
    }
    const privileged = relevant.filter((a) => PRIVILEGED.has(roleId(a)) && atSubscriptionOrAbove(a.scope));
    if (privileged.length) add("over-privileged", { principal: principal.objectId, assignments: privileged.map((a) => ({ scope: a.scope, role: PRIVILEGED.get(roleId(a)) })), all: shown }, appRef);
  }

  /**
   * When the connection's last use failed because ARM refused its principal an action, that refusal: the role it
   * holds does not allow what the pipeline does. Read from the run's errors, recognised by `explain`.
   */
  private async refusedByRole(project: ProjectInfo, executions: ExecutionInfo[], principalId: string) {
    const last = [...executions].sort(lastFirst)[0];
    if (last?.result !== "failed" || last.runId === null) return null;
    const errors = await this.target.runErrors(project, last.runId);
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

  /** Whether one of these assignments' roles allows the action now; a role that cannot be read allows nothing known. */
  private async allowedNow(connection: string, assignments: RoleAssignmentInfo[], refused: { action?: string; dataAction?: string; vaultPermission?: string }): Promise<boolean> {
    // An access policy is the vault's own setting, not a role: a refusal by one is only settled by a new run.
    if (refused.vaultPermission) return false;
    for (const a of assignments) {
      const key = a.roleDefinitionId.toLowerCase();
      if (!this.definitions.has(key)) this.definitions.set(key, this.target.roleDefinitions([a.roleDefinitionId]));
      const read = await this.definitions.get(key)!;
      if (!this.notes.readable<RoleDefinitionInfo[]>(connection, "role definitions", read)) continue;
      if (read.some((d) => (refused.dataAction ? dataPermissionsGrant(d.permissions.map((p) => ({ dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })), refused.dataAction) : permissionsGrant(d.permissions, refused.action ?? "")))) return true;
    }
    return false;
  }
}
