import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { randomUUID } from "node:crypto";
import { authenticateArm } from "../arm/authenticate.js";
import type { ArmCaller } from "../arm/authorize.js";
import type { ManagementGroup, RoleAssignment, Subscription } from "../arm/model.js";
import type { ArmService } from "../arm/service.js";
import { parseScope } from "../arm/scopes.js";
import type { Clock } from "../core/clock.js";
import { signJwt } from "../entra/access-tokens.js";
import type { PasswordCredentialView } from "../entra/directory.js";
import type { GraphCaller } from "../entra/graph-service.js";
import type { Application, FederatedIdentityCredential, ServicePrincipal, Tenant, User, UserSession } from "../entra/model.js";
import type { EntraService } from "../entra/service.js";

/**
 * What the DevOps plane needs from Entra ID and Azure Resource Manager. Every call acts with an identity — the
 * user's own session, or the connection's credentials — and passes that plane's own checks, exactly as Azure
 * DevOps talks to the real services over their APIs. The in-process implementations below call the other
 * planes' services; nothing here reads another plane's tables.
 */
export interface EntraApi {
  tenant(tenantId: string): Promise<Tenant | undefined>;
  /** Every tenant an application might be asked for a token in. */
  tenants(): Promise<Tenant[]>;
  user(tenantId: string, objectId: string): Promise<User | undefined>;
  /** The person's most recent sign-in session, whichever tenant it is for. */
  currentSession(tenantId: string, userObjectId: string): Promise<UserSession | undefined>;
  /** An access token for `resource` from a session (fails like a refresh: expired, revoked). */
  sessionToken(session: UserSession, resource: string): Promise<string>;
  /** Microsoft Graph, acting with an access token. */
  graph(token: string): Promise<GraphAs>;
  /** The token endpoint, as a confidential client (secret, certificate PEM or federated assertion). */
  clientToken(input: { tenantId: string; clientId: string; secret?: string; certificatePem?: string; assertion?: string; resource: string }): Promise<string>;
  /** Which applications still have their service principal in a tenant (a deleted one hides the connection). */
  servicePrincipalsPresent(tenantId: string, appIds: string[]): Promise<Set<string>>;
  /** A token Entra issues to Azure DevOps for a service connection (the Entra-issuer federation form). */
  federationToken(tenantId: string, claims: Record<string, unknown>): Promise<string>;
}

export interface GraphAs {
  caller: GraphCaller;
  me(): Promise<User | undefined>;
  createApplication(displayName: string): Promise<Application>;
  createServicePrincipal(appId: string): Promise<ServicePrincipal>;
  application(appId: string): Promise<Application>;
  addPassword(appObjectId: string, displayName: string, endDateTime: string): Promise<PasswordCredentialView>;
  removePassword(appObjectId: string, keyId: string): Promise<void>;
  addFederatedCredential(appObjectId: string, credential: { name: string; issuer: string; subject: string; audiences: string[]; description?: string }): Promise<FederatedIdentityCredential>;
  deleteApplication(appObjectId: string): Promise<void>;
}

export interface ArmApi {
  /** ARM, acting with an access token. */
  as(token: string): Promise<ArmAs>;
}

export interface ArmAs {
  caller: ArmCaller;
  subscription(id: string): Promise<Subscription>;
  subscriptions(): Promise<Subscription[]>;
  managementGroups(): Promise<ManagementGroup[]>;
  /** Reads a scope the way a Verify does (subscription, management group, resource group or resource). */
  readScope(scope: string): Promise<void>;
  assignRole(scope: string, roleDefinitionId: string, principalId: string): Promise<RoleAssignment>;
  removeRoleAssignment(scope: string, name: string): Promise<boolean>;
}

export class InProcessEntraApi implements EntraApi {
  constructor(
    private readonly entra: EntraService,
    private readonly clock: Clock,
    private readonly loginBase: () => string,
  ) {}

  async tenant(tenantId: string) {
    return this.entra.directory.tenant(tenantId);
  }

  async tenants() {
    return this.entra.options.store.tenants.list();
  }

  async user(tenantId: string, objectId: string) {
    return this.entra.options.store.users.get(tenantId, objectId);
  }

  async currentSession(tenantId: string, userObjectId: string) {
    const user = await this.user(tenantId, userObjectId);
    if (!user) return undefined;
    const home = user.homeTenantId && user.homeUserId ? ((await this.user(user.homeTenantId, user.homeUserId)) ?? user) : user;
    return this.entra.signIn.currentSession(home);
  }

  async sessionToken(session: UserSession, resource: string) {
    return (await this.entra.signIn.tokenFromSession(session, resource, this.loginBase())).accessToken;
  }

