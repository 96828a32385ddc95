import type { OrganizationRef, ProjectRef } from "./ports.js";
import type { Pipeline, PipelineResourceRun, Repository } from "./model.js";

/** What a run is, as far as its predefined variables tell it. */
export interface RunFacts {
  runId: number | null;
  buildNumber: string | null;
  sourceBranch: string;
  sourceVersion: string;
  requestedBy: { id: string; displayName: string; uniqueName: string };
  pipeline: Pipeline;
  repository: Repository;
  project: ProjectRef;
  organization: OrganizationRef;
  /** The organization's URL with a trailing slash (`https://dev.azure.com/contoso/`). */
  collectionUri: string;
}

/**
 * The predefined variables a template's `${{ }}` can read (Microsoft Learn, "Use predefined variables": the ones
 * marked available in templates) and every job sees too. A run queued here is always manual.
 */
export function compileTimeVariables(facts: RunFacts): Record<string, string> {
  const branch = facts.sourceBranch;
  const repositoryUri = `${facts.collectionUri}${encodeURIComponent(facts.project.name)}/_git/${encodeURIComponent(facts.repository.name)}`;
  return {
    "Build.DefinitionName": facts.pipeline.name,
    "Build.DefinitionVersion": String(facts.pipeline.revision),
    "Build.QueuedBy": facts.requestedBy.displayName,
    "Build.QueuedById": facts.requestedBy.id,
    "Build.Reason": "Manual",
    "Build.Repository.ID": facts.repository.id,
    "Build.Repository.Name": facts.repository.name,
    "Build.Repository.Provider": "TfsGit",
    "Build.Repository.Uri": repositoryUri,
    "Build.RequestedFor": facts.requestedBy.displayName,
    "Build.RequestedForEmail": facts.requestedBy.uniqueName,
    "Build.RequestedForId": facts.requestedBy.id,
    "Build.SourceBranch": branch,
    "Build.SourceBranchName": branch.split("/").pop() ?? branch,
    "Build.SourceVersion": facts.sourceVersion,
    "System.CollectionId": facts.organization.id,
    "System.CollectionUri": facts.collectionUri,
    "System.DefinitionId": String(facts.pipeline.id),
    "System.HostType": "build",
    "System.TeamFoundationCollectionUri": facts.collectionUri,
    "System.TeamProject": facts.project.name,
    "System.TeamProjectId": facts.project.id,
    ...(facts.runId !== null ? { "Build.BuildId": String(facts.runId) } : {}),
  };
}

/** `resources.pipeline.{alias}.*`: the facts of the run each pipeline resource stands for (run-time variables). */
export function pipelineResourceVariables(resources: PipelineResourceRun[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of resources) {
    const at = `resources.pipeline.${r.alias}.`;
    Object.assign(out, {
      [`${at}projectID`]: r.project.id,
      [`${at}projectName`]: r.project.name,
      [`${at}pipelineID`]: String(r.pipeline.id),
      [`${at}pipelineName`]: r.pipeline.name,
      [`${at}runID`]: String(r.run.id),
      [`${at}runName`]: r.run.name,
      [`${at}runURI`]: `vstfs:///Build/Build/${r.run.id}`,
      [`${at}sourceBranch`]: r.run.sourceBranch,
      [`${at}sourceCommit`]: r.run.sourceVersion,
      [`${at}sourceProvider`]: "TfsGit",
      [`${at}requestedFor`]: r.run.requestedBy.displayName,
      [`${at}requestedForID`]: r.run.requestedBy.id,
    });
  }
  return out;
}
