import type { Clock } from "../../core/clock.js";
import { hashPassword, hashSecret, sha1, sha256 } from "../../core/crypto.js";
import { isGuid, newClientSecret, newGuid } from "../../core/ids.js";
import { parseCertificate } from "../../core/certificate.js";
import type { Store } from "../../store/index.js";
import { FIRST_PARTY_SERVICE_PRINCIPALS, firstPartyServicePrincipalId } from "./first-party.js";
import { graphErrors } from "../graph/graph-errors.js";
import { resolveTenant } from "./tenants.js";
import {
  DEFAULT_AUTHORIZATION_POLICY,
  MAX_FEDERATED_CREDENTIALS,
  type Application,
  type AppRoleAssignment,
  type AuthorizationPolicy,
  type DirectoryRoleAssignment,
  type ExternalIssuer,
  type FederatedIdentityCredential,
  type KeyCredential,
  type PasswordCredential,
  type RedirectUris,
  type ServicePrincipal,
  type SignInAudience,
  type Tenant,
  type User,
  type UserType,
  type VirtualMachine,
} from "../model.js";

const TWO_YEARS_MS = 2 * 365 * 86_400_000;
/** The tenant Microsoft's first-party applications and managed identities belong to. */
export const MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
const FIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/;
const lower = (s: string | undefined) => s?.toLowerCase();

export interface NewPassword {
  displayName?: string | null;
  startDateTime?: string;
  endDateTime?: string;
  /** Only world files may fix a secret (like Azurite's well-known key); Graph always generates one. */
  secretText?: string;
  /** An exported world's stored secret: its hash, hint and key id (the secret itself was never kept). */
  stored?: { secretHash: string; hint: string; keyId?: string };
}

/** A password credential as Graph returns it; `secretText` is set only in the answer to its creation. */
export interface PasswordCredentialView {
  customKeyIdentifier: null;
  displayName: string | null;
  endDateTime: string;
  hint: string;
  keyId: string;
  secretText: string | null;
  startDateTime: string;
}

/**
 * The directory's objects and the rules that keep them valid. Graph routes and the world loader both write through
 * this; permission checks (who may do it) sit in front of it in the Graph service.
 */
export class Directory {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  async createTenant(input: { id?: string; displayName: string; defaultDomain: string; domains?: string[]; authorizationPolicy?: Partial<AuthorizationPolicy> }): Promise<Tenant> {
    const now = this.nowIso();
    const tenant: Tenant = {
      id: lower(input.id) ?? newGuid(),
      displayName: input.displayName,
      defaultDomain: input.defaultDomain.toLowerCase(),
      domains: [...new Set([input.defaultDomain, ...(input.domains ?? [])].map((d) => d.toLowerCase()))],
      createdAt: now,
    };
    await this.store.tenants.insert(tenant);
    for (const fp of FIRST_PARTY_SERVICE_PRINCIPALS) {
      await this.createFirstPartyServicePrincipal(tenant.id, fp.appId, fp.displayName, firstPartyServicePrincipalId(tenant.id, fp.appId));
    }
    await this.store.tenants.insertPolicyVersion(newGuid(), tenant.id, { ...DEFAULT_AUTHORIZATION_POLICY, ...input.authorizationPolicy }, now, new Date(0).toISOString());
    return tenant;
  }

  /** The policy in force now: the newest version whose propagation delay has passed. */
  async effectivePolicy(tenantId: string): Promise<AuthorizationPolicy> {
    const now = this.nowIso();
    const versions = await this.store.tenants.policyVersions(tenantId);
    return versions.find((v) => v.effectiveAt <= now)?.policy ?? DEFAULT_AUTHORIZATION_POLICY;
  }

  /** The policy as last written (what Graph shows), whether or not it applies yet. */
  async latestPolicy(tenantId: string): Promise<AuthorizationPolicy> {
    const versions = await this.store.tenants.policyVersions(tenantId);
    const latest = versions.sort((a, b) => b.changedAt.localeCompare(a.changedAt))[0];
    return latest?.policy ?? DEFAULT_AUTHORIZATION_POLICY;
  }

  async updatePolicy(tenantId: string, changes: Partial<AuthorizationPolicy>, propagationSeconds: number): Promise<AuthorizationPolicy> {
    const policy = { ...(await this.latestPolicy(tenantId)), ...changes };
    const now = this.clock.nowMs();
    await this.store.tenants.insertPolicyVersion(newGuid(), tenantId, policy, new Date(now).toISOString(), new Date(now + propagationSeconds * 1000).toISOString());
    return policy;
  }

