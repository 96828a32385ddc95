import type { OrganizationRef, ProjectRef } from "./ports.js";
import type { Pipeline, Repository } from "./model.js";

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
