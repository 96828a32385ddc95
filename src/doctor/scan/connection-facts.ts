import type { Finding } from "../findings/define.js";
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

/** The ARM scope a connection works at: its resource group, subscription or management group. */
export function connectionScope(c: ConnectionInfo): string | null {
  if (c.scope) return c.scope;
  if (c.scopeLevel === "ManagementGroup" && c.managementGroupId) return `/providers/Microsoft.Management/managementGroups/${c.managementGroupId}`;
  if (c.subscriptionId) return `/subscriptions/${c.subscriptionId}`;
  return null;
}

export const roleId = (a: RoleAssignmentInfo) => a.roleDefinitionId.split("/").pop()!.toLowerCase();
export const lastFirst = (a: ExecutionInfo, b: ExecutionInfo) => Date.parse(b.finishTime ?? "") - Date.parse(a.finishTime ?? "");
export const DAY = 86_400_000;

type AppRef = NonNullable<Finding["application"]>;
/** The connection's application as the directory holds it: absent, or found (undefined: not checked, noted why). */
export type ApplicationLookup = { missing: true } | { missing: false; application: ApplicationInfo; ref: AppRef };

/** What an expiry finding read: the application's secrets (or certificates) with their end dates, and when. */
export type CredentialEvidence = {
  credentials: Array<{ displayName: string | null; endDateTime: string | null }>;
  now: string;
  creationMode: string | null;
  daysLeft?: number;
};

/** The secrets or certificates a secret-scheme connection's application signs in with. */
export interface CredentialState {
  application: AppRef;
  certificate: boolean;
  /** The latest end of them (undefined when none has one). */
  newest: number | undefined;
  evidence: CredentialEvidence;
  expiries: NonNullable<ConnectionReport["expiries"]>;
}

/** The principal's assignments that apply at the connection's scope (at it or above it). */
export interface ScopeRoles {
  scope: string;
  principal: ServicePrincipalInfo;
  relevant: RoleAssignmentInfo[];
  shown: Array<{ scope: string; role: string }>;
}

/**
 * What the checks of one connection read, each read once and shared by the findings that need it. A read that
 * fails is noted (the scan's "not evaluated") under the check that needed it, and what depends on it is skipped:
 * no application, no service principal; no service principal, no roles.
 */
export class ConnectionFacts {
  private readonly memo = new Map<string, Promise<unknown>>();
  readonly scope: string | null;

  constructor(
    readonly target: ScanTarget,
    readonly connection: ConnectionInfo,
    readonly project: ProjectInfo,
    readonly limits: ScanLimits,
    private readonly reads: OrganizationReads,
    private readonly notes: ScanNotes,
  ) {
    this.scope = connectionScope(connection);
  }

  /** True when the value was read; otherwise notes that `check` could not run for this connection. */
  readable<T>(check: string, value: T | Unreadable): value is T {
    return this.notes.readable(this.connection.name, check, value);
  }

  executions(): Promise<Readable<ExecutionInfo[]>> {
    return this.once("executions", () => this.target.executions(this.project, this.connection.id));
  }

  permissions(): Promise<Readable<PermissionsInfo>> {
    return this.once("permissions", () => this.target.permissions(this.project, this.connection.id));
  }

  /** The application behind the connection; undefined for a managed identity, or when it cannot be judged (noted). */
  application(): Promise<ApplicationLookup | undefined> {
    return this.once("application", async () => {
      const { applications, directory } = this.reads;
      const c = this.connection;
      if (c.scheme === "ManagedServiceIdentity" || !c.appId) return undefined;
      if (!this.readable<Map<string, ApplicationInfo>>("application", applications)) return undefined;
      if (typeof directory === "string" && directory && c.tenantId && c.tenantId.toLowerCase() !== directory) {
        this.notes.note(c.name, "application", `its application is in tenant ${c.tenantId}; the scan reads the directory of tenant ${directory} (scan with a credential of that tenant to check it)`);
        return undefined;
      }
      const application = applications.get(c.appId.toLowerCase());
      if (!application) return { missing: true };
      return { missing: false, application, ref: { appId: application.appId, objectId: application.objectId, displayName: application.displayName } };
    });
  }

  /** The application when it was found. */
  async found(): Promise<Extract<ApplicationLookup, { missing: false }> | undefined> {
    const lookup = await this.application();
    return lookup && !lookup.missing ? lookup : undefined;
  }

  /** A secret-scheme connection's credentials (certificates when the application has only those). */
  credentials(): Promise<CredentialState | undefined> {
    return this.once("credentials", async () => {
      const found = await this.found();
      if (this.connection.scheme !== "ServicePrincipal" || !found) return undefined;
      const { application } = found;
      const certificate = application.keyCredentials.length > 0 && application.passwordCredentials.length === 0;
      const credentials = certificate ? application.keyCredentials : application.passwordCredentials;
      const ends = credentials.map((k) => Date.parse(k.endDateTime ?? "")).filter((t) => !Number.isNaN(t));
      const evidence: CredentialEvidence = { credentials: credentials.map((k) => ({ displayName: k.displayName, endDateTime: k.endDateTime })), now: this.limits.now.toISOString(), creationMode: this.connection.creationMode };
      const expiries = credentials.filter((k) => k.endDateTime).map((k) => ({ kind: certificate ? ("certificate" as const) : ("secret" as const), displayName: k.displayName, endDateTime: k.endDateTime! }));
      return { application: found.ref, certificate, newest: ends.length ? Math.max(...ends) : undefined, evidence, expiries };
    });
  }

  /** A workload identity connection's federated credentials, from its application. */
  federatedCredentials(): Promise<FederatedCredentialInfo[] | undefined> {
    return this.once("federated-credentials", async () => {
      const found = await this.found();
      if (this.connection.scheme !== "WorkloadIdentityFederation" || !found) return undefined;
      const credentials = await this.target.federatedCredentials(found.application.objectId);
      return this.readable<FederatedCredentialInfo[]>("federated-credentials", credentials) ? credentials : undefined;
    });
  }

  /** The application's service principal: "missing" when it has none. */
  principal(): Promise<ServicePrincipalInfo | "missing" | undefined> {
    return this.once("principal", async () => {
      const found = await this.found();
      if (!found || !this.readable<Map<string, ServicePrincipalInfo>>("service-principal", this.reads.principals)) return undefined;
      return this.reads.principals.get(this.connection.appId!.toLowerCase()) ?? "missing";
    });
  }

  /** The roles the service principal holds at the connection's scope. */
  roles(): Promise<ScopeRoles | undefined> {
    return this.once("roles", async () => {
      const principal = await this.principal();
      const scope = this.scope;
      if (!principal || principal === "missing" || !scope) return undefined;
      const assignments = await this.reads.assignmentsOf(principal.objectId, scope);
      if (!this.readable<RoleAssignmentInfo[]>("role-assignments", assignments)) return undefined;
      const relevant = assignments.filter((a) => scope.toLowerCase().startsWith(a.scope.toLowerCase()) || a.scope === "/");
      return { scope, principal, relevant, shown: relevant.map((a) => ({ scope: a.scope, role: a.roleName ?? roleId(a) })) };
    });
  }

  /** A role definition, read once per scan. */
  roleDefinition(id: string): Promise<Readable<RoleDefinitionInfo[]>> {
    return this.reads.roleDefinition(id);
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) this.memo.set(key, read());
    return this.memo.get(key) as Promise<T>;
  }
}

export { Unreadable };
