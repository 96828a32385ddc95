import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import type { Clock } from "./clock.js";
import { type SecretBox, sha1 } from "./crypto.js";

/** A token-signing key as stored: the private key, its public JWK and the certificate published in `x5c`. */
export interface SigningKey {
  kid: string;
  /** The owner: an Entra tenant id, or a namespaced id such as `devops:{organizationId}`. */
  tenantId: string;
  privatePem: string;
  publicJwk: Record<string, unknown>;
  /** Base64 DER of the self-signed certificate published in `x5c`. */
  certificate: string;
  createdAt: string;
}

/** Where signing keys are kept (the store's key repository). */
export interface SigningKeyStore {
  insert(key: SigningKey): Promise<void>;
  forTenant(ownerId: string): Promise<SigningKey[]>;
  all(): Promise<SigningKey[]>;
}

export interface ActiveKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** base64url SHA-1 thumbprint of the key's certificate; v1 tokens carry it in the header as `x5t`. */
  x5t: string;
}

const YEAR = 365 * 86_400_000;

/**
 * Each tenant (and the Azure DevOps legacy issuer of each organization) signs its tokens with its own RSA key, made on first use and kept in the store. Keys are cached in
 * memory once loaded, because token issuance and every token check need them.
 */
export class SigningKeys {
  private readonly active = new Map<string, Promise<ActiveKey>>();
  private readonly byKid = new Map<string, ActiveKey>();

  /**
   * @param namespace keys of this set carry owner ids with this prefix (Entra tenants: none; the DevOps issuer:
   * `devops:`), so a key of one set never verifies a token of the other.
   */
  constructor(
    private readonly keyStore: SigningKeyStore,
    private readonly clock: Clock,
    private readonly namespace = "",
    /** Seals private keys in the store (a copy of the database alone holds no usable signing key). */
    private readonly box?: SecretBox,
  ) {}

  private owns(ownerId: string): boolean {
    return this.namespace ? ownerId.startsWith(this.namespace) : !ownerId.includes(":");
  }

  activeKey(tenantId: string): Promise<ActiveKey> {
    let pending = this.active.get(tenantId);
    if (!pending) {
      pending = this.loadOrCreate(tenantId);
      this.active.set(tenantId, pending);
      pending.catch(() => this.active.delete(tenantId));
    }
    return pending;
  }

  /** The public key for a `kid`, or undefined when no tenant of this store has it. */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    const cached = this.byKid.get(kid);
    if (cached) return cached.publicKey;
    const all = await this.keyStore.all();
    for (const key of all) if (this.owns(key.tenantId)) this.remember(key);
    return this.byKid.get(kid)?.publicKey;
  }

  /** JWKS entries as Entra publishes them (`kty`, `use`, `kid`, `x5t`, `n`, `e`, `x5c`, `issuer`). */
  async jwks(tenantId: string | undefined, issuer: (tenantId: string) => string): Promise<Array<Record<string, unknown>>> {
    if (tenantId) await this.activeKey(tenantId);
    const keys = tenantId ? await this.keyStore.forTenant(tenantId) : (await this.keyStore.all()).filter((k) => this.owns(k.tenantId));
    return keys.map((key) => ({ ...key.publicJwk, x5c: [key.certificate], issuer: issuer(key.tenantId) }));
  }

  private async loadOrCreate(tenantId: string): Promise<ActiveKey> {
    const existing = await this.keyStore.forTenant(tenantId);
    if (existing.length) return this.remember(existing[existing.length - 1]!);
    const now = this.clock.nowMs();
    const { issueCertificate } = await import("./x509.js");
    const cert = await issueCertificate({
      subject: `CN=accounts.svcconn.local/${tenantId}`,
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 5 * YEAR),
    });
    const der = Buffer.from(cert.derBase64, "base64");
    const x5t = sha1(der).toString("base64url");
    const jwk = createPublicKey(cert.keyPem).export({ format: "jwk" }) as Record<string, unknown>;
    const key: SigningKey = {
      kid: x5t,
      tenantId,
      privatePem: this.box ? this.box.seal(cert.keyPem) : cert.keyPem,
      publicJwk: { kty: "RSA", use: "sig", kid: x5t, x5t, n: jwk.n, e: jwk.e },
      certificate: cert.derBase64,
      createdAt: new Date(now).toISOString(),
    };
    await this.keyStore.insert(key);
    return this.remember(key);
  }

  private remember(key: SigningKey): ActiveKey {
    const known = this.byKid.get(key.kid);
    if (known) return known;
    const active: ActiveKey = {
      kid: key.kid,
      // Keys of an older store are plain PEM until that store is opened with its key file once (see data-folder.ts).
      privateKey: createPrivateKey(key.privatePem.startsWith("-----") || !this.box ? key.privatePem : this.box.open(key.privatePem)),
      publicKey: new X509Certificate(Buffer.from(key.certificate, "base64")).publicKey,
      x5t: key.kid,
    };
    this.byKid.set(key.kid, active);
    return active;
  }
}