  async createUser(input: {
    tenantId: string;
    id?: string;
    userPrincipalName: string;
    displayName: string;
    mail?: string | null;
    userType?: UserType;
    password?: string;
    /** A hash made beforehand (world loading hashes every password at once, off the event loop). */
    passwordHash?: string;
    homeTenantId?: string | null;
    homeUserId?: string | null;
    accountEnabled?: boolean;
  }): Promise<User> {
    const now = this.nowIso();
    const user: User = {
      id: lower(input.id) ?? newGuid(),
      tenantId: input.tenantId,
      userPrincipalName: input.userPrincipalName.toLowerCase(),
      displayName: input.displayName,
      mail: input.mail ?? null,
      userType: input.userType ?? "Member",
      homeTenantId: lower(input.homeTenantId ?? undefined) ?? null,
      homeUserId: lower(input.homeUserId ?? undefined) ?? null,
      accountEnabled: input.accountEnabled ?? true,
      passwordHash: input.passwordHash ?? (input.password ? await hashPassword(input.password) : null),
      tokensValidFrom: new Date(0).toISOString(),
      createdAt: now,
    };
    if (await this.store.users.getByUpn(user.tenantId, user.userPrincipalName)) throw graphErrors.objectExists("userPrincipalName");
    await this.store.users.insert(user);
    return user;
  }

  /** A directory role for a principal, in force after `propagationSeconds` (a world's roles hold from the start). */
  async assignDirectoryRole(tenantId: string, principalId: string, roleTemplateId: string, options: { id?: string; propagationSeconds?: number } = {}): Promise<DirectoryRoleAssignment> {
    const now = this.clock.nowMs();
    const assignment: DirectoryRoleAssignment = {
      id: options.id ?? newGuid(),
      tenantId,
      principalId: principalId.toLowerCase(),
      roleTemplateId: roleTemplateId.toLowerCase(),
      directoryScopeId: "/",
      createdAt: new Date(now).toISOString(),
      effectiveAt: new Date(now + (options.propagationSeconds ?? 0) * 1000).toISOString(),
    };
    await this.store.users.insertRoleAssignment(assignment);
    return assignment;
  }

  async createApplication(input: {
    tenantId: string;
    id?: string;
    appId?: string;
    displayName: string;
    signInAudience?: SignInAudience;
    identifierUris?: string[];
    requestedAccessTokenVersion?: 1 | 2 | null;
    description?: string | null;
    notes?: string | null;
    tags?: string[];
    redirectUris?: Partial<RedirectUris>;
    isFallbackPublicClient?: boolean;
    /** Object id of the user or service principal that becomes the application's owner. */
    ownerId?: string;
  }): Promise<Application> {
    const app: Application = {
      id: lower(input.id) ?? newGuid(),
      tenantId: input.tenantId,
      appId: lower(input.appId) ?? newGuid(),
      displayName: input.displayName,
      signInAudience: input.signInAudience ?? "AzureADMyOrg",
      identifierUris: input.identifierUris ?? [],
      requestedAccessTokenVersion: input.requestedAccessTokenVersion ?? null,
      description: input.description ?? null,
      notes: input.notes ?? null,
      tags: input.tags ?? [],
      createdAt: this.nowIso(),
      redirectUris: { web: [], spa: [], publicClient: [], ...input.redirectUris },
      isFallbackPublicClient: input.isFallbackPublicClient ?? false,
    };
    if (await this.store.applications.getByAppId(app.appId)) throw graphErrors.objectExists("appId");
    await this.store.applications.insert(app);
    if (input.ownerId) await this.store.applications.addOwner(app.id, input.ownerId, app.tenantId);
    return app;
  }

  /** Adds a client secret. The secret text is in the answer only; the store keeps a salted hash and the hint. */
  async addPassword(ownerId: string, input: NewPassword = {}): Promise<PasswordCredentialView> {
    const now = this.clock.nowMs();
    const start = input.startDateTime ? Date.parse(input.startDateTime) : now;
    const end = input.endDateTime ? Date.parse(input.endDateTime) : start + TWO_YEARS_MS;
    if (Number.isNaN(start)) throw graphErrors.invalidValue("startDateTime", "passwordCredential");
    if (Number.isNaN(end) || end <= start) throw graphErrors.invalidValue("endDateTime", "passwordCredential");
    const secretText = input.stored ? undefined : (input.secretText ?? newClientSecret());
    const credential: PasswordCredential = {
      keyId: input.stored?.keyId?.toLowerCase() ?? newGuid(),
      ownerId,
      displayName: input.displayName ?? null,
      hint: input.stored?.hint ?? secretText!.slice(0, 3),
      secretHash: input.stored?.secretHash ?? hashSecret(secretText!),
      startDateTime: new Date(start).toISOString(),
      endDateTime: new Date(end).toISOString(),
    };
    await this.store.applications.insertPassword(credential);
    return { ...passwordView(credential), secretText: secretText ?? null };
  }

