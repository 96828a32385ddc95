/** A vault as the secrets plane sees it: read from its ARM resource (`Microsoft.KeyVault/vaults`). */
export interface Vault {
  /** The ARM resource id (RBAC scope of the vault's data roles). */
  id: string;
  name: string;
  location: string;
  /** The tenant whose tokens the vault accepts (`properties.tenantId`). */
  tenantId: string;
  /** `properties.enableRbacAuthorization`: data roles decide; otherwise the access policies do. */
  rbacAuthorization: boolean;
  accessPolicies: AccessPolicy[];
  network: VaultNetwork;
  softDeleteRetentionInDays: number;
  purgeProtection: boolean;
}

export interface AccessPolicy {
  tenantId: string;
  objectId: string;
  /** Secret permissions, lower case: get, list, set, delete, recover, purge, backup, restore, all. */
  secrets: string[];
}

/** `properties.networkAcls` and `publicNetworkAccess`: the vault firewall. */
export interface VaultNetwork {
  publicNetworkAccess: "Enabled" | "Disabled";
  defaultAction: "Allow" | "Deny";
  /** Addresses or CIDR ranges allowed when the default is Deny. */
  ipRules: string[];
  /** `AzureServices` lets trusted Microsoft services through (Azure DevOps is not one). */
  bypass: string;
}

/** Where a call to a vault comes from, as the firewall sees it. */
export interface NetworkOrigin {
  address: string;
  /** Who is there, for svcconn's own explanation: this machine, a Microsoft-hosted agent, a VM of the world. */
  kind: "local" | "microsoft-hosted-agent" | "vm";
}

/** One version of a secret; the value is in the clear only inside the service. */
export interface SecretVersion {
  vaultKey: string;
  name: string;
  version: string;
  value: string;
  contentType: string | null;
  tags: Record<string, string> | null;
  enabled: boolean;
  /** Seconds since the epoch, as Key Vault's attributes carry them. */
  notBefore: number | null;
  expires: number | null;
  created: number;
  updated: number;
}

/** A secret in the deleted-but-recoverable state (soft delete). */
export interface DeletedSecret {
  vaultKey: string;
  name: string;
  deletedDate: number;
  scheduledPurgeDate: number;
}

/** The caller of a data-plane request, from its token. */
export interface VaultCaller {
  tenantId: string;
  objectId: string;
  appId: string | null;
  issuer: string;
}
