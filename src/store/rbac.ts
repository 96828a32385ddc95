import type { PrincipalType, RoleAssignment, RoleDefinition } from "../arm/model.js";
import { isUniqueViolation, startsWith, UniqueViolation, type Db } from "./database.js";
import { ROLE_DEFINITION_ROWS, type RoleAssignmentTable } from "./schema.js";

/** Custom role definitions and role assignments. */
export class RbacRepository {
  constructor(private readonly db: Db) {}

  async putRoleDefinition(role: RoleDefinition): Promise<void> {
    const { roleType: _, ...stored } = role;
    const row = ROLE_DEFINITION_ROWS.toRow({ ...stored, tenantId: role.tenantId ?? "" });
    await this.db
      .insertInto("roleDefinitions")
      .values(row)
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({ roleName: row.roleName, description: row.description, permissions: row.permissions, assignableScopes: row.assignableScopes, updatedOn: row.updatedOn }),
      )
      .execute();
  }

  async customRoles(tenantId?: string): Promise<RoleDefinition[]> {
    let query = this.db.selectFrom("roleDefinitions").selectAll();
    if (tenantId) query = query.where("tenantId", "=", tenantId);
    const rows = await query.orderBy("roleName").execute();
    return rows.map((r) => ({ ...ROLE_DEFINITION_ROWS.fromRow(r), roleType: "CustomRole" as const }));
  }

  async deleteRoleDefinition(id: string): Promise<void> {
    await this.db.deleteFrom("roleDefinitions").where("id", "=", id).execute();
  }

  async insertAssignment(assignment: RoleAssignment, subscriptionId: string | null): Promise<void> {
    try {
      await this.db
        .insertInto("roleAssignments")
        .values({ ...assignment, scopeKey: assignment.scope.toLowerCase(), subscriptionId })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueViolation("role assignment", `${assignment.principalId} ${assignment.roleDefinitionId} ${assignment.scope}`);
      throw error;
    }
  }

  async assignment(name: string): Promise<RoleAssignment | undefined> {
    const row = await this.db.selectFrom("roleAssignments").selectAll().where("name", "=", name.toLowerCase()).executeTakeFirst();
    return row && toAssignment(row);
  }

  /** Assignments of a principal at any of the given scope keys, including removed ones still propagating. */
  async forPrincipalAtScopes(principalIds: string[], scopeKeys: string[]): Promise<RoleAssignment[]> {
    if (principalIds.length === 0 || scopeKeys.length === 0) return [];
    const rows = await this.db.selectFrom("roleAssignments").selectAll().where("principalId", "in", principalIds).where("scopeKey", "in", scopeKeys).execute();
    return rows.map(toAssignment);
  }

  async forPrincipal(principalId: string): Promise<RoleAssignment[]> {
    const rows = await this.db.selectFrom("roleAssignments").selectAll().where("principalId", "=", principalId.toLowerCase()).execute();
    return rows.map(toAssignment);
  }

  /** Live (not removed) assignments at exactly these scopes. */
  async atScopes(scopeKeys: string[]): Promise<RoleAssignment[]> {
    if (scopeKeys.length === 0) return [];
    const rows = await this.db.selectFrom("roleAssignments").selectAll().where("scopeKey", "in", scopeKeys).where("removedAt", "is", null).orderBy("createdOn").execute();
    return rows.map(toAssignment);
  }

  /** Live assignments at or below a scope key. */
  async atOrBelow(scopeKey: string): Promise<RoleAssignment[]> {
    const prefix = scopeKey === "/" ? "/" : `${scopeKey}/`;
    const rows = await this.db
      .selectFrom("roleAssignments")
      .selectAll()
      .where("removedAt", "is", null)
      .where((eb) => eb.or([eb("scopeKey", "=", scopeKey), startsWith("scopeKey", prefix)]))
      .orderBy("createdOn")
      .execute();
    return rows.map(toAssignment);
  }

  async markRemoved(name: string, removedAt: string, removalEffectiveAt: string): Promise<void> {
    await this.db.updateTable("roleAssignments").set({ removedAt, removalEffectiveAt }).where("name", "=", name.toLowerCase()).execute();
  }

  async countForRole(roleDefinitionId: string): Promise<number> {
    const row = await this.db
      .selectFrom("roleAssignments")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("roleDefinitionId", "=", roleDefinitionId)
      .where("removedAt", "is", null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

function toAssignment(row: RoleAssignmentTable): RoleAssignment {
  const { scopeKey: _key, subscriptionId: _sub, ...rest } = row;
  return { ...rest, principalType: row.principalType as PrincipalType };
}
