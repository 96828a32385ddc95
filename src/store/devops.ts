import type { DevOpsIdentity, EndpointRole, IdentityKind, Organization, PipelinePermission, Project, ServiceEndpoint } from "../devops/model.js";
import { atomically, bool, endsWith, isUniqueViolation, json, startsWith, UniqueViolation, type Db } from "./database.js";
import { ORGANIZATION_ROWS, PIPELINE_PERMISSION_ROWS } from "./schema.js";

/** Organizations, projects, identities and groups, PATs, security roles, service endpoints and their permissions. */
export class DevOpsRepository {
  constructor(private readonly db: Db) {}

  // organizations and projects
  async insertOrganization(org: Organization): Promise<void> {
    await this.db.insertInto("organizations").values(ORGANIZATION_ROWS.toRow(org)).execute();
  }

  async organizationByName(name: string): Promise<Organization | undefined> {
    const rows = await this.db.selectFrom("organizations").selectAll().execute();
    const row = rows.find((r) => r.name.toLowerCase() === name.toLowerCase() || r.id === name.toLowerCase());
    return row && toOrganization(row);
  }

  async organizations(): Promise<Organization[]> {
    return (await this.db.selectFrom("organizations").selectAll().orderBy("name").execute()).map(toOrganization);
  }

  async updateOrganization(id: string, changes: Partial<Pick<Organization, "name" | "federationIssuer" | "serverMode">>): Promise<void> {
    await this.db
      .updateTable("organizations")
      .set(ORGANIZATION_ROWS.toColumns(changes))
      .where("id", "=", id)
      .execute();
  }

  async insertProject(project: Project): Promise<void> {
    await this.db.insertInto("projects").values(project).execute();
  }

  async projects(organizationId: string): Promise<Project[]> {
    return this.db.selectFrom("projects").selectAll().where("organizationId", "=", organizationId).orderBy("name").execute();
  }

  /** A project by id or name (names compare case-insensitively, as Azure DevOps does). */
  async project(organizationId: string, idOrName: string): Promise<Project | undefined> {
    const all = await this.projects(organizationId);
    const key = idOrName.toLowerCase();
    return all.find((p) => p.id === key || p.name.toLowerCase() === key);
  }

  async updateProject(id: string, changes: Partial<Pick<Project, "name" | "description">>): Promise<void> {
    await this.db.updateTable("projects").set(changes).where("id", "=", id).execute();
  }

  // identities, groups, PATs
  async insertIdentity(identity: DevOpsIdentity): Promise<void> {
    await this.db.insertInto("devopsIdentities").values(identity).execute();
  }

  async identity(id: string): Promise<DevOpsIdentity | undefined> {
    const row = await this.db.selectFrom("devopsIdentities").selectAll().where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && { ...row, kind: row.kind as IdentityKind };
  }

  async identityByEntraObject(organizationId: string, entraObjectId: string): Promise<DevOpsIdentity | undefined> {
    const row = await this.db
      .selectFrom("devopsIdentities")
      .selectAll()
      .where("organizationId", "=", organizationId)
      .where("entraObjectId", "=", entraObjectId.toLowerCase())
      .executeTakeFirst();
    return row && { ...row, kind: row.kind as IdentityKind };
  }

  async identities(organizationId: string): Promise<DevOpsIdentity[]> {
    const rows = await this.db.selectFrom("devopsIdentities").selectAll().where("organizationId", "=", organizationId).orderBy("uniqueName").execute();
    return rows.map((r) => ({ ...r, kind: r.kind as IdentityKind }));
  }

  async addMember(groupId: string, memberId: string): Promise<void> {
    await this.db
      .insertInto("groupMembers")
      .values({ groupId, memberId })
      .onConflict((oc) => oc.columns(["groupId", "memberId"]).doNothing())
      .execute();
  }

