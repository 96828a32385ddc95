import type { ExternalIssuer, SigningKey } from "../entra/model.js";
import { json, type Db } from "./database.js";

/** Token-signing keys of each tenant, and the keys of external issuers trusted for federation. */
export class KeyRepository {
  constructor(private readonly db: Db) {}

  async insert(key: SigningKey): Promise<void> {
    await this.db.insertInto("signingKeys").values({ ...key, publicJwk: json.write(key.publicJwk) }).execute();
  }

  async forTenant(tenantId: string): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom("signingKeys").selectAll().where("tenantId", "=", tenantId).orderBy("createdAt").execute();
    return rows.map((r) => ({ ...r, publicJwk: json.read<Record<string, unknown>>(r.publicJwk, {}) }));
  }

  /** Replaces a key's stored private key (sealing the keys of a store made before they were sealed). */
  async setPrivatePem(kid: string, privatePem: string): Promise<void> {
    await this.db.updateTable("signingKeys").set({ privatePem }).where("kid", "=", kid).execute();
  }

  async all(): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom("signingKeys").selectAll().orderBy("createdAt").execute();
    return rows.map((r) => ({ ...r, publicJwk: json.read<Record<string, unknown>>(r.publicJwk, {}) }));
  }

  async upsertIssuer(issuer: ExternalIssuer): Promise<void> {
    const jwks = json.write(issuer.jwks);
    await this.db
      .insertInto("externalIssuers")
      .values({ issuer: issuer.issuer, jwks })
      .onConflict((oc) => oc.column("issuer").doUpdateSet({ jwks }))
      .execute();
  }

  async issuer(issuer: string): Promise<ExternalIssuer | undefined> {
    const row = await this.db.selectFrom("externalIssuers").selectAll().where("issuer", "=", issuer).executeTakeFirst();
    return row && { issuer: row.issuer, jwks: json.read(row.jwks, { keys: [] }) };
  }

  async issuers(): Promise<ExternalIssuer[]> {
    const rows = await this.db.selectFrom("externalIssuers").selectAll().orderBy("issuer").execute();
    return rows.map((row) => ({ issuer: row.issuer, jwks: json.read(row.jwks, { keys: [] }) }));
  }
}
