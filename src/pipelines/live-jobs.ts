import { pipelinesErrors } from "./errors.js";
import type { DevOpsApi, PipelineCaller, ProjectRef } from "./ports.js";
import type { LiveJob } from "./run-execution.js";

/**
 * The jobs running in this process and what their steps may ask for: a job's steps call the process that runs it
 * (its URLs are this process's listeners), so the job OIDC route only needs this process's jobs.
 */
export class LiveJobs {
  /** By `planId:jobId`; a run's execution adds a job as it starts and removes it as it ends. */
  readonly byKey = new Map<string, LiveJob>();

  constructor(private readonly devops: DevOpsApi) {}

  /**
   * `POST …/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken`: only a job's own access token,
   * for its own plan and job while it runs, and for a connection the pipeline is authorized to use.
   */
  async oidcToken(caller: PipelineCaller, project: ProjectRef, planId: string, jobId: string, connectionId: string | undefined): Promise<string> {
    if (!caller.job) throw pipelinesErrors.oidcNotAJob();
    if (caller.job.planId !== planId.toLowerCase() || caller.job.jobId !== jobId.toLowerCase() || caller.job.projectId !== project.id) throw pipelinesErrors.oidcWrongJob();
    const live = this.byKey.get(`${caller.job.planId}:${caller.job.jobId}`);
    if (!live) throw pipelinesErrors.oidcJobOver(jobId);
    if (!connectionId) throw pipelinesErrors.argument("The query parameter 'serviceConnectionId' is required.");
    const id = connectionId.toLowerCase();
    if (!live.connections.has(id) || !(await this.devops.isAuthorized(project.id, { type: "endpoint", id }, live.pipelineId))) throw pipelinesErrors.oidcNotAuthorized(connectionId);
    return this.devops.federationToken(caller.organization, project.id, id);
  }
}
