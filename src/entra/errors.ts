import { PlaneError } from "../core/errors.js";

/** OAuth error classes Entra puts in `error`. */
export type OAuthErrorClass =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "invalid_resource"
  | "invalid_tenant"
  | "interaction_required"
  | "login_required"
  | "temporarily_unavailable"
  | "unsupported_response_type"
  | "server_error";

/**
 * An Entra token-endpoint failure: HTTP status, OAuth class, AADSTS number and the exact text. The login listener
 * renders it with trace id, correlation id and timestamp (`docs/reference/identity-arm-api.md` §1.3).
 */
export class AadstsError extends PlaneError {
  readonly plane = "entra" as const;
  constructor(
    status: number,
    readonly errorClass: OAuthErrorClass,
    readonly aadsts: number,
    readonly text: string,
  ) {
    super(status, `AADSTS${aadsts}`, `AADSTS${aadsts}: ${text}`);
  }
}

const invalidClient = (code: number, text: string) => new AadstsError(401, "invalid_client", code, text);
const badRequest = (errorClass: OAuthErrorClass, code: number, text: string) => new AadstsError(400, errorClass, code, text);

/** Entra prints times in assertion errors with seven fractional digits: 2022-10-26T06:11:15.1049397Z. */
export const aadTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z");

const WIF_DOCS = "https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation";

