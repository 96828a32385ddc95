/**
 * What Azure Resource Manager needs from the identity plane: whether a principal exists in a tenant (role
 * assignments without `principalType`), a tenant's names (tenant listings), and whether a bearer token is valid.
 * Real ARM reads these from Entra ID (its directory and its published signing keys); the in-process adapters are
 * in `server/in-process-ports.ts`.
 */

export interface PrincipalInfo {
  id: string;
  type: "User" | "ServicePrincipal";
  displayName: string;
  signInName: string;
}

export interface TenantInfo {
  id: string;
  displayName: string;
  defaultDomain: string;
  domains: string[];
}

export interface DirectoryLookup {
  principal(tenantId: string, objectId: string): Promise<PrincipalInfo | undefined>;
  tenant(tenantId: string): Promise<TenantInfo | undefined>;
}

/** The claims of an Entra access token that ARM reads. */
export interface ArmTokenClaims {
  aud: string;
  tid: string;
  oid: string;
  exp: number;
  idtyp?: "app" | "user";
  scp?: string;
  upn?: string;
  unique_name?: string;
  appid?: string;
  azp?: string;
  [claim: string]: unknown;
}

export type ArmTokenCheck =
  | { ok: true; claims: ArmTokenClaims; /** `aud` is one of the management audiences ARM accepts. */ forArm: boolean }
  | { ok: false; problem: "malformed" | "signature" | "not-yet-valid" }
  | { ok: false; problem: "expired"; claims: ArmTokenClaims };

/** Checks a token's signature against Entra's keys, and its lifetime on the clock. */
export interface AccessTokenValidator {
  check(token: string): Promise<ArmTokenCheck>;
}