  /** Registers an X.509 certificate (PEM or base64 DER) as a key credential; validity comes from the certificate. */
  async addCertificate(ownerId: string, input: { certificate: string; displayName?: string | null; keyId?: string }): Promise<KeyCredential> {
    let cert;
    try {
      cert = parseCertificate(input.certificate);
    } catch {
      throw graphErrors.invalidValue("key", "keyCredential");
    }
    const credential: KeyCredential = {
      keyId: lower(input.keyId) ?? newGuid(),
      ownerId,
      displayName: input.displayName ?? cert.subject.replace(/\n/g, ", "),
      type: "AsymmetricX509Cert",
      usage: "Verify",
      keyDer: cert.raw.toString("base64"),
      thumbprintSha1: sha1(cert.raw).toString("hex").toUpperCase(),
      thumbprintSha256: sha256(cert.raw).toString("hex").toUpperCase(),
      startDateTime: new Date(cert.validFrom).toISOString(),
      endDateTime: new Date(cert.validTo).toISOString(),
    };
    await this.store.applications.insertKey(credential);
    return credential;
  }

  /** A user (or service principal) made an owner of an application or service principal of its tenant. */
  async addOwner(objectId: string, ownerId: string, tenantId: string): Promise<void> {
    await this.store.applications.addOwner(objectId, ownerId, tenantId);
  }

  /** An external OIDC issuer whose tokens federated credentials may trust, with the keys it publishes (a world's). */
  async trustIssuer(issuer: ExternalIssuer): Promise<void> {
    await this.store.keys.upsertIssuer(issuer);
  }

  async addFederatedCredential(
    ownerId: string,
    input: { name: string; issuer: string; subject: string; audiences: string[]; description?: string | null; id?: string },
  ): Promise<FederatedIdentityCredential> {
    if (!input.name || !input.issuer || !input.subject) throw graphErrors.federatedEmptyProperties();
    if (!FIC_NAME.test(input.name)) throw graphErrors.federatedNameInvalid(input.name);
    if (!Array.isArray(input.audiences) || input.audiences.length !== 1) throw graphErrors.federatedAudienceCount();
    for (const value of [input.issuer, input.subject, input.audiences[0]!]) {
      if (value.length > 600) throw graphErrors.badRequest("Issuer, subject and audience values are limited to 600 characters.");
    }
    const existing = await this.store.applications.federated(ownerId);
    if (existing.some((c) => c.name.toLowerCase() === input.name.toLowerCase())) throw graphErrors.federatedNameExists(input.name);
    if (existing.some((c) => c.issuer === input.issuer && c.subject === input.subject)) throw graphErrors.federatedDuplicate();
    if (existing.length >= MAX_FEDERATED_CREDENTIALS) throw graphErrors.tooManyFederatedCredentials();
    const credential: FederatedIdentityCredential = {
      id: lower(input.id) ?? newGuid(),
      ownerId,
      name: input.name,
      issuer: input.issuer,
      subject: input.subject,
      audiences: input.audiences,
      description: input.description ?? null,
      createdAt: this.nowIso(),
    };
    await this.store.applications.insertFederated(credential);
    return credential;
  }

  async createServicePrincipal(input: { tenantId: string; appId: string; id?: string; accountEnabled?: boolean; displayName?: string; ownerId?: string }): Promise<ServicePrincipal> {
    const app = await this.store.applications.getByAppId(input.appId);
    if (!app) throw graphErrors.badRequest(`The appId '${input.appId}' of the service principal does not reference a valid application object.`);
    if (await this.store.servicePrincipals.getByAppId(input.tenantId, app.appId)) throw graphErrors.servicePrincipalExists(app.appId);
    const sp: ServicePrincipal = {
      id: lower(input.id) ?? newGuid(),
      tenantId: input.tenantId,
      appId: app.appId,
      displayName: input.displayName ?? app.displayName,
      accountEnabled: input.accountEnabled ?? true,
      servicePrincipalType: "Application",
      appOwnerOrganizationId: app.tenantId,
      alternativeNames: [],
      managedIdentityResourceId: null,
      createdAt: this.nowIso(),
    };
    await this.store.servicePrincipals.insert(sp);
    if (input.ownerId) await this.store.applications.addOwner(sp.id, input.ownerId, sp.tenantId);
    return sp;
  }

  /** Microsoft's own service principals (Graph, ARM, Azure DevOps…) that every tenant has, with fixed ids per tenant. */
  async createFirstPartyServicePrincipal(tenantId: string, appId: string, displayName: string, id: string): Promise<ServicePrincipal> {
    const sp: ServicePrincipal = {
      id,
      tenantId,
      appId,
      displayName,
      accountEnabled: true,
      servicePrincipalType: "Application",
      appOwnerOrganizationId: MICROSOFT_TENANT_ID,
      alternativeNames: [],
      managedIdentityResourceId: null,
      createdAt: this.nowIso(),
    };
    await this.store.servicePrincipals.insert(sp);
    return sp;
  }

