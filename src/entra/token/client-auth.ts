import { createPublicKey, type KeyObject } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";
import type { Clock } from "../../core/clock.js";
import { verifySecret } from "../../core/crypto.js";
import { parseCertificate } from "../../core/certificate.js";
import type { Store } from "../../store/index.js";
import { aadsts } from "../errors.js";
import { AZURE_DEVOPS_APP_ID } from "./token-audiences.js";
import type { Application, FederatedIdentityCredential, KeyCredential, ServicePrincipal, Tenant } from "../model.js";
import type { SigningKeys } from "../../core/signing-keys.js";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936";

export interface ClientCredentialsInput {
  tenant: Tenant;
  clientId: string;
  clientSecret?: string;
  clientAssertion?: string;
  clientAssertionType?: string;
  /** True when `aud` of a certificate-signed assertion names this tenant's token endpoint. */
  isOwnTokenEndpoint: (audience: string) => Promise<boolean>;
  /** The token endpoint the client called, for the error text. */
  tokenEndpoint: string;
}

export interface AuthenticatedClient {
  application?: Application;
  servicePrincipal: ServicePrincipal;
  acr: "1" | "2";
}

/**
 * Keys of an issuer whose tokens may be presented as federated assertions. `clock` says how the assertion's
 * times are judged: tokens minted by svcconn itself live on the injected clock; tokens made by outside parties
 * (a client signing its own assertion, an external identity provider) carry wall-clock times.
 */
export interface FederationIssuer {
  keys: KeyObject[] | ((kid: string | undefined) => Promise<KeyObject | undefined>);
  clock: "world" | "wall";
  /** Entra itself issued it; only the Azure DevOps federation path may present such tokens. */
  entra?: boolean;
}

export type FederationIssuers = (issuer: string, header: ProtectedHeaderParameters) => Promise<FederationIssuer | undefined>;

