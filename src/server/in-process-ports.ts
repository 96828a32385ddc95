import { createHash, createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import type { AccessTokenValidator } from "../arm/ports.js";
import type { ArmService } from "../arm/service.js";
import { parseScope } from "../arm/scopes.js";
import type { Clock } from "../core/clock.js";
import { PlaneError } from "../core/errors.js";
import { signJwt } from "../core/jwt.js";
import { PortError, type ArmApi, type ArmAs, type ClientTokenRequest, type EntraApi, type FederationTokenRequest, type GraphAs, type UserSessionRef } from "../devops/ports.js";
import { planeOfAudience } from "../entra/token/token-audiences.js";
import type { EntraService } from "../entra/service.js";
import type { VaultDirectory, VaultTokenValidator } from "../keyvault/ports.js";
import { vaultFromResource } from "../keyvault/vault-record.js";
import type { DevOpsService } from "../devops/service.js";
import { DevOpsPortError, type DevOpsApi as PipelinesDevOpsApi, type OrganizationRef, type PipelineCaller } from "../pipelines/ports.js";

/** Turns another plane's error into the one error a port promises; anything else is a defect and passes through. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PlaneError && (error.plane === "entra" || error.plane === "graph" || error.plane === "arm")) {
      throw new PortError(error.plane, error.status, error.code, error.message);
    }
    throw error;
  }
}

/** Wraps every method of a port object so its failures are `PortError`s. */
function translating<T extends object>(port: T): T {
  return new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? (...args: unknown[]) => translated(() => value.apply(target, args)) : value;
    },
  });
}

/** The DevOps plane's Entra port, served by the Entra service of this process. */
export function inProcessEntraApi(entra: EntraService, clock: Clock, loginBase: () => string): EntraApi {
  const api: EntraApi = {
    tenant: (tenantId) => entra.directory.tenant(tenantId),
    tenants: () => entra.directory.tenants(),
    user: (tenantId, objectId) => entra.directory.user(tenantId, objectId),
    currentSession: (tenantId, userObjectId) => entra.signIn.currentSessionOf(tenantId, userObjectId),
    async sessionToken(ref: UserSessionRef, resource: string) {
      const session = await entra.signIn.session(ref.id);
      if (!session) throw new PortError("entra", 400, "AADSTS70043", "AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.");
      return (await entra.signIn.tokenFromSession(session, resource, loginBase())).accessToken;
    },
    graph: async (token) => translating(await graphAs(entra, token)),
    async clientToken(request: ClientTokenRequest) {
      const base = loginBase();
      const tokenEndpoint = `${base}/${request.tenantId}/oauth2/v2.0/token`;
      const form: Record<string, string> = { grant_type: "client_credentials", client_id: request.clientId, scope: `${request.resource.replace(/\/$/, "")}/.default` };
      const { credential } = request;
      if (credential.kind === "secret") form.client_secret = credential.secret;
      else {
        form.client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        form.client_assertion = credential.kind === "assertion" ? credential.assertion : await certificateAssertion(credential.pem, request.clientId, tokenEndpoint, clock);
      }
      return (await entra.tokens.token({ flavor: "v2", tenant: request.tenantId, form, issuerBase: base, tokenEndpoint })).accessToken;
    },
    async federationToken(request: FederationTokenRequest) {
      const key = await entra.keys.activeKey(request.tenantId);
      return signJwt({ alg: "RS256", typ: "JWT", kid: key.kid }, request.claims, key.privateKey);
    },
    async verifyAccessToken(token: string) {
      const check = await entra.accessTokens.check(token);
      if (!check.ok) return undefined;
      const { claims } = check;
      return { tenantId: claims.tid, objectId: claims.oid, upn: typeof claims.upn === "string" ? claims.upn : undefined, forAzureDevOps: planeOfAudience(claims.aud) === "devops" };
    },
  };
  return translating(api);
}

async function graphAs(entra: EntraService, token: string): Promise<GraphAs> {
  const graph = entra.graph;
  const caller = await graph.authenticate(`Bearer ${token}`);
  const application = (objectId: string) => graph.findApplication(caller, { id: objectId });
  return {
    me: async () => (caller.kind === "user" ? caller.user : undefined),
    async directorySettings() {
      try {
        const policy = await graph.getPolicy(caller);
        return { guestUserRoleId: policy.guestUserRoleId, allowedToCreateApps: policy.allowedToCreateApps };
      } catch (error) {
        if (error instanceof PlaneError && error.status === 403) return undefined;
        throw error;
      }
    },
    createApplication: (displayName) => graph.createApplication(caller, { displayName, signInAudience: "AzureADMyOrg" }),
    createServicePrincipal: (appId) => graph.createServicePrincipal(caller, { appId, accountEnabled: true }),
    application: (appId) => graph.findApplication(caller, { appId }),
    addPassword: async (command) => graph.addPassword(caller, await application(command.applicationObjectId), { displayName: command.displayName, endDateTime: command.endDateTime }),
    removePassword: async (objectId, keyId) => graph.removePassword(caller, await application(objectId), keyId),
    addFederatedCredential: async ({ applicationObjectId, ...credential }) => graph.createFederated(caller, await application(applicationObjectId), credential),
    federatedCredentials: async (objectId) => graph.listFederated(caller, await application(objectId)),
    async updateFederatedCredential(objectId, credentialId, change) {
      const app = await application(objectId);
      await graph.updateFederated(caller, app, await graph.findFederated(app, credentialId), change);
    },
    deleteApplication: async (objectId) => graph.deleteApplication(caller, await application(objectId)),
  };
}

