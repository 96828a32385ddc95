import type { Generated } from "kysely";
import type { ManagementGroup, ResourceGroup, RoleAssignment, RoleDefinition, Subscription } from "../arm/model.js";
import type { SigningKey } from "../core/signing-keys.js";
import type { DevOpsIdentity, Organization, PipelinePermission, Project } from "../devops/model.js";
import type {
  Application,
  AppRoleAssignment,
  AuthorizationCode,
  DirectoryRoleAssignment,
  ExternalIssuer,
  FederatedIdentityCredential,
  KeyCredential,
  PasswordCredential,
  ServicePrincipal,
  Tenant,
  User,
  UserSession,
  VirtualMachine,
} from "../entra/model.js";
import type { AgentPool, Pipeline, PipelineSettings, Repository } from "../pipelines/model.js";
import { type RowMapping, rowMapping } from "./rows.js";

type RowOf<T> = T extends RowMapping<any, infer R, any> ? R : never;

/*
 * The planes' models as their tables keep them: each concept is declared once, in its plane's model, and its table
 * type derived here with how its fields are stored (rows.ts). Repositories map rows with these mappings only.
 */
export const TENANT_ROWS = rowMapping<Tenant>()({ json: ["domains"] }, { domains: [] });
export const USER_ROWS = rowMapping<User>()({ bool: ["accountEnabled"] });
export const APPLICATION_ROWS = rowMapping<Application>()(
  { json: ["identifierUris", "tags", "redirectUris"], bool: ["isFallbackPublicClient"] },
  { identifierUris: [], tags: [], redirectUris: { web: [], spa: [], publicClient: [] } },
);
export const FEDERATED_CREDENTIAL_ROWS = rowMapping<FederatedIdentityCredential>()({ json: ["audiences"] }, { audiences: [] });
export const SERVICE_PRINCIPAL_ROWS = rowMapping<ServicePrincipal>()({ json: ["alternativeNames"], bool: ["accountEnabled"] }, { alternativeNames: [] });
export const VIRTUAL_MACHINE_ROWS = rowMapping<VirtualMachine>()({ json: ["userAssignedResourceIds"] }, { userAssignedResourceIds: [] });
export const SIGNING_KEY_ROWS = rowMapping<SigningKey>()({ json: ["publicJwk"] }, { publicJwk: {} });
export const EXTERNAL_ISSUER_ROWS = rowMapping<ExternalIssuer>()({ json: ["jwks"] }, { jwks: { keys: [] } });
export const SUBSCRIPTION_ROWS = rowMapping<Subscription>()({ json: ["tags"] }, { tags: {} });
export const RESOURCE_GROUP_ROWS = rowMapping<ResourceGroup>()({ json: ["tags"] }, { tags: {} });
/** A role definition's type is not stored: a tenant makes a custom role. */
export const ROLE_DEFINITION_ROWS = rowMapping<Omit<RoleDefinition, "roleType">>()({ json: ["permissions", "assignableScopes"] }, { permissions: [], assignableScopes: [] });
export const ORGANIZATION_ROWS = rowMapping<Organization>()({ bool: ["serverMode"] });
export const PIPELINE_PERMISSION_ROWS = rowMapping<PipelinePermission>()({ bool: ["authorized"] });
export const REPOSITORY_ROWS = rowMapping<Repository>()({ json: ["files"], generated: ["type"] });
export const PIPELINE_ROWS = rowMapping<Pipeline>()({ json: ["variables"], generated: ["id"] }, { variables: {} });
/** Whether a pool is Microsoft-hosted follows from its name: not stored. */
export const AGENT_POOL_ROWS = rowMapping<Omit<AgentPool, "hosted">>()({ json: ["agents"] }, { agents: [] });
export const PIPELINE_SETTINGS_ROWS = rowMapping<PipelineSettings>()({ bool: ["enforceSettableVar"] });

