/** Azure DevOps objects svcconn keeps, in Azure DevOps' words. */

/** Which issuer an organization's workload identity federation tokens carry. */
export type FederationIssuerForm = "entra" | "devops";

export interface Organization {
  id: string;
  name: string;
  /** The Microsoft Entra tenant the organization is connected to. */
  tenantId: string;
  federationIssuer: FederationIssuerForm;
  /** Azure DevOps Server 2022 behaviour: only service principal and managed identity connections. */
  serverMode: boolean;
  createdAt: string;
}

export interface Project {
  id: string;
  organizationId: string;
  name: string;
  description: string | null;
  createdAt: string;
}

export type IdentityKind = "user" | "group" | "servicePrincipal";

export interface DevOpsIdentity {
  id: string;
  organizationId: string;
  kind: IdentityKind;
  displayName: string;
  uniqueName: string;
  /** The Entra object (user or service principal) in the organization's tenant. */
  entraObjectId: string | null;
  /** For project groups, the project. */
  projectId: string | null;
  createdAt: string;
}

export type EndpointRole = "Reader" | "User" | "Creator" | "Administrator";
export const ROLE_RANK: Record<EndpointRole, number> = { Reader: 1, User: 2, Creator: 3, Administrator: 4 };

export const PROJECT_SCOPE = "distributedtask.project.serviceendpointrole";
export const ENDPOINT_SCOPE = "distributedtask.serviceendpointrole";
/** The Library's role scopes: the project's library (`{projectId}$0`) and one variable group (`{projectId}${groupId}`). */
export const LIBRARY_SCOPE = "distributedtask.library";
export const VARIABLE_GROUP_SCOPE = "distributedtask.variablegroup";
/** Environment roles: project-level (`{projectId}`) and per environment (`{projectId}_{environmentId}`). */
export const ENVIRONMENTS_SCOPE = "distributedtask.globalenvironmentreferencerole";
export const ENVIRONMENT_SCOPE = "distributedtask.environmentreferencerole";

export interface OperationStatus {
  state: "Ready" | "InProgress" | "Failed";
  /** Exactly what Azure DevOps shows (scripts match on its start): the failure's own message, no step prefix. */
  statusMessage: string;
  /** svcconn's addition, for people and the UI: which of the four creation steps failed. */
  failedStep?: { number: number; of: number; name: string };
  [key: string]: unknown;
}

export interface ProjectReference {
  projectId: string;
  name: string;
  description: string;
}

export interface ServiceEndpoint {
  id: string;
  organizationId: string;
  name: string;
  type: string;
  url: string;
  description: string;
  owner: string;
  scheme: string;
  /** Authorization parameters without the confidential ones. */
  parameters: Record<string, string>;
  data: Record<string, string>;
  isShared: boolean;
  isReady: boolean;
  isDisabled: boolean;
  operationStatus: OperationStatus;
  createdBy: string;
  creationDate: string;
  modificationDate: string;
  modifiedBy: string;
  projects: ProjectReference[];
}

/** A variable of a library variable group; a secret's value is kept sealed apart and never in this object. */
export interface GroupVariable {
  isSecret: boolean;
  isReadOnly: boolean;
  /** Null for a secret. */
  value: string | null;
  /** Key Vault-linked groups: what the vault says of the secret, as Azure DevOps keeps it. */
  enabled?: boolean;
  contentType?: string;
  expires?: string | null;
}

/** A library variable group (`distributedtask/variablegroups`): plain, or linked to an Azure Key Vault. */
export interface VariableGroup {
  id: number;
  organizationId: string;
  type: "Vsts" | "AzureKeyVault";
  name: string;
  description: string;
  variables: Record<string, GroupVariable>;
  /** Key Vault-linked groups: the connection that reads the vault, and the vault's name. */
  providerData: { serviceEndpointId: string; vault: string } | null;
  createdBy: string;
  createdOn: string;
  modifiedBy: string;
  modifiedOn: string;
  /** The projects it is shared with, each with the name and description it has there; the first created it. */
  projects: ProjectReference[];
}

/** A pipeline environment (`distributedtask/environments`): what deployment jobs deploy to. */
export interface Environment {
  id: number;
  projectId: string;
  name: string;
  description: string;
  createdBy: string;
  createdOn: string;
  lastModifiedBy: string;
  lastModifiedOn: string;
}

/** A deployment job that ran against an environment (`environmentdeploymentrecords`). */
export interface DeploymentRecord {
  id: number;
  environmentId: number;
  projectId: string;
  requestIdentifier: string;
  planId: string;
  stageName: string;
  jobName: string;
  stageAttempt: number;
  jobAttempt: number;
  definition: { id: number; name: string };
  /** The run. */
  owner: { id: number; name: string };
  result: "succeeded" | "succeededWithIssues" | "failed" | "canceled" | "skipped" | "abandoned";
  queueTime: string;
  startTime: string | null;
  finishTime: string | null;
}

/** A protected resource a check guards (`resource` of a check configuration). */
export interface CheckResource {
  type: "endpoint" | "environment" | "queue" | "repository" | "securefile" | "variablegroup";
  id: string;
}

/** A check on a protected resource (`pipelines/checks/configurations`): what a stage using it must pass. */
export interface CheckConfiguration {
  id: number;
  projectId: string;
  type: "Approval" | "ExtendsCheck" | "TaskCheck" | "ExclusiveLock";
  settings: Record<string, unknown>;
  resource: CheckResource;
  /** Minutes a run waits for the check before it fails. */
  timeout: number;
  version: number;
  createdBy: string;
  createdOn: string;
  modifiedBy: string;
  modifiedOn: string;
}

export interface PipelinePermission {
  pipelineId: number;
  authorized: boolean;
  authorizedBy: string;
  authorizedOn: string;
}

/** Confidential authorization parameters of azurerm and the other types svcconn knows. */
export const CONFIDENTIAL_PARAMETERS = new Set(["serviceprincipalkey", "serviceprincipalcertificate", "accesstoken", "password", "apitoken", "publishprofile"]);

export const AZURE_DEVOPS_FIRST_PARTY_APP = "499b84ac-1321-427f-aa17-267ca6975798";
