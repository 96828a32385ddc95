import type { ApplicationInfo, ConnectionInfo, Readable, RoleAssignmentInfo, RoleDefinitionInfo, ScanTarget, ServicePrincipalInfo } from "./target.js";
import { Unreadable } from "./target.js";
import { connectionScope } from "./connection-facts.js";

/** A check the scan could not run for one connection, and why (missing rights, a failed call). */
export interface NotEvaluated {
  connection: string;
  check: string;
  reason: string;
}

/** What the scan could not evaluate, noted as it goes: a read that failed is listed, never guessed. */
export class ScanNotes {
  readonly notEvaluated: NotEvaluated[] = [];

  /** True when the value was read; otherwise notes that `check` could not run for `connection`. */
  readable<T>(connection: string, check: string, value: T | Unreadable): value is T {
    if (!(value instanceof Unreadable)) return true;
    this.notEvaluated.push({ connection, check, reason: value.reason });
    return false;
  }

  note(connection: string, check: string, reason: string): void {
    this.notEvaluated.push({ connection, check, reason });
  }
}

const subscriptionOf = (scope: string | null) => (scope ? /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1]?.toLowerCase() : undefined);

export async function byAppId<T extends { appId: string }>(read: Promise<Readable<T[]>>): Promise<Readable<Map<string, T>>> {
  const got = await read;
  return got instanceof Unreadable ? got : new Map(got.map((x) => [x.appId.toLowerCase(), x]));
}

/**
 * What many connections share, read in bulk: applications and service principals in batches, the role assignments
 * of each subscription in one listing. A connection then costs its own few calls only.
 */
export class OrganizationReads {
  private constructor(
    private readonly target: ScanTarget,
    readonly applications: Readable<Map<string, ApplicationInfo>>,
    readonly principals: Readable<Map<string, ServicePrincipalInfo>>,
    /** The tenant whose directory the applications were read in (a connection of another tenant's cannot be judged). */
    readonly directory: Readable<string> | undefined,
    readonly subscriptionAssignments: Map<string, Readable<RoleAssignmentInfo[]>>,
  ) {}

  static async read(target: ScanTarget, connections: ConnectionInfo[]): Promise<OrganizationReads> {
    const appIds = [...new Set(connections.filter((c) => c.scheme !== "ManagedServiceIdentity" && c.appId).map((c) => c.appId!.toLowerCase()))];
    const applications = await byAppId(appIds.length ? target.applications(appIds) : Promise.resolve([]));
    const directory = appIds.length ? await target.directoryTenant() : undefined;
    const principals = await byAppId(appIds.length ? target.servicePrincipals(appIds) : Promise.resolve([]));
    const subscriptionAssignments = new Map<string, Readable<RoleAssignmentInfo[]>>();
    for (const subscription of new Set(connections.map((c) => subscriptionOf(connectionScope(c))).filter((s): s is string => !!s))) {
      subscriptionAssignments.set(subscription, await target.assignmentsAt(`/subscriptions/${subscription}`));
    }
    return new OrganizationReads(target, applications, principals, directory, subscriptionAssignments);
  }

  /** Role definitions, each read once per scan. */
  private readonly definitions = new Map<string, Promise<Readable<RoleDefinitionInfo[]>>>();

  roleDefinition(id: string): Promise<Readable<RoleDefinitionInfo[]>> {
    const key = id.toLowerCase();
    if (!this.definitions.has(key)) this.definitions.set(key, this.target.roleDefinitions([id]));
    return this.definitions.get(key)!;
  }

  /** A principal's assignments at, above or below a scope: from the subscription's listing where there is one. */
  async assignmentsOf(principalId: string, scope: string): Promise<Readable<RoleAssignmentInfo[]>> {
    const listed = this.subscriptionAssignments.get(subscriptionOf(scope) ?? "");
    if (!listed) return this.target.roleAssignments(principalId, scope);
    return listed instanceof Unreadable ? listed : listed.filter((a) => a.principalId.toLowerCase() === principalId.toLowerCase());
  }
}
