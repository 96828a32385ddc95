import { stringify } from "yaml";
import type { SecretBox } from "../core/crypto.js";
import { ALL_PIPELINES } from "../devops/pipeline-permissions.js";
import { ORGANIZATION_ADMINISTRATORS } from "../devops/security.js";
import type { PipelinePermission } from "../devops/model.js";
import { GRAPH_APP_ROLES } from "../entra/directory/first-party.js";
import { DIRECTORY_ROLE_NAMES, GUEST_ROLE } from "../entra/model.js";
import type { Pipeline } from "../pipelines/model.js";
import type { Store } from "../store/index.js";

const GRAPH_ROLE_NAMES = new Map(Object.entries(GRAPH_APP_ROLES).map(([name, id]) => [id, name]));
const EXPORTED_GROUPS = new Set(["Project Administrators", "Contributors", "Readers", "Endpoint Creators", "Endpoint Administrators"]);
/** Resources the loader makes again from a tenant's managed identities and VMs. */
const IDENTITY_TYPES = new Set(["microsoft.managedidentity/userassignedidentities", "microsoft.compute/virtualmachines"]);

export interface ExportOptions {
  /** Opens connection secrets to write them; without it they are left out and listed in `omitted`. */
  secrets?: SecretBox;
}

export interface ExportedWorld {
  /** The world file's object: `parseWorld(toYaml(world))` loads it. */
  world: Record<string, unknown>;
  /** What a world file cannot carry, said once each (shown to the person exporting). */
  omitted: string[];
}

