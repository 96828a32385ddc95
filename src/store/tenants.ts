import type { AuthorizationPolicy, Tenant } from "../entra/model.js";
import { json, type Db } from "./database.js";
import { TENANT_ROWS } from "./schema.js";

export class TenantRepository {
  constructor(private readonly db: Db) {}

  async insert(tenant: Tenant): Promise<void> {
    await this.db
      .insertInto("tenants")
      .values(TENANT_ROWS.toRow({ ...tenant, domains: tenant.domains.map((d) => d.toLowerCase()), defaultDomain: tenant.defaultDomain.toLowerCase() }))
      .execute();
  }

  async get(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom("tenants").selectAll().where("id", "=", id.toLowerCase()).executeTakeFirst();
    return row && toTenant(row);
  }

  /** A tenant by one of its verified domains (e.g. `contoso.onmicrosoft.com`). */
  async getByDomain(domain: string): Promise<Tenant | undefined> {
    const lower = domain.toLowerCase();
    const row = await this.db.selectFrom("tenants").selectAll().where("defaultDomain", "=", lower).executeTakeFirst();
    if (row) return toTenant(row);
    const all = await this.list();
    return all.find((t) => t.domains.includes(lower));
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom("tenants").selectAll().orderBy("createdAt").execute();
    return rows.map(toTenant);
  }

  /** Every version of the policy, newest first. */
  async policyVersions(tenantId: string): Promise<Array<{ effectiveAt: string; changedAt: string; policy: AuthorizationPolicy }>> {
    const rows = await this.db
      .selectFrom("authorizationPolicies")
      .select(["effectiveAt", "changedAt", "policy"])
      .where("tenantId", "=", tenantId)
      .orderBy("effectiveAt", "desc")
      .orderBy("changedAt", "desc")
      .execute();
    return rows.map((r) => ({ effectiveAt: r.effectiveAt, changedAt: r.changedAt, policy: json.read(r.policy, {} as AuthorizationPolicy) }));
  }

  async insertPolicyVersion(id: string, tenantId: string, policy: AuthorizationPolicy, changedAt: string, effectiveAt: string): Promise<void> {
    await this.db.insertInto("authorizationPolicies").values({ id, tenantId, policy: json.write(policy), changedAt, effectiveAt }).execute();
  }
}

const toTenant = TENANT_ROWS.fromRow;