/** One constructor per real error; texts are the latest wording seen from the service. */
export const aadsts = {
  invalidClientSecret: (appId: string) =>
    invalidClient(
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
    ),
  expiredClientSecret: (appId: string) =>
    invalidClient(
      7000222,
      `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    ),
  applicationNotFound: (clientId: string, directory: string) =>
    badRequest(
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  missingServicePrincipal: (appId: string, tenantId: string) =>
    invalidClient(
      7000229,
      `The client application ${appId} is missing service principal in the tenant ${tenantId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
    ),
  applicationDisabled: (appId: string, displayName: string) =>
    badRequest("unauthorized_client", 7000112, `Application '${appId}'(${displayName}) is disabled.`),
  tenantNotFound: (tenant: string) =>
    badRequest(
      "invalid_tenant",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  invalidTenantIdentifier: (tenant: string) =>
    badRequest("invalid_request", 900023, `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`),
  noTenantInformation: () =>
    badRequest("invalid_request", 50059, "No tenant-identifying information found in either the request or implied by any provided credentials."),
  malformedJson: () => badRequest("invalid_request", 9000410, "Malformed JSON."),
  missingParameter: (name: string) =>
    badRequest("invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`),
  missingClientCredential: () =>
    invalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  unsupportedGrantType: (grantType: string) =>
    badRequest("unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`),
  invalidScope: (scope: string) =>
    badRequest("invalid_scope", 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  multipleResources: (scope: string) =>
    badRequest(
      "invalid_scope",
      28000,
      `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`,
    ),
  resourceNotFound: (resource: string, tenant: string) =>
    badRequest(
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  malformedAssertion: (reason?: string) =>
    badRequest("invalid_request", 50027, `JWT token is invalid or malformed.${reason ? ` ${reason}` : ""}`),
  unsupportedAssertionType: (type: string) =>
    badRequest("invalid_request", 50027, `JWT token is invalid or malformed. The client_assertion_type '${type}' is not supported.`),
  assertionAppIdMismatch: () =>
    invalidClient(
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .",
    ),
  assertionAudienceInvalid: (audience: string, expected: string) =>
    invalidClient(
      50013,
      `Assertion failed signature validation. [Reason - The audience '${audience}' of the client assertion is not valid; it must be the token endpoint '${expected}'.]`,
    ),
  assertionOutsideTimeRange: (nowMs: number, fromMs: number, toMs: number) =>
    invalidClient(
      700024,
      `Client assertion is not within its valid time range. Current time: ${aadTime(nowMs)}, assertion valid from ${aadTime(fromMs)}, expiry time of assertion ${aadTime(toMs)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials`,
    ),
  assertionKeyNotFound: (thumbprint: string, appId: string) =>
    invalidClient(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${appId}']. Alternatively, SNI may be configured on the app. Please ensure that client assertion is being sent with the x5c claim in the JWT header using MSAL's WithSendX5C() method so that Azure Active Directory can validate the certificate being used.`,
    ),
  assertionSignatureInvalid: (thumbprint: string, appId: string, start: string, end: string) =>
    invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - Key was found, but use of the key to verify the signature failed., Thumbprint of key used by client: '${thumbprint}', Found key 'Start=${start}, End=${end}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'.]`,
    ),
  certificateOutsideValidity: (thumbprint: string) =>
    invalidClient(1000502, `The provided certificate with thumbprint '${thumbprint}' is not within its specified validity window.`),
  noMatchingFederatedRecord: (issuer: string, subject: string, audience: string) =>
    badRequest(
      "invalid_request",
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'. ${WIF_DOCS}`,
    ),
  noMatchingFederatedIssuer: (issuer: string) =>
    invalidClient(
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
    ),
  noMatchingFederatedSubject: (subject: string) =>
    invalidClient(
      700213,
      `No matching federated identity record found for presented assertion subject '${subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    ),
  noFederatedCredentials: () => invalidClient(70025, "Client application has no configured federated identity credentials."),
  federationRequiresSingleTenant: () =>
    invalidClient(70052, "The identity must be a managed identity, a single tenant app, or a service account."),
  aadTokensNotForFederation: () => invalidClient(700222, "AAD-issued tokens may not be used for federated identity flows."),
  externalIssuerUnreachable: (issuer: string) =>
    invalidClient(50166, `Request to External OIDC endpoint failed. The signing keys of issuer '${issuer}' could not be obtained.`),
  externalSignatureInvalid: (issuer: string) =>
    invalidClient(
      700027,
      `Client assertion contains an invalid signature. [Reason - The key was not found., The assertion was not signed by a key published by issuer '${issuer}'.]`,
    ),
  invalidCredentials: () => badRequest("invalid_grant", 50126, "Error validating credentials due to invalid username or password."),
  userNotInDirectory: (user: string, tenant: string) =>
    badRequest(
      "invalid_grant",
      50034,
      `The user account ${user} does not exist in the ${tenant} directory. To sign into this application, the account must be added to the directory.`,
    ),
  userDisabled: () => badRequest("invalid_grant", 50057, "The user account is disabled."),
  refreshTokenInactive: (issuedIso: string, inactiveSeconds: number) =>
    badRequest("invalid_grant", 700082, `The refresh token has expired due to inactivity. The token was issued on ${issuedIso} and was inactive for ${dotNetSpan(inactiveSeconds)}.`),
  grantRevoked: (issuedIso: string, validFromIso: string) =>
    badRequest(
      "invalid_grant",
      50173,
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${issuedIso}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${validFromIso}'.`,
    ),
  malformedGrant: (what: string) => badRequest("invalid_grant", 9002313, `Invalid request. Request is malformed or invalid. The ${what} is not valid.`),
  codeExpired: () =>
    badRequest("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."),
  codeRedeemed: () =>
    badRequest("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."),
  codeVerifierMismatch: () => badRequest("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."),
  redirectUriMismatch: (uri: string, appId: string) =>
    badRequest(
      "invalid_request",
      50011,
      `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    ),
  /** A browser (an Origin header) redeemed a code or refresh token of a client whose redirect URI is not a single-page app. */
  pkceRequiredCrossOrigin: () => badRequest("invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption."),
  crossOriginRedemption: (origin: string) =>
    badRequest("invalid_request", 9002326, `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${origin}'.`),
  /** `prompt=none` at the authorize endpoint: svcconn keeps no browser session (cookie), so a silent sign-in never finds one. */
  silentSignInNoUser: () =>
    badRequest("login_required", 50058, "A silent sign-in request was sent but no user is signed in. The cookies used to represent the user's session were not sent in the request to Azure AD."),
  notPublicClient: () => invalidClient(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  unsupportedResponseType: (type: string) => badRequest("unsupported_response_type", 70000, `The response type '${type}' is not supported; use 'code'.`),
  unexpected: () => new AadstsError(500, "server_error", 90100, "An unexpected error occurred while processing the request."),
};

/** .NET TimeSpan text as Entra prints durations: `90.00:00:00`. */
function dotNetSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const p = (n: number) => String(n).padStart(2, "0");
  const hms = `${p(Math.floor((s % 86_400) / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
  return d ? `${d}.${hms}` : hms;
}