  async grantAppRole(tenantId: string, principalId: string, resourceId: string, appRoleId: string): Promise<AppRoleAssignment> {
    const existing = (await this.store.servicePrincipals.appRoleAssignments(principalId)).find((a) => a.resourceId === resourceId && a.appRoleId === appRoleId);
    if (existing) return existing;
    const assignment: AppRoleAssignment = { id: newGuid(), tenantId, principalId: principalId.toLowerCase(), resourceId, appRoleId, createdAt: this.nowIso() };
    await this.store.servicePrincipals.insertAppRoleAssignment(assignment);
    return assignment;
  }

  /**
   * A managed identity is a service principal of type ManagedIdentity whose alternative names carry its ARM
   * resource id: the identity resource for user-assigned ones, the VM for system-assigned ones.
   */
  async tenant(tenantId: string): Promise<Tenant | undefined> {
    return this.store.tenants.get(tenantId);
  }

  async tenants(): Promise<Tenant[]> {
    return this.store.tenants.list();
  }

  /** The tenant a login URL segment names (a GUID or a verified domain), or "multi" for common/organizations. */
  resolveTenant(segment: string): Promise<Tenant | "multi"> {
    return resolveTenant(this.store, segment);
  }

  async user(tenantId: string, objectId: string): Promise<User | undefined> {
    return this.store.users.get(tenantId, objectId);
  }

  /** A user by object id or user principal name. */
  async findUser(tenantId: string, idOrUpn: string): Promise<User | undefined> {
    return isGuid(idOrUpn) ? this.store.users.get(tenantId, idOrUpn) : this.store.users.getByUpn(tenantId, idOrUpn);
  }

  async principal(tenantId: string, objectId: string): Promise<PrincipalInfo | undefined> {
    const user = await this.store.users.get(tenantId, objectId);
    if (user) return { id: user.id, type: "User", displayName: user.displayName, signInName: user.userPrincipalName };
    const sp = await this.store.servicePrincipals.get(tenantId, objectId);
    if (sp) return { id: sp.id, type: "ServicePrincipal", displayName: sp.displayName, signInName: sp.appId };
    return undefined;
  }

  async createManagedIdentity(input: {
    tenantId: string;
    name: string;
    resourceId: string;
    userAssigned: boolean;
    clientId?: string;
    principalId?: string;
  }): Promise<ServicePrincipal> {
    const sp: ServicePrincipal = {
      id: lower(input.principalId) ?? newGuid(),
      tenantId: input.tenantId,
      appId: lower(input.clientId) ?? newGuid(),
      displayName: input.name,
      accountEnabled: true,
      servicePrincipalType: "ManagedIdentity",
      appOwnerOrganizationId: MICROSOFT_TENANT_ID,
      alternativeNames: [`isExplicit=${input.userAssigned ? "True" : "False"}`, input.resourceId],
      managedIdentityResourceId: input.resourceId,
      createdAt: this.nowIso(),
    };
    await this.store.servicePrincipals.insert(sp);
    return sp;
  }

  async createVirtualMachine(input: {
    tenantId: string;
    name: string;
    resourceId: string;
    systemAssigned?: { principalId?: string; clientId?: string } | null;
    userAssignedIdentities?: string[];
  }): Promise<VirtualMachine> {
    let systemAssignedPrincipalId: string | null = null;
    if (input.systemAssigned) {
      const sp = await this.createManagedIdentity({
        tenantId: input.tenantId,
        name: input.name,
        resourceId: input.resourceId,
        userAssigned: false,
        clientId: input.systemAssigned.clientId,
        principalId: input.systemAssigned.principalId,
      });
      systemAssignedPrincipalId = sp.id;
    }
    const vm: VirtualMachine = {
      name: input.name,
      tenantId: input.tenantId,
      resourceId: input.resourceId,
      systemAssignedPrincipalId,
      userAssignedResourceIds: input.userAssignedIdentities ?? [],
    };
    await this.store.servicePrincipals.insertVirtualMachine(vm);
    return vm;
  }
}

/** A directory object that can hold an Azure role: what ARM needs to know about a principal id. */
export interface PrincipalInfo {
  id: string;
  type: "User" | "ServicePrincipal";
  displayName: string;
  /** App id of a service principal, UPN of a user. */
  signInName: string;
}

export function passwordView(credential: PasswordCredential): PasswordCredentialView {
  return {
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    hint: credential.hint,
    keyId: credential.keyId,
    secretText: null,
    startDateTime: credential.startDateTime,
  };
}