  async removeMember(groupId: string, memberId: string): Promise<void> {
    await this.db.deleteFrom("groupMembers").where("groupId", "=", groupId).where("memberId", "=", memberId).execute();
  }

  /** Groups that directly contain an identity. */
  async groupsOf(memberId: string): Promise<string[]> {
    return (await this.db.selectFrom("groupMembers").select("groupId").where("memberId", "=", memberId).execute()).map((r) => r.groupId);
  }

  async members(groupId: string): Promise<string[]> {
    return (await this.db.selectFrom("groupMembers").select("memberId").where("groupId", "=", groupId).execute()).map((r) => r.memberId);
  }

  async insertPat(pat: { id: string; identityId: string; organizationId: string; name: string; tokenHash: string; validTo: string; createdAt: string }): Promise<void> {
    await this.db.insertInto("personalAccessTokens").values(pat).execute();
  }

  /** An identity's personal access tokens, as stored (hashes only). */
  async patsOf(identityId: string): Promise<Array<{ name: string; tokenHash: string; validTo: string }>> {
    return this.db.selectFrom("personalAccessTokens").select(["name", "tokenHash", "validTo"]).where("identityId", "=", identityId).orderBy("createdAt").execute();
  }

  async patByHash(tokenHash: string): Promise<{ identityId: string; organizationId: string; validTo: string } | undefined> {
    return this.db.selectFrom("personalAccessTokens").select(["identityId", "organizationId", "validTo"]).where("tokenHash", "=", tokenHash).executeTakeFirst();
  }

  // security roles
  async setRole(scope: string, resourceId: string, identityId: string, role: EndpointRole): Promise<void> {
    await this.db
      .insertInto("securityRoleAssignments")
      .values({ scope, resourceId, identityId, role })
      .onConflict((oc) => oc.columns(["scope", "resourceId", "identityId"]).doUpdateSet({ role }))
      .execute();
  }