/** A resource's name as world files write it: every name segment of its id after the provider namespace. */
function resourceName(id: string): string {
  const path = id.split(/\/providers\//i).pop()!.split("/").slice(1);
  return path.filter((_, i) => i % 2 === 1).join("/");
}

/**
 * Writes what a store holds as a world file: tenants and their directory, the resource hierarchy with RBAC,
 * organizations with projects, members, pipelines and service connections. Secrets the store keeps only as hashes
 * (client secrets, passwords, PATs) are written as those hashes, so the same secrets keep working after a load;
 * connection secrets only when `options.secrets` can open them. Run state (runs, logs, usage history, sessions,
 * signing keys, the clock) is not part of a world.
 */
export async function exportWorld(store: Store, options: ExportOptions = {}): Promise<ExportedWorld> {
  const omitted = new Set<string>(["runs, logs and usage history", "sign-in sessions and token-signing keys (new ones are made)", "the clock's offset", "connection and variable group security roles other than the creator's"]);
  const tenants = await store.tenants.list();
  const keyOf = new Map(tenants.map((t, i) => [t.id, i === 0 ? "t0" : `t${i}`]));
  // Readable keys where the default domain allows: contoso.onmicrosoft.com → contoso.
  for (const t of tenants) {
    const key = t.defaultDomain.split(".")[0]!.toLowerCase();
    if (![...keyOf.values()].includes(key)) keyOf.set(t.id, key);
  }
  const upnOf = new Map<string, { tenantId: string; upn: string }>();
  for (const t of tenants) for (const u of await store.users.list(t.id)) upnOf.set(u.id, { tenantId: t.id, upn: u.userPrincipalName });

  const worldTenants = [];
  for (const t of tenants) worldTenants.push(await exportTenant(store, t, keyOf, upnOf));

  const organizations = [];
  for (const org of await store.devops.organizations()) organizations.push(await exportOrganization(store, org, keyOf, options, omitted));

  const issuers = (await store.keys.issuers()).map((i) => ({ issuer: i.issuer, jwks: i.jwks }));
  const world = {
    name: "exported",
    description: "Written by svcconn world export.",
    tenants: worldTenants,
    ...(issuers.length ? { issuers } : {}),
    organizations,
  };
  return { world, omitted: [...omitted] };
}

/** What a project's export reads of its organization. */
interface OrganizationContext {
  org: Organization;
  endpoints: Awaited<ReturnType<Store["devops"]["endpointsOfOrganization"]>>;
  projectName: Map<string, string>;
  creatorOf: (id: string) => { uniqueName: string } | undefined;
  options: ExportOptions;
  omitted: Set<string>;
}
type Organization = Awaited<ReturnType<Store["devops"]["organizations"]>>[number];
type ProjectRow = Awaited<ReturnType<Store["devops"]["projects"]>>[number];
type Access = (permissions: PipelinePermission[]) => { openAccess: boolean; pipelines: unknown[] };

async function exportOrganization(store: Store, org: Organization, keyOf: Map<string, string>, options: ExportOptions, omitted: Set<string>) {
  const projects = await store.devops.projects(org.id);
  const identities = await store.devops.identities(org.id);
  const groupById = new Map(identities.filter((i) => i.kind === "group").map((g) => [g.id, g]));
  const projectName = new Map(projects.map((p) => [p.id, p.name]));
  const users = new Map(identities.filter((i) => i.kind === "user").map((i) => [i.id, i]));
  const creatorOf = (id: string) => users.get(id);
  const members = await exportMembers(store, org, identities, groupById, projectName);
  const context: OrganizationContext = { org, endpoints: await store.devops.endpointsOfOrganization(org.id), projectName, creatorOf, options, omitted };
  const worldProjects = [];
  for (const p of projects) worldProjects.push(await exportProject(store, p, context));
  const pools = (await store.pipelines.pools(org.id)).filter((pool) => !pool.hosted);
  const parallelJobs = await store.pipelines.parallelism(org.id);
  const extensions = (await store.pipelines.extensions(org.id)).map((e) =>
    e.tasks?.length
      ? { id: e.id, tasks: e.tasks.map((t) => ({ name: t.name, id: t.id, version: `${t.version.major}.${t.version.minor}.${t.version.patch}`, ...(t.friendlyName !== t.name ? { friendlyName: t.friendlyName } : {}), inputs: t.inputs })) }
      : e.id,
  );
  return {
    name: org.name,
    id: org.id,
    tenant: keyOf.get(org.tenantId),
    federationIssuer: org.federationIssuer,
    serverMode: org.serverMode,
    projects: worldProjects,
    ...(parallelJobs ? { parallelJobs } : {}),
    pools: pools.map((pool) => ({ name: pool.name, agents: pool.agents.map((a) => ({ name: a.name, ...(a.vm ? { vm: a.vm } : {}) })) })),
    ...(extensions.length ? { extensions } : {}),
    members,
  };
}

type Identities = Awaited<ReturnType<Store["devops"]["identities"]>>;

async function exportMembers(store: Store, org: Organization, identities: Identities, groupById: Map<string, Identities[number]>, projectName: Map<string, string>) {
  const members = [];
  for (const identity of identities.filter((i) => i.kind === "user").sort((x, y) => x.uniqueName.localeCompare(y.uniqueName))) {
    const groups: Record<string, string[]> = {};
    const organizationGroups: string[] = [];
    for (const groupId of await store.devops.groupsOf(identity.id)) {
      const group = groupById.get(groupId);
      if (group && !group.projectId && group.displayName === ORGANIZATION_ADMINISTRATORS) organizationGroups.push(group.displayName);
      if (!group?.projectId || !EXPORTED_GROUPS.has(group.displayName)) continue;
      const name = projectName.get(group.projectId)!;
      groups[name] = [...(groups[name] ?? []), group.displayName];
    }
    const user = identity.entraObjectId ? await store.users.get(org.tenantId, identity.entraObjectId) : undefined;
    const home = user?.homeTenantId && user.homeUserId ? await store.users.get(user.homeTenantId, user.homeUserId) : user;
    const sessions = home ? await store.sessions.forAccount(`${home.tenantId}/${home.id}`) : [];
    const pats = await store.devops.patsOf(identity.id);
    members.push({
      user: identity.uniqueName,
      id: identity.id,
      projects: groups,
      ...(organizationGroups.length ? { organizationGroups } : {}),
      ...(pats.length ? { pats } : {}),
      signedIn: sessions.some((s) => !s.revokedAt && s.tenantId === org.tenantId),
    });
  }
  return members;
}

async function exportProject(store: Store, p: ProjectRow, context: OrganizationContext) {
  const { creatorOf, options, omitted } = context;
  const repositories = await store.pipelines.repositories(p.id);
  const pipelines = await store.pipelines.pipelines(p.id);
  const settings = await store.pipelines.settings(p.id);
  const pipelineName = new Map(pipelines.map((d) => [d.id, d.name]));
  /** Who may use a resource, as a world writes it: open access, or pipelines by name. */
  const access = (permissions: PipelinePermission[]) => ({
    openAccess: permissions.some((x) => x.pipelineId === ALL_PIPELINES && x.authorized),
    pipelines: permissions.filter((x) => x.pipelineId !== ALL_PIPELINES && x.authorized).map((x) => pipelineName.get(x.pipelineId)).filter(Boolean),
  });
  const serviceConnections = await exportConnections(store, p, context, access);
  const variableGroups = await exportVariableGroups(store, p, context, access);
  const environments = [];
  for (const e of await store.environments.environmentsOfProject(p.id)) {
    const permissions = await store.devops.pipelinePermissions(p.id, "environment", String(e.id));
    environments.push({
      name: e.name,
      ...(e.description ? { description: e.description } : {}),
      ...(creatorOf(e.createdBy) ? { createdBy: creatorOf(e.createdBy)!.uniqueName } : {}),
      ...access(permissions),
    });
  }
  return {
    name: p.name,
    id: p.id,
    ...(p.description ? { description: p.description } : {}),
    repositories: repositories.map((r) => ({ name: r.name, id: r.id, ...(r.type !== "git" ? { type: r.type } : {}), ...(r.folder ? { folder: r.folder } : { files: r.files ?? {} }) })),
    pipelines: pipelines.map((d) => ({
      name: d.name,
      repository: repositories.find((r) => r.id === d.repositoryId)?.name ?? "",
      yaml: d.yamlPath,
      ...(d.defaultPool ? { pool: d.defaultPool } : {}),
      ...(Object.keys(d.variables).length ? { variables: exportedVariables(d.variables, options.secrets, omitted) } : {}),
    })),
    resourceAuthorization: settings.resourceAuthorization,
    limitVariablesAtQueueTime: settings.enforceSettableVar,
    serviceConnections,
    variableGroups,
    environments,
  };
}

async function exportConnections(store: Store, p: ProjectRow, { org, endpoints, projectName, creatorOf, options, omitted }: OrganizationContext, access: Access) {
  const serviceConnections = [];
  // A connection shared with several projects is written once, under the project that owns it (its first).
  const owned = endpoints.filter((e) => e.endpoint.projects[0]?.projectId === p.id).sort((x, y) => x.endpoint.name.localeCompare(y.endpoint.name));
  for (const { endpoint, secrets } of owned) {
    if (endpoint.type !== "azurerm") {
      omitted.add(`connections of types other than azurerm (${endpoint.name}: ${endpoint.type})`);
      continue;
    }
    const opened = options.secrets ? (JSON.parse(options.secrets.open(secrets)) as Record<string, string>) : undefined;
    const permissions = await store.devops.pipelinePermissions(p.id, "endpoint", endpoint.id);
    const { creationMode, scopeLevel, subscriptionId, managementGroupId, environment: _e, subscriptionName: _s, managementGroupName: _m, identityType: _i, ...data } = endpoint.data;
    const appId = endpoint.parameters.serviceprincipalid;
    const application = appId ? await store.applications.getByAppId(appId) : undefined;
    const failed = endpoint.operationStatus?.state === "Failed" ? endpoint.operationStatus.statusMessage || "failed" : undefined;
    let secret: Record<string, string> = {};
    if (endpoint.scheme === "ServicePrincipal" && !failed) {
      const key = endpoint.parameters.authenticationType === "spnCertificate" ? "servicePrincipalCertificate" : "serviceprincipalkey";
      if (opened?.[key]) secret = key === "serviceprincipalkey" ? { secret: opened[key]! } : { certificate: opened[key]! };
      else {
        secret = { secret: "(not exported: run world export --include-secrets)" };
        omitted.add("connection secrets (written as a placeholder; --include-secrets writes them)");
      }
    }
    serviceConnections.push({
      id: endpoint.id,
      name: endpoint.projects[0]!.name,
      ...(endpoint.description ? { description: endpoint.description } : {}),
      scheme: endpoint.scheme,
      ...(application && application.tenantId === (endpoint.parameters.tenantid ?? org.tenantId) ? { application: application.displayName } : appId ? { appId } : {}),
      ...secret,
      ...(scopeLevel === "ManagementGroup" ? { managementGroup: managementGroupId } : { subscription: subscriptionId }),
      ...(endpoint.parameters.scope ? { resourceGroup: endpoint.parameters.scope.split("/").pop() } : {}),
      // The application's federated credentials are written with it: nothing to add on load.
      ...(endpoint.scheme === "WorkloadIdentityFederation" ? { federatedCredential: "none" } : {}),
      ...(endpoint.parameters.workloadIdentityFederationIssuerType ? { issuer: endpoint.parameters.workloadIdentityFederationIssuerType === "AzureDevOps" ? "devops" : "entra" } : {}),
      ...(creatorOf(endpoint.createdBy) ? { createdBy: creatorOf(endpoint.createdBy)!.uniqueName } : {}),
      createdOn: endpoint.creationDate,
      ...access(permissions),
      sharedWith: endpoint.projects.slice(1).map((r) => projectName.get(r.projectId)).filter(Boolean),
      ...(failed ? { failed } : {}),
      ...(creationMode === "Automatic" || Object.keys(data).length ? { data: { ...(creationMode === "Automatic" && !failed ? { creationMode } : {}), ...data } } : {}),
    });
  }
  return serviceConnections;
}

async function exportVariableGroups(store: Store, p: ProjectRow, { org, endpoints, projectName, creatorOf, options, omitted }: OrganizationContext, access: Access) {
  const variableGroups = [];
  for (const { group, secrets } of await store.library.variableGroupsOfProject(p.id)) {
    // A group shared with several projects is written once, under the project that made it.
    if (group.projects[0]?.projectId !== p.id || group.organizationId !== org.id) continue;
    const opened = options.secrets ? (JSON.parse(options.secrets.open(secrets)) as Record<string, string>) : undefined;
    const permissions = await store.devops.pipelinePermissions(p.id, "variablegroup", String(group.id));
    const variables: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(group.variables)) {
      if (group.type === "AzureKeyVault") variables[name] = { value: "", isSecret: true };
      else if (!v.isSecret) variables[name] = v.isReadOnly ? { value: v.value ?? "", isReadOnly: true } : (v.value ?? "");
      else if (opened) variables[name] = { value: opened[name] ?? "", isSecret: true, ...(v.isReadOnly ? { isReadOnly: true } : {}) };
      else {
        variables[name] = { value: "(not exported: run world export --include-secrets)", isSecret: true };
        omitted.add("variable group secrets (written as a placeholder; --include-secrets writes them)");
      }
    }
    const vaultConnection = group.providerData ? endpoints.find((e) => e.endpoint.id === group.providerData!.serviceEndpointId) : undefined;
    variableGroups.push({
      name: group.projects[0]!.name,
      ...(group.description ? { description: group.description } : {}),
      variables,
      ...(group.providerData ? { keyVault: { connection: vaultConnection?.endpoint.projects.find((r) => r.projectId === p.id)?.name ?? group.providerData.serviceEndpointId, vault: group.providerData.vault } } : {}),
      ...(creatorOf(group.createdBy) ? { createdBy: creatorOf(group.createdBy)!.uniqueName } : {}),
      ...access(permissions),
      sharedWith: group.projects.slice(1).map((r) => projectName.get(r.projectId)).filter(Boolean),
    });
  }
  return variableGroups;
}

