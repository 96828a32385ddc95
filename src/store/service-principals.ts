import type { AppRoleAssignment, ServicePrincipal, VirtualMachine } from "../entra/model.js";
import { SERVICE_PRINCIPAL_ROWS, VIRTUAL_MACHINE_ROWS } from "./schema.js";
import type { Db } from "./database.js";

/** Service principals (enterprise applications and managed identities) and the VMs that carry identities. */
export class ServicePrincipalRepository {
  constructor(private readonly db: Db) {}

  async insert(sp: ServicePrincipal): Promise<void> {
    await this.db
      .insertInto("servicePrincipals")
      .values(SERVICE_PRINCIPAL_ROWS.toRow({ ...sp, managedIdentityResourceId: sp.managedIdentityResourceId?.toLowerCase() ?? null }))
      .execute();
  }

  async get(tenantId: string, id: string): Promise<ServicePrincipal | undefined> {
    const row = await this.db.selectFrom("servicePrincipals").selectAll().where("tenantId", "=", tenantId).where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toServicePrincipal(row);
  }

  /** By object id in any tenant (object ids are globally unique). */
  async getById(id: string): Promise<ServicePrincipal | undefined> {
    const row = await this.db.selectFrom("servicePrincipals").selectAll().where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toServicePrincipal(row);
  }

  async getByAppId(tenantId: string, appId: string): Promise<ServicePrincipal | undefined> {
    const row = await this.db
      .selectFrom("servicePrincipals")
      .selectAll()
      .where("tenantId", "=", tenantId)
      .where("appId", "=", appId.toLowerCase())
      .executeTakeFirst();
    return row && toServicePrincipal(row);
  }

  async getByManagedIdentityResourceId(resourceId: string): Promise<ServicePrincipal | undefined> {
    const row = await this.db
      .selectFrom("servicePrincipals")
      .selectAll()
      .where("managedIdentityResourceId", "=", resourceId.toLowerCase())
      .executeTakeFirst();
    return row && toServicePrincipal(row);
  }

  async list(tenantId: string): Promise<ServicePrincipal[]> {
    const rows = await this.db.selectFrom("servicePrincipals").selectAll().where("tenantId", "=", tenantId).orderBy("createdAt").orderBy("id").execute();
    return rows.map(toServicePrincipal);
  }

  async update(id: string, changes: Partial<Pick<ServicePrincipal, "accountEnabled" | "displayName">>): Promise<void> {
    await this.db
      .updateTable("servicePrincipals")
      .set(SERVICE_PRINCIPAL_ROWS.toColumns(changes))
      .where("id", "=", id)
      .execute();
  }

  /** Deleting a service principal removes its ownership links, its app role grants and its own credentials. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom("owners").where("objectId", "=", id).execute();
    await this.db.deleteFrom("appRoleAssignments").where("principalId", "=", id).execute();
    await this.db.deleteFrom("federatedIdentityCredentials").where("ownerId", "=", id).execute();
    await this.db.deleteFrom("servicePrincipals").where("id", "=", id).execute();
  }

  async insertAppRoleAssignment(assignment: AppRoleAssignment): Promise<void> {
    await this.db.insertInto("appRoleAssignments").values(assignment).execute();
  }

  async appRoleAssignments(principalId: string): Promise<AppRoleAssignment[]> {
    return this.db.selectFrom("appRoleAssignments").selectAll().where("principalId", "=", principalId.toLowerCase()).orderBy("createdAt").execute();
  }

  async deleteAppRoleAssignment(principalId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("appRoleAssignments").where("principalId", "=", principalId).where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async insertVirtualMachine(vm: VirtualMachine): Promise<void> {
    await this.db.insertInto("virtualMachines").values(VIRTUAL_MACHINE_ROWS.toRow(vm)).execute();
  }

  async getVirtualMachine(name: string): Promise<VirtualMachine | undefined> {
    const row = await this.db.selectFrom("virtualMachines").selectAll().where("name", "=", name).executeTakeFirst();
    return row && VIRTUAL_MACHINE_ROWS.fromRow(row);
  }

  async listVirtualMachines(): Promise<VirtualMachine[]> {
    const rows = await this.db.selectFrom("virtualMachines").selectAll().orderBy("name").execute();
    return rows.map(VIRTUAL_MACHINE_ROWS.fromRow);
  }
}

const toServicePrincipal = SERVICE_PRINCIPAL_ROWS.fromRow;