  async graph(token: string): Promise<GraphAs> {
    const graph = this.entra.graph;
    const caller = await graph.authenticate(`Bearer ${token}`);
    return {
      caller,
      me: async () => (caller.kind === "user" ? caller.user : undefined),
      createApplication: (displayName) => graph.createApplication(caller, { displayName, signInAudience: "AzureADMyOrg" }),
      createServicePrincipal: (appId) => graph.createServicePrincipal(caller, { appId }),
      application: (appId) => graph.findApplication(caller, { appId }),
      addPassword: async (appObjectId, displayName, endDateTime) =>
        graph.addPassword(caller, await graph.findApplication(caller, { id: appObjectId }), { passwordCredential: { displayName, endDateTime } }),
      removePassword: async (appObjectId, keyId) => graph.removePassword(caller, await graph.findApplication(caller, { id: appObjectId }), { keyId }),
      addFederatedCredential: async (appObjectId, credential) => graph.createFederated(caller, await graph.findApplication(caller, { id: appObjectId }), credential),
      deleteApplication: async (appObjectId) => graph.deleteApplication(caller, await graph.findApplication(caller, { id: appObjectId })),
    };
  }

  async clientToken(input: { tenantId: string; clientId: string; secret?: string; certificatePem?: string; assertion?: string; resource: string }) {
    const base = this.loginBase();
    const form: Record<string, string> = { grant_type: "client_credentials", client_id: input.clientId, scope: `${input.resource.replace(/\/$/, "")}/.default` };
    if (input.secret !== undefined) form.client_secret = input.secret;
    else if (input.assertion !== undefined) Object.assign(form, { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: input.assertion });
    else if (input.certificatePem !== undefined) {
      Object.assign(form, {
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await certificateAssertion(input.certificatePem, input.clientId, `${base}/${input.tenantId}/oauth2/v2.0/token`, this.clock),
      });
    }
    const result = await this.entra.tokens.token({ flavor: "v2", tenant: input.tenantId, form, issuerBase: base, tokenEndpoint: `${base}/${input.tenantId}/oauth2/v2.0/token` });
    return result.accessToken;
  }

  async servicePrincipalsPresent(tenantId: string, appIds: string[]) {
    return this.entra.options.store.servicePrincipals.appIdsPresent(tenantId, appIds);
  }

  async federationToken(tenantId: string, claims: Record<string, unknown>) {
    const key = await this.entra.keys.activeKey(tenantId);
    return signJwt({ alg: "RS256", typ: "JWT", kid: key.kid }, claims, key.privateKey);
  }
}

/** A certificate-signed client assertion from a PEM holding the certificate and its private key. */
async function certificateAssertion(pem: string, clientId: string, audience: string, clock: Clock): Promise<string> {
  const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  const keyMatch = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(pem);
  if (!certMatch || !keyMatch) throw new Error("The certificate must be PEM with both the certificate and its private key.");
  const cert = new X509Certificate(certMatch[0]);
  const now = Math.floor((clock.nowMs() - clock.offsetMs()) / 1000);
  return signJwt(
    { alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(cert.raw).digest("base64url") },
    { aud: audience, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600 },
    createPrivateKey(keyMatch[0]),
  );
}

export class InProcessArmApi implements ArmApi {
  constructor(
    private readonly arm: ArmService,
    private readonly entra: EntraService,
    private readonly clock: Clock,
  ) {}

  async as(token: string): Promise<ArmAs> {
    const caller = await authenticateArm(`Bearer ${token}`, this.entra.accessTokens, this.clock);
    const arm = this.arm;
    return {
      caller,
      subscription: (id) => arm.getSubscription(caller, id),
      subscriptions: () => arm.listSubscriptions(caller),
      managementGroups: () => arm.listManagementGroups(caller),
      readScope: async (scope) => {
        const parsed = parseScope(scope);
        if (!parsed) throw new Error(`invalid scope ${scope}`);
        if (parsed.level === "subscription") await arm.getSubscription(caller, parsed.subscriptionId);
        else if (parsed.level === "resourceGroup") await arm.getResourceGroup(caller, parsed.subscriptionId, parsed.resourceGroup);
        else if (parsed.level === "resource") await arm.getResource(caller, parsed);
        else if (parsed.level === "managementGroup") await arm.getManagementGroup(caller, parsed.managementGroup);
      },
      assignRole: async (scope, roleDefinitionId, principalId) =>
        (await arm.putRoleAssignment(caller, scope, randomUUID(), { properties: { roleDefinitionId, principalId, principalType: "ServicePrincipal" } })).assignment,
      removeRoleAssignment: async (scope, name) => !!(await arm.deleteRoleAssignment(caller, scope, name)),
    };
  }
}
