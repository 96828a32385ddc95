import type { Generated } from "kysely";
import type { RoleAssignment } from "../arm/model.js";
import type { UserSession } from "../entra/model.js";

/**
 * Table shapes as Kysely sees them (camelCase; the CamelCasePlugin maps them to snake_case columns). Columns hold
 * only portable types — text, integer, real — so the same repositories run on SQLite and PostgreSQL. Times are
 * ISO-8601 text (sortable), booleans 0/1, lists and objects JSON text.
 */
export interface MetaTable {
  key: string;
  value: string;
}

export interface TenantTable {
  id: string;
  displayName: string;
  defaultDomain: string;
  domains: string;
  createdAt: string;
}

export interface AuthorizationPolicyTable {
  id: string;
  tenantId: string;
  /** When this version starts to apply (directory settings take minutes to propagate). */
  effectiveAt: string;
  changedAt: string;
  policy: string;
}

export interface UserTable {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  userType: string;
  /** For a guest: the tenant and object id of the account it was invited from. */
  homeTenantId: string | null;
  homeUserId: string | null;
  accountEnabled: number;
  passwordHash: string | null;
  /** Refresh tokens issued before this instant are revoked (password change, sign-out everywhere). */
  tokensValidFrom: string;
  createdAt: string;
}

export interface DirectoryRoleAssignmentTable {
  id: string;
  tenantId: string;
  principalId: string;
  roleTemplateId: string;
  directoryScopeId: string;
  createdAt: string;
  effectiveAt: string;
}

export interface DeletedItemTable {
  id: string;
  tenantId: string;
  type: string;
  deletedAt: string;
  body: string;
}

export interface ApplicationTable {
  id: string;
  tenantId: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  identifierUris: string;
  requestedAccessTokenVersion: number | null;
  description: string | null;
  notes: string | null;
  tags: string;
  createdAt: string;
  redirectUris: string;
  isFallbackPublicClient: number;
}

export interface PasswordCredentialTable {
  keyId: string;
  ownerId: string;
  displayName: string | null;
  hint: string;
  secretHash: string;
  startDateTime: string;
  endDateTime: string;
}

export interface KeyCredentialTable {
  keyId: string;
  ownerId: string;
  displayName: string | null;
  type: string;
  usage: string;
  keyDer: string;
  thumbprintSha1: string;
  thumbprintSha256: string;
  startDateTime: string;
  endDateTime: string;
}

export interface FederatedIdentityCredentialTable {
  id: string;
  ownerId: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string;
  description: string | null;
  createdAt: string;
}

export interface ServicePrincipalTable {
  id: string;
  tenantId: string;
  appId: string;
  displayName: string;
  accountEnabled: number;
  servicePrincipalType: string;
  appOwnerOrganizationId: string;
  alternativeNames: string;
  /** Lower-cased ARM id of the identity's resource, for managed identities only. */
  managedIdentityResourceId: string | null;
  createdAt: string;
}

export interface VirtualMachineTable {
  name: string;
  tenantId: string;
  resourceId: string;
  systemAssignedPrincipalId: string | null;
  userAssignedResourceIds: string;
}

export interface SigningKeyTable {
  kid: string;
  tenantId: string;
  privatePem: string;
  publicJwk: string;
  certificate: string;
  createdAt: string;
}

export interface ExternalIssuerTable {
  issuer: string;
  jwks: string;
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

export interface ManagementGroupTable {
  name: string;
  tenantId: string;
  displayName: string;
  parentName: string | null;
  updatedAt: string;
}

export interface SubscriptionTable {
  id: string;
  tenantId: string;
  displayName: string;
  state: string;
  managementGroup: string;
  tags: string;
  createdAt: string;
}

export interface ResourceGroupTable {
  key: string;
  subscriptionId: string;
  name: string;
  location: string;
  tags: string;
  managedBy: string | null;
  createdAt: string;
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

export interface RoleDefinitionTable {
  id: string;
  tenantId: string;
  roleName: string;
  description: string;
  permissions: string;
  assignableScopes: string;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
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

export interface AppRoleAssignmentTable {
  id: string;
  tenantId: string;
  principalId: string;
  resourceId: string;
  appRoleId: string;
  createdAt: string;
}

export type UserSessionTable = UserSession;
/** A session's earlier refresh tokens (hashed): each refresh returns a new one, and the older ones stay valid with the session. */
export interface RetiredRefreshTokenTable {
  refreshHash: string;
  sessionId: string;
}

export interface AuthorizationCodeTable {
  codeHash: string;
  tenantId: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  nonce: string | null;
  expiresAt: string;
  redeemedAt: string | null;
}

export interface OrganizationTable {
  id: string;
  name: string;
  tenantId: string;
  federationIssuer: string;
  serverMode: number;
  createdAt: string;
}

export interface ProjectTable {
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  createdAt: string;
}

export interface DevOpsIdentityTable {
  id: string;
  organizationId: string;
  kind: string;
  displayName: string;
  uniqueName: string;
  entraObjectId: string | null;
  projectId: string | null;
  createdAt: string;
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

export interface PipelinePermissionTable {
  projectId: string;
  resourceType: string;
  resourceId: string;
  pipelineId: number;
  authorized: number;
  authorizedBy: string;
  authorizedOn: string;
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

export interface RepositoryTable {
  id: string;
  organizationId: string;
  projectId: string;
  name: string;
  type: Generated<string>;
  defaultBranch: string;
  folder: string | null;
  files: string | null;
  createdAt: string;
}

export interface PipelineTable {
  id: Generated<number>;
  organizationId: string;
  projectId: string;
  name: string;
  folder: string;
  repositoryId: string;
  yamlPath: string;
  revision: number;
  defaultPool: string | null;
  /** JSON: name → {value, isSecret, allowOverride}; a secret's value is sealed by the service. */
  variables: string;
  createdBy: string;
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

export interface AgentPoolTable {
  organizationId: string;
  name: string;
  agents: string;
}

export interface PipelineSettingsTable {
  projectId: string;
  resourceAuthorization: string;
  enforceSettableVar: number;
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
