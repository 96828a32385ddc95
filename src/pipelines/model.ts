import type { TaskDefinition } from "./tasks/catalog.js";
import { randomUUID } from "node:crypto";
/** Azure Pipelines objects svcconn keeps, in Azure Pipelines' words. */

/** A Git repository of a project, backed by a local folder or by files written in the world file. */
/** Where a repository is hosted: Azure Repos (`git`) or another service reached through a service connection. */
export type RepositoryType = "git" | "github" | "githubenterprise" | "bitbucket";

export interface Repository {
  id: string;
  organizationId: string;
  projectId: string;
  name: string;
  type: RepositoryType;
  defaultBranch: string;
  /** An absolute folder whose files are the repository's content (read at each run, like a new commit). */
  folder: string | null;
  /** Inline content: repository path (`/azure-pipelines.yml`) → text. */
  files: Record<string, string> | null;
  createdAt: string;
}

/** A YAML pipeline (a build definition of process type 2). */
export interface Pipeline {
  id: number;
  organizationId: string;
  projectId: string;
  name: string;
  folder: string;
  repositoryId: string;
  /** The YAML file's path in the repository, from its root (`/azure-pipelines.yml`). */
  yamlPath: string;
  revision: number;
  /** The agent pool queue a run uses when the YAML names none. */
  defaultPool: string | null;
  /** Variables defined on the pipeline (the pipeline editor's Variables tab), by name; secret values sealed. */
  variables: Record<string, DefinitionVariable>;
  createdBy: string;
  createdAt: string;
}

/**
 * A pipeline variable defined outside the YAML. `allowOverride` is "Let users override this value when running
 * this pipeline" (settable at queue time). A secret's value is sealed with the data folder's key while stored and
 * is never shown: views render it as null.
 */
export interface DefinitionVariable {
  value: string;
  isSecret: boolean;
  allowOverride: boolean;
}

/** A build's status and result, as the build API spells them. */
export type RunStatus = "notStarted" | "inProgress" | "completed" | "cancelling";
export type RunResult = "succeeded" | "partiallySucceeded" | "failed" | "canceled";

export interface ValidationResult {
  result: "ok" | "warning" | "error";
  message: string;
}

export interface TimelineIssue {
  type: "error" | "warning";
  category: string;
  message: string;
  data: Record<string, string>;
}

export type RecordType =
  | "Stage"
  | "Phase"
  | "Job"
  | "Task"
  | "Checkpoint"
  | "Checkpoint.Authorization"
  | "Checkpoint.Approval"
  | "Checkpoint.ExtendsCheck"
  | "Checkpoint.TaskCheck"
  | "Checkpoint.ExclusiveLock";
export type RecordState = "pending" | "inProgress" | "completed";
export type RecordResult = "succeeded" | "succeededWithIssues" | "failed" | "canceled" | "skipped" | "abandoned";

export interface TimelineRecord {
  id: string;
  parentId: string | null;
  type: RecordType;
  name: string;
  identifier: string | null;
  order: number;
  state: RecordState;
  result: RecordResult | null;
  resultCode: string | null;
  startTime: string | null;
  finishTime: string | null;
  errorCount: number;
  warningCount: number;
  issues: TimelineIssue[];
  logId: number | null;
  task: { id: string; name: string; version: string } | null;
  workerName: string | null;
  /** What a pending record waits for (a job waiting for an agent: its position in the queue), or null. */
  currentOperation?: string | null;
}

/** A timeline record, pending, with whatever `r` sets. */
export const newTimelineRecord = (r: Partial<TimelineRecord> & Pick<TimelineRecord, "type" | "name">): TimelineRecord => ({
  id: randomUUID(),
  parentId: null,
  identifier: null,
  order: 1,
  state: "pending",
  result: null,
  resultCode: null,
  startTime: null,
  finishTime: null,
  errorCount: 0,
  warningCount: 0,
  issues: [],
  logId: null,
  task: null,
  workerName: null,
  ...r,
});

export interface QueueTimeVariable {
  value: string;
  isSecret?: boolean;
}