/** A certificate-signed client assertion from a PEM holding the certificate and its private key. */
async function certificateAssertion(pem: string, clientId: string, audience: string, clock: Clock): Promise<string> {
  const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  const keyMatch = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(pem);
  if (!certMatch || !keyMatch) throw new Error("The certificate must be PEM with both the certificate and its private key.");
  const cert = new X509Certificate(certMatch[0]);
  // The client signs on its own (real) clock, as a real agent would.
  const now = Math.floor((clock.nowMs() - clock.offsetMs()) / 1000);
  return signJwt(
    { alg: "RS256", typ: "JWT", x5t: createHash("sha1").update(cert.raw).digest("base64url") },
    { aud: audience, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600 },
    createPrivateKey(keyMatch[0]),
  );
}

/** ARM's token port: Entra's own check, and whether the audience is one of the management audiences. */
export function inProcessTokenValidator(entra: EntraService): AccessTokenValidator {
  return {
    async check(token) {
      const check = await entra.accessTokens.check(token);
      if (check.ok) return { ok: true, claims: check.claims, forArm: planeOfAudience(check.claims.aud) === "arm" };
      return check.problem === "expired" ? { ok: false, problem: "expired", claims: check.claims } : { ok: false, problem: check.problem };
    },
  };
}

/** The DevOps plane's ARM port, served by the ARM service of this process. */
export function inProcessArmApi(arm: ArmService): ArmApi {
  return translating<ArmApi>({
    async as(token: string): Promise<ArmAs> {
      const caller = await arm.authenticate(`Bearer ${token}`);
      return translating<ArmAs>({
        subscription: (id) => arm.getSubscription(caller, id),
        subscriptions: () => arm.listSubscriptions(caller),
        managementGroups: () => arm.listManagementGroups(caller),
        async readScope(scope) {
          const parsed = parseScope(scope);
          if (!parsed) throw new PortError("arm", 400, "InvalidScope", `The scope '${scope}' is not valid.`);
          if (parsed.level === "subscription") await arm.getSubscription(caller, parsed.subscriptionId);
          else if (parsed.level === "resourceGroup") await arm.getResourceGroup(caller, parsed.subscriptionId, parsed.resourceGroup);
          else if (parsed.level === "resource") await arm.getResource(caller, parsed);
          else if (parsed.level === "managementGroup") await arm.getManagementGroup(caller, parsed.managementGroup);
        },
        async assignRole(command) {
          const { assignment } = await arm.putRoleAssignment(caller, command.scope, randomUUID(), {
            roleDefinitionId: command.roleDefinitionId,
            principalId: command.principalId,
            principalType: command.principalType,
          });
          return assignment;
        },
        removeRoleAssignment: async (scope, name) => !!(await arm.deleteRoleAssignment(caller, scope, name)),
      });
    },
  });
}

