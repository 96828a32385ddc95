import type { Clock } from "../../core/clock.js";
import { isGuid, nameBasedGuid } from "../../core/ids.js";
import type { Store } from "../../store/index.js";
import type { AccessTokens } from "../token/access-tokens.js";
import type { Directory, PasswordCredentialView } from "../directory/directory.js";
import { firstPartyServicePrincipalId, GRAPH_APP_ROLE_NAMES } from "../directory/first-party.js";
import { DeletedItems } from "./deleted-items.js";
import { GraphError, graphErrors } from "./graph-errors.js";
import type {
  ApplicationCommand,
  AppRoleGrantCommand,
  DirectoryRoleAssignmentCommand,
  FederatedCredentialCommand,
  KeyCredentialInput,
  NewServicePrincipalCommand,
  PasswordCommand,
  PolicyChanges,
  ServicePrincipalChanges,
} from "./graph-input.js";
import {
  DIRECTORY_ROLE,
  DIRECTORY_ROLE_NAMES,
  GUEST_ROLE,
  type Application,
  type AppRoleAssignment,
  type AuthorizationPolicy,
  type DeletedItem,
  type DeletedObjectType,
  type DirectoryRoleAssignment,
  type FederatedIdentityCredential,
  type KeyCredential,
  type PasswordCredential,
  type ServicePrincipal,
  type SignInAudience,
  type Tenant,
  type User,
} from "../model.js";
import { GRAPH_APP_ID, planeOfAudience } from "../token/token-audiences.js";
import type { UserSignIn } from "../sign-in/sign-in.js";

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


/**
 * Microsoft Graph over the directory, with Entra's authorization: app-only callers act by their application
 * permissions and directory roles; users by their directory roles, their user type and the guest access level,
 * the "users can register applications" setting, and ownership. Directory-setting changes apply only after the
 * propagation delay.
 */
