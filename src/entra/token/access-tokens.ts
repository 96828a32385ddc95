import { randomInt, verify, } from "node:crypto";
import type { Clock } from "../../core/clock.js";
import { opaque } from "../../core/crypto.js";
import { signJwt } from "../../core/jwt.js";
import type { Resource } from "./token-audiences.js";
import type { SigningKeys } from "../../core/signing-keys.js";

/** Who a token speaks for. App-only tokens name a service principal; delegated tokens a user and a client app. */
export type TokenSubject =
  | {
      kind: "app";
      tenantId: string;
      appId: string;
      servicePrincipalId: string;
      /** `1` secret, `2` certificate or federated assertion (and managed identity). */
      acr: "1" | "2";
      roles?: string[];
      /** Directory role template ids of the principal (Entra adds them to app-only tokens). */
      wids?: string[];
      /** ARM id of the managed identity's resource, for managed-identity tokens. */
      managedIdentityResourceId?: string;
    }
  | {
      kind: "user";
      tenantId: string;
      userId: string;
      userPrincipalName: string;
      name: string;
      clientAppId: string;
      acr: "0" | "1" | "2";
      scp: string;
      wids?: string[];
      /** Home tenant of a guest (`idp`/`altsecid` in real tokens). */
      homeTenantId?: string;
      sessionId?: string;
    };

export interface IssueRequest {
  subject: TokenSubject;
  resource: Resource;
  lifetimeSeconds: number;
  /** `https://{host}` of the login listener as the client called it; v2 issuers are built on it. */
  issuerBase: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  expiresOn: number;
  notBefore: number;
  resource: string;
}

/** Access tokens live 60–90 minutes, chosen at random per token as Entra does. */
export const accessTokenLifetime = (): number => 3600 + randomInt(0, 1801);

export const v1Issuer = (tenantId: string) => `https://sts.windows.net/${tenantId}/`;
export const v2Issuer = (issuerBase: string, tenantId: string) => `${issuerBase}/${tenantId}/v2.0`;

/** Access-token claims as svcconn issues and checks them (the subset of Entra's that planes read). */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  sub: string;
  ver: "1.0" | "2.0";
  idtyp?: "app" | "user";
  appid?: string;
  azp?: string;
  appidacr?: string;
  azpacr?: string;
  roles?: string[];
  wids?: string[];
  scp?: string;
  upn?: string;
  unique_name?: string;
  name?: string;
  xms_mirid?: string;
  sid?: string;
  [claim: string]: unknown;
}

export type TokenCheck =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; problem: "malformed" | "signature" }
  | { ok: false; problem: "expired"; claims: AccessTokenClaims }
  | { ok: false; problem: "not-yet-valid"; claims: AccessTokenClaims };

/** Mints and checks RS256 access tokens with the claims Entra puts in them (`docs/reference/identity-arm-api.md` §1.5). */
export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    private readonly clock: Clock,
  ) {}

  async issue(request: IssueRequest): Promise<IssuedAccessToken> {
    const { subject, resource } = request;
    const key = await this.keys.activeKey(subject.tenantId);
    const iat = this.clock.nowSeconds();
    const nbf = iat - 300;
    const exp = iat + request.lifetimeSeconds;
    const v1 = resource.tokenVersion === 1;
    const claims: Record<string, unknown> = {
      aud: resource.audience,
      iss: v1 ? v1Issuer(subject.tenantId) : v2Issuer(request.issuerBase, subject.tenantId),
      iat,
      nbf,
      exp,
      aio: opaque(24),
    };
    if (subject.kind === "app") {
      if (v1) Object.assign(claims, { appid: subject.appId, appidacr: subject.acr, idp: v1Issuer(subject.tenantId) });
      else Object.assign(claims, { azp: subject.appId, azpacr: subject.acr });
      Object.assign(claims, { idtyp: "app", oid: subject.servicePrincipalId, sub: subject.servicePrincipalId });
      if (subject.roles?.length) claims.roles = subject.roles;
      if (subject.wids?.length) claims.wids = subject.wids;
      if (subject.managedIdentityResourceId) claims.xms_mirid = subject.managedIdentityResourceId;
    } else {
      if (v1) Object.assign(claims, { appid: subject.clientAppId, appidacr: subject.acr, upn: subject.userPrincipalName, unique_name: subject.userPrincipalName });
      else Object.assign(claims, { azp: subject.clientAppId, azpacr: subject.acr, preferred_username: subject.userPrincipalName });
      Object.assign(claims, { idtyp: "user", name: subject.name, oid: subject.userId, sub: subject.userId, scp: subject.scp, amr: ["pwd"] });
      if (subject.homeTenantId && subject.homeTenantId !== subject.tenantId) claims.idp = v1Issuer(subject.homeTenantId);
      if (subject.wids?.length) claims.wids = subject.wids;
      if (subject.sessionId) claims.sid = subject.sessionId;
    }
    Object.assign(claims, { rh: opaque(12), tid: subject.tenantId, uti: opaque(16), ver: v1 ? "1.0" : "2.0" });

    const header = v1 ? { alg: "RS256", typ: "JWT", x5t: key.x5t, kid: key.kid } : { alg: "RS256", typ: "JWT", kid: key.kid };
    const accessToken = await signJwt(header, claims, key.privateKey);
    return { accessToken, expiresIn: exp - iat, expiresOn: exp, notBefore: nbf, resource: resource.audience };
  }

  /** Checks signature (against any tenant key of this store) and lifetime on the injected clock. */
  async check(token: string): Promise<TokenCheck> {
    const parts = token.split(".");
    if (parts.length !== 3) return { ok: false, problem: "malformed" };
    let header: { alg?: string; kid?: string };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    } catch {
      return { ok: false, problem: "malformed" };
    }
    // A header or payload that is JSON but not an object (`null`, `5`) is as malformed as one that is not JSON.
    if (!header || typeof header !== "object") return { ok: false, problem: "malformed" };
    if (header.alg !== "RS256" || typeof header.kid !== "string") return { ok: false, problem: "signature" };
    const publicKey = await this.keys.publicKey(header.kid);
    if (!publicKey) return { ok: false, problem: "signature" };
    if (!verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2]!, "base64url"))) return { ok: false, problem: "signature" };
    let claims: AccessTokenClaims;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as AccessTokenClaims;
    } catch {
      return { ok: false, problem: "malformed" };
    }
    if (!claims || typeof claims !== "object" || typeof claims.exp !== "number" || typeof claims.tid !== "string" || typeof claims.oid !== "string") return { ok: false, problem: "malformed" };
    const now = this.clock.nowSeconds();
    if (claims.exp <= now) return { ok: false, problem: "expired", claims };
    if (typeof claims.nbf === "number" && claims.nbf > now + 300) return { ok: false, problem: "not-yet-valid", claims };
    return { ok: true, claims };
  }
}