export type TenantTable = RowOf<typeof TENANT_ROWS>;
export type UserTable = RowOf<typeof USER_ROWS>;
export type DirectoryRoleAssignmentTable = DirectoryRoleAssignment;
export type ApplicationTable = RowOf<typeof APPLICATION_ROWS>;
export type PasswordCredentialTable = PasswordCredential;
export type KeyCredentialTable = KeyCredential;
export type FederatedIdentityCredentialTable = RowOf<typeof FEDERATED_CREDENTIAL_ROWS>;
export type ServicePrincipalTable = RowOf<typeof SERVICE_PRINCIPAL_ROWS>;
export type VirtualMachineTable = RowOf<typeof VIRTUAL_MACHINE_ROWS>;
export type SigningKeyTable = RowOf<typeof SIGNING_KEY_ROWS>;
export type ExternalIssuerTable = RowOf<typeof EXTERNAL_ISSUER_ROWS>;
export type ManagementGroupTable = ManagementGroup;
export type SubscriptionTable = RowOf<typeof SUBSCRIPTION_ROWS>;
/** Keyed by `{subscription}/{lower-case name}`. */
export type ResourceGroupTable = RowOf<typeof RESOURCE_GROUP_ROWS> & { key: string };
export type RoleDefinitionTable = RowOf<typeof ROLE_DEFINITION_ROWS>;
export type AppRoleAssignmentTable = AppRoleAssignment;
export type AuthorizationCodeTable = AuthorizationCode;
export type OrganizationTable = RowOf<typeof ORGANIZATION_ROWS>;
export type ProjectTable = Project;
export type DevOpsIdentityTable = DevOpsIdentity;
/** A pipeline's permission on one protected resource of a project. */
export type PipelinePermissionTable = RowOf<typeof PIPELINE_PERMISSION_ROWS> & { projectId: string; resourceType: string; resourceId: string };
export type RepositoryTable = RowOf<typeof REPOSITORY_ROWS>;
export type PipelineTable = RowOf<typeof PIPELINE_ROWS>;
export type AgentPoolTable = RowOf<typeof AGENT_POOL_ROWS>;
export type PipelineSettingsTable = RowOf<typeof PIPELINE_SETTINGS_ROWS> & { projectId: string };

/**
 * Table shapes as Kysely sees them (camelCase; the CamelCasePlugin maps them to snake_case columns). Columns hold
 * only portable types — text, integer, real — so the same repositories run on SQLite and PostgreSQL. Times are
 * ISO-8601 text (sortable), booleans 0/1, lists and objects JSON text.
 */
export interface MetaTable {
  key: string;
  value: string;
}

export interface AuthorizationPolicyTable {
  id: string;
  tenantId: string;
  /** When this version starts to apply (directory settings take minutes to propagate). */
  effectiveAt: string;
  changedAt: string;
  policy: string;
}

export interface DeletedItemTable {
  id: string;
  tenantId: string;
  type: string;
  deletedAt: string;
  body: string;
}

/** Work under way that a process holds under a lease it renews (a run, an automatic creation). */
export interface OperationLeaseTable {
  kind: string;
  id: string;
  /** The process holding it (its random id). */
  owner: string;
  /** Real time in ms (not svcconn's clock): a process that stops renewing loses it after this. */
  leaseUntil: number;
  /** What another process needs to take the work over (JSON, secrets sealed). */
  body: string;
  /** 1 when a process that does not hold it was asked to cancel it (the holder stops it). */
  cancelRequested: Generated<number>;
}

export interface DatabaseSchema {
  meta: MetaTable;
  tenants: TenantTable;
  authorizationPolicies: AuthorizationPolicyTable;
  users: UserTable;
  directoryRoleAssignments: DirectoryRoleAssignmentTable;
  applications: ApplicationTable;
  passwordCredentials: PasswordCredentialTable;
  keyCredentials: KeyCredentialTable;
  federatedIdentityCredentials: FederatedIdentityCredentialTable;
  servicePrincipals: ServicePrincipalTable;
  virtualMachines: VirtualMachineTable;
  signingKeys: SigningKeyTable;
  externalIssuers: ExternalIssuerTable;
  managementGroups: ManagementGroupTable;
  subscriptions: SubscriptionTable;
  resourceGroups: ResourceGroupTable;
  resources: ResourceTable;
  roleDefinitions: RoleDefinitionTable;
  roleAssignments: RoleAssignmentTable;
  deployments: DeploymentTable;
  owners: OwnerTable;
  deletedItems: DeletedItemTable;
  appRoleAssignments: AppRoleAssignmentTable;
  userSessions: UserSessionTable;
  authorizationCodes: AuthorizationCodeTable;
  organizations: OrganizationTable;
  projects: ProjectTable;
  devopsIdentities: DevOpsIdentityTable;
  groupMembers: GroupMemberTable;
  personalAccessTokens: PersonalAccessTokenTable;
  securityRoleAssignments: SecurityRoleAssignmentTable;
  securityInheritance: SecurityInheritanceTable;
  serviceEndpoints: ServiceEndpointTable;
  endpointProjects: EndpointProjectTable;
  pipelinePermissions: PipelinePermissionTable;
  variableGroups: VariableGroupTable;
  variableGroupProjects: VariableGroupProjectTable;
  environments: EnvironmentTable;
  environmentDeployments: EnvironmentDeploymentTable;
  checkConfigurations: CheckConfigurationTable;
  approvals: ApprovalTable;
  installedExtensions: InstalledExtensionTable;
  executionRecords: ExecutionRecordTable;
  subscriptionCaches: SubscriptionCacheTable;
  repositories: RepositoryTable;
  pipelines: PipelineTable;
  runs: RunTable;
  runLogs: RunLogTable;
  runLogPages: RunLogPageTable;
  endedJobs: EndedJobTable;
  parallelJobs: ParallelJobsTable;
  agentPools: AgentPoolTable;
  pipelineSettings: PipelineSettingsTable;
  retiredRefreshTokens: RetiredRefreshTokenTable;
  vaultSecrets: VaultSecretTable;
  vaultDeletedSecrets: VaultDeletedSecretTable;
  operationLeases: OperationLeaseTable;
}

