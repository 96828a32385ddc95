import { z } from "zod";
import { GRAPH_APP_ROLES } from "../entra/directory/first-party.js";
import { DIRECTORY_ROLE, DIRECTORY_ROLE_NAMES, GUEST_ROLE, SIGN_IN_AUDIENCES } from "../entra/model.js";

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be a GUID");
const isoDateTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date");
/** A signed ISO-8601 duration of days, hours and minutes, relative to the clock when the world is loaded. */
export const RELATIVE_TIME = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;
/** An ISO-8601 date, or a time relative to loading (`P20D` in twenty days, `-P200D` two hundred days ago): fixtures that do not age. */
const when = z.string().refine((s) => (RELATIVE_TIME.test(s) && s.replace("-", "") !== "P" && !s.endsWith("T")) || !Number.isNaN(Date.parse(s)), "must be an ISO-8601 date or a duration such as P20D or -P200D");

const ROLE_BY_NAME = new Map<string, string>(Object.entries(DIRECTORY_ROLE_NAMES).map(([id, name]) => [name.toLowerCase(), id]));
/** A directory role by display name ("Global Administrator") or template id. */
export const directoryRole = z.string().transform((value, ctx) => {
  const byName = ROLE_BY_NAME.get(value.toLowerCase());
  if (byName) return byName;
  if (Object.values(DIRECTORY_ROLE).includes(value.toLowerCase() as never)) return value.toLowerCase();
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown directory role '${value}'` });
  return z.NEVER;
});

const guestAccess = z.enum(["member", "limited", "restricted"]);
export const GUEST_ACCESS_ROLE: Record<z.infer<typeof guestAccess>, string> = {
  member: GUEST_ROLE.User,
  limited: GUEST_ROLE.GuestUser,
  restricted: GUEST_ROLE.RestrictedGuestUser,
};

const passwordCredential = z
  .object({
    keyId: guid.optional(),
    displayName: z.string().optional(),
    /** The secret itself; world files are fixtures, the store keeps only its hash. */
    secretText: z.string().min(8).optional(),
    /** Or the stored hash and the first three characters (`world export`): the same secret keeps working. */
    secretHash: z.string().min(16).optional(),
    hint: z.string().max(3).optional(),
    startDateTime: when.optional(),
    endDateTime: when.optional(),
  })
  .strict()
  .refine((p) => !!p.secretText !== !!p.secretHash, "give the secretText, or the secretHash of an exported world");

const federatedCredential = z
  .object({
    name: z.string(),
    issuer: z.string().min(1),
    subject: z.string().min(1),
    audiences: z.array(z.string()).default(["api://AzureADTokenExchange"]),
    description: z.string().optional(),
  })
  .strict();

const application = z
  .object({
    id: guid.optional(),
    appId: guid.optional(),
    displayName: z.string().min(1),
    signInAudience: z.enum(SIGN_IN_AUDIENCES as [string, ...string[]]).optional(),
    identifierUris: z.array(z.string()).optional(),
    requestedAccessTokenVersion: z.union([z.literal(1), z.literal(2)]).optional(),
    redirectUris: z.object({ web: z.array(z.string()).optional(), spa: z.array(z.string()).optional(), publicClient: z.array(z.string()).optional() }).strict().optional(),
    isFallbackPublicClient: z.boolean().optional(),
    /** Users (by UPN) who own the application. */
    owners: z.array(z.string()).default([]),
    passwordCredentials: z.array(passwordCredential).default([]),
    /**
     * Certificates as PEM or base64 DER; or, with `endDateTime` alone (`P20D`), one made when the world loads,
     * self-signed, valid until then (a fixture whose expiry does not age).
     */
    keyCredentials: z
      .array(
        z
          .object({ certificate: z.string().min(1).optional(), endDateTime: when.optional(), displayName: z.string().optional() })
          .strict()
          .refine((k) => !!k.certificate !== !!k.endDateTime, "give the certificate, or endDateTime for one made at load"),
      )
      .default([]),
    federatedIdentityCredentials: z.array(federatedCredential).default([]),
    /** The application's service principal in its home tenant; `false` for an app without one. */
    servicePrincipal: z
      .union([
        z.literal(false),
        z
          .object({
            id: guid.optional(),
            accountEnabled: z.boolean().default(true),
            directoryRoles: z.array(directoryRole).default([]),
            /** Microsoft Graph application permissions granted to it, e.g. Application.ReadWrite.All. */
            graphPermissions: z.array(z.enum(Object.keys(GRAPH_APP_ROLES) as [string, ...string[]])).default([]),
          })
          .strict(),
      ])
      .default({}),
  })
  .strict();

const user = z
  .object({
    id: guid.optional(),
    userPrincipalName: z.string().min(3),
    displayName: z.string().min(1),
    mail: z.string().optional(),
    userType: z.enum(["Member", "Guest"]).default("Member"),
    /** For a guest: the account it was invited from, as `{ tenant: key, userPrincipalName }`. */
    invitedFrom: z.object({ tenant: z.string(), userPrincipalName: z.string() }).strict().optional(),
    password: z.string().min(1).optional(),
    /** Or the stored hash of it (`world export`). */
    passwordHash: z.string().min(16).optional(),
    accountEnabled: z.boolean().default(true),
    directoryRoles: z.array(directoryRole).default([]),
  })
  .strict();

const managedIdentity = z
  .object({
    name: z.string().min(1),
    resourceId: z.string().startsWith("/"),
    clientId: guid.optional(),
    principalId: guid.optional(),
    federatedIdentityCredentials: z.array(federatedCredential).default([]),
  })
  .strict();

const virtualMachine = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only"),
    resourceId: z.string().startsWith("/"),
    systemAssignedIdentity: z.object({ principalId: guid.optional(), clientId: guid.optional() }).strict().optional(),
    userAssignedIdentities: z.array(z.string().startsWith("/")).default([]),
  })
  .strict();

const armResource = z
  .object({
    /** Full type, e.g. Microsoft.Storage/storageAccounts; nested types need a name with as many segments. */
    type: z.string().regex(/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9]+)+$/, "must be a resource type such as Microsoft.Storage/storageAccounts"),
    name: z.string().min(1),
    location: z.string().optional(),
    kind: z.string().optional(),
    sku: z.record(z.unknown()).optional(),
    tags: z.record(z.string()).optional(),
    properties: z.record(z.unknown()).default({}),
    /**
     * A key vault's secrets (`Microsoft.KeyVault/vaults` only): name → value, or `{value, contentType, enabled,
     * notBefore, expires}` with ISO dates.
     */
    secrets: z
      .record(
        z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, "a secret name is 1-127 letters, digits and '-'"),
        z.union([
          z.string(),
          z.object({ value: z.string(), contentType: z.string().optional(), enabled: z.boolean().default(true), notBefore: z.string().optional(), expires: z.string().optional() }).strict(),
        ]),
      )
      .optional(),
  })
  .strict()
  .refine((r) => !r.secrets || r.type.toLowerCase() === "microsoft.keyvault/vaults", { message: "only a Microsoft.KeyVault/vaults resource has secrets", path: ["secrets"] });

const resourceGroup = z
  .object({
    name: z.string().regex(/^[-\w._()]{1,90}$/, "letters, digits, '-', '_', '.', '(' and ')' only"),
    location: z.string().min(1),
    tags: z.record(z.string()).default({}),
    resources: z.array(armResource).default([]),
  })
  .strict();

const subscription = z
  .object({
    id: guid,
    displayName: z.string().min(1),
    state: z.enum(["Enabled", "Warned", "PastDue", "Disabled", "Deleted"]).default("Enabled"),
    /** Management group name; the tenant root group when absent. */
    managementGroup: z.string().optional(),
    tags: z.record(z.string()).default({}),
    resourceGroups: z.array(resourceGroup).default([]),
  })
  .strict();

const roleAssignment = z
  .object({
    /** A principal id, a user's UPN, or the display name of an application, managed identity or VM. */
    principal: z.string().min(1),
    /** A built-in or custom role by name, or a role definition id. */
    role: z.string().min(1),
    scope: z.string().startsWith("/"),
    name: guid.optional(),
  })
  .strict();

const roleDefinition = z
  .object({
    id: guid,
    roleName: z.string().min(1),
    description: z.string().default(""),
    actions: z.array(z.string()).min(1),
    notActions: z.array(z.string()).default([]),
    assignableScopes: z.array(z.string().startsWith("/")).min(1),
  })
  .strict();

const tenant = z
  .object({
    /** The name other parts of this file use for the tenant. */
    key: z.string().min(1),
    id: guid.optional(),
    displayName: z.string().min(1),
    defaultDomain: z.string().min(3),
    domains: z.array(z.string()).default([]),
    authorizationPolicy: z
      .object({
        allowedToCreateApps: z.boolean().optional(),
        guestAccess: guestAccess.optional(),
        guestUserRoleId: z.enum([GUEST_ROLE.User, GUEST_ROLE.GuestUser, GUEST_ROLE.RestrictedGuestUser]).optional(),
      })
      .strict()
      .default({}),
    users: z.array(user).default([]),
    applications: z.array(application).default([]),
    managedIdentities: z.array(managedIdentity).default([]),
    virtualMachines: z.array(virtualMachine).default([]),
    managementGroups: z
      .array(z.object({ name: z.string().regex(/^[-\w.()]{1,90}$/), displayName: z.string().optional(), parent: z.string().optional() }).strict())
      .default([]),
    subscriptions: z.array(subscription).default([]),
    roleDefinitions: z.array(roleDefinition).default([]),
    roleAssignments: z.array(roleAssignment).default([]),
  })
  .strict();

const PROJECT_GROUP_NAMES = ["Project Administrators", "Contributors", "Readers", "Endpoint Creators", "Endpoint Administrators"] as const;

const organizationMember = z
  .object({
    /** The member's user principal name in the organization's tenant (a guest by its guest UPN). */
    user: z.string().min(3),
    /** The member's Azure DevOps identity id. */
    id: guid.optional(),
    /** Project name → the project groups the member is in. */
    projects: z.record(z.array(z.enum(PROJECT_GROUP_NAMES))).default({}),
    /** Organization-level groups: Project Collection Administrators (the organization's administrators). */
    organizationGroups: z.array(z.enum(["Project Collection Administrators"])).default([]),
    /** A personal access token valid a year (fixtures: well known). */
    pat: z.string().min(20).optional(),
    /** Tokens kept as their hashes (`world export`): they go on working until they expire. */
    pats: z.array(z.object({ name: z.string(), tokenHash: z.string().min(16), validTo: isoDateTime }).strict()).default([]),
    /** Signed in to the organization's tenant at start (a session the DevOps plane can act with). */
    signedIn: z.boolean().default(true),
  })
  .strict();

const repository = z
  .object({
    /** Its name; `owner/name` for a repository on GitHub or Bitbucket. */
    name: z.string().min(1).max(200),
    id: guid.optional(),
    /** Azure Repos (`git`, the default), or a repository a pipeline reaches through a service connection of that type. */
    type: z.enum(["git", "github", "githubenterprise", "bitbucket"]).default("git"),
    /** A folder whose files are the repository's content (absolute, or relative to where svcconn starts). */
    folder: z.string().min(1).optional(),
    /** Files written here: repository path → content. */
    files: z.record(z.string()).optional(),
  })
  .strict()
  .refine((r) => r.folder || r.files, "a repository needs a folder or files");

/** An Azure Resource Manager service connection, as a project administrator would make it by hand. */
const serviceConnection = z
  .object({
    /** Kept from an exported world: a workload identity subject names the connection's id. */
    id: guid.optional(),
    name: z.string().min(1).max(256),
    scheme: z.enum(["ServicePrincipal", "WorkloadIdentityFederation", "ManagedServiceIdentity"]).default("WorkloadIdentityFederation"),
    /** The application (by display name in the organization's tenant) the connection signs in as. */
    application: z.string().min(1).optional(),
    /** Or a client id that need not exist (a connection whose application was deleted). */
    appId: guid.optional(),
    /** ServicePrincipal: the client secret stored in the connection. */
    secret: z.string().min(1).optional(),
    /** Or the certificate with its private key (PEM), for a connection that signs in with a certificate. */
    certificate: z.string().includes("PRIVATE KEY").optional(),
    subscription: guid.optional(),
    resourceGroup: z.string().optional(),
    managementGroup: z.string().optional(),
    /** Workload identity: add to the application the federated credential the connection presents (`matching`), or not. */
    federatedCredential: z.enum(["matching", "none"]).default("matching"),
    /** Workload identity: the issuer form it was made with (the organization's when absent). */
    issuer: z.enum(["entra", "devops"]).optional(),
    /** The member (UPN) who made it; the first project administrator when absent. */
    createdBy: z.string().optional(),
    createdOn: when.optional(),
    /** Every pipeline of the project may use it. */
    openAccess: z.boolean().default(false),
    /** Pipelines (by name) permitted to use it. */
    pipelines: z.array(z.string()).default([]),
    /** Other projects of the organization it is shared with. */
    sharedWith: z.array(z.string()).default([]),
    /** An automatic creation that failed with this message (the connection then has no application). */
    failed: z.string().min(1).optional(),
    description: z.string().optional(),
    /** More of the connection's `data` (what an automatic creation recorded: creationMode, appObjectId, …). */
    data: z.record(z.string()).optional(),
  })
  .strict()
  .refine((c) => c.scheme === "ManagedServiceIdentity" || c.failed || c.application || c.appId, "a connection needs an application or an appId")
  .refine((c) => c.scheme !== "ServicePrincipal" || c.failed || c.secret || c.certificate, "a ServicePrincipal connection needs its secret or certificate")
  .refine((c) => c.subscription || c.managementGroup, "a connection needs a subscription or a managementGroup");

/** A library variable group of the project (Pipelines › Library), plain or linked to a key vault. */
const variableGroup = z
  .object({
    name: z.string().min(1).max(256),
    description: z.string().optional(),
    /** name → a value, or `{value, isSecret, isReadOnly}`; for a Key Vault-linked group, the secrets it reads. */
    variables: z.record(z.union([z.string(), z.object({ value: z.string().default(""), isSecret: z.boolean().default(false), isReadOnly: z.boolean().default(false) }).strict()])).default({}),
    /** Linked to an Azure key vault: the connection (by name in this project) that reads it, and the vault's name. */
    keyVault: z.object({ connection: z.string().min(1), vault: z.string().min(1) }).strict().optional(),
    /** The member (UPN) who made it; the first project administrator when absent. */
    createdBy: z.string().optional(),
    /** Every pipeline of the project may use it. */
    openAccess: z.boolean().default(false),
    /** Pipelines (by name) permitted to use it. */
    pipelines: z.array(z.string()).default([]),
    /** Other projects of the organization it is shared with. */
    sharedWith: z.array(z.string()).default([]),
  })
  .strict();

/** A task of a Marketplace extension, as its task.json describes it (what compiling and resolving need). */
const extensionTask = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '_' and '-' only"),
    id: guid,
    /** The major version (`Name@major` in YAML), or major.minor.patch. */
    version: z.union([z.number().int().min(0), z.string().regex(/^\d+\.\d+\.\d+$/)]),
    friendlyName: z.string().optional(),
    inputs: z
      .array(
        z
          .object({
            name: z.string().min(1),
            aliases: z.array(z.string().min(1)).optional(),
            /** `string`, `boolean`, `pickList`, … — `connectedService:AzureRM` marks a service connection input. */
            type: z.string().min(1).default("string"),
            defaultValue: z.string().optional(),
            required: z.boolean().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type WorldExtensionTask = z.infer<typeof extensionTask>;

const extension = z.object({ id: z.string().regex(/^[\w-]+\.[\w-]+$/, "publisher.extension"), tasks: z.array(extensionTask).min(1) }).strict();

/** A pipeline environment: what deployment jobs deploy to. */
const environment = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The member (UPN) who made it (its Administrator); the first project administrator when absent. */
    createdBy: z.string().optional(),
    /** Every pipeline of the project may deploy to it. */
    openAccess: z.boolean().default(false),
    /** Pipelines (by name) permitted to deploy to it. */
    pipelines: z.array(z.string()).default([]),
  })
  .strict();

const project = z
  .object({
    name: z.string().min(1),
    id: guid.optional(),
    description: z.string().optional(),
    repositories: z.array(repository).default([]),
    /** YAML pipelines: a name, the repository and the YAML file's path in it, and variables defined outside the YAML. */
    pipelines: z
      .array(
        z
          .object({
            name: z.string().min(1),
            repository: z.string().min(1),
            yaml: z.string().min(1),
            pool: z.string().optional(),
            /** name → a value, or `{value, isSecret, allowOverride}` (allowOverride: settable at queue time). */
            variables: z.record(z.union([z.string(), z.object({ value: z.string().default(""), isSecret: z.boolean().default(false), allowOverride: z.boolean().default(false) }).strict()])).default({}),
          })
          .strict(),
      )
      .default([]),
    /** A run using a connection its pipeline may not use: fails at once (`fail`) or waits for Permit (`wait`). */
    resourceAuthorization: z.enum(["fail", "wait"]).default("fail"),
    /** "Limit variables that can be set at queue time": only variables marked allowOverride may be set when queueing. */
    limitVariablesAtQueueTime: z.boolean().default(true),
    serviceConnections: z.array(serviceConnection).default([]),
    variableGroups: z.array(variableGroup).default([]),
    environments: z.array(environment).default([]),
  })
  .strict();

const organization = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, "letters, digits and '-' only"),
    id: guid.optional(),
    /** The tenant key the organization is connected to. */
    tenant: z.string(),
    federationIssuer: z.enum(["entra", "devops"]).default("entra"),
    serverMode: z.boolean().default(false),
    projects: z.array(project).default([]),
    /** How many jobs run at once (parallel jobs); Azure DevOps' free tier (one of each) when absent. */
    parallelJobs: z.object({ microsoftHosted: z.number().int().min(0).max(1000), selfHosted: z.number().int().min(0).max(1000) }).strict().optional(),
    /** Self-hosted agent pools; each agent may run on a VM of the tenant (its managed identities then work in jobs). */
    pools: z
      .array(z.object({ name: z.string().min(1), agents: z.array(z.object({ name: z.string().min(1), vm: z.string().optional() }).strict()).default([]) }).strict())
      .default([]),
    /** Marketplace extensions installed: an id svcconn knows (`ms-devlabs.custom-terraform-tasks`), or one with its tasks. */
    extensions: z.array(z.union([z.string().min(1), extension])).default([]),
    members: z.array(organizationMember).default([]),
  })
  .strict();

const issuer = z
  .object({
    issuer: z.string().url(),
    jwks: z.object({ keys: z.array(z.record(z.unknown())).min(1) }),
  })
  .strict();

export const worldSchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    tenants: z.array(tenant).min(1),
    /** External identity providers trusted for federated credentials, with their public keys. */
    issuers: z.array(issuer).default([]),
    /** Azure DevOps organizations, each connected to a tenant of this file. */
    organizations: z.array(organization).default([]),
    /** What `serve` prints at start: the bootstrap application's credentials (like Azurite's well-known key), and the organization, project and PAT to try. */
    bootstrap: z
      .object({ tenant: z.string(), application: z.string(), secretText: z.string(), organization: z.string().optional(), project: z.string().optional(), pat: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();

export type World = z.infer<typeof worldSchema>;
export type WorldTenant = z.infer<typeof tenant>;
