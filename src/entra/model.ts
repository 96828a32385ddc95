/** The Entra ID objects svcconn keeps, in the directory's own words. */

export type UserType = "Member" | "Guest";

export const GUEST_ROLE = {
  /** Guests have the same access as members. */
  User: "a0b1b346-4d3e-4e8b-98f8-753987be4970",
  /** Guests have limited access to properties and memberships of directory objects (the default). */
  GuestUser: "10dae51f-b6af-4016-8d66-8c2a99b929b3",
  /** Guest access is restricted to properties and memberships of their own directory objects. */
  RestrictedGuestUser: "2af84b1e-32c8-42b7-82bc-daa82404023b",
} as const;

export const DIRECTORY_ROLE = {
  GlobalAdministrator: "62e90394-69f5-4237-9190-012177145e10",
  ApplicationAdministrator: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
  CloudApplicationAdministrator: "158c047a-c907-4556-b7ef-446551a6b5f7",
  ApplicationDeveloper: "cf1c38e5-3621-4004-a7cb-879624dced7c",
  DirectoryReaders: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
  GlobalReader: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
  AzureDevOpsAdministrator: "e3973bdf-4987-49ae-837a-ba8e231c7286",
} as const;

export const DIRECTORY_ROLE_NAMES: Record<string, string> = {
  [DIRECTORY_ROLE.GlobalAdministrator]: "Global Administrator",
  [DIRECTORY_ROLE.ApplicationAdministrator]: "Application Administrator",
  [DIRECTORY_ROLE.CloudApplicationAdministrator]: "Cloud Application Administrator",
  [DIRECTORY_ROLE.ApplicationDeveloper]: "Application Developer",
  [DIRECTORY_ROLE.DirectoryReaders]: "Directory Readers",
  [DIRECTORY_ROLE.GlobalReader]: "Global Reader",
  [DIRECTORY_ROLE.AzureDevOpsAdministrator]: "Azure DevOps Administrator",
};

export type SignInAudience = "AzureADMyOrg" | "AzureADMultipleOrgs" | "AzureADandPersonalMicrosoftAccount" | "PersonalMicrosoftAccount";
export const SIGN_IN_AUDIENCES: readonly SignInAudience[] = [
  "AzureADMyOrg",
  "AzureADMultipleOrgs",
  "AzureADandPersonalMicrosoftAccount",
  "PersonalMicrosoftAccount",
];

export interface Tenant {
  id: string;
  displayName: string;
  defaultDomain: string;
  domains: string[];
  createdAt: string;
}

export interface AuthorizationPolicy {
  allowedToCreateApps: boolean;
  allowedToCreateSecurityGroups: boolean;
  allowedToReadOtherUsers: boolean;
  guestUserRoleId: string;
  allowInvitesFrom: "none" | "adminsAndGuestInviters" | "adminsGuestInvitersAndAllMembers" | "everyone";
}

export const DEFAULT_AUTHORIZATION_POLICY: AuthorizationPolicy = {
  allowedToCreateApps: true,
  allowedToCreateSecurityGroups: true,
  allowedToReadOtherUsers: true,
  guestUserRoleId: GUEST_ROLE.GuestUser,
  allowInvitesFrom: "everyone",
};

export interface User {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  userType: UserType;
  homeTenantId: string | null;
  homeUserId: string | null;
  accountEnabled: boolean;
  passwordHash: string | null;
  tokensValidFrom: string;
  createdAt: string;
}

export interface DirectoryRoleAssignment {
  id: string;
  tenantId: string;
  principalId: string;
  roleTemplateId: string;
  directoryScopeId: string;
  createdAt: string;
  /** When the role takes effect: Graph's writes reach every part of the directory only after its propagation delay. */
  effectiveAt: string;
}