type Tenant = Awaited<ReturnType<Store["tenants"]["list"]>>[number];
type Upns = Map<string, { tenantId: string; upn: string }>;

const rolesOf = (store: Store, t: Tenant) => async (principalId: string) => (await store.users.roleAssignments(t.id, { principalId })).map((r) => DIRECTORY_ROLE_NAMES[r.roleTemplateId] ?? r.roleTemplateId);

async function exportTenant(store: Store, t: Tenant, keyOf: Map<string, string>, upnOf: Upns) {
  const policy = (await store.tenants.policyVersions(t.id)).at(-1)?.policy;
  const principals = await store.servicePrincipals.list(t.id);
  const { managedIdentities, virtualMachines, identityResources } = await exportIdentities(store, t, principals);
  const guestAccess = policy ? Object.entries({ member: GUEST_ROLE.User, limited: GUEST_ROLE.GuestUser, restricted: GUEST_ROLE.RestrictedGuestUser }).find(([, id]) => id === policy.guestUserRoleId)?.[0] : undefined;
  return {
    key: keyOf.get(t.id),
    id: t.id,
    displayName: t.displayName,
    defaultDomain: t.defaultDomain,
    domains: t.domains,
    authorizationPolicy: policy ? { allowedToCreateApps: policy.allowedToCreateApps, ...(guestAccess ? { guestAccess } : {}) } : {},
    users: await exportUsers(store, t, keyOf, upnOf),
    applications: await exportApplications(store, t, principals, upnOf),
    managedIdentities,
    virtualMachines,
    ...(await exportHierarchy(store, t, identityResources)),
    ...(await exportRbac(store, t)),
  };
}