/** Authenticates the client of a client-credentials request with a secret, a certificate or a federated assertion. */
export class ClientAuthenticator {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly federationIssuers: FederationIssuers[],
  ) {}

  async authenticate(input: ClientCredentialsInput): Promise<AuthenticatedClient> {
    const { tenant, clientId } = input;
    if (!input.clientSecret && !input.clientAssertion) throw aadsts.missingClientCredential();
    if (input.clientAssertion && input.clientAssertionType === undefined) throw aadsts.missingParameter("client_assertion_type");
    if (input.clientAssertion && input.clientAssertionType !== JWT_BEARER) throw aadsts.unsupportedAssertionType(input.clientAssertionType!);

    const application = await this.store.cache.get(`app:${clientId}`, () => this.store.applications.getByAppId(clientId));
    if (!application) return this.authenticateManagedIdentity(input);

    const servicePrincipal = await this.store.cache.get(`sp:${tenant.id}:${application.appId}`, () => this.store.servicePrincipals.getByAppId(tenant.id, application.appId));
    const foreign = application.tenantId !== tenant.id;
    if (!servicePrincipal || (foreign && application.signInAudience === "AzureADMyOrg")) {
      if (foreign) throw aadsts.applicationNotFound(clientId, tenant.displayName);
      throw aadsts.missingServicePrincipal(application.appId, tenant.id);
    }
    if (!servicePrincipal.accountEnabled) throw aadsts.applicationDisabled(application.appId, application.displayName);

    if (input.clientSecret !== undefined && !input.clientAssertion) {
      await this.checkSecret(application, input.clientSecret);
      return { application, servicePrincipal, acr: "1" };
    }
    const { header, payload } = decodeAssertion(input.clientAssertion!);
    if (payload.iss === clientId) {
      await this.checkCertificateAssertion(application, input, header, payload);
    } else {
      await this.checkFederatedAssertion(application.id, application, input.clientAssertion!, header, payload);
    }
    return { application, servicePrincipal, acr: "2" };
  }

  /** A user-assigned managed identity can also authenticate with a federated assertion (its own FICs). */
  private async authenticateManagedIdentity(input: ClientCredentialsInput): Promise<AuthenticatedClient> {
    const sp = await this.store.servicePrincipals.getByAppId(input.tenant.id, input.clientId);
    if (sp?.servicePrincipalType !== "ManagedIdentity") throw aadsts.applicationNotFound(input.clientId, input.tenant.displayName);
    if (!input.clientAssertion) throw aadsts.invalidClientSecret(input.clientId);
    const { header, payload } = decodeAssertion(input.clientAssertion);
    await this.checkFederatedAssertion(sp.id, undefined, input.clientAssertion, header, payload);
    return { servicePrincipal: sp, acr: "2" };
  }

  private async checkSecret(application: Application, secret: string): Promise<void> {
    const now = this.clock.nowMs();
    const passwords = await this.store.cache.get(`passwords:${application.id}`, () => this.store.applications.passwords(application.id));
    for (const credential of passwords) {
      if (!verifySecret(secret, credential.secretHash)) continue;
      if (Date.parse(credential.endDateTime) <= now) throw aadsts.expiredClientSecret(application.appId);
      if (Date.parse(credential.startDateTime) > now) break;
      return;
    }
    throw aadsts.invalidClientSecret(application.appId);
  }

  private async checkCertificateAssertion(application: Application, input: ClientCredentialsInput, header: ProtectedHeaderParameters, payload: JWTPayload): Promise<void> {
    if (payload.sub !== input.clientId) throw aadsts.assertionAppIdMismatch();
    const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    let audienceOk = false;
    for (const audience of audiences) if (await input.isOwnTokenEndpoint(audience)) audienceOk = true;
    if (!audienceOk) throw aadsts.assertionAudienceInvalid(audiences.join(",") || "", input.tokenEndpoint);

    const s256 = typeof header["x5t#S256"] === "string" ? Buffer.from(header["x5t#S256"] as string, "base64url").toString("hex").toUpperCase() : undefined;
    const s1 = typeof header.x5t === "string" ? Buffer.from(header.x5t, "base64url").toString("hex").toUpperCase() : undefined;
    const shown = s1 ?? s256 ?? "";
    const keys = await this.store.applications.keys(application.id);
    const key: KeyCredential | undefined = keys.find((k) => (s256 && k.thumbprintSha256 === s256) || (s1 && k.thumbprintSha1 === s1));
    if (!key) throw aadsts.assertionKeyNotFound(shown, application.appId);

    const publicKey = parseCertificate(key.keyDer).publicKey;
    try {
      await compactVerify(input.clientAssertion!, publicKey, { algorithms: ["RS256", "PS256"] });
    } catch {
      throw aadsts.assertionSignatureInvalid(shown, application.appId, usDate(key.startDateTime), usDate(key.endDateTime));
    }
    const now = this.clock.nowMs();
    if (Date.parse(key.endDateTime) <= now || Date.parse(key.startDateTime) > now) throw aadsts.certificateOutsideValidity(shown);
    this.checkTimeRange(payload, "wall");
  }

  private async checkFederatedAssertion(
    ownerId: string,
    application: Application | undefined,
    assertion: string,
    header: ProtectedHeaderParameters,
    payload: JWTPayload,
  ): Promise<void> {
    const credentials = await this.store.applications.federated(ownerId);
    if (credentials.length === 0) throw aadsts.noFederatedCredentials();
    const issuer = String(payload.iss ?? "");
    const subject = String(payload.sub ?? "");
    const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    const byIssuer = credentials.filter((c) => c.issuer === issuer);
    if (byIssuer.length === 0) throw aadsts.noMatchingFederatedIssuer(issuer);
    const bySubject = byIssuer.filter((c) => c.subject === subject);
    if (bySubject.length === 0) throw aadsts.noMatchingFederatedSubject(subject);
    if (!bySubject.some((c: FederatedIdentityCredential) => audiences.some((a) => audienceMatches(c.audiences, a)))) {
      throw aadsts.noMatchingFederatedRecord(issuer, subject, audiences.join(","));
    }

    const source = await this.issuerKeys(issuer, header);
    if (!source) throw aadsts.externalIssuerUnreachable(issuer);
    if (source.entra) {
      // Only Azure DevOps' own federation path may present Entra-issued tokens, and only to single-tenant apps.
      if (payload.azp !== AZURE_DEVOPS_APP_ID && payload.appid !== AZURE_DEVOPS_APP_ID) throw aadsts.aadTokensNotForFederation();
      if (application?.signInAudience === "AzureADMultipleOrgs") throw aadsts.federationRequiresSingleTenant();
    }
    const key = typeof source.keys === "function" ? await source.keys(header.kid) : undefined;
    const candidates = key ? [key] : Array.isArray(source.keys) ? source.keys : [];
    let verified = false;
    for (const candidate of candidates) {
      try {
        await compactVerify(assertion, candidate, { algorithms: ["RS256"] });
        verified = true;
        break;
      } catch {
        // try the next published key
      }
    }
    if (!verified) throw aadsts.externalSignatureInvalid(issuer);
    this.checkTimeRange(payload, source.clock);
  }

  private async issuerKeys(issuer: string, header: ProtectedHeaderParameters): Promise<FederationIssuer | undefined> {
    for (const resolve of this.federationIssuers) {
      const found = await resolve(issuer, header);
      if (found) return found;
    }
    return undefined;
  }

  private checkTimeRange(payload: JWTPayload, clock: "world" | "wall"): void {
    const now = clock === "world" ? this.clock.nowMs() : this.clock.nowMs() - this.clock.offsetMs();
    if (typeof payload.exp !== "number") throw aadsts.malformedAssertion("The assertion has no 'exp' claim.");
    const from = typeof payload.nbf === "number" ? payload.nbf : typeof payload.iat === "number" ? payload.iat : payload.exp - 600;
    // Entra tolerates a client clock that runs a little behind (nbf), but not an expired assertion.
    if (payload.exp * 1000 <= now || from * 1000 - 300_000 > now) throw aadsts.assertionOutsideTimeRange(now, from * 1000, payload.exp * 1000);
  }

  /** The resolver for Entra's own tenants: tokens signed with a tenant key of this store. */
  static entraIssuers(signingKeys: SigningKeys, isEntraIssuer: (issuer: string) => boolean): FederationIssuers {
    return async (issuer, header) => {
      if (!isEntraIssuer(issuer) || !header.kid) return undefined;
      const key = await signingKeys.publicKey(header.kid);
      return key ? { keys: [key], clock: "world", entra: true } : { keys: [], clock: "world", entra: true };
    };
  }

  /** The resolver for issuers declared in the world file with their public keys. */
  static declaredIssuers(store: Store): FederationIssuers {
    return async (issuer) => {
      const declared = await store.keys.issuer(issuer);
      if (!declared) return undefined;
      const keys: KeyObject[] = [];
      for (const jwk of declared.jwks.keys) {
        try {
          keys.push(createPublicKey({ key: jwk as never, format: "jwk" }));
        } catch {
          // a malformed key in the world file cannot verify anything
        }
      }
      return { keys, clock: "wall" };
    };
  }
}

function decodeAssertion(assertion: string): { header: ProtectedHeaderParameters; payload: JWTPayload } {
  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    payload = decodeJwt(assertion);
  } catch {
    throw aadsts.malformedAssertion();
  }
  if (!header.alg || header.alg.toLowerCase() === "none" || assertion.split(".")[2] === "") throw aadsts.malformedAssertion("The JWT is not signed.");
  return { header, payload };
}

/** `api://AzureADTokenExchange` is also presented as the token-exchange app's id (v2 tokens carry the app id). */
function audienceMatches(configured: string[], presented: string): boolean {
  return configured.some((c) => c === presented || (c === "api://AzureADTokenExchange" && presented === TOKEN_EXCHANGE_APP_ID));
}

/** The US date form Entra prints key validity in: 08/18/2024 19:33:23. */
function usDate(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export { TOKEN_EXCHANGE_APP_ID };
