import type { Application, FederatedIdentityCredential, KeyCredential, PasswordCredential, } from "../entra/model.js";
import { APPLICATION_ROWS, FEDERATED_CREDENTIAL_ROWS } from "./schema.js";
import { contains, type Db } from "./database.js";

/** Application registrations with their credentials (password, certificate, federated). */
export class ApplicationRepository {
  constructor(private readonly db: Db) {}

  async insert(app: Application): Promise<void> {
    await this.db
      .insertInto("applications")
      .values(APPLICATION_ROWS.toRow(app))
      .execute();
  }

  async get(tenantId: string, id: string): Promise<Application | undefined> {
    const row = await this.db.selectFrom("applications").selectAll().where("tenantId", "=", tenantId).where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toApplication(row);
  }

  /** App ids are unique across all tenants (a multi-tenant app is registered once, in its home tenant). */
  async getByAppId(appId: string): Promise<Application | undefined> {
    const row = await this.db.selectFrom("applications").selectAll().where("appId", "=", appId.toLowerCase()).executeTakeFirst();
    return row && toApplication(row);
  }

  async list(tenantId: string): Promise<Application[]> {
    const rows = await this.db.selectFrom("applications").selectAll().where("tenantId", "=", tenantId).orderBy("createdAt").orderBy("id").execute();
    return rows.map(toApplication);
  }

  /** Applications of any tenant that accept this identifier URI as a token audience. */
  async findByIdentifierUri(uri: string): Promise<Application[]> {
    const rows = await this.db.selectFrom("applications").selectAll().where(contains("identifierUris", JSON.stringify(uri).slice(1, -1))).execute();
    return rows.map(toApplication).filter((a) => a.identifierUris.includes(uri));
  }

  async update(id: string, changes: Partial<Omit<Application, "id" | "appId" | "tenantId" | "createdAt">>): Promise<void> {
    await this.db
      .updateTable("applications")
      .set(APPLICATION_ROWS.toColumns(changes))
      .where("id", "=", id)
      .execute();
  }

  /** Deleting an application removes its credentials and ownership links with it. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom("passwordCredentials").where("ownerId", "=", id).execute();
    await this.db.deleteFrom("keyCredentials").where("ownerId", "=", id).execute();
    await this.db.deleteFrom("federatedIdentityCredentials").where("ownerId", "=", id).execute();
    await this.db.deleteFrom("owners").where("objectId", "=", id).execute();
    await this.db.deleteFrom("applications").where("id", "=", id).execute();
  }

  async addOwner(objectId: string, ownerId: string, tenantId: string): Promise<void> {
    await this.db
      .insertInto("owners")
      .values({ objectId, ownerId: ownerId.toLowerCase(), tenantId })
      .onConflict((oc) => oc.columns(["objectId", "ownerId"]).doNothing())
      .execute();
  }

  async removeOwner(objectId: string, ownerId: string): Promise<boolean> {
    const result = await this.db.deleteFrom("owners").where("objectId", "=", objectId).where("ownerId", "=", ownerId.toLowerCase()).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async owners(objectId: string): Promise<string[]> {
    const rows = await this.db.selectFrom("owners").select("ownerId").where("objectId", "=", objectId).execute();
    return rows.map((r) => r.ownerId);
  }

  async isOwner(objectId: string, ownerId: string): Promise<boolean> {
    const row = await this.db.selectFrom("owners").select("ownerId").where("objectId", "=", objectId).where("ownerId", "=", ownerId.toLowerCase()).executeTakeFirst();
    return !!row;
  }

  async ownedBy(ownerId: string): Promise<string[]> {
    const rows = await this.db.selectFrom("owners").select("objectId").where("ownerId", "=", ownerId.toLowerCase()).execute();
    return rows.map((r) => r.objectId);
  }

  async insertPassword(credential: PasswordCredential): Promise<void> {
    await this.db.insertInto("passwordCredentials").values(credential).execute();
  }

  async passwords(ownerId: string): Promise<PasswordCredential[]> {
    return this.db.selectFrom("passwordCredentials").selectAll().where("ownerId", "=", ownerId).orderBy("startDateTime").execute();
  }

  async deletePassword(ownerId: string, keyId: string): Promise<boolean> {
    const result = await this.db.deleteFrom("passwordCredentials").where("ownerId", "=", ownerId).where("keyId", "=", keyId.toLowerCase()).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async insertKey(credential: KeyCredential): Promise<void> {
    await this.db.insertInto("keyCredentials").values(credential).execute();
  }

  async keys(ownerId: string): Promise<KeyCredential[]> {
    const rows = await this.db.selectFrom("keyCredentials").selectAll().where("ownerId", "=", ownerId).orderBy("startDateTime").execute();
    return rows as KeyCredential[];
  }

  async deleteKey(ownerId: string, keyId: string): Promise<boolean> {
    const result = await this.db.deleteFrom("keyCredentials").where("ownerId", "=", ownerId).where("keyId", "=", keyId.toLowerCase()).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async insertFederated(credential: FederatedIdentityCredential): Promise<void> {
    await this.db.insertInto("federatedIdentityCredentials").values(FEDERATED_CREDENTIAL_ROWS.toRow(credential)).execute();
  }

  async federated(ownerId: string): Promise<FederatedIdentityCredential[]> {
    const rows = await this.db.selectFrom("federatedIdentityCredentials").selectAll().where("ownerId", "=", ownerId).orderBy("createdAt").execute();
    return rows.map(FEDERATED_CREDENTIAL_ROWS.fromRow);
  }

  async updateFederated(id: string, changes: Partial<Pick<FederatedIdentityCredential, "issuer" | "subject" | "audiences" | "description">>): Promise<void> {
    await this.db
      .updateTable("federatedIdentityCredentials")
      .set(FEDERATED_CREDENTIAL_ROWS.toColumns(changes))
      .where("id", "=", id)
      .execute();
  }

  async deleteFederated(ownerId: string, id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("federatedIdentityCredentials").where("ownerId", "=", ownerId).where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

const toApplication = APPLICATION_ROWS.fromRow;
