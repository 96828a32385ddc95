import type { Store } from "../../store/index.js";
import { aadsts } from "../errors.js";
import type { Tenant } from "../model.js";

export type ResourcePlane = "arm" | "graph" | "devops";

/** A resource a token can be issued for: a first-party Microsoft API or an application of the directory. */
export interface Resource {
  appId: string;
  displayName: string;
  /** `aud` of the issued token. */
  audience: string;
  tokenVersion: 1 | 2;
  plane?: ResourcePlane;
}

interface FirstParty {
  appId: string;
  displayName: string;
  identifiers: string[];
  plane?: ResourcePlane;
}

export const AZURE_DEVOPS_APP_ID = "499b84ac-1321-427f-aa17-267ca6975798";
export const ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const ARM_AUDIENCE = "https://management.azure.com/";
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";

/** Service principals every tenant has, with the identifiers clients ask for (with and without trailing `/`). */
const FIRST_PARTY: FirstParty[] = [
  {
    appId: ARM_APP_ID,
    displayName: "Windows Azure Service Management API",
    identifiers: ["https://management.azure.com/", "https://management.core.windows.net/"],
    plane: "arm",
  },
  { appId: GRAPH_APP_ID, displayName: "Microsoft Graph", identifiers: ["https://graph.microsoft.com/", "https://canary.graph.microsoft.com/"], plane: "graph" },
  { appId: "00000002-0000-0000-c000-000000000000", displayName: "Windows Azure Active Directory", identifiers: ["https://graph.windows.net/"] },
  { appId: AZURE_DEVOPS_APP_ID, displayName: "Azure DevOps", identifiers: ["https://app.vssps.visualstudio.com/"], plane: "devops" },
  { appId: "fb60f99c-7a34-4190-8149-302f77469936", displayName: "AAD Token Exchange Endpoint", identifiers: ["api://AzureADTokenExchange"] },
  { appId: "cfa8b339-82a2-471a-a3c9-0fc0be7a4093", displayName: "Azure Key Vault", identifiers: ["https://vault.azure.net/"] },
  { appId: "e406a681-f3d4-42a8-90b6-c2b029497af1", displayName: "Azure Storage", identifiers: ["https://storage.azure.com/"] },
  { appId: "022907d3-0f1b-48f7-badc-1ba6abab6d66", displayName: "Azure SQL Database", identifiers: ["https://database.windows.net/"] },
];

const CANONICAL_AUDIENCE: Record<ResourcePlane, string> = { arm: ARM_AUDIENCE, graph: GRAPH_AUDIENCE, devops: AZURE_DEVOPS_APP_ID };

const withSlash = (s: string) => (/^https?:\/\//i.test(s) && !s.endsWith("/") ? `${s}/` : s);
const key = (s: string) => withSlash(s).toLowerCase();

const FIRST_PARTY_BY_ID = new Map<string, FirstParty>();
for (const fp of FIRST_PARTY) {
  FIRST_PARTY_BY_ID.set(fp.appId, fp);
  for (const id of fp.identifiers) FIRST_PARTY_BY_ID.set(key(id), fp);
}

export const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/**
 * The resource behind a v2 `scope` (`{resource}/.default`) or v1 `resource` value. svcconn's own listener URLs
 * (`https://127.0.0.1:8445/.default`, what an ARM SDK asks for when only `endpoint` is set) map to the plane they
 * serve, and the token gets that plane's real audience.
 */
export class ResourceResolver {
  constructor(
    private readonly store: Store,
    private readonly localPlane: (url: URL) => ResourcePlane | undefined,
  ) {}

  /** Parses a v2 scope string for the client-credentials grant: exactly one `{resource}/.default`. */
  resourceFromScope(scope: string): string {
    const requested = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s.toLowerCase()));
    if (requested.length === 0) throw aadsts.invalidScope(scope);
    const resources = new Set<string>();
    for (const s of requested) {
      if (!s.endsWith("/.default")) throw aadsts.invalidScope(scope);
      resources.add(s.slice(0, -"/.default".length));
    }
    if (resources.size > 1) throw aadsts.multipleResources(scope);
    const resource = [...resources][0]!;
    if (!resource) throw aadsts.invalidScope(scope);
    return resource;
  }

  async resolve(identifier: string, tenant: Tenant): Promise<Resource> {
    const firstParty = FIRST_PARTY_BY_ID.get(key(identifier)) ?? FIRST_PARTY_BY_ID.get(identifier.toLowerCase());
    if (firstParty) return { appId: firstParty.appId, displayName: firstParty.displayName, audience: identifier, tokenVersion: 1, plane: firstParty.plane };

    const url = safeUrl(identifier);
    const plane = url && this.localPlane(url);
    if (plane) {
      const fp = FIRST_PARTY.find((p) => p.plane === plane)!;
      return { appId: fp.appId, displayName: fp.displayName, audience: CANONICAL_AUDIENCE[plane], tokenVersion: 1, plane };
    }

    // An application of some directory, named by app id or identifier URI; its service principal must be here.
    const byAppId = /^[0-9a-f-]{36}$/i.test(identifier) ? await this.store.applications.getByAppId(identifier) : undefined;
    // The tenant's own application first: another tenant's multi-tenant app must not answer for this tenant's URI.
    const candidates = byAppId ? [byAppId] : (await this.store.applications.findByIdentifierUri(identifier)).sort((a, b) => Number(b.tenantId === tenant.id) - Number(a.tenantId === tenant.id));
    for (const app of candidates) {
      const sp = await this.store.servicePrincipals.getByAppId(tenant.id, app.appId);
      if (sp) {
        const version = app.requestedAccessTokenVersion === 2 ? 2 : 1;
        return { appId: app.appId, displayName: app.displayName, audience: version === 2 ? app.appId : identifier, tokenVersion: version };
      }
    }
    throw aadsts.resourceNotFound(identifier, tenant.id);
  }
}

/** The plane whose first-party resource an audience names (`https://management.core.windows.net/` → arm). */
export function planeOfAudience(audience: string): ResourcePlane | undefined {
  return (FIRST_PARTY_BY_ID.get(key(audience)) ?? FIRST_PARTY_BY_ID.get(audience.toLowerCase()))?.plane;
}

function safeUrl(text: string): URL | undefined {
  try {
    return /^https?:\/\//i.test(text) ? new URL(text) : undefined;
  } catch {
    return undefined;
  }
}
