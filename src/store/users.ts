import type { DirectoryRoleAssignment, User } from "../entra/model.js";
import type { Db } from "./database.js";
import { USER_ROWS } from "./schema.js";

export class UserRepository {
  constructor(private readonly db: Db) {}

  async insert(user: User): Promise<void> {
    await this.db.insertInto("users").values(USER_ROWS.toRow(user)).execute();
  }

  async get(tenantId: string, id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("tenantId", "=", tenantId).where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toUser(row);
  }

  async getByUpn(tenantId: string, upn: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom("users")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .where("userPrincipalName", "=", upn.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async list(tenantId: string): Promise<User[]> {
    const rows = await this.db.selectFrom("users").selectAll().where("tenantId", "=", tenantId).orderBy("userPrincipalName").execute();
    return rows.map(toUser);
  }

  async update(tenantId: string, id: string, changes: Partial<Pick<User, "passwordHash" | "tokensValidFrom" | "accountEnabled" | "displayName">>): Promise<void> {
    await this.db
      .updateTable("users")
      .set(USER_ROWS.toColumns(changes))
      .where("tenantId", "=", tenantId)
      .where("id", "=", id)
      .execute();
  }

  async insertRoleAssignment(assignment: DirectoryRoleAssignment): Promise<void> {
    await this.db.insertInto("directoryRoleAssignments").values(assignment).execute();
  }

  async deleteRoleAssignment(tenantId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("directoryRoleAssignments").where("tenantId", "=", tenantId).where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** A tenant's directory role assignments; with `inForceAt`, only those in effect by then. */
  async roleAssignments(tenantId: string, filter: { principalId?: string; roleTemplateId?: string; inForceAt?: string } = {}): Promise<DirectoryRoleAssignment[]> {
    let query = this.db.selectFrom("directoryRoleAssignments").selectAll().where("tenantId", "=", tenantId);
    if (filter.inForceAt) query = query.where("effectiveAt", "<=", filter.inForceAt);
    if (filter.principalId) query = query.where("principalId", "=", filter.principalId.toLowerCase());
    if (filter.roleTemplateId) query = query.where("roleTemplateId", "=", filter.roleTemplateId.toLowerCase());
    return query.orderBy("createdAt").execute();
  }
}

const toUser = USER_ROWS.fromRow;
