import { vaultErrors } from "./errors.js";
import type { NetworkOrigin, Vault, VaultCaller } from "./model.js";
import type { VaultDirectory } from "./ports.js";

/** A secrets operation: the data action Azure RBAC checks and the access-policy permission that grants it. */
export interface SecretOperation {
  dataAction: string;
  permission: "get" | "list" | "set" | "delete" | "recover" | "purge";
}

const SECRETS = "Microsoft.KeyVault/vaults/secrets";
export const OPERATIONS = {
  get: { dataAction: `${SECRETS}/getSecret/action`, permission: "get" },
  list: { dataAction: `${SECRETS}/readMetadata/action`, permission: "list" },
  set: { dataAction: `${SECRETS}/setSecret/action`, permission: "set" },
  delete: { dataAction: `${SECRETS}/delete`, permission: "delete" },
  recover: { dataAction: `${SECRETS}/recover/action`, permission: "recover" },
  purge: { dataAction: `${SECRETS}/purge/action`, permission: "purge" },
} satisfies Record<string, SecretOperation>;

/**
 * Key Vault's order of checks after the token: the firewall (public network access, then the network rules — a
 * refusal that says nothing of the caller's rights), then the vault's permission model: Azure RBAC data roles at
 * the vault or the secret, or the access policies of the caller's object.
 */
export async function authorizeSecretOperation(
  directory: VaultDirectory,
  vault: Vault,
  caller: VaultCaller,
  origin: NetworkOrigin,
  operation: SecretOperation,
  secretName?: string,
): Promise<void> {
  if (vault.network.publicNetworkAccess === "Disabled") throw vaultErrors.forbiddenByConnection(caller, vault);
  if (vault.network.defaultAction === "Deny" && !vault.network.ipRules.some((rule) => addressInRange(origin.address, rule))) {
    throw vaultErrors.forbiddenByFirewall(caller, origin, vault);
  }
  if (vault.rbacAuthorization) {
    const resource = secretName ? `${vault.id}/secrets/${secretName}` : vault.id;
    if (!(await directory.grantsDataAction(caller, operation.dataAction, resource))) throw vaultErrors.forbiddenByRbac(caller, operation.dataAction, resource, vault);
    return;
  }
  const granted = vault.accessPolicies.some(
    (p) => p.tenantId.toLowerCase() === caller.tenantId.toLowerCase() && p.objectId.toLowerCase() === caller.objectId.toLowerCase() && (p.secrets.includes(operation.permission) || p.secrets.includes("all")),
  );
  if (!granted) throw vaultErrors.forbiddenByPolicy(caller, operation.permission, vault);
}

/** An IPv4 address against an address or CIDR range of a network rule. */
export function addressInRange(address: string, rule: string): boolean {
  const [base, bits] = rule.trim().split("/");
  const a = ipv4(address);
  const b = ipv4(base ?? "");
  if (a === undefined || b === undefined) return false;
  const prefix = bits === undefined ? 32 : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function ipv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);
}
