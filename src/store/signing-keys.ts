import type { ExternalIssuer, SigningKey } from "../entra/model.js";
import type { Db } from "./database.js";
import { EXTERNAL_ISSUER_ROWS, SIGNING_KEY_ROWS } from "./schema.js";

/** Token-signing keys of each tenant, and the keys of external issuers trusted for federation. */
export class KeyRepository {
  constructor(private readonly db: Db) {}

  async insert(key: SigningKey): Promise<void> {
    await this.db.insertInto("signingKeys").values(SIGNING_KEY_ROWS.toRow(key)).execute();
  }

  async forTenant(tenantId: string): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom("signingKeys").selectAll().where("tenantId", "=", tenantId).orderBy("createdAt").execute();
    return rows.map(SIGNING_KEY_ROWS.fromRow);
  }

  /** Replaces a key's stored private key (sealing the keys of a store made before they were sealed). */
  async setPrivatePem(kid: string, privatePem: string): Promise<void> {
    await this.db.updateTable("signingKeys").set({ privatePem }).where("kid", "=", kid).execute();
  }

  async all(): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom("signingKeys").selectAll().orderBy("createdAt").execute();
    return rows.map(SIGNING_KEY_ROWS.fromRow);
  }

  async upsertIssuer(issuer: ExternalIssuer): Promise<void> {
    const row = EXTERNAL_ISSUER_ROWS.toRow(issuer);
    const jwks = row.jwks;
    await this.db
      .insertInto("externalIssuers")
      .values(row)
      .onConflict((oc) => oc.column("issuer").doUpdateSet({ jwks }))
      .execute();
  }

  async issuer(issuer: string): Promise<ExternalIssuer | undefined> {
    const row = await this.db.selectFrom("externalIssuers").selectAll().where("issuer", "=", issuer).executeTakeFirst();
    return row && EXTERNAL_ISSUER_ROWS.fromRow(row);
  }

  async issuers(): Promise<ExternalIssuer[]> {
    const rows = await this.db.selectFrom("externalIssuers").selectAll().orderBy("issuer").execute();
    return rows.map(EXTERNAL_ISSUER_ROWS.fromRow);
  }
}
