import type { ServiceEndpoints } from "./endpoints.js";
import type { Environments } from "./environments.js";
import type { DevOpsCaller } from "./identities.js";
import type { EndpointRole } from "./model.js";
import type { VariableGroups } from "./variable-groups.js";

/**
 * The protected resources svcconn keeps — service connections, variable groups, environments — behind one question:
 * may the caller act on this one with at least this role? Pipeline permissions, checks and role scopes all ask it.
 */
export class ProtectedResources {
  constructor(
    private readonly endpoints: ServiceEndpoints,
    private readonly variableGroups: VariableGroups,
    private readonly environments: Environments,
  ) {}

  /** Whether svcconn keeps resources of this type (pools, repositories and secure files it does not). */
  keeps(type: string): boolean {
    return type === "endpoint" || type === "variablegroup" || type === "environment";
  }

  /** Passes, or throws the resource's own not-found (it may not even see it) or access-denied error. */
  async require(caller: DevOpsCaller, projectId: string, type: string, id: string, needed: EndpointRole): Promise<void> {
    if (type === "endpoint") await this.endpoints.require(caller, id, needed, projectId);
    else if (type === "variablegroup") await this.variableGroups.require(caller, Number(id), needed, projectId);
    else if (type === "environment") await this.environments.require(caller, projectId, Number(id), needed);
  }

  /** The ids of the resources of a type the caller may see in the project. */
  async visible(caller: DevOpsCaller, projectId: string, type: string): Promise<Set<string>> {
    if (type === "endpoint") return new Set((await this.endpoints.list(caller, projectId, { includeFailed: true, actionFilter: "none" })).map((e) => e.id));
    if (type === "variablegroup") return new Set((await this.variableGroups.list(caller, projectId, { actionFilter: "none", queryOrder: "idAscending" })).map((g) => String(g.id)));
    if (type === "environment") return new Set((await this.environments.list(caller, projectId, { top: Number.MAX_SAFE_INTEGER })).environments.map((e) => String(e.id)));
    return new Set();
  }
}
