import type { DeletedSecret, SecretVersion } from "../keyvault/model.js";
import { atomically, json, type Db } from "./database.js";

/** What a secret version's row keeps besides its value and key. */
type Attributes = Pick<SecretVersion, "contentType" | "tags" | "enabled" | "notBefore" | "expires" | "updated">;

/** Key Vault secrets: every version (values sealed by the service), and the names in the deleted state. */
export class VaultSecretRepository {
  constructor(private readonly db: Db) {}

  async versions(vaultKey: string, name: string): Promise<Array<SecretVersion & { sealedValue: string }>> {
    const rows = await this.db.selectFrom("vaultSecrets").selectAll().where("vaultKey", "=", vaultKey).where("nameKey", "=", name.toLowerCase()).orderBy("ordinal").execute();
    return rows.map(toVersion);
  }

  /** The newest version of every name in the vault, names in order. */
  async latestOfEach(vaultKey: string): Promise<Array<SecretVersion & { sealedValue: string }>> {
    const rows = await this.db.selectFrom("vaultSecrets").selectAll().where("vaultKey", "=", vaultKey).orderBy("nameKey").orderBy("ordinal").execute();
    const latest = new Map<string, (typeof rows)[number]>();
    for (const row of rows) latest.set(row.nameKey, row);
    return [...latest.values()].map(toVersion);
  }

  async put(version: SecretVersion, sealedValue: string): Promise<void> {
    const attributes = json.write({ contentType: version.contentType, tags: version.tags, enabled: version.enabled, notBefore: version.notBefore, expires: version.expires, updated: version.updated } satisfies Attributes);
    const nameKey = version.name.toLowerCase();
    await atomically(this.db, async (tx) => {
      const updated = await tx.updateTable("vaultSecrets").set({ attributes }).where("vaultKey", "=", version.vaultKey).where("nameKey", "=", nameKey).where("version", "=", version.version).executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
      const last = await tx.selectFrom("vaultSecrets").select((eb) => eb.fn.max("ordinal").as("ordinal")).where("vaultKey", "=", version.vaultKey).where("nameKey", "=", nameKey).executeTakeFirst();
      const ordinal = Number(last?.ordinal ?? 0) + 1;
      await tx.insertInto("vaultSecrets").values({ vaultKey: version.vaultKey, nameKey, name: version.name, version: version.version, ordinal, sealedValue, attributes, created: version.created }).execute();
    });
  }

  async deleted(vaultKey: string, name?: string): Promise<DeletedSecret[]> {
    let query = this.db.selectFrom("vaultDeletedSecrets").selectAll().where("vaultKey", "=", vaultKey);
    if (name !== undefined) query = query.where("nameKey", "=", name.toLowerCase());
    const rows = await query.orderBy("nameKey").execute();
    return rows.map((r) => ({ vaultKey: r.vaultKey, name: r.name, deletedDate: r.deletedDate, scheduledPurgeDate: r.scheduledPurgeDate }));
  }

  async markDeleted(secret: DeletedSecret): Promise<void> {
    await this.db
      .insertInto("vaultDeletedSecrets")
      .values({ vaultKey: secret.vaultKey, nameKey: secret.name.toLowerCase(), name: secret.name, deletedDate: secret.deletedDate, scheduledPurgeDate: secret.scheduledPurgeDate })
      .execute();
  }

  async recover(vaultKey: string, name: string): Promise<void> {
    await this.db.deleteFrom("vaultDeletedSecrets").where("vaultKey", "=", vaultKey).where("nameKey", "=", name.toLowerCase()).execute();
  }

  /** Purge: the deleted state and every version go. */
  async purge(vaultKey: string, name: string): Promise<void> {
    await atomically(this.db, async (tx) => {
      await tx.deleteFrom("vaultDeletedSecrets").where("vaultKey", "=", vaultKey).where("nameKey", "=", name.toLowerCase()).execute();
      await tx.deleteFrom("vaultSecrets").where("vaultKey", "=", vaultKey).where("nameKey", "=", name.toLowerCase()).execute();
    });
  }
}

function toVersion(row: { vaultKey: string; name: string; version: string; sealedValue: string; attributes: string; created: number }): SecretVersion & { sealedValue: string } {
  const a = json.read<Attributes>(row.attributes, { contentType: null, tags: null, enabled: true, notBefore: null, expires: null, updated: row.created });
  return { vaultKey: row.vaultKey, name: row.name, version: row.version, value: "", sealedValue: row.sealedValue, created: Number(row.created), ...a };
}
