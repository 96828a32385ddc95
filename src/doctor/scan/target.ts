/**
 * What a scan reads, and nothing else: the doctor's port onto an organization, its directory and Azure. The
 * adapter in src/clients/doctor-target.ts implements it with the official SDKs (azure-devops-node-api, the Microsoft
 * Graph client, @azure/arm-authorization), against svcconn or against the real services alike.
 */

/** An answer the scan could not get, with why (no rights, not found, the service failed): never a guess. */
export class Unreadable {
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {}
}

export type Readable<T> = T | Unreadable;

export interface ProjectInfo {
  id: string;
  name: string;
}

/** A service connection as `serviceendpoint/endpoints?includeFailed=true&includeDetails=true` shows it. */
export interface ConnectionInfo {
  id: string;
  name: string;
  type: string;
  scheme: string;
  isReady: boolean;
  isShared: boolean;
  operationState: string | null;
  operationMessage: string | null;
  creationMode: string | null;
  scopeLevel: string | null;
  subscriptionId: string | null;
  managementGroupId: string | null;
  /** authorization.parameters.scope (a resource group) when the connection is narrowed to one. */
  scope: string | null;
  tenantId: string | null;
  /** The application (client) id, `serviceprincipalid`. */
  appId: string | null;
  issuer: string | null;
  subject: string | null;
  /** The projects the connection is in (more than one when shared). */
  projects: ProjectInfo[];
  createdOn: string | null;
}

export interface ExecutionInfo {
  finishTime: string | null;
  result: string | null;
  definitionId: number | null;
  definitionName: string | null;
  /** The run (build) that used the connection: `owner.id` of the record. */
  runId: number | null;
}

/** The agent pool a run ran on, as the build shows it (`queue.pool`). */
/** A step's task as a run's timeline names it. */
export interface RunTaskInfo {
  name: string;
  version: string;
}

export interface RunPoolInfo {
  runId: number;
  pool: string;
  hosted: boolean;
}

export interface PermissionsInfo {
  allPipelines: boolean;
  pipelines: number[];
}

export interface CredentialInfo {
  displayName: string | null;
  endDateTime: string | null;
}

export interface FederatedCredentialInfo {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface ApplicationInfo {
  objectId: string;
  appId: string;
  displayName: string;
  signInAudience: string | null;
  passwordCredentials: CredentialInfo[];
  keyCredentials: CredentialInfo[];
}

export interface ServicePrincipalInfo {
  objectId: string;
  appId: string;
  accountEnabled: boolean;
}

export interface RoleAssignmentInfo {
  id: string;
  principalId: string;
  scope: string;
  roleDefinitionId: string;
  /** The role's name where the target could read it (built-in names are known without a call). */
  roleName: string | null;
}

/** What a role allows, as its definition lists it. */
export interface RoleDefinitionInfo {
  /** The definition's full id, as role assignments name it. */
  id: string;
  roleName: string;
  permissions: Array<{ actions: string[]; notActions: string[]; dataActions?: string[]; notDataActions?: string[] }>;
}

export interface ScanTarget {
  /** The organization's name and URL as the report names them. */
  readonly organization: string;
  projects(): Promise<ProjectInfo[]>;
  connections(project: ProjectInfo): Promise<ConnectionInfo[]>;
  executions(project: ProjectInfo, connectionId: string): Promise<Readable<ExecutionInfo[]>>;
  permissions(project: ProjectInfo, connectionId: string): Promise<Readable<PermissionsInfo>>;
  /** The error messages of a run (its timeline's issues of type error). */
  runErrors(project: ProjectInfo, runId: number): Promise<Readable<string[]>>;
  /** The tasks a run's steps ran (its timeline's task references). */
  runTasks(project: ProjectInfo, runId: number): Promise<Readable<RunTaskInfo[]>>;
  /** The pools these runs ran on (one listing by build ids). */
  runPools(project: ProjectInfo, runIds: number[]): Promise<Readable<RunPoolInfo[]>>;
  /** The applications with these client ids (those the directory has); read in batches, not one call each. */
  applications(appIds: string[]): Promise<Readable<ApplicationInfo[]>>;
  servicePrincipals(appIds: string[]): Promise<Readable<ServicePrincipalInfo[]>>;
  federatedCredentials(applicationObjectId: string): Promise<Readable<FederatedCredentialInfo[]>>;
  /** Role assignments of a principal at a scope and above it (ARM's `atScope() and assignedTo()`). */
  roleAssignments(principalObjectId: string, scope: string): Promise<Readable<RoleAssignmentInfo[]>>;
  /** Every role assignment at, above and below a scope, of every principal (one listing for many connections). */
  assignmentsAt(scope: string): Promise<Readable<RoleAssignmentInfo[]>>;
  /** The definitions of roles, by the full ids role assignments carry. */
  roleDefinitions(ids: string[]): Promise<Readable<RoleDefinitionInfo[]>>;
  /** Applications whose display name starts with the prefix the automatic connections of a project use. */
  applicationsNamed(prefix: string): Promise<Readable<ApplicationInfo[]>>;
  /** The tenant whose directory `applications` and `servicePrincipals` read (Graph's `/organization`). */
  directoryTenant(): Promise<Readable<string>>;
}
