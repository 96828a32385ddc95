import type { Clock } from "../core/clock.js";
import { isGuid, nameBasedGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import type { AccessTokens } from "./access-tokens.js";
import type { Directory, PasswordCredentialView } from "./directory.js";
import { firstPartyServicePrincipalId, GRAPH_APP_ROLE_NAMES } from "./first-party.js";
import { GraphError, graphErrors } from "./graph-errors.js";
import {
  DIRECTORY_ROLE,
  DIRECTORY_ROLE_NAMES,
  GUEST_ROLE,
  SIGN_IN_AUDIENCES,
  type Application,
  type AppRoleAssignment,
  type AuthorizationPolicy,
  type DirectoryRoleAssignment,
  type FederatedIdentityCredential,
  type ServicePrincipal,
  type SignInAudience,
  type Tenant,
  type User,
} from "./model.js";
import { GRAPH_APP_ID, planeOfAudience } from "./resources.js";
import type { UserSignIn } from "./sign-in.js";

/** The caller of a Graph request, as its token and the directory describe it. */
export interface GraphCaller {
  tenant: Tenant;
  kind: "app" | "user";
  /** Object id of the user, or of the calling service principal. */
  objectId: string;
  appId: string;
  /** Application permissions on Microsoft Graph (`roles` claim), for app-only callers. */
  appRoles: Set<string>;
  user?: User;
}

const ADMIN = DIRECTORY_ROLE.GlobalAdministrator;
const APP_ADMINS = [DIRECTORY_ROLE.GlobalAdministrator, DIRECTORY_ROLE.ApplicationAdministrator, DIRECTORY_ROLE.CloudApplicationAdministrator];
const READERS = [DIRECTORY_ROLE.GlobalReader, DIRECTORY_ROLE.DirectoryReaders];
const MODELLED_ROLES = Object.keys(DIRECTORY_ROLE_NAMES);

const graphUnauthenticated = (message: string) => new GraphError(401, "InvalidAuthenticationToken", message);

export interface ApplicationInput {
  displayName?: unknown;
  signInAudience?: unknown;
  identifierUris?: unknown;
  description?: unknown;
  notes?: unknown;
  tags?: unknown;
  isFallbackPublicClient?: unknown;
  web?: unknown;
  spa?: unknown;
  publicClient?: unknown;
  api?: unknown;
  keyCredentials?: unknown;
}

/**
 * Microsoft Graph over the directory, with Entra's authorization: app-only callers act by their application
 * permissions and directory roles; users by their directory roles, their user type and the guest access level,
 * the "users can register applications" setting, and ownership. Directory-setting changes apply only after the
 * propagation delay.
 */
export class GraphService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly directory: Directory,
    private readonly tokens: AccessTokens,
    private readonly signIn: UserSignIn,
    private readonly policyPropagationSeconds: () => number,
  ) {}

  // ---- callers and rights ------------------------------------------------------------------------------------

  async authenticate(header: string | undefined): Promise<GraphCaller> {
    const token = /^bearer\s+(\S+)/i.exec(header ?? "")?.[1];
    if (!token) throw graphUnauthenticated("Access token is empty.");
    const check = await this.tokens.check(token);
    if (!check.ok) {
      if (check.problem === "expired" || check.problem === "not-yet-valid") throw graphUnauthenticated("Lifetime validation failed, the token is expired.");
      throw graphUnauthenticated("Access token validation failure.");
    }
    const claims = check.claims;
    if (planeOfAudience(claims.aud) !== "graph") throw graphUnauthenticated("Access token validation failure. Invalid audience.");
    const tenant = await this.store.tenants.get(claims.tid);
    if (!tenant) throw graphUnauthenticated("Access token validation failure.");
    if (claims.idtyp === "user" || claims.scp) {
      const user = await this.store.users.get(tenant.id, claims.oid);
      if (!user) throw graphUnauthenticated("Access token validation failure. The user no longer exists.");
      return { tenant, kind: "user", objectId: user.id, appId: String(claims.appid ?? claims.azp ?? ""), appRoles: new Set(), user };
    }
    return { tenant, kind: "app", objectId: claims.oid, appId: String(claims.appid ?? claims.azp ?? ""), appRoles: new Set(claims.roles ?? []) };
  }

  private async roles(caller: GraphCaller): Promise<Set<string>> {
    const assignments = await this.store.users.roleAssignments(caller.tenant.id, { principalId: caller.objectId });
    return new Set(assignments.map((a) => a.roleTemplateId));
  }

  private hasRole = async (caller: GraphCaller, ...roles: string[]) => {
    const held = await this.roles(caller);
    return roles.some((r) => held.has(r));
  };

  private hasPermission = (caller: GraphCaller, ...permissions: string[]) => caller.kind === "app" && permissions.some((p) => caller.appRoles.has(p));

  /** A guest whose access the tenant limits (the default guest level). */
  private async isLimitedGuest(caller: GraphCaller): Promise<boolean> {
    if (caller.kind !== "user" || caller.user!.userType !== "Guest") return false;
    const policy = await this.directory.effectivePolicy(caller.tenant.id);
    return policy.guestUserRoleId !== GUEST_ROLE.User;
  }

  private async canReadDirectory(caller: GraphCaller): Promise<boolean> {
    if (caller.kind === "app") return this.hasPermission(caller, "Directory.Read.All", "Directory.ReadWrite.All") || (await this.hasRole(caller, ...APP_ADMINS, ...READERS));
    return !(await this.isLimitedGuest(caller)) || (await this.hasRole(caller, ...APP_ADMINS, ...READERS));
  }

  private async canReadApplications(caller: GraphCaller): Promise<boolean> {
    return (await this.canReadDirectory(caller)) || this.hasPermission(caller, "Application.Read.All", "Application.ReadWrite.All");
  }

  private async canCreateApplication(caller: GraphCaller): Promise<boolean> {
    if (await this.hasRole(caller, ...APP_ADMINS, DIRECTORY_ROLE.ApplicationDeveloper)) return true;
    if (caller.kind === "app") return this.hasPermission(caller, "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.ReadWrite.All");
    if (await this.isLimitedGuest(caller)) return false;
    return (await this.directory.effectivePolicy(caller.tenant.id)).allowedToCreateApps;
  }

  /** Change an application or service principal: its credentials, properties, deletion. */
  private async canManage(caller: GraphCaller, objectId: string): Promise<boolean> {
    if (await this.hasRole(caller, ...APP_ADMINS)) return true;
    if (this.hasPermission(caller, "Application.ReadWrite.All", "Directory.ReadWrite.All")) return true;
    const owner = await this.store.applications.isOwner(objectId, caller.objectId);
    if (caller.kind === "app") return owner && this.hasPermission(caller, "Application.ReadWrite.OwnedBy");
    return owner;
  }

  private async demand(allowed: boolean | Promise<boolean>): Promise<void> {
    if (!(await allowed)) throw graphErrors.denied();
  }

  // ---- applications ------------------------------------------------------------------------------------------

  async findApplication(caller: GraphCaller, key: { id?: string; appId?: string }): Promise<Application> {
    const value = key.id ?? key.appId!;
    if (!isGuid(value)) throw graphErrors.badRequest(`Invalid object identifier '${value}'.`);
    const app = key.id ? await this.store.applications.get(caller.tenant.id, key.id) : await this.store.applications.getByAppId(key.appId!);
    if (!app || app.tenantId !== caller.tenant.id) throw graphErrors.notFound(value);
    if (!(await this.canReadApplications(caller)) && !(await this.store.applications.isOwner(app.id, caller.objectId))) throw graphErrors.denied();
    return app;
  }

  async listApplications(caller: GraphCaller): Promise<Application[]> {
    const all = await this.store.applications.list(caller.tenant.id);
    if (await this.canReadApplications(caller)) return all;
    const owned = new Set(await this.store.applications.ownedBy(caller.objectId));
    return all.filter((a) => owned.has(a.id));
  }

  async createApplication(caller: GraphCaller, input: ApplicationInput): Promise<Application> {
    await this.demand(this.canCreateApplication(caller));
    const fields = readApplicationInput(input, true);
    const app = await this.directory.createApplication({ tenantId: caller.tenant.id, ...fields, displayName: fields.displayName!, ownerId: caller.objectId });
    if (Array.isArray(input.keyCredentials)) await this.replaceKeyCredentials(app.id, input.keyCredentials);
    return app;
  }

  async updateApplication(caller: GraphCaller, app: Application, input: ApplicationInput): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    const fields = readApplicationInput(input, false);
    const { redirectUris, ...rest } = fields;
    await this.store.applications.update(app.id, { ...rest, ...(redirectUris ? { redirectUris: { ...app.redirectUris, ...redirectUris } } : {}) });
    if (Array.isArray(input.keyCredentials)) await this.replaceKeyCredentials(app.id, input.keyCredentials);
  }

  /** Deleting an application also deletes its service principal in its home tenant, as Entra does. */
  async deleteApplication(caller: GraphCaller, app: Application): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    const sp = await this.store.servicePrincipals.getByAppId(app.tenantId, app.appId);
    if (sp) await this.store.servicePrincipals.delete(sp.id);
    await this.store.applications.delete(app.id);
  }

  async addPassword(caller: GraphCaller, app: Application, body: unknown): Promise<PasswordCredentialView> {
    await this.demand(this.canManage(caller, app.id));
    const input = ((body ?? {}) as { passwordCredential?: Record<string, unknown> }).passwordCredential ?? {};
    if (typeof input !== "object") throw graphErrors.badRequest("The property 'passwordCredential' must be an object.");
    for (const field of ["displayName", "startDateTime", "endDateTime"] as const) {
      if (input[field] !== undefined && input[field] !== null && typeof input[field] !== "string") throw graphErrors.invalidValue(field, "passwordCredential");
    }
    return this.directory.addPassword(app.id, {
      displayName: (input.displayName as string | undefined) ?? null,
      startDateTime: input.startDateTime as string | undefined,
      endDateTime: input.endDateTime as string | undefined,
    });
  }

  async removePassword(caller: GraphCaller, app: Application, body: unknown): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    const keyId = (body as { keyId?: unknown } | undefined)?.keyId;
    if (typeof keyId !== "string" || !isGuid(keyId)) throw graphErrors.badRequest("The property 'keyId' must be a GUID.");
    if (!(await this.store.applications.deletePassword(app.id, keyId))) throw graphErrors.badRequest(`No password credential found with keyId '${keyId}'.`);
  }

  private async replaceKeyCredentials(appObjectId: string, keys: unknown[]): Promise<void> {
    const existing = await this.store.applications.keys(appObjectId);
    const keep = new Set(keys.filter((k): k is { keyId: string } => typeof (k as { keyId?: unknown })?.keyId === "string" && !(k as { key?: unknown }).key).map((k) => k.keyId.toLowerCase()));
    for (const key of existing) if (!keep.has(key.keyId)) await this.store.applications.deleteKey(appObjectId, key.keyId);
    for (const key of keys) {
      const k = key as { key?: unknown; displayName?: unknown; type?: unknown; usage?: unknown };
      if (k.key === undefined || k.key === null) continue;
      if (typeof k.key !== "string" || (k.type !== undefined && k.type !== "AsymmetricX509Cert") || (k.usage !== undefined && k.usage !== "Verify")) {
        throw graphErrors.invalidValue("keyCredentials", "application");
      }
      await this.directory.addCertificate(appObjectId, { certificate: k.key, displayName: typeof k.displayName === "string" ? k.displayName : null });
    }
  }

  // ---- federated identity credentials ------------------------------------------------------------------------

  async listFederated(caller: GraphCaller, app: Application): Promise<FederatedIdentityCredential[]> {
    void caller;
    return this.store.applications.federated(app.id);
  }

  async findFederated(app: Application, idOrName: string): Promise<FederatedIdentityCredential> {
    const all = await this.store.applications.federated(app.id);
    const fic = all.find((f) => f.id === idOrName.toLowerCase() || f.name === idOrName);
    if (!fic) throw graphErrors.notFound(idOrName);
    return fic;
  }

  async createFederated(caller: GraphCaller, app: Application, body: unknown): Promise<FederatedIdentityCredential> {
    await this.demand(this.canManage(caller, app.id));
    const input = readFederatedInput(body);
    return this.directory.addFederatedCredential(app.id, { name: input.name ?? "", issuer: input.issuer ?? "", subject: input.subject ?? "", audiences: input.audiences ?? [], description: input.description });
  }

  async updateFederated(caller: GraphCaller, app: Application, fic: FederatedIdentityCredential, body: unknown): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    const input = readFederatedInput(body);
    if (input.name !== undefined && input.name !== fic.name) throw graphErrors.badRequest("Property 'name' is read-only and cannot be set.");
    if (input.audiences !== undefined && input.audiences.length !== 1) throw graphErrors.federatedAudienceCount();
    const others = (await this.store.applications.federated(app.id)).filter((f) => f.id !== fic.id);
    const issuer = input.issuer ?? fic.issuer;
    const subject = input.subject ?? fic.subject;
    if (others.some((f) => f.issuer === issuer && f.subject === subject)) throw graphErrors.federatedDuplicate();
    await this.store.applications.updateFederated(fic.id, { issuer, subject, audiences: input.audiences ?? fic.audiences, description: input.description ?? fic.description });
  }

  async deleteFederated(caller: GraphCaller, app: Application, fic: FederatedIdentityCredential): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    await this.store.applications.deleteFederated(app.id, fic.id);
  }

  // ---- owners ------------------------------------------------------------------------------------------------

  async owners(app: Application | ServicePrincipal): Promise<Array<User | ServicePrincipal>> {
    const out: Array<User | ServicePrincipal> = [];
    for (const id of await this.store.applications.owners(app.id)) {
      const found = (await this.store.users.get(app.tenantId, id)) ?? (await this.store.servicePrincipals.get(app.tenantId, id));
      if (found) out.push(found);
    }
    return out;
  }

  async addOwner(caller: GraphCaller, objectId: string, body: unknown): Promise<void> {
    await this.demand(this.canManage(caller, objectId));
    const ref = (body as { "@odata.id"?: unknown } | undefined)?.["@odata.id"];
    const id = typeof ref === "string" ? /([0-9a-f-]{36})\/?$/i.exec(ref)?.[1] : undefined;
    if (!id) throw graphErrors.badRequest("The request body must contain '@odata.id' naming a directory object.");
    if (!(await this.directory.principal(caller.tenant.id, id))) throw graphErrors.notFound(id);
    if (await this.store.applications.isOwner(objectId, id)) throw graphErrors.objectExists("owners");
    await this.store.applications.addOwner(objectId, id, caller.tenant.id);
  }

  async removeOwner(caller: GraphCaller, objectId: string, ownerId: string): Promise<void> {
    await this.demand(this.canManage(caller, objectId));
    if (!(await this.store.applications.removeOwner(objectId, ownerId))) throw graphErrors.notFound(ownerId);
  }

  // ---- service principals ------------------------------------------------------------------------------------

  async findServicePrincipal(caller: GraphCaller, key: { id?: string; appId?: string }): Promise<ServicePrincipal> {
    const value = key.id ?? key.appId!;
    if (!isGuid(value)) throw graphErrors.badRequest(`Invalid object identifier '${value}'.`);
    const sp = key.id ? await this.store.servicePrincipals.get(caller.tenant.id, key.id) : await this.store.servicePrincipals.getByAppId(caller.tenant.id, key.appId!);
    if (!sp) throw graphErrors.notFound(value);
    if (!(await this.canReadApplications(caller)) && !(await this.store.applications.isOwner(sp.id, caller.objectId)) && sp.id !== caller.objectId) throw graphErrors.denied();
    return sp;
  }

  async listServicePrincipals(caller: GraphCaller): Promise<ServicePrincipal[]> {
    const all = await this.store.servicePrincipals.list(caller.tenant.id);
    if (await this.canReadApplications(caller)) return all;
    const owned = new Set(await this.store.applications.ownedBy(caller.objectId));
    return all.filter((s) => owned.has(s.id) || s.id === caller.objectId);
  }

  async signInAudienceOf(sp: ServicePrincipal): Promise<SignInAudience | null> {
    return (await this.store.applications.getByAppId(sp.appId))?.signInAudience ?? null;
  }

  async createServicePrincipal(caller: GraphCaller, body: unknown): Promise<ServicePrincipal> {
    const input = (body ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!["appId", "accountEnabled", "tags", "notes", "description", "appRoleAssignmentRequired"].includes(key)) throw unknownProperty(key, "servicePrincipal");
    }
    if (typeof input.appId !== "string" || !isGuid(input.appId)) throw graphErrors.badRequest("The property 'appId' must be the GUID of an application.");
    if (input.accountEnabled !== undefined && typeof input.accountEnabled !== "boolean") throw graphErrors.invalidValue("accountEnabled", "servicePrincipal");
    const app = await this.store.applications.getByAppId(input.appId);
    if (!app) throw graphErrors.badRequest(`The appId '${input.appId}' of the service principal does not reference a valid application object.`);
    // In its own tenant, whoever may manage the application may create its service principal; in another
    // tenant (a multi-tenant app), whoever may register applications there.
    await this.demand(app.tenantId === caller.tenant.id ? this.canManage(caller, app.id) : this.canCreateApplication(caller));
    if (app.tenantId !== caller.tenant.id && app.signInAudience === "AzureADMyOrg") {
      throw graphErrors.badRequest(`The application '${app.appId}' is a single-tenant application and cannot have a service principal in tenant '${caller.tenant.id}'.`);
    }
    return this.directory.createServicePrincipal({
      tenantId: caller.tenant.id,
      appId: app.appId,
      accountEnabled: (input.accountEnabled as boolean | undefined) ?? true,
      ownerId: caller.objectId,
    });
  }

  async updateServicePrincipal(caller: GraphCaller, sp: ServicePrincipal, body: unknown): Promise<void> {
    if (sp.servicePrincipalType === "ManagedIdentity") throw graphErrors.badRequest("Managed identity service principals cannot be modified directly.");
    const appObject = await this.store.applications.getByAppId(sp.appId);
    await this.demand((await this.canManage(caller, sp.id)) || (appObject ? await this.canManage(caller, appObject.id) : false));
    const input = (body ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(input)) if (!["accountEnabled", "displayName", "tags", "notes", "description"].includes(key)) throw unknownProperty(key, "servicePrincipal");
    if (input.accountEnabled !== undefined && typeof input.accountEnabled !== "boolean") throw graphErrors.invalidValue("accountEnabled", "servicePrincipal");
    if (input.displayName !== undefined && typeof input.displayName !== "string") throw graphErrors.invalidValue("displayName", "servicePrincipal");
    await this.store.servicePrincipals.update(sp.id, {
      ...(input.accountEnabled === undefined ? {} : { accountEnabled: input.accountEnabled as boolean }),
      ...(input.displayName === undefined ? {} : { displayName: input.displayName as string }),
    });
  }

  async deleteServicePrincipal(caller: GraphCaller, sp: ServicePrincipal): Promise<void> {
    if (sp.servicePrincipalType === "ManagedIdentity") throw graphErrors.badRequest("Managed identity service principals cannot be deleted directly.");
    const appObject = await this.store.applications.getByAppId(sp.appId);
    await this.demand((await this.canManage(caller, sp.id)) || (appObject ? await this.canManage(caller, appObject.id) : false));
    await this.store.servicePrincipals.delete(sp.id);
  }

  // ---- app role assignments (application permissions) ----------------------------------------------------------

  async appRoleAssignments(sp: ServicePrincipal): Promise<AppRoleAssignment[]> {
    return this.store.servicePrincipals.appRoleAssignments(sp.id);
  }

  async grantAppRole(caller: GraphCaller, sp: ServicePrincipal, body: unknown): Promise<AppRoleAssignment> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "AppRoleAssignment.ReadWrite.All"));
    const input = (body ?? {}) as Record<string, unknown>;
    const graphSp = firstPartyServicePrincipalId(caller.tenant.id, GRAPH_APP_ID);
    if (typeof input.appRoleId !== "string" || typeof input.resourceId !== "string" || typeof input.principalId !== "string") {
      throw graphErrors.badRequest("The properties 'principalId', 'resourceId' and 'appRoleId' are required.");
    }
    if (input.principalId.toLowerCase() !== sp.id) throw graphErrors.badRequest("The principalId must be the service principal in the request URL.");
    if (input.resourceId.toLowerCase() !== graphSp || !GRAPH_APP_ROLE_NAMES[input.appRoleId.toLowerCase()]) {
      throw graphErrors.badRequest("Permission being assigned was not found on application. Only Microsoft Graph application permissions are modelled by svcconn.");
    }
    return this.directory.grantAppRole(caller.tenant.id, sp.id, graphSp, input.appRoleId.toLowerCase());
  }

  async revokeAppRole(caller: GraphCaller, sp: ServicePrincipal, id: string): Promise<void> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "AppRoleAssignment.ReadWrite.All"));
    if (!(await this.store.servicePrincipals.deleteAppRoleAssignment(sp.id, id.toLowerCase()))) throw graphErrors.notFound(id);
  }

  // ---- users -------------------------------------------------------------------------------------------------

  async findUser(caller: GraphCaller, idOrUpn: string): Promise<User> {
    const user = isGuid(idOrUpn) ? await this.store.users.get(caller.tenant.id, idOrUpn) : await this.store.users.getByUpn(caller.tenant.id, idOrUpn);
    if (!user) throw graphErrors.notFound(idOrUpn);
    if (user.id !== caller.objectId) await this.demand(this.canReadUsers(caller));
    return user;
  }

  async listUsers(caller: GraphCaller): Promise<User[]> {
    if (!(await this.canReadUsers(caller))) {
      if (caller.kind === "user") return [caller.user!];
      throw graphErrors.denied();
    }
    return this.store.users.list(caller.tenant.id);
  }

  private async canReadUsers(caller: GraphCaller): Promise<boolean> {
    if (caller.kind === "app") return this.hasPermission(caller, "User.Read.All", "Directory.Read.All", "Directory.ReadWrite.All") || (await this.hasRole(caller, ADMIN, ...READERS));
    if (await this.isLimitedGuest(caller)) return this.hasRole(caller, ADMIN, ...READERS);
    return (await this.directory.effectivePolicy(caller.tenant.id)).allowedToReadOtherUsers || (await this.hasRole(caller, ADMIN, ...READERS));
  }

  /** `revokeSignInSessions`: the user (or an administrator) signs the person out everywhere. */
  async revokeSessions(caller: GraphCaller, user: User): Promise<void> {
    if (user.id !== caller.objectId) await this.demand(this.hasRole(caller, ADMIN));
    const home = user.homeTenantId && user.homeUserId ? ((await this.store.users.get(user.homeTenantId, user.homeUserId)) ?? user) : user;
    await this.signIn.signOut(home);
  }

  // ---- authorization policy ----------------------------------------------------------------------------------

  async getPolicy(caller: GraphCaller): Promise<AuthorizationPolicy> {
    const allowed =
      caller.kind === "app"
        ? this.hasPermission(caller, "Policy.Read.All", "Policy.ReadWrite.Authorization", "Directory.Read.All") || (await this.hasRole(caller, ADMIN, ...READERS))
        : !(await this.isLimitedGuest(caller)) || (await this.hasRole(caller, ADMIN, ...READERS));
    await this.demand(allowed);
    return this.directory.latestPolicy(caller.tenant.id);
  }

  async updatePolicy(caller: GraphCaller, body: unknown): Promise<void> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "Policy.ReadWrite.Authorization"));
    const input = (body ?? {}) as Record<string, unknown>;
    const changes: Partial<AuthorizationPolicy> = {};
    for (const [key, value] of Object.entries(input)) {
      if (key === "guestUserRoleId") {
        if (typeof value !== "string" || !Object.values(GUEST_ROLE).includes(value.toLowerCase() as never)) throw graphErrors.invalidValue("guestUserRoleId", "authorizationPolicy");
        changes.guestUserRoleId = value.toLowerCase();
      } else if (key === "allowInvitesFrom") {
        if (!["none", "adminsAndGuestInviters", "adminsGuestInvitersAndAllMembers", "everyone"].includes(value as string)) throw graphErrors.invalidValue("allowInvitesFrom", "authorizationPolicy");
        changes.allowInvitesFrom = value as AuthorizationPolicy["allowInvitesFrom"];
      } else if (key === "defaultUserRolePermissions") {
        if (!value || typeof value !== "object" || Array.isArray(value)) throw graphErrors.invalidValue("defaultUserRolePermissions", "authorizationPolicy");
        for (const [k, v] of Object.entries(value)) {
          if (!["allowedToCreateApps", "allowedToCreateSecurityGroups", "allowedToReadOtherUsers", "allowedToCreateTenants", "allowedToReadBitlockerKeysForOwnedDevice", "permissionGrantPoliciesAssigned"].includes(k)) {
            throw unknownProperty(k, "defaultUserRolePermissions");
          }
          if (k.startsWith("allowed") && typeof v !== "boolean") throw graphErrors.invalidValue(k, "defaultUserRolePermissions");
          if (k === "allowedToCreateApps" || k === "allowedToCreateSecurityGroups" || k === "allowedToReadOtherUsers") changes[k] = v as boolean;
        }
      } else if (!["allowedToSignUpEmailBasedSubscriptions", "allowedToUseSSPR", "allowEmailVerifiedUsersToJoinOrganization", "blockMsolPowerShell", "displayName", "description"].includes(key)) {
        throw unknownProperty(key, "authorizationPolicy");
      }
    }
    await this.directory.updatePolicy(caller.tenant.id, changes, this.policyPropagationSeconds());
  }

  // ---- directory roles ---------------------------------------------------------------------------------------

  directoryRoleId(tenantId: string, templateId: string): string {
    return nameBasedGuid("directory-role", tenantId, templateId);
  }

  /** Template id from a tenant-specific directoryRole id or a template id. */
  roleTemplateOf(tenantId: string, id: string): string | undefined {
    const lower = id.toLowerCase();
    return MODELLED_ROLES.find((t) => t === lower || this.directoryRoleId(tenantId, t) === lower);
  }

  async requireDirectoryRead(caller: GraphCaller): Promise<void> {
    await this.demand(this.canReadDirectory(caller));
  }

  modelledRoles(): string[] {
    return MODELLED_ROLES;
  }

  async roleMembers(caller: GraphCaller, templateId: string): Promise<Array<User | ServicePrincipal>> {
    await this.requireDirectoryRead(caller);
    const out: Array<User | ServicePrincipal> = [];
    for (const a of await this.store.users.roleAssignments(caller.tenant.id, { roleTemplateId: templateId })) {
      const member = (await this.store.users.get(caller.tenant.id, a.principalId)) ?? (await this.store.servicePrincipals.get(caller.tenant.id, a.principalId));
      if (member) out.push(member);
    }
    return out;
  }

  async listRoleAssignments(caller: GraphCaller, principalId?: string): Promise<DirectoryRoleAssignment[]> {
    await this.requireDirectoryRead(caller);
    return this.store.users.roleAssignments(caller.tenant.id, principalId ? { principalId } : {});
  }

  async assignRole(caller: GraphCaller, body: unknown): Promise<DirectoryRoleAssignment> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "RoleManagement.ReadWrite.Directory"));
    const input = (body ?? {}) as Record<string, unknown>;
    const templateId = typeof input.roleDefinitionId === "string" ? this.roleTemplateOf(caller.tenant.id, input.roleDefinitionId) : undefined;
    if (!templateId) throw graphErrors.badRequest(`The role definition '${String(input.roleDefinitionId)}' is not supported.`);
    if (typeof input.principalId !== "string" || !isGuid(input.principalId)) throw graphErrors.badRequest("The property 'principalId' must be a GUID.");
    if (input.directoryScopeId !== undefined && input.directoryScopeId !== "/") throw graphErrors.badRequest("Only the directory scope '/' is supported.");
    if (!(await this.directory.principal(caller.tenant.id, input.principalId))) throw graphErrors.notFound(input.principalId);
    const existing = await this.store.users.roleAssignments(caller.tenant.id, { principalId: input.principalId, roleTemplateId: templateId });
    if (existing.length) throw new GraphError(409, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.");
    return this.directory.assignDirectoryRole(caller.tenant.id, input.principalId, templateId);
  }

  async removeRoleAssignment(caller: GraphCaller, id: string): Promise<void> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "RoleManagement.ReadWrite.Directory"));
    if (!(await this.store.users.deleteRoleAssignment(caller.tenant.id, id))) throw graphErrors.notFound(id);
  }

  now(): string {
    return this.clock.now().toISOString();
  }
}

