import type { DeletedSecret, SecretVersion, Vault } from "../model.js";

/** Key Vault's `attributes` of a secret: seconds since the epoch, and the vault's recovery level. */
function attributes(secret: SecretVersion, vault: Vault) {
  const level = vault.purgeProtection ? "Recoverable" : "Recoverable+Purgeable";
  return {
    enabled: secret.enabled,
    ...(secret.notBefore !== null ? { nbf: secret.notBefore } : {}),
    ...(secret.expires !== null ? { exp: secret.expires } : {}),
    created: secret.created,
    updated: secret.updated,
    recoveryLevel: vault.softDeleteRetentionInDays < 90 ? `Customized${level}` : level,
    recoverableDays: vault.softDeleteRetentionInDays,
  };
}

const extras = (secret: SecretVersion) => ({ ...(secret.contentType !== null ? { contentType: secret.contentType } : {}), ...(secret.tags ? { tags: secret.tags } : {}) });

/** A SecretBundle: `value` only where the operation returns it (get, set). */
export function secretBundle(base: string, vault: Vault, secret: SecretVersion, withValue: boolean) {
  return {
    ...(withValue ? { value: secret.value } : {}),
    ...(secret.contentType !== null ? { contentType: secret.contentType } : {}),
    id: `${base}/secrets/${secret.name}/${secret.version}`,
    attributes: attributes(secret, vault),
    ...(secret.tags ? { tags: secret.tags } : {}),
  };
}

/** A SecretItem of a listing: the secret's id without a version (list) or with it (versions). */
export function secretItem(base: string, vault: Vault, secret: SecretVersion, withVersion: boolean) {
  return { id: `${base}/secrets/${secret.name}${withVersion ? `/${secret.version}` : ""}`, attributes: attributes(secret, vault), ...extras(secret) };
}

/** A DeletedSecretBundle (or item, without the version in its id). */
export function deletedSecret(base: string, vault: Vault, secret: SecretVersion, deleted: DeletedSecret, item: boolean) {
  return {
    recoveryId: `${base}/deletedsecrets/${secret.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
    ...(item ? secretItem(base, vault, secret, false) : secretBundle(base, vault, secret, false)),
  };
}