export interface ResourceTable {
  key: string;
  id: string;
  subscriptionId: string;
  resourceGroupKey: string;
  type: string;
  name: string;
  parentKey: string | null;
  body: string;
  createdAt: string;
  changedAt: string;
}

/** A role assignment as stored: keyed by scope for lookups; the principal type as plain text. */
export interface RoleAssignmentTable extends Omit<RoleAssignment, "principalType"> {
  scopeKey: string;
  subscriptionId: string | null;
  principalType: string;
}

export interface DeploymentTable {
  key: string;
  scopeKey: string;
  name: string;
  body: string;
  operations: string;
  createdAt: string;
}

export interface OwnerTable {
  objectId: string;
  ownerId: string;
  tenantId: string;
}

export type UserSessionTable = UserSession;
/** A session's earlier refresh tokens (hashed): each refresh returns a new one, and the older ones stay valid with the session. */
export interface RetiredRefreshTokenTable {
  refreshHash: string;
  sessionId: string;
}

export interface GroupMemberTable {
  groupId: string;
  memberId: string;
}

export interface PersonalAccessTokenTable {
  id: string;
  identityId: string;
  organizationId: string;
  name: string;
  tokenHash: string;
  validTo: string;
  createdAt: string;
}

export interface SecurityRoleAssignmentTable {
  scope: string;
  resourceId: string;
  identityId: string;
  role: string;
}

export interface SecurityInheritanceTable {
  scope: string;
  resourceId: string;
  inherit: number;
}

export interface ServiceEndpointTable {
  id: string;
  organizationId: string;
  body: string;
  secrets: string;
  createdAt: string;
}

export interface EndpointProjectTable {
  endpointId: string;
  projectId: string;
  name: string;
  description: string;
  position: number;
}

export interface VariableGroupTable {
  id: Generated<number>;
  organizationId: string;
  body: string;
  /** Sealed JSON of the secret values by variable name. */
  secrets: string;
  createdAt: string;
}

export interface VariableGroupProjectTable {
  groupId: number;
  projectId: string;
  name: string;
  description: string;
  position: number;
}

export interface EnvironmentTable {
  id: Generated<number>;
  projectId: string;
  name: string;
  body: string;
  createdAt: string;
}

export interface EnvironmentDeploymentTable {
  id: Generated<number>;
  environmentId: number;
  data: string;
  createdAt: string;
}

export interface CheckConfigurationTable {
  id: Generated<number>;
  projectId: string;
  body: string;
  createdAt: string;
}

export interface ApprovalTable {
  id: string;
  projectId: string;
  runId: number;
  status: string;
  body: string;
  createdAt: string;
}

export interface InstalledExtensionTable {
  organizationId: string;
  extensionId: string;
  body: string;
}

export interface ExecutionRecordTable {
  id: Generated<number>;
  endpointId: string;
  data: string;
  createdAt: string;
}

export interface SubscriptionCacheTable {
  sessionId: string;
  subscriptions: string;
  createdAt: string;
}

/** A run: its searchable columns, and the rest (timeline included) as one JSON body rewritten as it progresses. */
export interface RunTable {
  id: Generated<number>;
  organizationId: string;
  projectId: string;
  pipelineId: number;
  status: string;
  /** `yyyymmdd.n`, unique per pipeline (null only for a duplicate an older store had). */
  buildNumber: string | null;
  body: string;
}

export interface RunLogTable {
  runId: number;
  id: number;
  lineCount: number;
  /** Only logs written before log pages existed hold their text here; newer ones keep it in `run_log_pages`. */
  content: string;
  createdOn: string;
  lastChangedOn: string;
  /** A job's log is made of its steps' logs: their `parentId` is the job log's id. */
  parentId: number | null;
}

/** An organization's parallel jobs (absent: the free tier). */
export interface ParallelJobsTable {
  organizationId: string;
  microsoftHosted: number;
  selfHosted: number;
}

/** Jobs that ended: their access tokens stop working with them. */
export interface EndedJobTable {
  jobId: string;
  endedAt: string;
}

/** A log's text in pages, appended as the step writes (a log is never rewritten whole). */
export interface RunLogPageTable {
  runId: number;
  logId: number;
  page: number;
  lineCount: number;
  content: string;
}

export interface VaultSecretTable {
  vaultKey: string;
  nameKey: string;
  name: string;
  version: string;
  /** Versions of a name in the order they were made (several may share a second). */
  ordinal: number;
  /** The value, sealed with the data folder's key. */
  sealedValue: string;
  /** contentType, tags, enabled, notBefore, expires, updated (JSON). */
  attributes: string;
  created: number;
}

export interface VaultDeletedSecretTable {
  vaultKey: string;
  nameKey: string;
  name: string;
  deletedDate: number;
  scheduledPurgeDate: number;
}
