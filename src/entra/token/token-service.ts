import type { Clock } from "../../core/clock.js";

import type { Store } from "../../store/index.js";
import { accessTokenLifetime, type AccessTokens, type IssuedAccessToken, type TokenSubject } from "./access-tokens.js";
import type { ClientAuthenticator } from "./client-auth.js";
import { aadsts } from "../errors.js";
import type { Tenant } from "../model.js";
import { firstPartyServicePrincipalId, GRAPH_APP_ROLE_NAMES } from "../directory/first-party.js";
import { GRAPH_APP_ID, type Resource, type ResourceResolver } from "./token-audiences.js";
import type { UserSignIn } from "../sign-in/sign-in.js";
import { resolveTenant } from "../directory/tenants.js";

/** Which token endpoint was called: v2.0, the legacy v1, or the ADFS-style one the Azure CLI is pointed at. */
export type TokenEndpointFlavor = "v2" | "v1" | "adfs";

export interface TokenRequest {
  flavor: TokenEndpointFlavor;
  /** The tenant path segment (ignored for `adfs`). */
  tenant: string;
  form: Record<string, string>;
  /** Client id and secret from an HTTP Basic header, when the client sent one. */
  basic?: { clientId: string; clientSecret: string };
  /** `https://{host}` as the client called it. */
  issuerBase: string;
  /** The full token endpoint URL as called, for error texts. */
  tokenEndpoint: string;
  /** The browser origin of a cross-origin request (the Origin header): only single-page apps may redeem so. */
  origin?: string;
}

export interface TokenResult extends IssuedAccessToken {
  flavor: TokenEndpointFlavor;
  /** Delegated grants only. */
  scope?: string;
  refreshToken?: string;
  idToken?: string;
  clientInfo?: string;
}

/** The OAuth2 token endpoint: validates the request, authenticates the client and mints the token. */
export class TokenService {
  constructor(
    private readonly store: Store,
    private readonly resources: ResourceResolver,
    private readonly clients: ClientAuthenticator,
    private readonly tokens: AccessTokens,
    private readonly signIn: UserSignIn,
    private readonly clock: Clock,
  ) {}

  async token(request: TokenRequest): Promise<TokenResult> {
    const form = request.form;
    const grantType = form.grant_type;
    if (!grantType) throw aadsts.missingParameter("grant_type");
    if (!["client_credentials", "password", "refresh_token", "authorization_code"].includes(grantType)) throw aadsts.unsupportedGrantType(grantType);

    const clientId = (form.client_id ?? request.basic?.clientId ?? "").trim().toLowerCase();
    if (!clientId) throw aadsts.missingParameter("client_id");
    const tenant = await this.tenantFor(request, clientId);
    if (grantType !== "client_credentials") return this.delegated(grantType, request, tenant, clientId);

    const resourceId = this.requestedResource(request);
    const clientSecret = form.client_secret ?? request.basic?.clientSecret;
    const client = await this.clients.authenticate({
      tenant,
      clientId,
      clientSecret,
      clientAssertion: form.client_assertion,
      clientAssertionType: form.client_assertion_type,
      tokenEndpoint: request.tokenEndpoint,
      isOwnTokenEndpoint: (aud) => this.isTokenEndpointOf(aud, tenant),
    });
    const resource: Resource = await this.resources.resolve(resourceId, tenant);

    const sp = client.servicePrincipal;
    const wids = await this.store.cache.get(`wids:${tenant.id}:${sp.id}`, async () =>
      (await this.store.users.roleAssignments(tenant.id, { principalId: sp.id, inForceAt: this.clock.now().toISOString() })).map((a) => a.roleTemplateId),
    );
    const roles = resource.appId === GRAPH_APP_ID ? await this.graphRoles(tenant.id, sp.id) : [];
    const subject: TokenSubject = {
      kind: "app",
      tenantId: tenant.id,
      appId: sp.appId,
      servicePrincipalId: sp.id,
      acr: client.acr,
      wids: [...new Set(wids)],
      roles,
    };
    const issued = await this.tokens.issue({ subject, resource, lifetimeSeconds: accessTokenLifetime(), issuerBase: request.issuerBase });
    return { ...issued, flavor: request.flavor };
  }

