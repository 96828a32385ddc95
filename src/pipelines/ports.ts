/**
 * What the pipelines plane needs from Azure DevOps (organizations, callers, projects, service connections and
 * their permissions, job tokens and OIDC tokens), as typed commands and plain values. Entra ID and ARM are
 * reached by the tasks themselves, over HTTPS, as real tasks reach them.
 */

export interface OrganizationRef {
  id: string;
  name: string;
  tenantId: string;
}

export interface ProjectRef {
  id: string;
  name: string;
}

export interface IdentityRef {
  id: string;
  displayName: string;
  uniqueName: string;
}

/** What a job token says about the job that holds it. */
export interface JobClaims {
  projectId: string;
  planId: string;
  jobId: string;
  runId: number;
  pipelineId: number;
}

export interface PipelineCaller {
  organization: OrganizationRef;
  identity: IdentityRef;
  /** Set when the caller is a running job (its System.AccessToken). */
  job?: JobClaims;
}

/** A service connection as a project sees it (its name there). */
export interface ConnectionSummary {
  id: string;
  name: string;
  type: string;
  scheme: string;
  url: string;
  isReady: boolean;
  isDisabled: boolean;
}

/** What the agent receives for a connection in the job message: authorization with secrets, and data. */
export interface ConnectionForJob extends ConnectionSummary {
  parameters: Record<string, string>;
  data: Record<string, string>;
}

/** A protected resource a pipeline must be permitted to use (pipeline permissions). */
export interface ResourceRef {
  type: "endpoint" | "variablegroup" | "environment";
  id: string;
  /** Its name in the project, for messages. */
  name: string;
}

/** A library variable group as a run of a project's pipeline reads it: its name there, secret values opened. */
export interface VariableGroupForRun {
  id: number;
  name: string;
  type: "Vsts" | "AzureKeyVault";
  variables: Array<{ name: string; value: string; isSecret: boolean }>;
  /** A Key Vault-linked group: the connection that reads the vault, and the vault's name. */
  keyVault: { connectionId: string; vault: string } | null;
}

/** A project's environment, as a deployment job finds it. */
export interface EnvironmentForRun {
  id: number;
  name: string;
}

/** A deployment job that ran against an environment. */
export interface DeploymentRecordInput {
  environmentId: number;
  projectId: string;
  planId: string;
  requestIdentifier: string;
  stageName: string;
  jobName: string;
  definition: { id: number; name: string };
  owner: { id: number; name: string };
  result: "succeeded" | "succeededWithIssues" | "failed" | "canceled" | "skipped" | "abandoned";
  queueTime: string;
  startTime: string | null;
  finishTime: string | null;
}

/** A protected resource a stage uses, whose checks it must pass. */
export interface CheckedResource {
  type: "endpoint" | "environment" | "variablegroup";
  id: string;
}

/** A check configured on a resource, as a run evaluates it. */
export interface CheckForRun {
  id: number;
  type: "Approval" | "ExtendsCheck" | "TaskCheck" | "ExclusiveLock";
  settings: Record<string, unknown>;
  resource: CheckedResource & { name: string };
  /** Minutes. */
  timeout: number;
}

export interface ExecutionRecord {
  endpointId: string;
  projectId: string;
  planType: "Build";
  definition: { id: number; name: string };
  owner: { id: number; name: string };
  result: "succeeded" | "failed" | "canceled" | "abandoned" | "skipped";
  startTime: string;
  finishTime: string;
}

/** An error of the DevOps plane as its listener would render it. */
export class DevOpsPortError extends Error {
  constructor(
    readonly status: number,
    readonly typeKey: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DevOpsApi {
  organization(name: string): Promise<OrganizationRef>;
  /** A request's caller: PAT, Entra token, or a job's access token. */
  authenticate(organization: OrganizationRef, authorization: string | undefined): Promise<PipelineCaller>;
  /** A project the caller can see (by id or name). */
  project(caller: PipelineCaller, idOrName: string): Promise<ProjectRef>;
  /** A project of an organization by id or name, for svcconn's admin API (no caller). */
  projectOf(organization: OrganizationRef, idOrName: string): Promise<ProjectRef>;
  /** The project groups a caller belongs to (`Project Administrators`, `Contributors`, `Readers`, …). */
  projectGroups(caller: PipelineCaller, project: ProjectRef): Promise<string[]>;
  /** The connections a project has, by the name each has in that project. */
  connectionsOfProject(organization: OrganizationRef, projectId: string): Promise<ConnectionSummary[]>;
  /** Whether a pipeline may use a resource (open access, or permitted for that pipeline). */
  isAuthorized(projectId: string, resource: Omit<ResourceRef, "name">, pipelineId: number): Promise<boolean>;
  /** The variable groups a project has, by the name each has there. */
  variableGroupsOfProject(organization: OrganizationRef, projectId: string): Promise<VariableGroupForRun[]>;
  /** A connection's authorization (confidential parameters included) and data, for a job's environment. */
  connectionForJob(organization: OrganizationRef, connectionId: string): Promise<ConnectionForJob>;
  /** The project's build service identity, which runs jobs. */
  buildService(organization: OrganizationRef, project: ProjectRef): Promise<IdentityRef>;
  /** A job access token (System.AccessToken) for the build service, bound to the job, valid until `expiresAt`. */
  issueJobToken(organization: OrganizationRef, claims: JobClaims, expiresAt: Date): Promise<string>;
  /** The job ended: its access token stops working. */
  endJob(jobId: string): Promise<void>;
  /** The OIDC token a job presents for a workload identity federation connection. */
  federationToken(organization: OrganizationRef, projectId: string, connectionId: string): Promise<string>;
  recordExecution(record: ExecutionRecord): Promise<void>;
  /**
   * The environment a deployment job names, by name in the project; a missing one is created for the person who
   * queued the run when they may create environments (and opened to that pipeline), else null.
   */
  environmentForRun(organization: OrganizationRef, projectId: string, name: string, requestedBy: string, pipelineId: number): Promise<EnvironmentForRun | null>;
  recordDeployment(organization: OrganizationRef, record: DeploymentRecordInput): Promise<void>;
  /** The checks configured on any of these resources of a project. */
  checksFor(organization: OrganizationRef, projectId: string, resources: CheckedResource[]): Promise<CheckForRun[]>;
  /** An identity and every group it belongs to (an approval assigned to a group is any member's to give). */
  principalsOf(organization: OrganizationRef, identityId: string): Promise<string[]>;
  /** A user or group by id, with its name. */
  identity(organization: OrganizationRef, identityId: string): Promise<IdentityRef | undefined>;
}