export interface Application {
  id: string;
  tenantId: string;
  appId: string;
  displayName: string;
  signInAudience: SignInAudience;
  identifierUris: string[];
  requestedAccessTokenVersion: 1 | 2 | null;
  description: string | null;
  notes: string | null;
  tags: string[];
  createdAt: string;
  redirectUris: RedirectUris;
  /** Public-client flows (ROPC, device code) allowed for this app. */
  isFallbackPublicClient: boolean;
}

export interface RedirectUris {
  web: string[];
  spa: string[];
  publicClient: string[];
}

export interface PasswordCredential {
  keyId: string;
  ownerId: string;
  displayName: string | null;
  hint: string;
  secretHash: string;
  startDateTime: string;
  endDateTime: string;
}

export interface KeyCredential {
  keyId: string;
  ownerId: string;
  displayName: string | null;
  type: "AsymmetricX509Cert";
  usage: "Verify";
  /** Base64 DER of the X.509 certificate. */
  keyDer: string;
  /** Upper-case hex SHA-1 thumbprint (what `x5t` names) and SHA-256 thumbprint (`x5t#S256`). */
  thumbprintSha1: string;
  thumbprintSha256: string;
  startDateTime: string;
  endDateTime: string;
}

export interface FederatedIdentityCredential {
  id: string;
  /** Object id of the application, or principal id of a user-assigned managed identity. */
  ownerId: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  description: string | null;
  createdAt: string;
}

export type ServicePrincipalType = "Application" | "ManagedIdentity" | "Legacy";

export interface ServicePrincipal {
  id: string;
  tenantId: string;
  appId: string;
  displayName: string;
  accountEnabled: boolean;
  servicePrincipalType: ServicePrincipalType;
  appOwnerOrganizationId: string;
  alternativeNames: string[];
  managedIdentityResourceId: string | null;
  createdAt: string;
}

export interface VirtualMachine {
  name: string;
  tenantId: string;
  resourceId: string;
  systemAssignedPrincipalId: string | null;
  userAssignedResourceIds: string[];
}

export type { SigningKey } from "../core/signing-keys.js";

export interface ExternalIssuer {
  issuer: string;
  jwks: { keys: Array<Record<string, unknown>> };
}

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const MAX_FEDERATED_CREDENTIALS = 20;

export interface AppRoleAssignment {
  id: string;
  tenantId: string;
  /** The service principal the role is granted to. */
  principalId: string;
  /** The service principal of the API (e.g. Microsoft Graph in this tenant). */
  resourceId: string;
  appRoleId: string;
  createdAt: string;
}

/** A signed-in user's session: the refresh token (hashed) and when it was last used. */
export interface UserSession {
  id: string;
  /** The person across tenants: home tenant id and home object id. */
  accountKey: string;
  tenantId: string;
  userId: string;
  clientId: string;
  refreshHash: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string;
  revokedAt: string | null;
}

export interface AuthorizationCode {
  codeHash: string;
  tenantId: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  nonce: string | null;
  expiresAt: string;
  redeemedAt: string | null;
}

/** The kinds of directory object Graph's deleted items keep here. */
export type DeletedObjectType = "application" | "servicePrincipal";

/** An application as it was when deleted, with what belonged to it. */
export interface DeletedApplication {
  application: Application;
  passwords: PasswordCredential[];
  keys: KeyCredential[];
  federated: FederatedIdentityCredential[];
  owners: string[];
}

/** A service principal as it was when deleted; `withApplication` names the application deleted with it. */
export interface DeletedServicePrincipal {
  servicePrincipal: ServicePrincipal;
  appRoleAssignments: AppRoleAssignment[];
  federated: FederatedIdentityCredential[];
  owners: string[];
  withApplication: string | null;
}

/** A deleted directory object, restorable for 30 days (`directory/deletedItems`). */
export type DeletedItem =
  | { id: string; tenantId: string; type: "application"; deletedAt: string; body: DeletedApplication }
  | { id: string; tenantId: string; type: "servicePrincipal"; deletedAt: string; body: DeletedServicePrincipal };