  /** Names of the Microsoft Graph application permissions granted to a service principal (the `roles` claim). */
  private graphRoles(tenantId: string, servicePrincipalId: string): Promise<string[]> {
    return this.store.cache.get(`graph-roles:${servicePrincipalId}`, async () => {
      const graph = firstPartyServicePrincipalId(tenantId, GRAPH_APP_ID);
      const grants = await this.store.servicePrincipals.appRoleAssignments(servicePrincipalId);
      return grants.filter((g) => g.resourceId === graph).map((g) => GRAPH_APP_ROLE_NAMES[g.appRoleId]).filter((n): n is string => !!n);
    });
  }

  /** The user grants: password (ROPC), refresh_token and authorization_code. */
  private async delegated(grantType: string, request: TokenRequest, tenant: Tenant, clientId: string): Promise<TokenResult> {
    const { form } = request;
    const scope = form.scope ?? (form.resource ? `${form.resource.replace(/\/$/, "")}/.default` : undefined);
    const clientSecret = form.client_secret ?? request.basic?.clientSecret;
    let tokens;
    if (grantType === "password") {
      if (!form.username) throw aadsts.missingParameter("username");
      if (!form.password) throw aadsts.missingParameter("password");
      if (!scope) throw aadsts.missingParameter(request.flavor === "v1" ? "resource" : "scope");
      tokens = await this.signIn.passwordGrant({ tenant, clientId, clientSecret, username: form.username, password: form.password, scope, issuerBase: request.issuerBase });
    } else if (grantType === "refresh_token") {
      if (!form.refresh_token) throw aadsts.missingParameter("refresh_token");
      tokens = await this.signIn.refreshGrant({ tenant, clientId, refreshToken: form.refresh_token, scope, issuerBase: request.issuerBase, origin: request.origin });
    } else {
      if (!form.code) throw aadsts.missingParameter("code");
      tokens = await this.signIn.codeGrant({
        tenant,
        clientId,
        clientSecret,
        clientAssertion: form.client_assertion,
        clientAssertionType: form.client_assertion_type,
        code: form.code,
        redirectUri: form.redirect_uri,
        codeVerifier: form.code_verifier,
        scope,
        issuerBase: request.issuerBase,
        tokenEndpoint: request.tokenEndpoint,
        origin: request.origin,
      });
    }
    return { ...tokens, flavor: request.flavor };
  }

  private async tenantFor(request: TokenRequest, clientId: string): Promise<Tenant> {
    if (request.flavor === "adfs") {
      // The Azure CLI in ADFS mode sends every request to /adfs: the client's home directory is the tenant.
      const app = await this.store.applications.getByAppId(clientId);
      const tenantId = app?.tenantId ?? (await this.managedIdentityTenant(clientId));
      const tenant = tenantId ? await this.store.tenants.get(tenantId) : undefined;
      if (!tenant) throw aadsts.applicationNotFound(clientId, "adfs");
      return tenant;
    }
    const tenant = await resolveTenant(this.store, request.tenant);
    if (tenant === "multi") throw aadsts.noTenantInformation();
    return tenant;
  }

  private async managedIdentityTenant(clientId: string): Promise<string | undefined> {
    for (const tenant of await this.store.tenants.list()) {
      const sp = await this.store.servicePrincipals.getByAppId(tenant.id, clientId);
      if (sp) return tenant.id;
    }
    return undefined;
  }

  private requestedResource(request: TokenRequest): string {
    const { form } = request;
    if (request.flavor === "v1" || (request.flavor === "adfs" && form.resource && !form.scope)) {
      if (!form.resource) throw aadsts.missingParameter("resource");
      return form.resource;
    }
    if (!form.scope) throw aadsts.missingParameter("scope");
    return this.resources.resourceFromScope(form.scope);
  }

  /** A certificate assertion's `aud` must be this tenant's token endpoint (any host: the client may call us by name). */
  private async isTokenEndpointOf(audience: string, tenant: Tenant): Promise<boolean> {
    let url: URL;
    try {
      url = new URL(audience);
    } catch {
      return false;
    }
    const match = /^\/([^/]+)\/oauth2\/(?:v2\.0\/)?token\/?$/.exec(url.pathname);
    if (!match) return false;
    const segment = decodeURIComponent(match[1]!).toLowerCase();
    if (segment === "adfs") return true;
    return segment === tenant.id || tenant.domains.includes(segment) || segment === tenant.defaultDomain;
  }
}
