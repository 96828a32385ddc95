import { readFileSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { ArmSeeder } from "../arm/seed.js";
import { BUILTIN_ROLES } from "../arm/builtin-roles.js";
import type { PrincipalType } from "../arm/model.js";
import type { ArmService } from "../arm/service.js";
import type { DevOpsService } from "../devops/service.js";
import type { PipelinesService } from "../pipelines/service.js";
import type { KeyVaultService, SetSecretCommand } from "../keyvault/service.js";
import { resolve } from "node:path";
import type { Directory } from "../entra/directory/directory.js";
import type { UserSignIn } from "../entra/sign-in/sign-in.js";
import { firstPartyServicePrincipalId, GRAPH_APP_ROLES } from "../entra/directory/first-party.js";
import { AZURE_DEVOPS_APP_ID, GRAPH_APP_ID } from "../entra/token/token-audiences.js";
import type { Store } from "../store/index.js";
import { hashPassword } from "../core/crypto.js";
import type { Clock } from "../core/clock.js";
import { readEndpointInput } from "../devops/endpoint-input.js";
import { readVariableGroupInput } from "../devops/variable-group-input.js";
import type { TaskDefinition } from "../pipelines/tasks/catalog.js";
import { federatedCredentialFor, ISSUER_TYPE } from "../devops/federation.js";
import type { DevOpsIdentity, Organization, Project } from "../devops/model.js";
import type { DevOpsCaller } from "../devops/identities.js";
import { DEMO_WORLD_YAML } from "./demo.js";
import { GUEST_ACCESS_ROLE, RELATIVE_TIME, worldSchema, type World, type WorldExtensionTask } from "./schema.js";

/** A world file that cannot be loaded; the message names the bad path (`tenants.0.users.2.userType`). */
export class WorldError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(path ? `world: ${path}: ${reason}` : `world: ${reason}`);
  }
}

