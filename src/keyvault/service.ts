import { randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import type { Store } from "../store/index.js";
import { authorizeSecretOperation, OPERATIONS, type SecretOperation } from "./access.js";
import { vaultErrors } from "./errors.js";
import type { DeletedSecret, NetworkOrigin, SecretVersion, Vault, VaultCaller } from "./model.js";
import type { VaultDirectory, VaultTokenValidator } from "./ports.js";

/** What a data-plane request carries besides its operation: the vault it reached, its token, where it came from. */
export interface VaultRequest {
  vaultName: string;
  authorization: string | undefined;
  origin: NetworkOrigin;
}

/** A set-secret command (PUT /secrets/{name}), read by `input.ts`: what a new version carries. */
export type SetSecretCommand = Pick<SecretVersion, "value" | "contentType" | "tags" | "enabled" | "notBefore" | "expires">;

export type UpdateSecretCommand = Partial<Omit<SetSecretCommand, "value">>;

export interface SecretPage {
  items: SecretVersion[];
  /** The name (or version) after which the next page starts, when there is one. */
  next: string | null;
}

const VAULT_AUDIENCES = new Set(["https://vault.azure.net", "https://vault.azure.net/", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"]);
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const DAY = 86_400;
/** Key Vault's page size limit for `maxresults`. */
export const MAX_PAGE = 25;

/**
 * Azure Key Vault's secrets (docs/reference/identity-arm-api.md §7): versions, attributes, soft delete, and the
 * checks every call goes through — the token, the vault's tenant, the firewall, then RBAC or access policies.
 */
export class KeyVaultService {
  constructor(
    private readonly deps: { store: Store; clock: Clock; keyBox: SecretBox; directory: VaultDirectory; tokens: VaultTokenValidator },
  ) {}

  /** The vault a request reached; undefined when no vault has that name. */
  vault(name: string): Promise<Vault | undefined> {
    return this.deps.directory.vault(name);
  }

  /** Authenticates and authorizes a request for one operation; returns the vault. */
  private async admit(request: VaultRequest, operation: SecretOperation, secretName?: string): Promise<Vault> {
    const vault = await this.deps.directory.vault(request.vaultName);
    if (!vault) throw vaultErrors.vaultNotFound(`${request.vaultName}.vault.azure.net`);
    const caller = await this.authenticate(vault, request.authorization);
    if (secretName !== undefined && !NAME.test(secretName)) throw vaultErrors.invalidName(secretName);
    await authorizeSecretOperation(this.deps.directory, vault, caller, request.origin, operation, secretName);
    return vault;
  }

  private async authenticate(vault: Vault, header: string | undefined): Promise<VaultCaller> {
    const token = /^bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
    if (!token) throw vaultErrors.missingToken(vault.tenantId);
    const check = await this.deps.tokens.check(token);
    if (!check.ok) throw check.problem === "expired" ? vaultErrors.expiredToken(vault.tenantId) : vaultErrors.invalidToken(vault.tenantId);
    const claims = check.claims;
    if (!VAULT_AUDIENCES.has(claims.aud)) throw vaultErrors.wrongAudience(claims.aud, vault.tenantId);
    const issuer = claims.iss ?? `https://sts.windows.net/${claims.tid}/`;
    if (claims.tid.toLowerCase() !== vault.tenantId.toLowerCase()) throw vaultErrors.wrongTenant(vault, issuer);
    return { tenantId: claims.tid, objectId: claims.oid, appId: (claims.appid ?? claims.azp ?? null) as string | null, issuer };
  }

  private now(): number {
    return this.deps.clock.nowSeconds();
  }

  /** Versions of a name, oldest first, values still sealed; a deleted name has none to show. */
  private async liveVersions(vault: Vault, name: string): Promise<Array<SecretVersion & { sealedValue: string }>> {
    if ((await this.deletedState(vault, name)).length) return [];
    return this.deps.store.vaultSecrets.versions(vaultKey(vault), name);
  }

  /** The deleted state of a name (or of every name); past its purge date a deleted secret is gone. */
  private async deletedState(vault: Vault, name?: string): Promise<DeletedSecret[]> {
    const all = await this.deps.store.vaultSecrets.deleted(vaultKey(vault), name);
    const now = this.now();
    for (const expired of all.filter((d) => d.scheduledPurgeDate <= now)) await this.purged(vault, expired.name);
    return all.filter((d) => d.scheduledPurgeDate > now);
  }

  async getSecret(request: VaultRequest, name: string, version?: string): Promise<{ vault: Vault; secret: SecretVersion }> {
    const vault = await this.admit(request, OPERATIONS.get, name);
    const versions = await this.liveVersions(vault, name);
    const secret = version ? versions.find((v) => v.version === version.toLowerCase()) : versions.at(-1);
    if (!secret) throw vaultErrors.secretNotFound(version ? `${name}/${version}` : name);
    // Dates do not stop a get (Key Vault: for test and recovery); a disabled secret does.
    if (!secret.enabled) throw vaultErrors.secretDisabled("get");
    // Only the value asked for is opened.
    return { vault, secret: { ...secret, value: this.deps.keyBox.open(secret.sealedValue) } };
  }

  async listSecrets(request: VaultRequest, after: string | null, pageSize = MAX_PAGE): Promise<{ vault: Vault; page: SecretPage }> {
    const vault = await this.admit(request, OPERATIONS.list);
    const deleted = new Set((await this.deletedState(vault)).map((d) => d.name.toLowerCase()));
    const latest = (await this.deps.store.vaultSecrets.latestOfEach(vaultKey(vault))).filter((v) => !deleted.has(v.name.toLowerCase()));
    return { vault, page: paged(latest, (v) => v.name.toLowerCase(), after, pageSize) };
  }

  async listVersions(request: VaultRequest, name: string, after: string | null, pageSize = MAX_PAGE): Promise<{ vault: Vault; page: SecretPage }> {
    const vault = await this.admit(request, OPERATIONS.list, name);
    const versions = await this.liveVersions(vault, name);
    return { vault, page: paged(versions, (v) => v.version, after, pageSize) };
  }

  /** The body is read after the checks (`read`): a challenge request carries none. */
  async setSecret(request: VaultRequest, name: string, read: () => SetSecretCommand): Promise<{ vault: Vault; secret: SecretVersion }> {
    const vault = await this.admit(request, OPERATIONS.set, name);
    const command = read();
    if ((await this.deletedState(vault, name)).length) throw vaultErrors.deletedButRecoverable(name);
    const now = this.now();
    // A new version keeps the name as first written (names compare case-insensitively).
    const [first] = await this.deps.store.vaultSecrets.versions(vaultKey(vault), name);
    const secret: SecretVersion = { vaultKey: vaultKey(vault), name: first?.name ?? name, version: randomBytes(16).toString("hex"), ...command, created: now, updated: now };
    await this.deps.store.vaultSecrets.put(secret, this.deps.keyBox.seal(command.value));
    await this.deps.directory.secretCreated(vault, secret.name);
    return { vault, secret };
  }

  /** A secret a world file gives its vault (the world's author needs no token). */
  async seedSecret(vaultName: string, name: string, command: SetSecretCommand): Promise<void> {
    const vault = await this.deps.directory.vault(vaultName);
    if (!vault) throw new Error(`no key vault '${vaultName}'`);
    const now = this.now();
    await this.deps.store.vaultSecrets.put({ vaultKey: vaultKey(vault), name, version: randomBytes(16).toString("hex"), ...command, created: now, updated: now }, this.deps.keyBox.seal(command.value));
    await this.deps.directory.secretCreated(vault, name);
  }

  async updateSecret(request: VaultRequest, name: string, version: string, read: () => UpdateSecretCommand): Promise<{ vault: Vault; secret: SecretVersion }> {
    const vault = await this.admit(request, OPERATIONS.set, name);
    const command = read();
    const versions = await this.deps.store.vaultSecrets.versions(vaultKey(vault), name);
    const stored = (await this.deletedState(vault, name)).length ? undefined : version ? versions.find((v) => v.version === version.toLowerCase()) : versions.at(-1);
    if (!stored) throw vaultErrors.secretNotFound(version ? `${name}/${version}` : name);
    const secret: SecretVersion = { ...stored, ...definedOnly(command), updated: this.now() };
    await this.deps.store.vaultSecrets.put(secret, stored.sealedValue);
    return { vault, secret: { ...secret, value: "" } };
  }

  /** Soft delete: the name keeps its versions in the deleted state until purged, recovered or past retention. */
  async deleteSecret(request: VaultRequest, name: string): Promise<{ vault: Vault; secret: SecretVersion; deleted: DeletedSecret }> {
    const vault = await this.admit(request, OPERATIONS.delete, name);
    const latest = (await this.liveVersions(vault, name)).at(-1);
    if (!latest) throw vaultErrors.secretNotFound(name);
    const now = this.now();
    const deleted: DeletedSecret = { vaultKey: vaultKey(vault), name: latest.name, deletedDate: now, scheduledPurgeDate: now + vault.softDeleteRetentionInDays * DAY };
    await this.deps.store.vaultSecrets.markDeleted(deleted);
    return { vault, secret: { ...latest, value: "" }, deleted };
  }

  async getDeletedSecret(request: VaultRequest, name: string): Promise<{ vault: Vault; secret: SecretVersion; deleted: DeletedSecret }> {
    const vault = await this.admit(request, OPERATIONS.list, name);
    return { vault, ...(await this.deletedSecret(vault, name)) };
  }

  async listDeletedSecrets(request: VaultRequest, after: string | null, pageSize = MAX_PAGE): Promise<{ vault: Vault; entries: Array<{ secret: SecretVersion; deleted: DeletedSecret }>; next: string | null }> {
    const vault = await this.admit(request, OPERATIONS.list);
    const entries = [];
    for (const deleted of await this.deletedState(vault)) {
      const latest = (await this.deps.store.vaultSecrets.versions(vaultKey(vault), deleted.name)).at(-1);
      if (latest) entries.push({ secret: { ...latest, value: "" }, deleted });
    }
    const page = paged(entries, (e) => e.deleted.name.toLowerCase(), after, pageSize);
    return { vault, entries: page.items, next: page.next };
  }

  async recoverSecret(request: VaultRequest, name: string): Promise<{ vault: Vault; secret: SecretVersion }> {
    const vault = await this.admit(request, OPERATIONS.recover, name);
    const { secret } = await this.deletedSecret(vault, name);
    await this.deps.store.vaultSecrets.recover(vaultKey(vault), name);
    return { vault, secret };
  }

  async purgeSecret(request: VaultRequest, name: string): Promise<void> {
    const vault = await this.admit(request, OPERATIONS.purge, name);
    const { deleted } = await this.deletedSecret(vault, name);
    if (vault.purgeProtection) throw vaultErrors.purgeProtected(name);
    await this.purged(vault, deleted.name);
  }

  private async purged(vault: Vault, name: string): Promise<void> {
    await this.deps.store.vaultSecrets.purge(vaultKey(vault), name);
    await this.deps.directory.secretPurged(vault, name);
  }

  private async deletedSecret(vault: Vault, name: string): Promise<{ secret: SecretVersion; deleted: DeletedSecret }> {
    const [deleted] = await this.deletedState(vault, name);
    const latest = deleted && (await this.deps.store.vaultSecrets.versions(vaultKey(vault), name)).at(-1);
    if (!deleted || !latest) throw vaultErrors.deletedSecretNotFound(name);
    return { secret: { ...latest, value: "" }, deleted };
  }
}

export const vaultKey = (vault: Vault): string => vault.id.toLowerCase();

function paged<T>(items: T[], key: (item: T) => string, after: string | null, pageSize: number): { items: T[]; next: string | null } {
  // The token names the last item of the previous page; a page starts right after it.
  const start = after === null ? 0 : items.findIndex((item) => key(item) === after) + 1;
  const rest = start <= 0 && after !== null ? [] : items.slice(start);
  const page = rest.slice(0, pageSize);
  return { items: page, next: rest.length > pageSize ? key(page.at(-1)!) : null };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
