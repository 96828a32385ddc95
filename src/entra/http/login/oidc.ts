import { v1Issuer, v2Issuer } from "../../token/access-tokens.js";

/**
 * OpenID Connect discovery documents. Every URL is built on the host the client called: MSAL compares the
 * issuer's scheme, host and port with its authority exactly (`docs/reference/real-clients.md` §2.3).
 */
export function v2Configuration(base: string, tenantId: string): Record<string, unknown> {
  const t = `${base}/${tenantId}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: v2Issuer(base, tenantId),
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat",
      "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email",
    ],
    kerberos_endpoint: `${t}/kerberos`,
    tenant_region_scope: "WW",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

/** The v1 document: v1 tokens carry the `sts.windows.net` issuer. */
export function v1Configuration(base: string, tenantId: string): Record<string, unknown> {
  const t = `${base}/${tenantId}`;
  return {
    token_endpoint: `${t}/oauth2/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${t}/discovery/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "token id_token", "token"],
    scopes_supported: ["openid"],
    issuer: v1Issuer(tenantId),
    microsoft_multi_refresh_token: true,
    authorization_endpoint: `${t}/oauth2/authorize`,
    device_authorization_endpoint: `${t}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"],
    check_session_iframe: `${t}/oauth2/checksession`,
    userinfo_endpoint: `${t}/openid/userinfo`,
    tenant_region_scope: "WW",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

/**
 * The ADFS-style document the Azure CLI reads when its cloud's `activeDirectory` ends in `/adfs` (MSAL Python
 * then skips instance discovery, which would otherwise go to login.microsoftonline.com).
 */
export function adfsConfiguration(base: string): Record<string, unknown> {
  return {
    issuer: `${base}/adfs`,
    authorization_endpoint: `${base}/adfs/oauth2/authorize`,
    token_endpoint: `${base}/adfs/oauth2/token`,
    jwks_uri: `${base}/adfs/discovery/keys`,
    end_session_endpoint: `${base}/adfs/oauth2/logout`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic", "private_key_jwt"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token", "code token", "code id_token token"],
    response_modes_supported: ["query", "fragment", "form_post"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials", "password"],
    subject_types_supported: ["pairwise"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}

/** Instance discovery, answered for clients that do not turn it off and route login.microsoftonline.com here. */
export function instanceDiscovery(base: string, authorizationEndpoint: string | undefined): Record<string, unknown> {
  const host = new URL(base).host;
  let tenantPath = "common";
  if (authorizationEndpoint) {
    try {
      tenantPath = new URL(authorizationEndpoint).pathname.split("/").filter(Boolean)[0] ?? "common";
    } catch {
      // keep common
    }
  }
  return {
    tenant_discovery_endpoint: `${base}/${tenantPath}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