/** A run of a pipeline; its id is the build id too (`_build/results?buildId=`). */
export interface Run {
  id: number;
  organizationId: string;
  projectId: string;
  pipelineId: number;
  pipelineRevision: number;
  /** The build number (`20261201.1`). */
  name: string;
  status: RunStatus;
  result: RunResult | null;
  reason: "manual" | "individualCI";
  requestedBy: { id: string; displayName: string; uniqueName: string };
  queueTime: string;
  startTime: string | null;
  finishTime: string | null;
  sourceBranch: string;
  sourceVersion: string;
  variables: Record<string, QueueTimeVariable>;
  templateParameters: Record<string, string>;
  validationResults: ValidationResult[];
  planId: string;
  /** The pipeline after templates and compile-time expressions (what `preview` returns). */
  finalYaml: string | null;
  /** The queue (pool) the run's first job asked for. */
  queue: string;
  timeline: TimelineRecord[];
}

export interface RunLog {
  runId: number;
  id: number;
  lineCount: number;
  createdOn: string;
  lastChangedOn: string;
  /** The job log this step's log is part of (a job's log is read as its steps' logs in order), or null. */
  parentId: number | null;
}

/** An agent pool: the Microsoft-hosted one, or self-hosted pools whose agents run on VMs of the world. */
export interface AgentPool {
  organizationId: string;
  name: string;
  hosted: boolean;
  agents: Array<{ name: string; vm: string | null }>;
}

export const HOSTED_POOL = "Azure Pipelines";

/**
 * How many jobs an organization runs at once (its parallel jobs), Microsoft-hosted and self-hosted counted apart.
 * Without a declaration: Azure DevOps' free tier for a private project, one of each.
 */
export interface Parallelism {
  microsoftHosted: number;
  selfHosted: number;
}

export const FREE_TIER_PARALLELISM: Parallelism = { microsoftHosted: 1, selfHosted: 1 };

/**
 * A project's pipeline settings of svcconn's own. `resourceAuthorization`: a run that uses a connection its
 * pipeline may not use fails at once (`fail`, what REST-queued runs showed) or waits for Permit (`wait`).
 */
export interface PipelineSettings {
  resourceAuthorization: "fail" | "wait";
  /**
   * "Limit variables that can be set at queue time" (`enforceSettableVar` in the build general settings API; on
   * by default): a run may set only variables its pipeline marks settable at queue time.
   */
  enforceSettableVar: boolean;
}

export type ApprovalStatus = "uninitiated" | "pending" | "approved" | "rejected" | "skipped" | "canceled" | "timedOut" | "failed";

/** One approver's part of an approval (a group's is done by whichever member acts). */
export interface ApprovalStep {
  assignedApprover: { id: string; displayName: string; uniqueName: string };
  actualApprover: { id: string; displayName: string; uniqueName: string } | null;
  status: ApprovalStatus;
  comment: string;
  initiatedOn: string;
  lastModifiedOn: string | null;
  order: number;
}

/** What a stage waits for when a resource it uses has an Approval check (`pipelines/approvals`). */
export interface Approval {
  id: string;
  projectId: string;
  runId: number;
  runName: string;
  pipeline: { id: number; name: string };
  stageName: string;
  checkId: number;
  status: ApprovalStatus;
  createdOn: string;
  lastModifiedOn: string;
  /** When a pending approval times out, on svcconn's clock. */
  timeoutAt: string;
  instructions: string;
  minRequiredApprovers: number;
  executionOrder: "anyOrder" | "inSequence";
  requesterCannotBeApprover: boolean;
  blockedApprovers: string[];
  /** Who queued the run. */
  requestedBy: string;
  steps: ApprovalStep[];
}

/**
 * A Marketplace extension installed in an organization: one svcconn knows by id (its tasks come from the catalog),
 * or one a world declares with its tasks' facts.
 */
export interface InstalledExtension {
  id: string;
  tasks?: TaskDefinition[];
}

/** A `resources.pipelines` entry resolved when a run is queued: the run of the source pipeline it stands for. */
export interface PipelineResourceRun {
  alias: string;
  pipeline: { id: number; name: string };
  project: { id: string; name: string };
  run: { id: number; name: string; sourceBranch: string; sourceVersion: string; requestedBy: { id: string; displayName: string } };
}