async function exportUsers(store: Store, t: Tenant, keyOf: Map<string, string>, upnOf: Upns) {
  const roles = rolesOf(store, t);
  const users = [];
  for (const u of (await store.users.list(t.id)).sort((x, y) => x.userPrincipalName.localeCompare(y.userPrincipalName))) {
    const home = u.homeUserId ? upnOf.get(u.homeUserId) : undefined;
    users.push({
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName,
      ...(u.mail ? { mail: u.mail } : {}),
      userType: u.userType,
      ...(home ? { invitedFrom: { tenant: keyOf.get(home.tenantId), userPrincipalName: home.upn } } : {}),
      ...(u.passwordHash && !home ? { passwordHash: u.passwordHash } : {}),
      accountEnabled: u.accountEnabled,
      directoryRoles: await roles(u.id),
    });
  }
  return users;
}

type Principals = Awaited<ReturnType<Store["servicePrincipals"]["list"]>>;

async function exportApplications(store: Store, t: Tenant, principals: Principals, upnOf: Upns) {
  const roles = rolesOf(store, t);
  const applications = [];
  for (const a of (await store.applications.list(t.id)).sort((x, y) => x.displayName.localeCompare(y.displayName) || x.id.localeCompare(y.id))) {
    const sp = principals.find((p) => p.appId === a.appId && p.servicePrincipalType === "Application");
    const owners = (await store.applications.owners(a.id)).map((id) => upnOf.get(id)?.upn).filter(Boolean);
    applications.push({
      id: a.id,
      appId: a.appId,
      displayName: a.displayName,
      signInAudience: a.signInAudience,
      ...(a.identifierUris.length ? { identifierUris: a.identifierUris } : {}),
      ...(a.requestedAccessTokenVersion ? { requestedAccessTokenVersion: a.requestedAccessTokenVersion } : {}),
      ...(a.redirectUris.web.length || a.redirectUris.spa.length || a.redirectUris.publicClient.length ? { redirectUris: a.redirectUris } : {}),
      ...(a.isFallbackPublicClient ? { isFallbackPublicClient: true } : {}),
      owners,
      passwordCredentials: (await store.applications.passwords(a.id)).map((p) => ({
        keyId: p.keyId,
        ...(p.displayName ? { displayName: p.displayName } : {}),
        secretHash: p.secretHash,
        hint: p.hint,
        startDateTime: p.startDateTime,
        endDateTime: p.endDateTime,
      })),
      keyCredentials: (await store.applications.keys(a.id)).map((k) => ({ certificate: k.keyDer, ...(k.displayName ? { displayName: k.displayName } : {}) })),
      federatedIdentityCredentials: (await store.applications.federated(a.id)).map((f) => ({ name: f.name, issuer: f.issuer, subject: f.subject, audiences: f.audiences, ...(f.description ? { description: f.description } : {}) })),
      servicePrincipal: sp
        ? {
            id: sp.id,
            accountEnabled: sp.accountEnabled,
            directoryRoles: await roles(sp.id),
            graphPermissions: (await store.servicePrincipals.appRoleAssignments(sp.id)).map((r) => GRAPH_ROLE_NAMES.get(r.appRoleId)).filter(Boolean),
          }
        : false,
    });
  }
  return applications;
}

