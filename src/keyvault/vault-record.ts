import type { AccessPolicy, Vault } from "./model.js";

/**
 * A vault as its ARM resource describes it (`Microsoft.KeyVault/vaults` properties, with ARM's defaults for what
 * a world leaves out: the subscription's tenant, access policies as the permission model, soft delete for 90 days,
 * public access with no firewall).
 */
export function vaultFromResource(resource: { id: string; name: string; body: { location?: string; properties?: Record<string, unknown> } }, subscriptionTenant: string): Vault {
  const p = resource.body.properties ?? {};
  const acls = (p.networkAcls ?? {}) as { defaultAction?: string; ipRules?: Array<{ value?: string } | string>; bypass?: string };
  const policies = Array.isArray(p.accessPolicies) ? (p.accessPolicies as Array<Record<string, unknown>>) : [];
  const tenantId = typeof p.tenantId === "string" ? p.tenantId : subscriptionTenant;
  return {
    id: resource.id,
    name: resource.name,
    location: String(resource.body.location ?? "westeurope").toLowerCase().replace(/\s+/g, ""),
    tenantId,
    rbacAuthorization: p.enableRbacAuthorization === true,
    accessPolicies: policies.map((raw) => accessPolicy(raw, tenantId)).filter((a): a is AccessPolicy => !!a),
    network: {
      publicNetworkAccess: String(p.publicNetworkAccess ?? "Enabled").toLowerCase() === "disabled" ? "Disabled" : "Enabled",
      defaultAction: String(acls.defaultAction ?? "Allow").toLowerCase() === "deny" ? "Deny" : "Allow",
      ipRules: (acls.ipRules ?? []).map((r) => (typeof r === "string" ? r : String(r.value ?? ""))).filter(Boolean),
      bypass: String(acls.bypass ?? "AzureServices"),
    },
    softDeleteRetentionInDays: typeof p.softDeleteRetentionInDays === "number" ? p.softDeleteRetentionInDays : 90,
    purgeProtection: p.enablePurgeProtection === true,
  };
}

function accessPolicy(raw: Record<string, unknown>, vaultTenant: string): AccessPolicy | undefined {
  if (typeof raw.objectId !== "string") return undefined;
  const permissions = (raw.permissions ?? {}) as { secrets?: unknown };
  const secrets = Array.isArray(permissions.secrets) ? permissions.secrets.map((s) => String(s).toLowerCase()) : [];
  return { tenantId: typeof raw.tenantId === "string" ? raw.tenantId : vaultTenant, objectId: raw.objectId, secrets };
}
