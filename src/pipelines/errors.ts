import { PlaneError } from "../core/errors.js";
import type { ValidationResult } from "./model.js";

/**
 * A pipelines failure. Pipelines are served by Azure DevOps, so it renders as Azure DevOps' WrappedException
 * (the DevOps listener's dialect), with `customProperties` where the real service adds them.
 */
export class PipelinesError extends PlaneError {
  readonly plane = "devops" as const;
  constructor(
    status: number,
    typeKey: string,
    message: string,
    readonly typeName = `Microsoft.TeamFoundation.Build.WebApi.${typeKey}, Microsoft.TeamFoundation.Build2.WebApi`,
    readonly eventId = 3000,
    readonly customProperties?: Record<string, unknown>,
  ) {
    super(status, typeKey, message);
  }
}

export const pipelinesErrors = {
  pipelineNotFound: (id: string | number) => new PipelinesError(404, "DefinitionNotFoundException", `Pipeline with id ${id} not found.`),
  runNotFound: (id: string | number) => new PipelinesError(404, "BuildNotFoundException", `Build with id ${id} not found or has been deleted.`),
  logNotFound: (id: string | number) => new PipelinesError(404, "BuildLogNotFoundException", `Build log ${id} not found.`),
  repositoryNotFound: (name: string) => new PipelinesError(404, "RepositoryNotFoundException", `TF401019: The Git repository with name or identifier ${name} does not exist or you do not have permissions for the operation you are attempting.`, "Microsoft.TeamFoundation.Git.Server.GitRepositoryNotFoundException, Microsoft.TeamFoundation.SourceControl.WebServer"),
  approvalNotFound: (id: string) =>
    new PipelinesError(404, "ApprovalNotFoundException", `Approval with id ${id} does not exist or you do not have permissions to access it.`, "Microsoft.Azure.Pipelines.Approvals.WebApi.ApprovalNotFoundException, Microsoft.Azure.Pipelines.Approvals.WebApi"),
  approvalCompleted: (id: string, status: string) =>
    new PipelinesError(400, "ApprovalAlreadyCompletedException", `Approval ${id} is already completed (${status}) and cannot be changed.`, "Microsoft.Azure.Pipelines.Approvals.WebApi.ApprovalAlreadyCompletedException, Microsoft.Azure.Pipelines.Approvals.WebApi"),
  requesterCannotApprove: () =>
    new PipelinesError(400, "ApprovalUnauthorizedException", "The user who queued the run cannot approve it: the check requires someone else's approval.", "Microsoft.Azure.Pipelines.Approvals.WebApi.ApprovalUnauthorizedException, Microsoft.Azure.Pipelines.Approvals.WebApi"),
  notAnApprover: (user: string) =>
    new PipelinesError(403, "ApprovalUnauthorizedException", `${user} is not an approver of this approval, or it is not their turn.`, "Microsoft.Azure.Pipelines.Approvals.WebApi.ApprovalUnauthorizedException, Microsoft.Azure.Pipelines.Approvals.WebApi"),
  argument: (message: string) => new PipelinesError(400, "ArgumentException", message, "System.ArgumentException, mscorlib"),
  duplicatePipeline: (name: string) => new PipelinesError(409, "DefinitionExistsException", `A pipeline with the name ${name} already exists in this folder.`),
  /** A run that does not compile is not queued (docs/reference/pipelines.md §3: az prints only the message). */
  validation: (results: ValidationResult[]) =>
    new PipelinesError(400, "BuildRequestValidationFailedException", "Could not queue the build because there were validation errors or warnings.", undefined, 3000, { ValidationResults: results }),
  queueDenied: (user: string, pipelineId: number, project: string) =>
    new PipelinesError(
      403,
      "AccessDeniedException",
      `TF215106: Access denied. ${user} needs Queue builds permissions for build pipeline ${pipelineId} in team project ${project} to perform the action. For more information, contact the Azure DevOps Server administrator.`,
      "Microsoft.TeamFoundation.Build.WebApi.AccessDeniedException, Microsoft.TeamFoundation.Build2.WebApi",
    ),
  /** A `resources.repositories` entry naming a repository svcconn's world does not have (svcconn's wording). */
  repositoryResourceText: (alias: string, name: string, project: string) =>
    `The repository ${name} (resource ${alias}) could not be found in project ${project}: declare it among the world's repositories.`,
  /**
   * "Limit variables that can be set at queue time": the run sets variables its pipeline does not mark settable
   * (docs/reference/pipelines.md §5.1; the wording of Microsoft Learn's page on queue-time variables).
   */
  notSettableText: (names: string[]) =>
    `You can't set the following variables (${names.join(", ")}). If you want to be able to set these variables, then edit the pipeline and select Settable at queue time on the variables tab of the pipeline editor.`,
  definitionRevisionMismatch: (current: number, given: number) =>
    new PipelinesError(409, "DefinitionNotMatchedException", `The pipeline has been updated since revision ${given} was read (it is at revision ${current}). Get the pipeline again and apply your changes to it.`),
  settingsDenied: (user: string, project: string) =>
    new PipelinesError(403, "AccessDeniedException", `TF215106: Access denied. ${user} must be a project administrator of team project ${project} to change its pipeline settings.`, "Microsoft.TeamFoundation.Build.WebApi.AccessDeniedException, Microsoft.TeamFoundation.Build2.WebApi"),
  editDenied: (user: string, project: string) =>
    new PipelinesError(403, "AccessDeniedException", `TF215106: Access denied. ${user} needs Edit build pipeline permissions for team project ${project} to perform the action. For more information, contact the Azure DevOps Server administrator.`, "Microsoft.TeamFoundation.Build.WebApi.AccessDeniedException, Microsoft.TeamFoundation.Build2.WebApi"),
  oidcNotAJob: () => new PipelinesError(401, "UnauthorizedRequestException", "TF400813: The user '' is not authorized to access this resource.", "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server"),
  oidcWrongJob: () => new PipelinesError(403, "TaskOrchestrationJobNotFoundException", "The job access token does not belong to this plan and job.", "Microsoft.TeamFoundation.DistributedTask.WebApi.TaskOrchestrationJobNotFoundException, Microsoft.TeamFoundation.DistributedTask.WebApi"),
  oidcJobOver: (jobId: string) => new PipelinesError(404, "TaskOrchestrationJobNotFoundException", `Job ${jobId} was not found or has completed.`, "Microsoft.TeamFoundation.DistributedTask.WebApi.TaskOrchestrationJobNotFoundException, Microsoft.TeamFoundation.DistributedTask.WebApi"),
  oidcNotAuthorized: (connectionId: string) =>
    new PipelinesError(400, "ServiceEndpointNotAuthorizedException", `The service connection ${connectionId} is not authorized for this job: it was not referenced by a step of the job, or the pipeline may not use it.`, "Microsoft.TeamFoundation.DistributedTask.WebApi.ServiceEndpointException, Microsoft.TeamFoundation.DistributedTask.WebApi"),
};