/** User-assigned managed identities and VMs with theirs; the ARM resources behind them are written by these, not as resources. */
async function exportIdentities(store: Store, t: Tenant, principals: Principals) {
  const vms = (await store.servicePrincipals.listVirtualMachines()).filter((vm) => vm.tenantId === t.id).sort((x, y) => x.name.localeCompare(y.name));
  const systemAssigned = new Set(vms.map((vm) => vm.systemAssignedPrincipalId).filter(Boolean));
  const managedIdentities = [];
  const userAssigned = principals.filter((p) => p.servicePrincipalType === "ManagedIdentity" && p.managedIdentityResourceId && !systemAssigned.has(p.id));
  for (const mi of userAssigned.sort((x, y) => x.displayName.localeCompare(y.displayName) || x.id.localeCompare(y.id))) {
    managedIdentities.push({
      name: mi.displayName,
      resourceId: mi.managedIdentityResourceId,
      clientId: mi.appId,
      principalId: mi.id,
      federatedIdentityCredentials: (await store.applications.federated(mi.id)).map((f) => ({ name: f.name, issuer: f.issuer, subject: f.subject, audiences: f.audiences })),
    });
  }
  const virtualMachines = vms.map((vm) => {
    const sys = principals.find((p) => p.id === vm.systemAssignedPrincipalId);
    return {
      name: vm.name,
      resourceId: vm.resourceId,
      ...(sys ? { systemAssignedIdentity: { principalId: sys.id, clientId: sys.appId } } : {}),
      userAssignedIdentities: vm.userAssignedResourceIds,
    };
  });
  const identityResources = new Set([...managedIdentities.map((m) => m.resourceId!.toLowerCase()), ...vms.map((vm) => vm.resourceId.toLowerCase())]);
  return { managedIdentities, virtualMachines, identityResources };
}

