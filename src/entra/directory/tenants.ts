import { isGuid } from "../../core/ids.js";
import type { Store } from "../../store/index.js";
import { aadsts } from "../errors.js";
import type { Tenant } from "../model.js";

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const MULTI_TENANT = new Set(["common", "organizations", "consumers"]);

/**
 * The tenant named in a login URL path, as Entra reads it: a GUID or a verified domain. `common`,
 * `organizations` and `consumers` name no tenant (the caller decides what that means for its grant).
 */
export function resolveTenant(store: Store, segment: string): Promise<Tenant | "multi"> {
  return store.cache.get(`tenant:${segment.toLowerCase()}`, () => lookupTenant(store, segment));
}

async function lookupTenant(store: Store, segment: string): Promise<Tenant | "multi"> {
  const value = decodeURIComponent(segment).trim();
  if (MULTI_TENANT.has(value.toLowerCase())) return "multi";
  if (isGuid(value)) {
    const tenant = await store.tenants.get(value);
    if (!tenant) throw aadsts.tenantNotFound(value);
    return tenant;
  }
  if (!DOMAIN.test(value)) throw aadsts.invalidTenantIdentifier(value);
  const tenant = await store.tenants.getByDomain(value);
  if (!tenant) throw aadsts.tenantNotFound(value);
  return tenant;
}
