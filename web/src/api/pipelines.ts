import { type Listed, projectApi } from "./client";

/** Pipelines, their runs (builds, timelines, logs), approvals and pipeline permissions. */

export interface PipelineDefinition {
  id: number;
  name: string;
}

export interface Build {
  id: number;
  buildNumber: string;
  status: string;
  result?: string;
  definition: { id: number; name: string };
  validationResults?: Array<{ result: string; message: string }>;
}

export interface TimelineRecord {
  id: string;
  parentId: string | null;
  type: string;
  name: string;
  /** The YAML's name of a stage or job (`__default` for the stage of a pipeline without stages). */
  identifier?: string | null;
  order?: number;
  state: string;
  result: string | null;
  log: { id: number } | null;
  issues?: Array<{ type: string; message: string }>;
  /** A pending job's wait for an agent (parallel jobs, busy agents), in Azure DevOps' words. */
  currentOperation?: string | null;
  /** The task a step ran, and its version: which schemes it supports decides some causes. */
  task?: { name: string; version: string } | null;
}

export interface Approval {
  id: string;
  status: string;
  instructions: string;
  minRequiredApprovers: number;
  steps: Array<{ assignedApprover: { displayName: string }; status: string }>;
  pipeline: { owner: { id: number } };
}

export interface PipelinePermissions {
  allPipelines: { authorized: boolean } | null;
  pipelines: Array<{ id: number; authorized: boolean; authorizedBy?: { displayName: string }; authorizedOn?: string }>;
}

/** The kinds of resources pipeline permissions are kept for. */
export type PermittedResource = "endpoint" | "variablegroup" | "environment";

const PREVIEW = "7.1-preview.1";

export const pipelines = {
  list: (signal?: AbortSignal) => projectApi.get<Listed<PipelineDefinition>>("pipelines", undefined, undefined, signal),
  run: (pipelineId: number) => projectApi.send<{ id: number }>("POST", `pipelines/${pipelineId}/runs`, {}),
  build: (buildId: number, signal?: AbortSignal) => projectApi.get<Build>(`build/builds/${buildId}`, undefined, undefined, signal),
  timeline: (buildId: number, signal?: AbortSignal) => projectApi.get<{ records: TimelineRecord[] } | null>(`build/builds/${buildId}/timeline`, undefined, undefined, signal),
  log: (buildId: number, logId: number, signal?: AbortSignal) => projectApi.get<Listed<string>>(`build/builds/${buildId}/logs/${logId}`, undefined, undefined, signal),
  pendingApprovals: (signal?: AbortSignal) => projectApi.get<Listed<Approval>>("pipelines/approvals", { state: "pending", $expand: "steps" }, PREVIEW, signal),
  decide: (approvalId: string, status: "approved" | "rejected", comment: string) => projectApi.send("PATCH", "pipelines/approvals", [{ approvalId, status, comment }], undefined, PREVIEW),
  permissions: (type: PermittedResource, id: string, signal?: AbortSignal) => projectApi.get<PipelinePermissions>(`pipelines/pipelinePermissions/${type}/${id}`, undefined, PREVIEW, signal),
  setPermissions: (type: PermittedResource, id: string, change: Partial<PipelinePermissions>) => projectApi.send<PipelinePermissions>("PATCH", `pipelines/pipelinePermissions/${type}/${id}`, change, undefined, PREVIEW),
  /** Which connections every pipeline may use (open access), in one call. */
  openEndpoints: (signal?: AbortSignal) => projectApi.get<{ value: Array<{ id: string; authorized: boolean }> }>("build/authorizedresources", { type: "endpoint" }, undefined, signal),
  variableGroupsNamed: (name: string) => projectApi.get<Listed<{ id: number; name: string }>>("distributedtask/variablegroups", { groupName: name }, "7.1-preview.2"),
  environmentsNamed: (name: string) => projectApi.get<Listed<{ id: number; name: string }>>("distributedtask/environments", { name }, PREVIEW),
};