export class GraphService {
  private readonly deleted: DeletedItems;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly directory: Directory,
    private readonly tokens: AccessTokens,
    private readonly signIn: UserSignIn,
    private readonly policyPropagationSeconds: () => number,
  ) {
    this.deleted = new DeletedItems(store, clock);
  }

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
    const assignments = await this.store.users.roleAssignments(caller.tenant.id, { principalId: caller.objectId, inForceAt: this.now() });
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

  /** Change an application or service principal: its credentials, properties, deletion (`owners` of a deleted one). */
  private async canManage(caller: GraphCaller, objectId: string, owners?: string[]): Promise<boolean> {
    if (await this.hasRole(caller, ...APP_ADMINS)) return true;
    if (this.hasPermission(caller, "Application.ReadWrite.All", "Directory.ReadWrite.All")) return true;
    const owner = owners ? owners.includes(caller.objectId.toLowerCase()) : await this.store.applications.isOwner(objectId, caller.objectId);
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

  async createApplication(caller: GraphCaller, command: ApplicationCommand & { displayName: string }): Promise<Application> {
    await this.demand(this.canCreateApplication(caller));
    const { keyCredentials, ...fields } = command;
    if (fields.identifierUris) await this.checkIdentifierUris(caller.tenant, fields.identifierUris);
    const app = await this.directory.createApplication({ tenantId: caller.tenant.id, ...fields, ownerId: caller.objectId });
    if (keyCredentials) await this.replaceKeyCredentials(app.id, keyCredentials);
    return app;
  }

  async updateApplication(caller: GraphCaller, app: Application, command: ApplicationCommand): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    const { redirectUris, keyCredentials, ...rest } = command;
    if (rest.identifierUris) await this.checkIdentifierUris(caller.tenant, rest.identifierUris, app.id);
    await this.store.applications.update(app.id, { ...rest, ...(redirectUris ? { redirectUris: { ...app.redirectUris, ...redirectUris } } : {}) });
    if (keyCredentials) await this.replaceKeyCredentials(app.id, keyCredentials);
  }

  /**
   * Identifier URIs as Entra accepts them for a new application: `api://…`, or an http(s) URI on one of the tenant's
   * domains (or a subdomain) — so no application can claim a Microsoft API's URI — and unique in the tenant.
   */
  private async checkIdentifierUris(tenant: Tenant, uris: string[], except?: string): Promise<void> {
    for (const uri of uris) {
      if (/^api:\/\/[^\s]+$/i.test(uri)) continue;
      let host: string | undefined;
      try {
        const url = new URL(uri);
        host = url.protocol === "https:" || url.protocol === "http:" ? url.hostname.toLowerCase() : undefined;
      } catch {
        host = undefined;
      }
      const domains = [tenant.defaultDomain, ...tenant.domains].map((d) => d.toLowerCase());
      if (!host || !domains.some((d) => host === d || host!.endsWith(`.${d}`))) {
        throw new GraphError(400, "HostNameNotOnVerifiedDomain", `Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`);
      }
    }
    const wanted = new Set(uris.map((u) => u.toLowerCase()));
    const clash = (await this.store.applications.list(tenant.id)).find((a) => a.id !== except && a.identifierUris.some((u) => wanted.has(u.toLowerCase())));
    if (clash) throw graphErrors.badRequest("Another object with the same value for property identifierUris already exists.");
  }

  /** An application's password (without secrets) and certificate credentials, for its Graph view. */
  async credentialsOf(app: Application): Promise<{ passwords: PasswordCredential[]; keys: KeyCredential[] }> {
    return { passwords: await this.store.applications.passwords(app.id), keys: await this.store.applications.keys(app.id) };
  }

  /** Deleting an application also deletes its service principal in its home tenant, as Entra does; both are kept 30 days. */
  async deleteApplication(caller: GraphCaller, app: Application): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    await this.deleted.deleteApplication(app, await this.store.servicePrincipals.getByAppId(app.tenantId, app.appId));
  }

  // ---- deleted items (directory/deletedItems) ------------------------------------------------------------------

  async deletedItems(caller: GraphCaller, type: DeletedObjectType): Promise<DeletedItem[]> {
    await this.requireDirectoryRead(caller);
    return this.deleted.list(caller.tenant.id, type);
  }

  async deletedItem(caller: GraphCaller, id: string): Promise<DeletedItem> {
    await this.requireDirectoryRead(caller);
    return this.deleted.find(caller.tenant.id, id);
  }

  /** Restores a deleted application or service principal: who could change it may bring it back. */
  async restoreDeleted(caller: GraphCaller, id: string): Promise<{ type: DeletedObjectType; object: Application | ServicePrincipal }> {
    const item = await this.deletedItem(caller, id);
    await this.demand(this.canManage(caller, item.id, item.body.owners));
    return { type: item.type, object: await this.deleted.restore(item) };
  }

  async purgeDeleted(caller: GraphCaller, id: string): Promise<void> {
    const item = await this.deletedItem(caller, id);
    await this.demand(this.canManage(caller, item.id, item.body.owners));
    await this.deleted.purge(item);
  }

  async addPassword(caller: GraphCaller, app: Application, command: PasswordCommand): Promise<PasswordCredentialView> {
    await this.demand(this.canManage(caller, app.id));
    return this.directory.addPassword(app.id, command);
  }

  async removePassword(caller: GraphCaller, app: Application, keyId: string): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
    if (!(await this.store.applications.deletePassword(app.id, keyId))) throw graphErrors.badRequest(`No password credential found with keyId '${keyId}'.`);
  }

  private async replaceKeyCredentials(appObjectId: string, keys: KeyCredentialInput[]): Promise<void> {
    const existing = await this.store.applications.keys(appObjectId);
    const keep = new Set(keys.flatMap((k) => (k.kind === "keep" ? [k.keyId] : [])));
    for (const key of existing) if (!keep.has(key.keyId)) await this.store.applications.deleteKey(appObjectId, key.keyId);
    for (const key of keys) if (key.kind === "add") await this.directory.addCertificate(appObjectId, { certificate: key.certificate, displayName: key.displayName });
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

  async createFederated(caller: GraphCaller, app: Application, input: FederatedCredentialCommand): Promise<FederatedIdentityCredential> {
    await this.demand(this.canManage(caller, app.id));
    return this.directory.addFederatedCredential(app.id, { name: input.name ?? "", issuer: input.issuer ?? "", subject: input.subject ?? "", audiences: input.audiences ?? [], description: input.description });
  }

  async updateFederated(caller: GraphCaller, app: Application, fic: FederatedIdentityCredential, input: FederatedCredentialCommand): Promise<void> {
    await this.demand(this.canManage(caller, app.id));
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

  async addOwner(caller: GraphCaller, objectId: string, id: string): Promise<void> {
    await this.demand(this.canManage(caller, objectId));
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
    if (await this.isAppWithoutGraphAccess(caller)) throw graphErrors.denied();
    if (!(await this.canReadApplications(caller)) && !(await this.store.applications.isOwner(sp.id, caller.objectId)) && sp.id !== caller.objectId) throw graphErrors.denied();
    return sp;
  }

  /** An app-only caller with no Graph permission and no directory role: Graph refuses it every directory read, its own object included. */
  private async isAppWithoutGraphAccess(caller: GraphCaller): Promise<boolean> {
    return caller.kind === "app" && caller.appRoles.size === 0 && !(await this.hasRole(caller, ...APP_ADMINS, ...READERS));
  }

  async listServicePrincipals(caller: GraphCaller): Promise<ServicePrincipal[]> {
    if (await this.isAppWithoutGraphAccess(caller)) throw graphErrors.denied();
    const all = await this.store.servicePrincipals.list(caller.tenant.id);
    if (await this.canReadApplications(caller)) return all;
    const owned = new Set(await this.store.applications.ownedBy(caller.objectId));
    return all.filter((s) => owned.has(s.id) || s.id === caller.objectId);
  }

  async signInAudienceOf(sp: ServicePrincipal): Promise<SignInAudience | null> {
    return (await this.store.applications.getByAppId(sp.appId))?.signInAudience ?? null;
  }

  async createServicePrincipal(caller: GraphCaller, input: NewServicePrincipalCommand): Promise<ServicePrincipal> {
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
      accountEnabled: input.accountEnabled,
      ownerId: caller.objectId,
    });
  }

  async updateServicePrincipal(caller: GraphCaller, sp: ServicePrincipal, changes: ServicePrincipalChanges): Promise<void> {
    if (sp.servicePrincipalType === "ManagedIdentity") throw graphErrors.badRequest("Managed identity service principals cannot be modified directly.");
    const appObject = await this.store.applications.getByAppId(sp.appId);
    await this.demand((await this.canManage(caller, sp.id)) || (appObject ? await this.canManage(caller, appObject.id) : false));
    await this.store.servicePrincipals.update(sp.id, changes);
  }

  async deleteServicePrincipal(caller: GraphCaller, sp: ServicePrincipal): Promise<void> {
    if (sp.servicePrincipalType === "ManagedIdentity") throw graphErrors.badRequest("Managed identity service principals cannot be deleted directly.");
    const appObject = await this.store.applications.getByAppId(sp.appId);
    await this.demand((await this.canManage(caller, sp.id)) || (appObject ? await this.canManage(caller, appObject.id) : false));
    await this.deleted.deleteServicePrincipal(sp);
  }

  // ---- app role assignments (application permissions) ----------------------------------------------------------

  async appRoleAssignments(sp: ServicePrincipal): Promise<AppRoleAssignment[]> {
    return this.store.servicePrincipals.appRoleAssignments(sp.id);
  }

  async grantAppRole(caller: GraphCaller, sp: ServicePrincipal, input: AppRoleGrantCommand): Promise<AppRoleAssignment> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "AppRoleAssignment.ReadWrite.All"));
    const graphSp = firstPartyServicePrincipalId(caller.tenant.id, GRAPH_APP_ID);
    if (input.principalId !== sp.id) throw graphErrors.badRequest("The principalId must be the service principal in the request URL.");
    if (input.resourceId !== graphSp || !GRAPH_APP_ROLE_NAMES[input.appRoleId]) {
      throw graphErrors.badRequest("Permission being assigned was not found on application.");
    }
    return this.directory.grantAppRole(caller.tenant.id, sp.id, graphSp, input.appRoleId);
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

  async updatePolicy(caller: GraphCaller, changes: PolicyChanges): Promise<void> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "Policy.ReadWrite.Authorization"));
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

  async assignRole(caller: GraphCaller, input: DirectoryRoleAssignmentCommand): Promise<DirectoryRoleAssignment> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "RoleManagement.ReadWrite.Directory"));
    const templateId = this.roleTemplateOf(caller.tenant.id, input.roleDefinitionId);
    if (!templateId) throw graphErrors.badRequest(`The role definition '${input.roleDefinitionId}' is not supported.`);
    if (!(await this.directory.principal(caller.tenant.id, input.principalId))) throw graphErrors.notFound(input.principalId);
    const existing = await this.store.users.roleAssignments(caller.tenant.id, { principalId: input.principalId, roleTemplateId: templateId });
    if (existing.length) throw new GraphError(409, "Request_BadRequest", "A conflicting object with one or more of the specified property values is present in the directory.");
    // Like the authorization policy, a role reaches the rest of the directory only after its propagation (the guide's 15–20 minutes).
    return this.directory.assignDirectoryRole(caller.tenant.id, input.principalId, templateId, { propagationSeconds: this.policyPropagationSeconds() });
  }

  async removeRoleAssignment(caller: GraphCaller, id: string): Promise<void> {
    await this.demand((await this.hasRole(caller, ADMIN)) || this.hasPermission(caller, "RoleManagement.ReadWrite.Directory"));
    if (!(await this.store.users.deleteRoleAssignment(caller.tenant.id, id))) throw graphErrors.notFound(id);
  }

  now(): string {
    return this.clock.now().toISOString();
  }
}
