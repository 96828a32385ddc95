import { isGuid } from "../../core/ids.js";
import { type GraphError, graphErrors } from "./graph-errors.js";
import { GUEST_ROLE, SIGN_IN_AUDIENCES, type AuthorizationPolicy, type SignInAudience } from "../model.js";

/**
 * Request bodies of Microsoft Graph turned into typed commands, with Graph's own error for anything else. Graph
 * validates a body against its OData model before it checks rights, so routes read the body first; the service
 * never sees `unknown`. Field checks are written out rather than generated from a schema because each failure has
 * its own Graph text (`Property 'x' does not exist on type 'microsoft.graph.y'.`, "Invalid value specified for
 * property 'x' of resource 'y'.").
 */

export function unknownProperty(name: string, resource: string): GraphError {
  return graphErrors.badRequest(`Property '${name}' does not exist on type 'microsoft.graph.${resource}'.`);
}

/** Graph refuses a property its type does not have; `@odata.*` annotations are allowed where `annotations` is set. */
function onlyProperties(input: Record<string, unknown>, allowed: readonly string[], resource: string, annotations = false): void {
  for (const key of Object.keys(input)) if (!allowed.includes(key) && !(annotations && key.startsWith("@odata"))) throw unknownProperty(key, resource);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw graphErrors.badRequest("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

// ---- applications ---------------------------------------------------------------------------------------------

/** A certificate to add (`key` present) or an existing one to keep (`keyId` only). */
export type KeyCredentialInput = { kind: "add"; certificate: string; displayName: string | null } | { kind: "keep"; keyId: string };

export interface ApplicationCommand {
  displayName?: string;
  signInAudience?: SignInAudience;
  identifierUris?: string[];
  description?: string | null;
  notes?: string | null;
  tags?: string[];
  isFallbackPublicClient?: boolean;
  requestedAccessTokenVersion?: 1 | 2 | null;
  redirectUris?: { web?: string[]; spa?: string[]; publicClient?: string[] };
  /** The whole new set of certificates, when the body names `keyCredentials`. */
  keyCredentials?: KeyCredentialInput[];
}

const APPLICATION_PROPERTIES = [
  "displayName", "signInAudience", "identifierUris", "description", "notes", "tags", "isFallbackPublicClient", "web", "spa", "publicClient", "api",
  "keyCredentials", "requiredResourceAccess", "info", "optionalClaims", "appRoles", "groupMembershipClaims", "serviceManagementReference",
];

/** `POST /applications` (creating) or `PATCH /applications/{id}`. */
export function applicationCommand(body: unknown, creating: boolean): ApplicationCommand {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw graphErrors.badRequest("The request body must be a JSON object.");
  const input = body as Record<string, unknown>;
  onlyProperties(input, APPLICATION_PROPERTIES, "application", true);
  const out: ApplicationCommand = {};
  if (input.displayName !== undefined) {
    if (typeof input.displayName !== "string" || !input.displayName.trim()) throw graphErrors.invalidValue("displayName", "application");
    out.displayName = input.displayName;
  } else if (creating) {
    throw graphErrors.badRequest("Property 'displayName' is required.");
  }
  if (input.signInAudience !== undefined) {
    if (!SIGN_IN_AUDIENCES.includes(input.signInAudience as SignInAudience)) throw graphErrors.invalidValue("signInAudience", "application");
    out.signInAudience = input.signInAudience as SignInAudience;
  } else if (creating) {
    // Graph's default for applications it creates.
    out.signInAudience = "AzureADandPersonalMicrosoftAccount";
  }
  const stringList = (value: unknown, name: string) => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw graphErrors.invalidValue(name, "application");
    return value as string[];
  };
  if (input.identifierUris !== undefined) out.identifierUris = stringList(input.identifierUris, "identifierUris");
  if (input.tags !== undefined) out.tags = stringList(input.tags, "tags");
  for (const key of ["description", "notes"] as const) {
    if (input[key] !== undefined) {
      if (input[key] !== null && typeof input[key] !== "string") throw graphErrors.invalidValue(key, "application");
      out[key] = input[key] as string | null;
    }
  }
  if (input.isFallbackPublicClient !== undefined) {
    if (typeof input.isFallbackPublicClient !== "boolean" && input.isFallbackPublicClient !== null) throw graphErrors.invalidValue("isFallbackPublicClient", "application");
    out.isFallbackPublicClient = input.isFallbackPublicClient === true;
  }
  for (const kind of ["web", "spa", "publicClient"] as const) {
    const value = input[kind];
    if (value === undefined) continue;
    const uris = (value as { redirectUris?: unknown } | null)?.redirectUris;
    if (uris !== undefined) out.redirectUris = { ...out.redirectUris, [kind]: stringList(uris, `${kind}.redirectUris`) };
  }
  const version = (input.api as { requestedAccessTokenVersion?: unknown } | undefined)?.requestedAccessTokenVersion;
  if (version !== undefined) {
    if (version !== null && version !== 1 && version !== 2) throw graphErrors.invalidValue("api.requestedAccessTokenVersion", "application");
    out.requestedAccessTokenVersion = version as 1 | 2 | null;
  }
  if (Array.isArray(input.keyCredentials)) out.keyCredentials = input.keyCredentials.map(keyCredentialInput).filter((k): k is KeyCredentialInput => !!k);
  return out;
}

function keyCredentialInput(value: unknown): KeyCredentialInput | undefined {
  const k = (value ?? {}) as { key?: unknown; keyId?: unknown; displayName?: unknown; type?: unknown; usage?: unknown };
  if (k.key === undefined || k.key === null) return typeof k.keyId === "string" ? { kind: "keep", keyId: k.keyId.toLowerCase() } : undefined;
  if (typeof k.key !== "string" || (k.type !== undefined && k.type !== "AsymmetricX509Cert") || (k.usage !== undefined && k.usage !== "Verify")) {
    throw graphErrors.invalidValue("keyCredentials", "application");
  }
  return { kind: "add", certificate: k.key, displayName: typeof k.displayName === "string" ? k.displayName : null };
}

export interface PasswordCommand {
  displayName: string | null;
  startDateTime?: string;
  endDateTime?: string;
}

/** `POST /applications/{id}/addPassword`. */
export function passwordCommand(body: unknown): PasswordCommand {
  const input = objectBody(body).passwordCredential ?? {};
  if (typeof input !== "object" || input === null) throw graphErrors.badRequest("The property 'passwordCredential' must be an object.");
  const fields = input as Record<string, unknown>;
  for (const field of ["displayName", "startDateTime", "endDateTime"] as const) {
    if (fields[field] !== undefined && fields[field] !== null && typeof fields[field] !== "string") throw graphErrors.invalidValue(field, "passwordCredential");
  }
  return {
    displayName: (fields.displayName as string | undefined) ?? null,
    startDateTime: (fields.startDateTime as string | null | undefined) ?? undefined,
    endDateTime: (fields.endDateTime as string | null | undefined) ?? undefined,
  };
}

/** `POST /applications/{id}/removePassword`: the password's key id. */
export function removePasswordKeyId(body: unknown): string {
  const keyId = objectBody(body).keyId;
  if (typeof keyId !== "string" || !isGuid(keyId)) throw graphErrors.badRequest("The property 'keyId' must be a GUID.");
  return keyId;
}

export interface FederatedCredentialCommand {
  name?: string;
  issuer?: string;
  subject?: string;
  audiences?: string[];
  description?: string | null;
}

/** `POST` or `PATCH` of `federatedIdentityCredentials`. */
export function federatedCredentialCommand(body: unknown): FederatedCredentialCommand {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw graphErrors.badRequest("The request body must be a JSON object.");
  const input = body as Record<string, unknown>;
  onlyProperties(input, ["name", "issuer", "subject", "audiences", "description", "id"], "federatedIdentityCredential", true);
  for (const key of ["name", "issuer", "subject"] as const) if (input[key] !== undefined && typeof input[key] !== "string") throw graphErrors.invalidValue(key, "federatedIdentityCredential");
  if (input.audiences !== undefined && (!Array.isArray(input.audiences) || input.audiences.some((a) => typeof a !== "string"))) throw graphErrors.invalidValue("audiences", "federatedIdentityCredential");
  return {
    name: input.name as string | undefined,
    issuer: input.issuer as string | undefined,
    subject: input.subject as string | undefined,
    audiences: input.audiences as string[] | undefined,
    description: (input.description as string | null | undefined) ?? undefined,
  };
}

/** `POST …/owners/$ref`: the object id the `@odata.id` names. */
export function ownerReference(body: unknown): string {
  const ref = objectBody(body)["@odata.id"];
  const id = typeof ref === "string" ? /([0-9a-f-]{36})\/?$/i.exec(ref)?.[1] : undefined;
  if (!id) throw graphErrors.badRequest("The request body must contain '@odata.id' naming a directory object.");
  return id;
}

// ---- service principals ---------------------------------------------------------------------------------------

export interface NewServicePrincipalCommand {
  appId: string;
  accountEnabled: boolean;
}

export function newServicePrincipalCommand(body: unknown): NewServicePrincipalCommand {
  const input = objectBody(body);
  onlyProperties(input, ["appId", "accountEnabled", "tags", "notes", "description", "appRoleAssignmentRequired"], "servicePrincipal");
  if (typeof input.appId !== "string" || !isGuid(input.appId)) throw graphErrors.badRequest("The property 'appId' must be the GUID of an application.");
  if (input.accountEnabled !== undefined && typeof input.accountEnabled !== "boolean") throw graphErrors.invalidValue("accountEnabled", "servicePrincipal");
  return { appId: input.appId, accountEnabled: (input.accountEnabled as boolean | undefined) ?? true };
}

export interface ServicePrincipalChanges {
  accountEnabled?: boolean;
  displayName?: string;
}

export function servicePrincipalChanges(body: unknown): ServicePrincipalChanges {
  const input = objectBody(body);
  onlyProperties(input, ["accountEnabled", "displayName", "tags", "notes", "description"], "servicePrincipal");
  if (input.accountEnabled !== undefined && typeof input.accountEnabled !== "boolean") throw graphErrors.invalidValue("accountEnabled", "servicePrincipal");
  if (input.displayName !== undefined && typeof input.displayName !== "string") throw graphErrors.invalidValue("displayName", "servicePrincipal");
  return {
    ...(input.accountEnabled === undefined ? {} : { accountEnabled: input.accountEnabled as boolean }),
    ...(input.displayName === undefined ? {} : { displayName: input.displayName as string }),
  };
}

export interface AppRoleGrantCommand {
  principalId: string;
  resourceId: string;
  appRoleId: string;
}

export function appRoleGrantCommand(body: unknown): AppRoleGrantCommand {
  const input = objectBody(body);
  if (typeof input.appRoleId !== "string" || typeof input.resourceId !== "string" || typeof input.principalId !== "string") {
    throw graphErrors.badRequest("The properties 'principalId', 'resourceId' and 'appRoleId' are required.");
  }
  return { principalId: input.principalId.toLowerCase(), resourceId: input.resourceId.toLowerCase(), appRoleId: input.appRoleId.toLowerCase() };
}

// ---- directory ---------------------------------------------------------------------------------------------------

export type PolicyChanges = Partial<Pick<AuthorizationPolicy, "guestUserRoleId" | "allowInvitesFrom" | "allowedToCreateApps" | "allowedToCreateSecurityGroups" | "allowedToReadOtherUsers">>;

const DEFAULT_USER_ROLE_PERMISSIONS = ["allowedToCreateApps", "allowedToCreateSecurityGroups", "allowedToReadOtherUsers", "allowedToCreateTenants", "allowedToReadBitlockerKeysForOwnedDevice", "permissionGrantPoliciesAssigned"];
const IGNORED_POLICY_PROPERTIES = ["allowedToSignUpEmailBasedSubscriptions", "allowedToUseSSPR", "allowEmailVerifiedUsersToJoinOrganization", "blockMsolPowerShell", "displayName", "description"];

/** `PATCH /policies/authorizationPolicy`. */
export function policyChanges(body: unknown): PolicyChanges {
  const changes: PolicyChanges = {};
  for (const [key, value] of Object.entries(objectBody(body))) {
    if (key === "guestUserRoleId") {
      if (typeof value !== "string" || !Object.values(GUEST_ROLE).includes(value.toLowerCase() as never)) throw graphErrors.invalidValue("guestUserRoleId", "authorizationPolicy");
      changes.guestUserRoleId = value.toLowerCase();
    } else if (key === "allowInvitesFrom") {
      if (!["none", "adminsAndGuestInviters", "adminsGuestInvitersAndAllMembers", "everyone"].includes(value as string)) throw graphErrors.invalidValue("allowInvitesFrom", "authorizationPolicy");
      changes.allowInvitesFrom = value as AuthorizationPolicy["allowInvitesFrom"];
    } else if (key === "defaultUserRolePermissions") {
      if (!value || typeof value !== "object" || Array.isArray(value)) throw graphErrors.invalidValue("defaultUserRolePermissions", "authorizationPolicy");
      for (const [k, v] of Object.entries(value)) {
        if (!DEFAULT_USER_ROLE_PERMISSIONS.includes(k)) throw unknownProperty(k, "defaultUserRolePermissions");
        if (k.startsWith("allowed") && typeof v !== "boolean") throw graphErrors.invalidValue(k, "defaultUserRolePermissions");
        if (k === "allowedToCreateApps" || k === "allowedToCreateSecurityGroups" || k === "allowedToReadOtherUsers") changes[k] = v as boolean;
      }
    } else if (!IGNORED_POLICY_PROPERTIES.includes(key)) {
      throw unknownProperty(key, "authorizationPolicy");
    }
  }
  return changes;
}

export interface DirectoryRoleAssignmentCommand {
  /** A role template id or a tenant's directoryRole id; the service says whether it models that role. */
  roleDefinitionId: string;
  principalId: string;
}

/** `POST /roleManagement/directory/roleAssignments`. */
export function directoryRoleAssignmentCommand(body: unknown): DirectoryRoleAssignmentCommand {
  const input = objectBody(body);
  const roleDefinitionId = typeof input.roleDefinitionId === "string" ? input.roleDefinitionId : "";
  if (!roleDefinitionId) throw graphErrors.badRequest(`The role definition '${String(input.roleDefinitionId)}' is not supported.`);
  if (typeof input.principalId !== "string" || !isGuid(input.principalId)) throw graphErrors.badRequest("The property 'principalId' must be a GUID.");
  if (input.directoryScopeId !== undefined && input.directoryScopeId !== "/") throw graphErrors.badRequest("Only the directory scope '/' is supported.");
  return { roleDefinitionId, principalId: input.principalId };
}