  async removeRole(scope: string, resourceId: string, identityId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("securityRoleAssignments")
      .where("scope", "=", scope)
      .where("resourceId", "=", resourceId)
      .where("identityId", "=", identityId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async roles(scope: string, resourceId: string): Promise<Array<{ identityId: string; role: EndpointRole }>> {
    const rows = await this.db.selectFrom("securityRoleAssignments").select(["identityId", "role"]).where("scope", "=", scope).where("resourceId", "=", resourceId).execute();
    return rows.map((r) => ({ identityId: r.identityId, role: r.role as EndpointRole }));
  }

  /** Role assignments and inheritance of every resource whose id starts with `prefix` (a project's connections). */
  async rolesUnder(scope: string, prefix: string): Promise<{ roles: Map<string, Array<{ identityId: string; role: EndpointRole }>>; noInheritance: Set<string> }> {
    const rows = await this.db.selectFrom("securityRoleAssignments").select(["resourceId", "identityId", "role"]).where("scope", "=", scope).where(startsWith("resourceId", prefix)).execute();
    const roles = new Map<string, Array<{ identityId: string; role: EndpointRole }>>();
    for (const r of rows) {
      const list = roles.get(r.resourceId) ?? [];
      list.push({ identityId: r.identityId, role: r.role as EndpointRole });
      roles.set(r.resourceId, list);
    }
    const off = await this.db.selectFrom("securityInheritance").select(["resourceId", "inherit"]).where("scope", "=", scope).where(startsWith("resourceId", prefix)).execute();
    return { roles, noInheritance: new Set(off.filter((r) => !bool.read(r.inherit)).map((r) => r.resourceId)) };
  }

  async setInheritance(scope: string, resourceId: string, inherit: boolean): Promise<void> {
    await this.db
      .insertInto("securityInheritance")
      .values({ scope, resourceId, inherit: bool.write(inherit) })
      .onConflict((oc) => oc.columns(["scope", "resourceId"]).doUpdateSet({ inherit: bool.write(inherit) }))
      .execute();
  }

  async inherits(scope: string, resourceId: string): Promise<boolean> {
    const row = await this.db.selectFrom("securityInheritance").select("inherit").where("scope", "=", scope).where("resourceId", "=", resourceId).executeTakeFirst();
    return row ? bool.read(row.inherit) : true;
  }

  // service endpoints
  async putEndpoint(endpoint: ServiceEndpoint, secrets: string): Promise<void> {
    const { projects, ...body } = endpoint;
    const row = { id: endpoint.id, organizationId: endpoint.organizationId, body: json.write(body), secrets, createdAt: endpoint.creationDate };
    await atomically(this.db, async (db) => {
      await db
        .insertInto("serviceEndpoints")
        .values(row)
        .onConflict((oc) => oc.column("id").doUpdateSet({ body: row.body, secrets: row.secrets }))
        .execute();
      await db.deleteFrom("endpointProjects").where("endpointId", "=", endpoint.id).execute();
      for (const [position, p] of projects.entries()) {
        try {
          await db.insertInto("endpointProjects").values({ endpointId: endpoint.id, projectId: p.projectId, name: p.name, description: p.description, position }).execute();
        } catch (error) {
          if (isUniqueViolation(error)) throw new UniqueViolation("service connection name", p.name);
          throw error;
        }
      }
    });
  }

  async endpoint(id: string): Promise<{ endpoint: ServiceEndpoint; secrets: string } | undefined> {
    return (await this.endpointsWhere("id", [id.toLowerCase()]))[0];
  }

  /** Endpoints shared with a project, by name. */
  async endpointsOfProject(projectId: string): Promise<Array<{ endpoint: ServiceEndpoint; secrets: string }>> {
    const ids = await this.db.selectFrom("endpointProjects").select("endpointId").where("projectId", "=", projectId).execute();
    const found = await this.endpointsWhere("id", ids.map((r) => r.endpointId));
    return found.sort((a, b) => a.endpoint.name.localeCompare(b.endpoint.name));
  }

  async endpointsOfOrganization(organizationId: string): Promise<Array<{ endpoint: ServiceEndpoint; secrets: string }>> {
    return this.endpointsWhere("organizationId", [organizationId]);
  }

  /** Endpoints with their project references, in two queries per 500 keys (lists stay linear). */
  private async endpointsWhere(column: "id" | "organizationId", keys: string[]): Promise<Array<{ endpoint: ServiceEndpoint; secrets: string }>> {
    const out: Array<{ endpoint: ServiceEndpoint; secrets: string }> = [];
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db.selectFrom("serviceEndpoints").selectAll().where(column, "in", keys.slice(i, i + 500)).execute();
      if (!rows.length) continue;
      const references = await this.db
        .selectFrom("endpointProjects")
        .selectAll()
        .where("endpointId", "in", rows.map((r) => r.id))
        .orderBy("endpointId")
        .orderBy("position")
        .execute();
      const byEndpoint = new Map<string, ServiceEndpoint["projects"]>();
      for (const p of references) {
        const list = byEndpoint.get(p.endpointId) ?? [];
        list.push({ projectId: p.projectId, name: p.name, description: p.description });
        byEndpoint.set(p.endpointId, list);
      }
      for (const row of rows) out.push({ endpoint: { ...json.read<Omit<ServiceEndpoint, "projects">>(row.body, {} as never), projects: byEndpoint.get(row.id) ?? [] }, secrets: row.secrets });
    }
    return out;
  }

  async deleteEndpoint(id: string): Promise<void> {
    await atomically(this.db, async (db) => {
      await db.deleteFrom("endpointProjects").where("endpointId", "=", id).execute();
      await db.deleteFrom("serviceEndpoints").where("id", "=", id).execute();
      await db.deleteFrom("securityRoleAssignments").where(endsWith("resourceId", `_${id}`)).execute();
      await db.deleteFrom("pipelinePermissions").where("resourceId", "=", id).execute();
    });
  }

  // pipeline permissions (pipelineId -1 = all pipelines)
  async pipelinePermissions(projectId: string, resourceType: string, resourceId: string): Promise<PipelinePermission[]> {
    const rows = await this.db
      .selectFrom("pipelinePermissions")
      .selectAll()
      .where("projectId", "=", projectId)
      .where("resourceType", "=", resourceType)
      .where("resourceId", "=", resourceId.toLowerCase())
      .orderBy("pipelineId")
      .execute();
    return rows.map(({ projectId: _p, resourceType: _t, resourceId: _r, ...r }) => PIPELINE_PERMISSION_ROWS.fromRow(r));
  }

  /** Resources of a type every pipeline of the project may use (open access). */
  async openResources(projectId: string, resourceType: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom("pipelinePermissions")
      .select("resourceId")
      .where("projectId", "=", projectId)
      .where("resourceType", "=", resourceType)
      .where("pipelineId", "=", -1)
      .where("authorized", "=", bool.write(true))
      .execute();
    return rows.map((r) => r.resourceId);
  }

  async setPipelinePermission(projectId: string, resourceType: string, resourceId: string, permission: PipelinePermission): Promise<void> {
    const row = { ...PIPELINE_PERMISSION_ROWS.toRow(permission), projectId, resourceType, resourceId: resourceId.toLowerCase() };
    await this.db
      .insertInto("pipelinePermissions")
      .values(row)
      .onConflict((oc) => oc.columns(["projectId", "resourceType", "resourceId", "pipelineId"]).doUpdateSet({ authorized: row.authorized, authorizedBy: row.authorizedBy, authorizedOn: row.authorizedOn }))
      .execute();
  }

  // execution history and the subscription picker's cache
  async addExecutionRecord(endpointId: string, data: Record<string, unknown>, createdAt: string): Promise<void> {
    await this.db.insertInto("executionRecords").values({ endpointId, data: json.write(data), createdAt }).execute();
  }

  async executionRecords(endpointId: string, top: number, before?: number): Promise<Array<{ id: number; data: Record<string, unknown> }>> {
    let query = this.db.selectFrom("executionRecords").select(["id", "data"]).where("endpointId", "=", endpointId).orderBy("id", "desc").limit(top);
    if (before !== undefined) query = query.where("id", "<", before);
    return (await query.execute()).map((r) => ({ id: r.id, data: json.read(r.data, {}) }));
  }

  /** Records that a job ended (its access token stops working); rows older than `forgetBefore` are dropped. */
  async endJob(jobId: string, endedAt: string, forgetBefore: string): Promise<void> {
    await this.db.insertInto("endedJobs").values({ jobId, endedAt }).onConflict((oc) => oc.column("jobId").doNothing()).execute();
    await this.db.deleteFrom("endedJobs").where("endedAt", "<", forgetBefore).execute();
  }

  async jobEnded(jobId: string): Promise<boolean> {
    return (await this.db.selectFrom("endedJobs").select("jobId").where("jobId", "=", jobId).executeTakeFirst()) !== undefined;
  }

  async subscriptionCache(sessionId: string): Promise<unknown[] | undefined> {
    const row = await this.db.selectFrom("subscriptionCaches").select("subscriptions").where("sessionId", "=", sessionId).executeTakeFirst();
    return row ? json.read<unknown[]>(row.subscriptions, []) : undefined;
  }

  async putSubscriptionCache(sessionId: string, subscriptions: unknown[], createdAt: string): Promise<void> {
    const value = json.write(subscriptions);
    await this.db
      .insertInto("subscriptionCaches")
      .values({ sessionId, subscriptions: value, createdAt })
      .onConflict((oc) => oc.column("sessionId").doUpdateSet({ subscriptions: value }))
      .execute();
  }
}

const toOrganization = ORGANIZATION_ROWS.fromRow;