/** The pipelines plane's DevOps port, served by the DevOps service of this process. */
export function inProcessPipelinesDevOpsApi(devops: DevOpsService): PipelinesDevOpsApi {
  const org = async (ref: OrganizationRef) => devops.identities.organization(ref.id);
  const caller = async (c: PipelineCaller) => {
    const organization = await devops.identities.organization(c.organization.id);
    const identity = await devops.identity(c.identity.id);
    if (!identity) throw new DevOpsPortError(401, "UnauthorizedRequestException", "TF400813: The user '' is not authorized to access this resource.");
    return { organization, identity, ...(c.job ? { job: c.job } : {}) };
  };
  const api: PipelinesDevOpsApi = {
    async organization(name) {
      const o = await devops.identities.organization(name);
      return { id: o.id, name: o.name, tenantId: o.tenantId };
    },
    async authenticate(ref, authorization) {
      const c = await devops.identities.authenticate(await org(ref), authorization);
      return { organization: ref, identity: { id: c.identity.id, displayName: c.identity.displayName, uniqueName: c.identity.uniqueName }, ...(c.job ? { job: c.job } : {}) };
    },
    async project(c, idOrName) {
      const p = await devops.project(await caller(c), idOrName);
      return { id: p.id, name: p.name };
    },
    async projectOf(ref, idOrName) {
      const p = await devops.projectOfOrganization(await org(ref), idOrName);
      return { id: p.id, name: p.name };
    },
    async projectGroups(c, project) {
      const full = await caller(c);
      const p = await devops.project(full, project.id);
      return devops.projectGroupsOf(full, p);
    },
    async connectionsOfProject(ref, projectId) {
      return (await devops.connectionsOfProject(await org(ref), projectId)).map(({ endpoint, name }) => ({
        id: endpoint.id,
        name,
        type: endpoint.type,
        scheme: endpoint.scheme,
        url: endpoint.url,
        isReady: endpoint.isReady && endpoint.operationStatus.state === "Ready",
        isDisabled: endpoint.isDisabled,
      }));
    },
    isAuthorized: (projectId, resource, pipelineId) => devops.permissions.isAuthorized(projectId, resource.type, resource.id, pipelineId),
    async variableGroupsOfProject(ref, projectId) {
      return (await devops.variableGroups.ofProject((await org(ref)).id, projectId)).map(({ group, secrets, name }) => ({
        id: group.id,
        name,
        type: group.type,
        variables: Object.entries(group.variables).map(([variable, v]) => ({ name: variable, value: v.isSecret ? (secrets[variable] ?? "") : (v.value ?? ""), isSecret: v.isSecret })),
        keyVault: group.providerData ? { connectionId: group.providerData.serviceEndpointId, vault: group.providerData.vault } : null,
      }));
    },
    async connectionForJob(_ref, connectionId) {
      const { endpoint, secrets } = await devops.connectionForJob(connectionId);
      return {
        id: endpoint.id,
        name: endpoint.name,
        type: endpoint.type,
        scheme: endpoint.scheme,
        url: endpoint.url,
        isReady: endpoint.isReady,
        isDisabled: endpoint.isDisabled,
        parameters: { ...endpoint.parameters, ...secrets },
        data: endpoint.data,
      };
    },
    async buildService(ref, project) {
      const identity = await devops.buildService(await org(ref), project);
      return { id: identity.id, displayName: identity.displayName, uniqueName: identity.uniqueName };
    },
    issueJobToken: async (ref, claims, expiresAt) => devops.issueJobToken(await org(ref), claims, expiresAt),
    endJob: (jobId) => devops.endJob(jobId),
    federationToken: async (ref, _projectId, connectionId) => devops.federationTokenForJob(await org(ref), connectionId),
    async recordExecution(record) {
      const { endpointId, projectId: _p, ...data } = record;
      await devops.recordExecution(endpointId, data);
    },
    async environmentForRun(_ref, projectId, name, requestedBy, pipelineId) {
      const found = await devops.environments.forRun(projectId, name, requestedBy, pipelineId);
      return found && { id: found.environment.id, name: found.environment.name };
    },
    async checksFor(_ref, projectId, resources) {
      const checks = await devops.checks.forResources(projectId, resources);
      return Promise.all(
        checks.map(async (c) => ({ id: c.id, type: c.type, settings: c.settings, timeout: c.timeout, resource: { type: c.resource.type as "endpoint", id: c.resource.id, name: await devops.checks.resourceName(c) } })),
      );
    },
    principalsOf: async (_ref, identityId) => [...(await devops.security.principals(identityId))],
    async identity(ref, identityId) {
      const found = await devops.identity(identityId);
      if (!found || found.organizationId !== ref.id) return undefined;
      // Groups are named as Azure DevOps names them: [project]\group.
      const project = found.kind === "group" && found.projectId ? await devops.projectById(await org(ref), found.projectId) : undefined;
      return { id: found.id, displayName: project ? `[${project.name}]\\${found.displayName}` : found.displayName, uniqueName: found.uniqueName };
    },
    async recordDeployment(_ref, record) {
      // Attempts are always the first: svcconn does not re-run stages or jobs.
      await devops.environments.recordDeployment({ ...record, stageAttempt: 1, jobAttempt: 1 });
    },
  };
  return new Proxy(api, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          if (error instanceof PlaneError && error.plane === "devops") throw new DevOpsPortError(error.status, error.code, error.message);
          throw error;
        }
      };
    },
  });
}

/** Key Vault's ports: the vault as its ARM resource says, ARM's role assignments for data actions, Entra's tokens. */
export function inProcessVaultDirectory(arm: ArmService): VaultDirectory {
  return {
    async vault(name) {
      const found = await arm.globalResource("Microsoft.KeyVault/vaults", name);
      return found && vaultFromResource(found.resource, found.tenantId);
    },
    grantsDataAction: (principal, dataAction, scope) => arm.authorizer.isDataActionAllowed(principal.objectId, dataAction, scope),
    secretCreated: (vault, name) => arm.recordResource(`${vault.id}/secrets/${name}`, { properties: { secretUri: `https://${vault.name.toLowerCase()}.vault.azure.net/secrets/${name}` } }),
    secretPurged: (vault, name) => arm.forgetResource(`${vault.id}/secrets/${name}`),
  };
}

export function inProcessVaultTokens(entra: EntraService): VaultTokenValidator {
  return {
    async check(token) {
      const check = await entra.accessTokens.check(token);
      return check.ok ? { ok: true, claims: check.claims } : { ok: false, problem: check.problem };
    },
  };
}
