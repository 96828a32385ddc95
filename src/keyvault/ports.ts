import type { Vault } from "./model.js";

/**
 * What Key Vault needs from other planes: the vault itself (an ARM resource), whether Azure RBAC grants a data
 * action (ARM's role assignments and definitions), and whether a bearer token is a valid Entra token. The
 * in-process adapters are in `server/in-process-ports.ts`.
 */
export interface VaultDirectory {
  /** The vault of this name in any subscription (vault names are global), or undefined. */
  vault(name: string): Promise<Vault | undefined>;
  /** Whether a data action is granted to the principal at the scope by a role assignment in force. */
  grantsDataAction(principal: { tenantId: string; objectId: string }, dataAction: string, scope: string): Promise<boolean>;
  /** A secret is an ARM resource too (`{vault id}/secrets/{name}`): listed, and a scope roles can be assigned at. */
  secretCreated(vault: Vault, name: string): Promise<void>;
  secretPurged(vault: Vault, name: string): Promise<void>;
}

export interface VaultTokenClaims {
  aud: string;
  tid: string;
  oid: string;
  iss?: string;
  appid?: string;
  azp?: string;
  exp: number;
  [claim: string]: unknown;
}

export type VaultTokenCheck = { ok: true; claims: VaultTokenClaims } | { ok: false; problem: "malformed" | "signature" | "not-yet-valid" | "expired" };

export interface VaultTokenValidator {
  check(token: string): Promise<VaultTokenCheck>;
}