export function unknownProperty(name: string, resource: string): GraphError {
  return graphErrors.badRequest(`Property '${name}' does not exist on type 'microsoft.graph.${resource}'.`);
}

const APPLICATION_PROPERTIES = new Set([
  "displayName", "signInAudience", "identifierUris", "description", "notes", "tags", "isFallbackPublicClient", "web", "spa", "publicClient", "api",
  "keyCredentials", "requiredResourceAccess", "info", "optionalClaims", "appRoles", "groupMembershipClaims", "serviceManagementReference",
]);

function readApplicationInput(input: ApplicationInput, creating: boolean) {
  if (!input || typeof input !== "object" || Array.isArray(input)) throw graphErrors.badRequest("The request body must be a JSON object.");
  for (const key of Object.keys(input)) if (!APPLICATION_PROPERTIES.has(key) && !key.startsWith("@odata")) throw unknownProperty(key, "application");
  const out: {
    displayName?: string;
    signInAudience?: SignInAudience;
    identifierUris?: string[];
    description?: string | null;
    notes?: string | null;
    tags?: string[];
    isFallbackPublicClient?: boolean;
    requestedAccessTokenVersion?: 1 | 2 | null;
    redirectUris?: { web?: string[]; spa?: string[]; publicClient?: string[] };
  } = {};
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
  return out;
}

function readFederatedInput(body: unknown): { name?: string; issuer?: string; subject?: string; audiences?: string[]; description?: string | null } {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw graphErrors.badRequest("The request body must be a JSON object.");
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!["name", "issuer", "subject", "audiences", "description", "id"].includes(key) && !key.startsWith("@odata")) throw unknownProperty(key, "federatedIdentityCredential");
  }
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