async function exportHierarchy(store: Store, t: Tenant, identityResources: Set<string>) {
  const managementGroups = (await store.hierarchy.managementGroups(t.id))
    .filter((g) => g.name !== t.id)
    .sort((x, y) => x.name.localeCompare(y.name))
    .map((g) => ({ name: g.name, displayName: g.displayName, ...(g.parentName && g.parentName !== t.id ? { parent: g.parentName } : {}) }));
  const subscriptions = [];
  for (const sub of (await store.hierarchy.subscriptions(t.id)).sort((x, y) => x.id.localeCompare(y.id))) {
    const resourceGroups = [];
    for (const rg of (await store.hierarchy.resourceGroups(sub.id)).sort((x, y) => x.name.localeCompare(y.name))) {
      const resources = (await store.resources.inResourceGroup(sub.id, rg.name))
        .filter((r) => !(IDENTITY_TYPES.has(r.type.toLowerCase()) && identityResources.has(r.id.toLowerCase())))
        .sort((x, y) => x.id.localeCompare(y.id))
        .map((r) => {
          const body = r.body as Record<string, unknown>;
          return {
            type: r.type,
            name: resourceName(r.id),
            ...(body.location ? { location: body.location } : {}),
            ...(body.kind ? { kind: body.kind } : {}),
            ...(body.sku ? { sku: body.sku } : {}),
            ...(body.tags && Object.keys(body.tags as object).length ? { tags: body.tags } : {}),
            properties: body.properties ?? {},
          };
        });
      resourceGroups.push({ name: rg.name, location: rg.location, tags: rg.tags, resources });
    }
    subscriptions.push({
      id: sub.id,
      displayName: sub.displayName,
      state: sub.state,
      ...(sub.managementGroup && sub.managementGroup !== t.id ? { managementGroup: sub.managementGroup } : {}),
      tags: sub.tags,
      resourceGroups,
    });
  }
  return { managementGroups, subscriptions };
}

async function exportRbac(store: Store, t: Tenant) {
  const roleDefinitions = (await store.rbac.customRoles(t.id)).sort((x, y) => x.id.localeCompare(y.id)).map((r) => ({
    id: r.id,
    roleName: r.roleName,
    description: r.description,
    actions: r.permissions.flatMap((p) => p.actions),
    notActions: r.permissions.flatMap((p) => p.notActions),
    assignableScopes: r.assignableScopes,
  }));
  const roleAssignments = (await store.rbac.atOrBelow("/"))
    .filter((a) => a.tenantId === t.id)
    .map((a) => ({ principal: a.principalId, role: a.roleDefinitionId.split("/").pop(), scope: a.scope, name: a.name }))
    // Made in the same instant when a world was loaded: ordered by name, the file is the same every time.
    .sort((x, y) => x.scope.localeCompare(y.scope) || x.name.localeCompare(y.name));
  return { roleDefinitions, roleAssignments };
}

/** The world as YAML, with a header naming what it leaves out. */
export function exportedYaml(exported: ExportedWorld): string {
  const header = ["# Written by `svcconn world export`. Hashes stand for secrets the store never kept.", "# Not in a world file:", ...exported.omitted.map((o) => `#   - ${o}`)];
  return `${header.join("\n")}\n${stringify(exported.world, { lineWidth: 0 })}`;
}

/** A pipeline's variables as a world file writes them: secrets opened only with --include-secrets. */
function exportedVariables(variables: Pipeline["variables"], secrets: SecretBox | undefined, omitted: Set<string>) {
  return Object.fromEntries(
    Object.entries(variables).map(([name, v]) => {
      if (!v.isSecret) return [name, { value: v.value, isSecret: false, allowOverride: v.allowOverride }];
      if (!secrets) omitted.add("secret pipeline variables (written as a placeholder; --include-secrets writes them)");
      return [name, { value: secrets ? secrets.open(v.value) : "(not exported: run world export --include-secrets)", isSecret: true, allowOverride: v.allowOverride }];
    }),
  );
}