/** Reads and validates a world from YAML text. */
export function parseWorld(text: string): World {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `line ${error.linePos[0].line}` : "";
    throw new WorldError(where, `not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = worldSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WorldError(issue.path.join("."), issue.message);
  }
  return parsed.data;
}

export function readWorld(file: string | undefined): World {
  if (!file) return parseWorld(DEMO_WORLD_YAML);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new WorldError("", `cannot read ${file}: ${(error as Error).message}`);
  }
  return parseWorld(text);
}

export interface BootstrapFacts {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** The Azure DevOps facts `serve --json` prints: where to try a connection and with which PAT. */
export interface DevOpsFacts {
  organization: string;
  project: string;
  pat: string;
}

export function devopsFacts(world: World): DevOpsFacts | null {
  const b = world.bootstrap;
  if (!b?.organization || !b.project || !b.pat) return null;
  return { organization: b.organization, project: b.project, pat: b.pat };
}

/** The bootstrap application's credentials as the world declares them (printed at start). */
export function bootstrapFacts(world: World): BootstrapFacts | null {
  if (!world.bootstrap) return null;
  const tenant = world.tenants.find((t) => t.key === world.bootstrap!.tenant);
  const app = tenant?.applications.find((a) => a.displayName === world.bootstrap!.application);
  if (!tenant?.id || !app?.appId) return null;
  return { tenantId: tenant.id.toLowerCase(), clientId: app.appId.toLowerCase(), clientSecret: world.bootstrap.secretText };
}

/** The plane services a world is written through, bound to the loading transaction's store. */
export interface WorldWriters {
  directory: Directory;
  arm: ArmService;
  armSeeder: ArmSeeder;
  devops: DevOpsService;
  pipelines: PipelinesService;
  keyVault: KeyVaultService;
  signIn: UserSignIn;
  /** Times in the world relative to loading (`P20D`) are read on this clock. */
  clock: Clock;
}

/** A world's secret as Key Vault's set command (dates in seconds, as its attributes carry them). */
function seededSecret(value: string | { value: string; contentType?: string; enabled: boolean; notBefore?: string; expires?: string }, clock: Clock): SetSecretCommand {
  const seconds = (iso: string | undefined) => (iso ? Math.floor(Date.parse(worldTime(iso, clock.nowMs())) / 1000) : null);
  if (typeof value === "string") return { value, contentType: null, tags: null, enabled: true, notBefore: null, expires: null };
  return { value: value.value, contentType: value.contentType ?? null, tags: null, enabled: value.enabled, notBefore: seconds(value.notBefore), expires: seconds(value.expires) };
}

/** A world time: an ISO date, or a signed duration from `now`. */
export function worldTime(value: string, now: number): string {
  const relative = RELATIVE_TIME.exec(value);
  if (!relative) return new Date(Date.parse(value)).toISOString();
  const [, minus, days, hours, minutes] = relative;
  const span = (Number(days ?? 0) * 24 * 60 + Number(hours ?? 0) * 60 + Number(minutes ?? 0)) * 60_000;
  return new Date(now + (minus ? -span : span)).toISOString();
}

/** Writes a world into an empty store, in one transaction. Semantic errors name the path like schema errors. */
export async function loadWorld(world: World, store: Store, writersFor: (store: Store) => WorldWriters): Promise<void> {
  checkBootstrap(world);
  await store.transaction(async (trx) => new WorldLoader(world, trx, writersFor(trx)).load());
}

function checkBootstrap(world: World): void {
  if (!world.bootstrap) return;
  const tenant = world.tenants.find((t) => t.key === world.bootstrap!.tenant);
  if (!tenant) throw new WorldError("bootstrap.tenant", `unknown tenant '${world.bootstrap.tenant}'`);
  const app = tenant.applications.find((a) => a.displayName === world.bootstrap!.application);
  if (!app) throw new WorldError("bootstrap.application", `no application '${world.bootstrap.application}' in tenant '${tenant.key}'`);
  if (!tenant.id || !app.appId) throw new WorldError("bootstrap", "the bootstrap tenant and application need fixed ids");
}

/** Runs `work`, naming `path` in whatever it throws. */
async function at<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WorldError) throw error;
    throw new WorldError(path, (error as Error).message);
  }
}

type WorldTenant = World["tenants"][number];
type WorldConnection = World["organizations"][number]["projects"][number]["serviceConnections"][number];
type WorldVariableGroup = World["organizations"][number]["projects"][number]["variableGroups"][number];
type WorldEnvironment = World["organizations"][number]["projects"][number]["environments"][number];

/** One world section per method, in the order references need: each may name what an earlier one made. */
class WorldLoader {
  private readonly tenantIds = new Map<string, string>();
  /** A tenant's applications by display name, read once for all its connections (they are made after every app). */
  private readonly applicationsByName = new Map<string, Promise<Map<string, { id: string; appId: string }>>>();

  private applicationsOf(tenantId: string) {
    if (!this.applicationsByName.has(tenantId)) {
      this.applicationsByName.set(tenantId, this.store.applications.list(tenantId).then((apps) => new Map(apps.map((a) => [a.displayName, a]))));
    }
    return this.applicationsByName.get(tenantId)!;
  }
  /** `{tenantId}/{upn}` → user object id. */
  private readonly userIds = new Map<string, string>();

  constructor(
    private readonly world: World,
    private readonly store: Store,
    private readonly writers: WorldWriters,
  ) {}

  async load(): Promise<void> {
    await this.tenants();
    await this.users();
    for (const [i, t] of this.world.tenants.entries()) {
      const tenantId = this.tenantIds.get(t.key)!;
      await this.applications(i, t, tenantId);
      await this.managedIdentities(i, t, tenantId);
      await this.virtualMachines(i, t, tenantId);
    }
    const principals = new Map<string, Map<string, { id: string; type: PrincipalType }>>();
    for (const [i, t] of this.world.tenants.entries()) {
      const tenantId = this.tenantIds.get(t.key)!;
      await this.hierarchy(i, t, tenantId);
      await this.roleDefinitions(i, t, tenantId);
      await this.identityResources(t, tenantId);
      principals.set(tenantId, await principalIndex(this.store, tenantId));
    }
    for (const [i, t] of this.world.tenants.entries()) {
      const tenantId = this.tenantIds.get(t.key)!;
      await this.roleAssignments(i, t, tenantId, principals.get(tenantId)!);
    }
    for (const [i, o] of this.world.organizations.entries()) await this.organization(i, o);
    for (const [i, issuer] of this.world.issuers.entries()) {
      await at(`issuers.${i}`, () => this.writers.directory.trustIssuer({ issuer: issuer.issuer, jwks: issuer.jwks as never }));
    }
  }

  private async tenants(): Promise<void> {
    for (const [i, t] of this.world.tenants.entries()) {
      if (this.tenantIds.has(t.key)) throw new WorldError(`tenants.${i}.key`, `duplicate tenant key '${t.key}'`);
      const policy = t.authorizationPolicy;
      const created = await at(`tenants.${i}`, () =>
        this.writers.directory.createTenant({
          id: t.id,
          displayName: t.displayName,
          defaultDomain: t.defaultDomain,
          domains: t.domains,
          authorizationPolicy: {
            ...(policy.allowedToCreateApps === undefined ? {} : { allowedToCreateApps: policy.allowedToCreateApps }),
            ...(policy.guestAccess ? { guestUserRoleId: GUEST_ACCESS_ROLE[policy.guestAccess] } : {}),
            ...(policy.guestUserRoleId ? { guestUserRoleId: policy.guestUserRoleId } : {}),
          },
        }),
      );
      this.tenantIds.set(t.key, created.id);
    }
  }

  /** Members first, so guests can point at the account they were invited from. */
  private async users(): Promise<void> {
    const { directory } = this.writers;
    // scrypt is slow on purpose: hash every password of the world at once, on the thread pool.
    const hashes = new Map(
      await Promise.all(
        this.world.tenants.flatMap((t, i) => t.users.map(async (u, j) => [`${i}.${j}`, u.password && !u.invitedFrom ? await hashPassword(u.password) : undefined] as const)),
      ),
    );
    for (const pass of ["Member", "Guest"] as const) {
      for (const [i, t] of this.world.tenants.entries()) {
        const tenantId = this.tenantIds.get(t.key)!;
        for (const [j, u] of t.users.entries()) {
          if ((u.invitedFrom ? "Guest" : "Member") !== pass) continue;
          const path = `tenants.${i}.users.${j}`;
          let home: { tenantId: string; userId: string } | undefined;
          if (u.invitedFrom) {
            const homeTenant = this.tenantIds.get(u.invitedFrom.tenant);
            if (!homeTenant) throw new WorldError(`${path}.invitedFrom.tenant`, `unknown tenant '${u.invitedFrom.tenant}'`);
            const homeUser = this.userIds.get(`${homeTenant}/${u.invitedFrom.userPrincipalName.toLowerCase()}`);
            if (!homeUser) throw new WorldError(`${path}.invitedFrom.userPrincipalName`, `unknown user '${u.invitedFrom.userPrincipalName}'`);
            home = { tenantId: homeTenant, userId: homeUser };
            if (u.password) throw new WorldError(`${path}.password`, "a guest signs in with the password of its home account");
          }
          const user = await at(path, () =>
            directory.createUser({
              tenantId,
              id: u.id,
              userPrincipalName: u.userPrincipalName,
              displayName: u.displayName,
              mail: u.mail,
              userType: u.invitedFrom ? "Guest" : u.userType,
              password: u.password,
              passwordHash: u.passwordHash ?? hashes.get(`${i}.${j}`),
              homeTenantId: home?.tenantId ?? null,
              homeUserId: home?.userId ?? null,
              accountEnabled: u.accountEnabled,
            }),
          );
          this.userIds.set(`${tenantId}/${user.userPrincipalName}`, user.id);
          for (const role of u.directoryRoles) await directory.assignDirectoryRole(tenantId, user.id, role);
        }
      }
    }
  }

  private async applications(i: number, t: WorldTenant, tenantId: string): Promise<void> {
    const { directory } = this.writers;
    for (const [j, a] of t.applications.entries()) {
      const path = `tenants.${i}.applications.${j}`;
      const app = await at(path, () =>
        directory.createApplication({
          tenantId,
          id: a.id,
          appId: a.appId,
          displayName: a.displayName,
          signInAudience: a.signInAudience as never,
          identifierUris: a.identifierUris,
          requestedAccessTokenVersion: a.requestedAccessTokenVersion,
          redirectUris: a.redirectUris,
          isFallbackPublicClient: a.isFallbackPublicClient,
        }),
      );
      for (const [k, owner] of a.owners.entries()) {
        const ownerId = this.userIds.get(`${tenantId}/${owner.toLowerCase()}`);
        if (!ownerId) throw new WorldError(`${path}.owners.${k}`, `unknown user '${owner}'`);
        await this.writers.directory.addOwner(app.id, ownerId, tenantId);
      }
      const now = this.writers.clock.nowMs();
      for (const [k, p] of a.passwordCredentials.entries()) {
        const { secretHash, hint, keyId, ...rest } = p;
        const stored = secretHash ? { secretHash, hint: hint ?? "", keyId } : undefined;
        const dated = { ...rest, stored, startDateTime: p.startDateTime && worldTime(p.startDateTime, now), endDateTime: p.endDateTime && worldTime(p.endDateTime, now) };
        await at(`${path}.passwordCredentials.${k}`, () => directory.addPassword(app.id, dated));
      }
      for (const [k, c] of a.keyCredentials.entries()) await at(`${path}.keyCredentials.${k}`, async () => directory.addCertificate(app.id, { displayName: c.displayName, certificate: c.certificate ?? (await certificateUntil(worldTime(c.endDateTime!, now), now)) }));
      for (const [k, f] of a.federatedIdentityCredentials.entries()) {
        await at(`${path}.federatedIdentityCredentials.${k}`, () => directory.addFederatedCredential(app.id, f));
      }
      if (a.servicePrincipal === false) continue;
      const sp = a.servicePrincipal;
      const created = await at(`${path}.servicePrincipal`, () => directory.createServicePrincipal({ tenantId, appId: app.appId, id: sp.id, accountEnabled: sp.accountEnabled }));
      for (const role of sp.directoryRoles) await directory.assignDirectoryRole(tenantId, created.id, role);
      for (const permission of sp.graphPermissions) {
        await directory.grantAppRole(tenantId, created.id, firstPartyServicePrincipalId(tenantId, GRAPH_APP_ID), GRAPH_APP_ROLES[permission]!);
      }
    }
  }

  private async managedIdentities(i: number, t: WorldTenant, tenantId: string): Promise<void> {
    for (const [j, m] of t.managedIdentities.entries()) {
      const path = `tenants.${i}.managedIdentities.${j}`;
      const sp = await at(path, () =>
        this.writers.directory.createManagedIdentity({ tenantId, name: m.name, resourceId: m.resourceId, userAssigned: true, clientId: m.clientId, principalId: m.principalId }),
      );
      for (const [k, f] of m.federatedIdentityCredentials.entries()) {
        await at(`${path}.federatedIdentityCredentials.${k}`, () => this.writers.directory.addFederatedCredential(sp.id, f));
      }
    }
  }

  private async virtualMachines(i: number, t: WorldTenant, tenantId: string): Promise<void> {
    for (const [j, vm] of t.virtualMachines.entries()) {
      await at(`tenants.${i}.virtualMachines.${j}`, () =>
        this.writers.directory.createVirtualMachine({
          tenantId,
          name: vm.name,
          resourceId: vm.resourceId,
          systemAssigned: vm.systemAssignedIdentity ?? null,
          userAssignedIdentities: vm.userAssignedIdentities,
        }),
      );
    }
  }

  /** The resource plane: the root group, management groups (parents in any order), subscriptions and what they hold. */
  private async hierarchy(i: number, t: WorldTenant, tenantId: string): Promise<void> {
    const { armSeeder } = this.writers;
    await at(`tenants.${i}`, () => armSeeder.rootGroup(tenantId));
    const pending = [...t.managementGroups.entries()];
    // Parents may be declared after their children: place groups as their parents appear.
    for (let round = 0; pending.length && round < 20; round++) {
      for (let k = pending.length - 1; k >= 0; k--) {
        const [j, mg] = pending[k]!;
        const parent = mg.parent ?? tenantId;
        if (parent !== tenantId && !(await this.store.hierarchy.managementGroup(parent))) continue;
        await at(`tenants.${i}.managementGroups.${j}`, () => armSeeder.managementGroup({ tenantId, name: mg.name, displayName: mg.displayName, parent }));
        pending.splice(k, 1);
      }
    }
    if (pending.length) throw new WorldError(`tenants.${i}.managementGroups.${pending[0]![0]}.parent`, `unknown parent management group '${pending[0]![1].parent}'`);
    for (const [j, sub] of t.subscriptions.entries()) {
      const path = `tenants.${i}.subscriptions.${j}`;
      await at(path, () => armSeeder.subscription({ tenantId, id: sub.id, displayName: sub.displayName, state: sub.state, managementGroup: sub.managementGroup, tags: sub.tags }));
      for (const [k, rg] of sub.resourceGroups.entries()) {
        await at(`${path}.resourceGroups.${k}`, () => armSeeder.resourceGroup({ subscriptionId: sub.id, name: rg.name, location: rg.location, tags: rg.tags }));
        for (const [m, r] of rg.resources.entries()) {
          const [namespace, ...types] = r.type.split("/");
          const names = r.name.split("/");
          if (names.length !== types.length) throw new WorldError(`${path}.resourceGroups.${k}.resources.${m}.name`, `type '${r.type}' needs a name of ${types.length} segment(s)`);
          const id = `/subscriptions/${sub.id}/resourceGroups/${rg.name}/providers/${[namespace, ...types.flatMap((ty, n) => [ty, names[n]])].join("/")}`;
          const { type: _type, name: _name, secrets, ...body } = r;
          await at(`${path}.resourceGroups.${k}.resources.${m}`, () => armSeeder.resource(id, body));
          for (const [secret, value] of Object.entries(secrets ?? {})) {
            await at(`${path}.resourceGroups.${k}.resources.${m}.secrets.${secret}`, () => this.writers.keyVault.seedSecret(r.name, secret, seededSecret(value, this.writers.clock)));
          }
        }
      }
    }
  }

  private async roleDefinitions(i: number, t: WorldTenant, tenantId: string): Promise<void> {
    for (const [j, role] of t.roleDefinitions.entries()) {
      await at(`tenants.${i}.roleDefinitions.${j}`, () =>
        this.writers.armSeeder.roleDefinition({
          id: role.id.toLowerCase(),
          roleName: role.roleName,
          description: role.description,
          roleType: "CustomRole",
          permissions: [{ actions: role.actions, notActions: role.notActions, dataActions: [], notDataActions: [] }],
          assignableScopes: role.assignableScopes,
          tenantId,
          createdOn: new Date(0).toISOString(),
          updatedOn: new Date(0).toISOString(),
          createdBy: null,
        }),
      );
    }
  }

  /** Managed identities and VMs of the directory are ARM resources too, where their resource group exists. */
  private async identityResources(t: WorldTenant, tenantId: string): Promise<void> {
    const { armSeeder } = this.writers;
    for (const m of t.managedIdentities) {
      await armSeeder.resource(m.resourceId, {
        location: undefined,
        properties: { tenantId, principalId: m.principalId?.toLowerCase(), clientId: m.clientId?.toLowerCase() },
      });
    }
    for (const vm of t.virtualMachines) {
      const userAssigned = Object.fromEntries(
        vm.userAssignedIdentities.map((id) => {
          const mi = t.managedIdentities.find((m) => m.resourceId.toLowerCase() === id.toLowerCase());
          return [id, { principalId: mi?.principalId?.toLowerCase(), clientId: mi?.clientId?.toLowerCase() }];
        }),
      );
      const types = [vm.systemAssignedIdentity ? "SystemAssigned" : "", vm.userAssignedIdentities.length ? "UserAssigned" : ""].filter(Boolean);
      await armSeeder.resource(vm.resourceId, {
        identity: types.length
          ? {
              type: types.join(", "),
              ...(vm.systemAssignedIdentity ? { principalId: vm.systemAssignedIdentity.principalId?.toLowerCase(), tenantId } : {}),
              ...(vm.userAssignedIdentities.length ? { userAssignedIdentities: userAssigned } : {}),
            }
          : undefined,
        properties: { vmId: vm.name, hardwareProfile: { vmSize: "Standard_D2s_v5" } },
      });
    }
  }

  private async roleAssignments(i: number, t: WorldTenant, tenantId: string, index: Map<string, { id: string; type: PrincipalType }>): Promise<void> {
    for (const [j, a] of t.roleAssignments.entries()) {
      const path = `tenants.${i}.roleAssignments.${j}`;
      const principal = index.get(a.principal.toLowerCase());
      if (!principal) throw new WorldError(`${path}.principal`, `no user, application, managed identity or VM '${a.principal}' in tenant '${t.key}'`);
      const custom = t.roleDefinitions.find((r) => r.roleName.toLowerCase() === a.role.toLowerCase() || r.id.toLowerCase() === a.role.toLowerCase());
      const builtin = BUILTIN_ROLES.find((r) => r.roleName.toLowerCase() === a.role.toLowerCase() || r.id === a.role.toLowerCase().split("/").pop());
      const roleId = custom?.id ?? builtin?.id;
      if (!roleId) throw new WorldError(`${path}.role`, `unknown role '${a.role}'`);
      await at(path, () => this.writers.arm.seedRoleAssignment({ tenantId, scope: a.scope, roleDefinitionId: roleId, principalId: principal.id, principalType: principal.type, name: a.name }));
    }
  }

  /** Azure DevOps: an organization, its projects (with their default groups), members with groups, PATs and sessions. */
  private async organization(i: number, o: World["organizations"][number]): Promise<void> {
    const { devops, pipelines, signIn } = this.writers;
    const path = `organizations.${i}`;
    const tenantId = this.tenantIds.get(o.tenant);
    if (!tenantId) throw new WorldError(`${path}.tenant`, `unknown tenant '${o.tenant}'`);
    const org = await at(path, () => devops.createOrganization({ id: o.id, name: o.name, tenantId, federationIssuer: o.federationIssuer, serverMode: o.serverMode }));
    const projects = new Map<string, Awaited<ReturnType<typeof devops.createProject>>>();
    /** `{project}/{pipeline name}` → pipeline id, for the connections that permit them. */
    const pipelineIds = new Map<string, number>();
    for (const [j, p] of o.projects.entries()) {
      if (projects.has(p.name.toLowerCase())) throw new WorldError(`${path}.projects.${j}.name`, `duplicate project '${p.name}'`);
      const created = await at(`${path}.projects.${j}`, () => devops.createProject(org, { id: p.id, name: p.name, description: p.description }));
      projects.set(p.name.toLowerCase(), created);
      for (const [k, r] of p.repositories.entries()) {
        await at(`${path}.projects.${j}.repositories.${k}`, () => pipelines.catalog.createRepository({ organizationId: org.id, projectId: created.project.id, name: r.name, type: r.type, id: r.id, folder: r.folder ? resolve(r.folder) : null, files: r.files ?? null }));
      }
      if (p.resourceAuthorization !== "fail" || !p.limitVariablesAtQueueTime) {
        await at(`${path}.projects.${j}.resourceAuthorization`, () => pipelines.catalog.putSettings(org.name, created.project.id, { resourceAuthorization: p.resourceAuthorization, enforceSettableVar: p.limitVariablesAtQueueTime }));
      }
      for (const [k, d] of p.pipelines.entries()) {
        const variables = Object.fromEntries(Object.entries(d.variables).map(([name, v]) => [name, typeof v === "string" ? { value: v, isSecret: false, allowOverride: false } : v]));
        const defined = await at(`${path}.projects.${j}.pipelines.${k}`, () => pipelines.catalog.definePipeline(created.project.id, org.id, { name: d.name, repository: d.repository, yamlPath: d.yaml, defaultPool: d.pool ?? null, variables }));
        pipelineIds.set(`${p.name.toLowerCase()}/${d.name.toLowerCase()}`, defined.id);
      }
    }
    if (o.parallelJobs) {
      const parallelJobs = o.parallelJobs;
      await at(`${path}.parallelJobs`, () => pipelines.catalog.putParallelism(org.name, parallelJobs));
    }
    for (const [k, e] of o.extensions.entries()) {
      await at(`${path}.extensions.${k}`, () => pipelines.catalog.installExtension(org.name, typeof e === "string" ? { id: e } : { id: e.id, tasks: e.tasks.map((t) => extensionTaskOf(t, e.id)) }));
    }
    for (const [k, pool] of o.pools.entries()) {
      await at(`${path}.pools.${k}`, () => pipelines.catalog.putPool(org.id, pool.name, pool.agents.map((a) => ({ name: a.name, vm: a.vm ?? null }))));
    }
    const tenant = (await this.store.tenants.get(tenantId))!;
    const identities = new Map<string, { identity: DevOpsIdentity; projects: Record<string, string[]> }>();
    for (const [j, m] of o.members.entries()) {
      const mpath = `${path}.members.${j}`;
      let user = await this.store.users.getByUpn(tenantId, m.user);
      if (!user) user = (await signIn.userFor(tenant, m.user).catch(() => undefined))?.user;
      if (!user) throw new WorldError(`${mpath}.user`, `no user '${m.user}' in tenant '${o.tenant}'`);
      const member = user;
      const identity = await at(mpath, () => devops.identities.addIdentity(org, { kind: "user", displayName: member.displayName, uniqueName: member.userPrincipalName, entraObjectId: member.id, id: m.id }));
      identities.set(m.user.toLowerCase(), { identity, projects: Object.fromEntries(Object.entries(m.projects).map(([name, groups]) => [name.toLowerCase(), groups])) });
      for (const [projectName, groups] of Object.entries(m.projects)) {
        const project = projects.get(projectName.toLowerCase());
        if (!project) throw new WorldError(`${mpath}.projects.${projectName}`, `unknown project '${projectName}'`);
        for (const group of groups) await devops.identities.addToGroup(project.groups[group].id, identity.id);
      }
      if (m.organizationGroups.length) await at(`${mpath}.organizationGroups`, () => devops.makeOrganizationAdministrator(org, identity.id));
      if (m.pat) await devops.identities.issuePat(identity, "world", 365, m.pat);
      for (const t of m.pats) await devops.identities.importPat(identity, t);
      if (m.signedIn) {
        const home = member.homeTenantId && member.homeUserId ? ((await this.store.users.get(member.homeTenantId, member.homeUserId)) ?? member) : member;
        await signIn.openSession(tenant, member, home, AZURE_DEVOPS_APP_ID, `${AZURE_DEVOPS_APP_ID}/.default offline_access`);
      }
    }
    for (const [j, p] of o.projects.entries()) {
      for (const [k, c] of p.serviceConnections.entries()) {
        await this.serviceConnection(`${path}.projects.${j}.serviceConnections.${k}`, { org, tenantId, project: projects.get(p.name.toLowerCase())!.project, connection: c, projects, identities, pipelineIds });
      }
    }
    // After the connections: a Key Vault-linked group names one.
    for (const [j, p] of o.projects.entries()) {
      for (const [k, g] of p.variableGroups.entries()) {
        await this.variableGroup(`${path}.projects.${j}.variableGroups.${k}`, { org, project: projects.get(p.name.toLowerCase())!.project, group: g, projects, identities, pipelineIds });
      }
      for (const [k, e] of p.environments.entries()) {
        await this.environment(`${path}.projects.${j}.environments.${k}`, { org, project: projects.get(p.name.toLowerCase())!.project, environment: e, projects, identities, pipelineIds });
      }
    }
  }

  /** An environment made through its own rules (its creator becomes its Administrator), then opened to pipelines. */
  private async environment(path: string, input: ProjectItemContext & { environment: WorldEnvironment }): Promise<void> {
    const { org, project, environment: e } = input;
    const caller = { organization: org, identity: creatorIn(path, e.createdBy, input) };
    const created = await at(path, () => this.writers.devops.environments.create(caller, project.id, e.name, e.description ?? ""));
    await this.permit(path, caller, input, "environment", String(created.id), e);
  }

  /** A variable group made through the Library's own rules, then opened to the pipelines the world names. */
  private async variableGroup(path: string, input: ProjectItemContext & { group: WorldVariableGroup }): Promise<void> {
    const { org, project, group: g } = input;
    const { devops } = this.writers;
    const caller = { organization: org, identity: creatorIn(path, g.createdBy, input) };
    let providerData: { serviceEndpointId: string; vault: string } | undefined;
    if (g.keyVault) {
      const connection = (await devops.connectionsOfProject(org, project.id)).find((c) => c.name.toLowerCase() === g.keyVault!.connection.toLowerCase());
      if (!connection) throw new WorldError(`${path}.keyVault.connection`, `no service connection '${g.keyVault.connection}' in project '${project.name}'`);
      providerData = { serviceEndpointId: connection.endpoint.id, vault: g.keyVault.vault };
    }
    const shared = sharedWith(path, g.sharedWith, input.projects);
    const body = {
      name: g.name,
      description: g.description ?? "",
      type: g.keyVault ? "AzureKeyVault" : "Vsts",
      variables: Object.fromEntries(Object.entries(g.variables).map(([name, v]) => [name, typeof v === "string" ? { value: v } : v])),
      ...(providerData ? { providerData } : {}),
      variableGroupProjectReferences: [project, ...shared].map((p) => ({ projectReference: { id: p.id, name: p.name }, name: g.name, description: g.description ?? "" })),
    };
    const created = await at(path, () => devops.variableGroups.create(caller, readVariableGroupInput(body, true)));
    await this.permit(path, caller, input, "variablegroup", String(created.group.id), g);
  }

  /** Opens a resource to the pipelines (by name) the world lists, or to all of them. */
  private async permit(path: string, caller: DevOpsCaller, input: ProjectItemContext, type: string, id: string, access: { openAccess: boolean; pipelines: string[] }): Promise<void> {
    const { project } = input;
    const permitted = access.pipelines.map((name) => {
      const pipelineId = input.pipelineIds.get(`${project.name.toLowerCase()}/${name.toLowerCase()}`);
      if (pipelineId === undefined) throw new WorldError(`${path}.pipelines`, `no pipeline '${name}' in project '${project.name}'`);
      return { id: pipelineId, authorized: true };
    });
    if (access.openAccess || permitted.length) {
      await this.writers.devops.permissions.update(caller, project, type, id, { ...(access.openAccess ? { allPipelines: true } : {}), pipelines: permitted });
    }
  }

  /** A connection made by hand through the DevOps plane, then shaped as the world says (age, state, trust, access). */
  private async serviceConnection(path: string, input: ProjectItemContext & { tenantId: string; connection: WorldConnection }): Promise<void> {
    const { org, tenantId, project, connection: c } = input;
    const { devops, directory } = this.writers;
    const caller = { organization: org, identity: creatorIn(path, c.createdBy, input) };
    let application: { id: string; appId: string } | undefined;
    if (c.application) {
      application = (await this.applicationsOf(tenantId)).get(c.application);
      if (!application) throw new WorldError(`${path}.application`, `no application '${c.application}' in the organization's tenant`);
    }
    const appId = application?.appId ?? c.appId;
    const shared = sharedWith(path, c.sharedWith, input.projects);
    const data: Record<string, string> = { environment: "AzureCloud" };
    if (c.scheme !== "ManagedServiceIdentity") data.creationMode = c.failed ? "Automatic" : "Manual";
    if (c.managementGroup) Object.assign(data, { scopeLevel: "ManagementGroup", managementGroupId: c.managementGroup, managementGroupName: c.managementGroup });
    else {
      const subscription = await this.store.hierarchy.subscription(c.subscription!);
      if (!subscription) throw new WorldError(`${path}.subscription`, `unknown subscription '${c.subscription}'`);
      Object.assign(data, { scopeLevel: "Subscription", subscriptionId: subscription.id, subscriptionName: subscription.displayName });
    }
    const parameters: Record<string, string> = { tenantid: tenantId };
    if (appId && !c.failed && c.scheme !== "ManagedServiceIdentity") parameters.serviceprincipalid = appId;
    if (c.scheme === "ServicePrincipal" && !c.failed) {
      Object.assign(parameters, c.certificate ? { servicePrincipalCertificate: c.certificate, authenticationType: "spnCertificate" } : { serviceprincipalkey: c.secret!, authenticationType: "spnKey" });
    }
    if (c.resourceGroup) parameters.scope = `/subscriptions/${data.subscriptionId}/resourcegroups/${c.resourceGroup}`;
    const body = {
      name: c.name,
      description: c.description ?? "",
      type: "azurerm",
      url: "https://management.azure.com/",
      authorization: { scheme: c.scheme, parameters },
      data,
      serviceEndpointProjectReferences: [project, ...shared].map((p) => ({ projectReference: { id: p.id, name: p.name }, name: c.name, description: "" })),
    };
    const created = await at(path, async () => devops.endpoints.create(caller, readEndpointInput(body), undefined, { id: c.id, failedCreation: c.failed }));
    let endpoint = created.endpoint;
    const now = this.writers.clock.nowMs();
    if (c.createdOn) endpoint = { ...endpoint, creationDate: worldTime(c.createdOn, now), modificationDate: worldTime(c.createdOn, now) };
    if (c.issuer) endpoint = { ...endpoint, parameters: { ...endpoint.parameters, [ISSUER_TYPE]: c.issuer === "devops" ? "AzureDevOps" : "EntraID" } };
    // One declared automatic records its application as automatic creation does (Edit and Save, Rotate secret use it).
    if (c.data) endpoint = { ...endpoint, data: { ...endpoint.data, ...(c.data.creationMode === "Automatic" && application ? { appObjectId: application.id } : {}), ...c.data } };
    if (endpoint !== created.endpoint) await devops.endpoints.save(endpoint, created.secrets);
    if (c.scheme === "WorkloadIdentityFederation" && application && c.federatedCredential === "matching" && !c.failed) {
      const { applicationObjectId: _, ...credential } = federatedCredentialFor(application.id, org, project, endpoint);
      await at(`${path}.federatedCredential`, () => directory.addFederatedCredential(application!.id, credential));
    }
    await this.permit(path, caller, input, "endpoint", endpoint.id, c);
  }
}

