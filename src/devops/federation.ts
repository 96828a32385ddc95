import type { KeyObject } from "node:crypto";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { guidToBase64UrlLe } from "../core/ids.js";
import { signJwt } from "../core/jwt.js";
import { SigningKeys } from "../core/signing-keys.js";
import type { Store } from "../store/index.js";
import type { EntraApi, IssuerKeyResolver, NewFederatedCredential } from "./ports.js";
import { AZURE_DEVOPS_FIRST_PARTY_APP, type Organization, type Project, type ServiceEndpoint } from "./model.js";

const TOKEN_EXCHANGE_APP = "fb60f99c-7a34-4190-8149-302f77469936";
const ADO_APP_SEGMENT = guidToBase64UrlLe(AZURE_DEVOPS_FIRST_PARTY_APP);
export const LEGACY_ISSUER_BASE = "https://vstoken.dev.azure.com";

/** The parameter that keeps a connection's issuer form (`EntraID` or `AzureDevOps`). */
export const ISSUER_TYPE = "workloadIdentityFederationIssuerType";

/** The issuer form an organization gives a connection made (or converted) now. */
export const issuerTypeFor = (org: Organization) => (org.federationIssuer === "devops" ? "AzureDevOps" : "EntraID");

/**
 * A connection's issuer form: the one it was made (or converted) with, which switching the organization's setting
 * does not change; connections made before svcconn kept it follow the organization.
 */
export function issuerFormOf(org: Organization, endpoint: Pick<ServiceEndpoint, "parameters">): "entra" | "devops" {
  const kept = endpoint.parameters[ISSUER_TYPE];
  if (kept === "AzureDevOps") return "devops";
  if (kept === "EntraID") return "entra";
  return org.federationIssuer;
}

/** The issuer and subject a workload-identity connection's tokens carry, in the connection's issuer form. */
export function federationIdentity(org: Organization, project: Project | undefined, endpoint: Pick<ServiceEndpoint, "id" | "name" | "parameters">) {
  if (issuerFormOf(org, endpoint) === "devops") {
    return { issuer: `${LEGACY_ISSUER_BASE}/${org.id}`, subject: `sc://${org.name}/${project?.name ?? ""}/${endpoint.name}` };
  }
  const tenantId = endpoint.parameters.tenantid ?? org.tenantId;
  return {
    issuer: `https://login.microsoftonline.com/${tenantId}/v2.0`,
    subject: `/eid1/c/pub/t/${guidToBase64UrlLe(tenantId)}/a/${ADO_APP_SEGMENT}/sc/${org.id}/${endpoint.id}`,
  };
}

/** The federated identity credential Azure DevOps adds to a connection's application (creation, conversion). */
export function federatedCredentialFor(applicationObjectId: string, org: Organization, project: Project, endpoint: Pick<ServiceEndpoint, "id" | "name" | "parameters">): NewFederatedCredential {
  const { issuer, subject } = federationIdentity(org, project, endpoint);
  return {
    applicationObjectId,
    name: `${org.name}-${project.name}-${endpoint.id}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 120),
    issuer,
    subject,
    audiences: ["api://AzureADTokenExchange"],
    description: `Azure DevOps service connection ${endpoint.name}`,
  };
}

/**
 * Workload identity federation on the Azure DevOps side: the tokens a job presents for a connection, in both issuer
 * forms, and the keys and discovery documents of the older Azure DevOps issuer (vstoken), which Entra trusts.
 */
export class FederationIssuer {
  private readonly keys: SigningKeys;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    keyBox?: SecretBox,
  ) {
    this.keys = new SigningKeys(store.keys, clock, "devops:", keyBox);
  }

  /** Mints the OIDC token for a connection: Entra-issued (new form) or Azure DevOps-issued (legacy form). */
  async token(org: Organization, project: Project | undefined, endpoint: ServiceEndpoint, entra: EntraApi): Promise<string> {
    const { issuer, subject } = federationIdentity(org, project, endpoint);
    const now = this.clock.nowSeconds();
    if (issuerFormOf(org, endpoint) === "devops") {
      // As Azure DevOps issued them: valid from ten minutes back, for five minutes.
      const key = await this.keys.activeKey(`devops:${org.id}`);
      return signJwt(
        { alg: "RS256", typ: "JWT", kid: key.kid },
        { jti: crypto.randomUUID(), sub: subject, aud: "api://AzureADTokenExchange", iss: issuer, nbf: now - 600, iat: now, exp: now + 300 },
        key.privateKey,
      );
    }
    const tenantId = endpoint.parameters.tenantid ?? org.tenantId;
    return entra.federationToken({ tenantId, claims: {
      aud: TOKEN_EXCHANGE_APP,
      iss: issuer,
      iat: now,
      nbf: now,
      exp: now + 86_700,
      azp: AZURE_DEVOPS_FIRST_PARTY_APP,
      azpacr: "2",
      idtyp: "app",
      oid: endpoint.id,
      sub: subject,
      tid: tenantId,
      ver: "2.0",
    } });
  }

  /** `/{orgId}/.well-known/openid-configuration` of the legacy issuer. */
  discovery(org: Organization, devopsBase: string) {
    return {
      issuer: `${LEGACY_ISSUER_BASE}/${org.id}`,
      jwks_uri: `${devopsBase}/${org.id}/.well-known/jwks`,
      subject_types_supported: ["public"],
      response_types_supported: ["id_token"],
      claims_supported: ["sub", "aud", "exp", "iat", "iss", "nbf", "jti"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
    };
  }

  async jwks(org: Organization) {
    return { keys: await this.keys.jwks(`devops:${org.id}`, () => `${LEGACY_ISSUER_BASE}/${org.id}`) };
  }

  /** Tells Entra's token endpoint where the legacy issuer's keys are (tokens minted on the injected clock). */
  resolver(): IssuerKeyResolver {
    return async (issuer, header) => {
      if (!issuer.startsWith(`${LEGACY_ISSUER_BASE}/`)) return undefined;
      const orgId = issuer.slice(LEGACY_ISSUER_BASE.length + 1).toLowerCase();
      const org = (await this.store.devops.organizations()).find((o) => o.id === orgId);
      if (!org) return undefined;
      const key: KeyObject | undefined = header.kid ? await this.keys.publicKey(header.kid) : undefined;
      return { keys: key ? [key] : [], clock: "world" };
    };
  }
}
