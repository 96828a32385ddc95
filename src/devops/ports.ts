/**
 * What the DevOps plane needs from Entra ID and Azure Resource Manager, and nothing more. Every call acts with an
 * identity — the user's own session, or the connection's credentials — and passes that plane's own checks, exactly
 * as Azure DevOps talks to the real services over their APIs.
 *
 * The ports take typed commands and return plain domain values (never wire JSON), and every failure they promise is
 * a `PortError`. So an adapter over HTTPS with the official SDKs fits the same interfaces as the in-process adapters
 * in `server/in-process-ports.ts`; `test/devops/https-port.test.ts` proves it for ARM.
 */

/** The one error a port call fails with: which plane refused, its HTTP status, its own code and exact message. */
export class PortError extends Error {
  constructor(
    readonly plane: "entra" | "graph" | "arm",
    readonly status: number,
    /** The service's code: `AADSTS7000215`, `Authorization_RequestDenied`, `AuthorizationFailed`… */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PortError";
  }
}

export const isPortError = (error: unknown, ...planes: PortError["plane"][]): error is PortError =>
  error instanceof PortError && (planes.length === 0 || planes.includes(error.plane));

// ---- well-known identifiers (public constants of the real services) ----------------------------------------

export const ARM_RESOURCE = "https://management.azure.com/";
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
/** `guestUserRoleId` of a directory whose guests have the same access as members (Entra's well-known id). */
export const GUESTS_AS_MEMBERS_ROLE_ID = "a0b1b346-4d3e-4e8b-98f8-753987be4970";
/** The built-in Contributor role definition, the same GUID in every Azure tenant. */
export const CONTRIBUTOR_ROLE_DEFINITION_ID = "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c";

// ---- values ---------------------------------------------------------------------------------------------------

export interface TenantInfo {
  id: string;
  displayName: string;
}

export interface UserInfo {
  id: string;
  tenantId: string;
  userType: "Member" | "Guest";
  userPrincipalName: string;
  displayName: string;
}

/** A person's sign-in session, as Azure DevOps holds it (the refresh token stays with the identity plane). */
export interface UserSessionRef {
  id: string;
  tenantId: string;
  /** The user's object id in that tenant. */
  userId: string;
  /** When the session was last used (a token refreshed from it), and when it was revoked, if it was. */
  lastUsedAt?: string;
  revokedAt?: string | null;
}

export interface ApplicationInfo {
  id: string;
  appId: string;
  displayName: string;
}

export interface ServicePrincipalInfo {
  id: string;
  appId: string;
}

export interface PasswordInfo {
  keyId: string;
  /** Shown once, when the password is made. */
  secretText: string | null;
  endDateTime: string;
}

export interface FederatedCredentialInfo {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface SubscriptionInfo {
  id: string;
  displayName: string;
  state: string;
  tenantId: string;
}

export interface ManagementGroupInfo {
  name: string;
  displayName: string;
  tenantId: string;
}

export interface RoleAssignmentInfo {
  /** The assignment's name (a GUID), the last segment of its id. */
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
}

/** What a valid Entra access token says about its bearer, and whether it was issued for Azure DevOps. */
export interface AccessTokenClaims {
  tenantId: string;
  objectId: string;
  upn?: string;
  forAzureDevOps: boolean;
}

// ---- commands -------------------------------------------------------------------------------------------------

export type ClientCredential = { kind: "secret"; secret: string } | { kind: "certificate"; pem: string } | { kind: "assertion"; assertion: string };

/** A client-credentials token request, as a confidential client. */
export interface ClientTokenRequest {
  tenantId: string;
  clientId: string;
  credential: ClientCredential;
  /** The resource (audience) URI, e.g. `ARM_RESOURCE`. */
  resource: string;
}

export interface NewPassword {
  applicationObjectId: string;
  displayName: string;
  endDateTime: string;
}

export interface NewFederatedCredential {
  applicationObjectId: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  description?: string;
}

export interface NewRoleAssignment {
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: "ServicePrincipal" | "User" | "Group";
}

/** The claims of a token Entra issues to Azure DevOps for a connection (the Entra-issuer federation form). */
export interface FederationTokenRequest {
  tenantId: string;
  claims: Record<string, string | number>;
}

/**
 * What the Azure DevOps legacy issuer (vstoken) publishes for Entra to verify its tokens: the public keys for a
 * token's issuer and key id. Entra reads them as it would read the issuer's JWKS.
 */
export type IssuerKeyResolver = (issuer: string, header: { kid?: string }) => Promise<{ keys: import("node:crypto").KeyObject[]; clock: "world" } | undefined>;

// ---- ports ------------------------------------------------------------------------------------------------------

export interface EntraApi {
  tenant(tenantId: string): Promise<TenantInfo | undefined>;
  /** Every tenant an application might be asked for a token in. */
  tenants(): Promise<TenantInfo[]>;
  user(tenantId: string, objectId: string): Promise<UserInfo | undefined>;
  /** The person's most recent sign-in session, whichever tenant it is for. */
  currentSession(tenantId: string, userObjectId: string): Promise<UserSessionRef | undefined>;
  /** An access token for `resource` from a session (fails like a refresh: expired, revoked). */
  sessionToken(session: UserSessionRef, resource: string): Promise<string>;
  /** Microsoft Graph, acting with an access token. */
  graph(token: string): Promise<GraphAs>;
  /** The token endpoint, as a confidential client. */
  clientToken(request: ClientTokenRequest): Promise<string>;
  /** Signs a job's federation token as Entra does for Azure DevOps. */
  federationToken(request: FederationTokenRequest): Promise<string>;
  /** The claims of a valid (signed, unexpired) Entra access token; undefined for any other. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims | undefined>;
}

/** The directory settings that decide who may register applications (`/policies/authorizationPolicy`). */
export interface DirectorySettings {
  guestUserRoleId: string;
  allowedToCreateApps: boolean;
}

export interface GraphAs {
  me(): Promise<UserInfo | undefined>;
  /** The directory's settings, as this caller may read them; undefined when it may not (a limited guest). */
  directorySettings(): Promise<DirectorySettings | undefined>;
  createApplication(displayName: string): Promise<ApplicationInfo>;
  createServicePrincipal(appId: string): Promise<ServicePrincipalInfo>;
  application(appId: string): Promise<ApplicationInfo>;
  addPassword(command: NewPassword): Promise<PasswordInfo>;
  removePassword(applicationObjectId: string, keyId: string): Promise<void>;
  addFederatedCredential(command: NewFederatedCredential): Promise<FederatedCredentialInfo>;
  federatedCredentials(applicationObjectId: string): Promise<FederatedCredentialInfo[]>;
  updateFederatedCredential(applicationObjectId: string, credentialId: string, change: { issuer: string; subject: string }): Promise<void>;
  deleteApplication(applicationObjectId: string): Promise<void>;
}

export interface ArmApi {
  /** ARM, acting with an access token. */
  as(token: string): Promise<ArmAs>;
}

export interface ArmAs {
  subscription(id: string): Promise<SubscriptionInfo>;
  subscriptions(): Promise<SubscriptionInfo[]>;
  managementGroups(): Promise<ManagementGroupInfo[]>;
  /** Reads a scope the way a Verify does (subscription, management group, resource group or resource). */
  readScope(scope: string): Promise<void>;
  assignRole(command: NewRoleAssignment): Promise<RoleAssignmentInfo>;
  /** Removes an assignment by its name at a scope; false when there was none. */
  removeRoleAssignment(scope: string, name: string): Promise<boolean>;
}