/** What loading a project's connection or variable group needs: its organization, project and the world's names. */
interface ProjectItemContext {
  org: Organization;
  project: Project;
  projects: Map<string, { project: Project }>;
  identities: Map<string, { identity: DevOpsIdentity; projects: Record<string, string[]> }>;
  pipelineIds: Map<string, number>;
}

/** The member who made an item: `createdBy`, or the project's first administrator. */
function creatorIn(path: string, createdBy: string | undefined, input: ProjectItemContext): DevOpsIdentity {
  const { project, identities } = input;
  const creator = createdBy ? identities.get(createdBy.toLowerCase()) : [...identities.values()].find((m) => m.projects[project.name.toLowerCase()]?.includes("Project Administrators"));
  if (!creator) throw new WorldError(`${path}.createdBy`, createdBy ? `'${createdBy}' is not a member of the organization` : `no project administrator of '${project.name}' to make it`);
  return creator.identity;
}

/** The other projects an item is shared with, by name. */
function sharedWith(path: string, names: string[], projects: Map<string, { project: Project }>): Project[] {
  return names.map((name) => {
    const other = projects.get(name.toLowerCase());
    if (!other) throw new WorldError(`${path}.sharedWith`, `unknown project '${name}'`);
    return other.project;
  });
}

/** Names a world file may use for a principal: object id, UPN, or display name of an app, identity or VM. */
async function principalIndex(store: Store, tenantId: string): Promise<Map<string, { id: string; type: PrincipalType }>> {
  const index = new Map<string, { id: string; type: PrincipalType }>();
  for (const user of await store.users.list(tenantId)) {
    index.set(user.id, { id: user.id, type: "User" });
    index.set(user.userPrincipalName.toLowerCase(), { id: user.id, type: "User" });
  }
  for (const sp of await store.servicePrincipals.list(tenantId)) {
    index.set(sp.id, { id: sp.id, type: "ServicePrincipal" });
    index.set(sp.appId, { id: sp.id, type: "ServicePrincipal" });
    if (!index.has(sp.displayName.toLowerCase())) index.set(sp.displayName.toLowerCase(), { id: sp.id, type: "ServicePrincipal" });
  }
  return index;
}

/** A world's extension task as the catalog holds tasks. */
function extensionTaskOf(t: WorldExtensionTask, extension: string): TaskDefinition {
  const [major = 0, minor = 0, patch = 0] = typeof t.version === "number" ? [t.version] : t.version.split(".").map(Number);
  return {
    id: t.id.toLowerCase(),
    name: t.name,
    friendlyName: t.friendlyName ?? t.name,
    description: "",
    author: extension.split(".")[0]!,
    version: { major, minor, patch },
    helpUrl: "",
    inputs: t.inputs,
    // svcconn runs no extension task: a Node handler says the agent could.
    handlers: ["Node20_1"],
    extension,
  };
}

/** A self-signed certificate made at load, valid from a day before until `end` (a world's relative expiry). */
async function certificateUntil(end: string, now: number): Promise<string> {
  const { issueCertificate } = await import("../core/x509.js");
  return (await issueCertificate({ subject: "CN=svcconn world certificate", notBefore: new Date(now - 86_400_000), notAfter: new Date(end) })).certPem;
}
