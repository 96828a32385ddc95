import type { DevOpsApi, PipelineCaller, ProjectRef } from "./ports.js";

/** Who a caller is and what a caller may do with a project's pipelines, as the DevOps plane's groups say. */
export class PipelineRights {
  constructor(private readonly devops: DevOpsApi) {}

  async caller(organization: string, authorization: string | undefined): Promise<PipelineCaller> {
    const org = await this.devops.organization(organization);
    return this.devops.authenticate(org, authorization);
  }

  project(caller: PipelineCaller, idOrName: string): Promise<ProjectRef> {
    return this.devops.project(caller, idOrName);
  }

  async isProjectAdministrator(caller: PipelineCaller, project: ProjectRef): Promise<boolean> {
    if (caller.job) return false;
    return (await this.devops.projectGroups(caller, project)).includes("Project Administrators");
  }

  /** Contributors and project administrators edit and queue pipelines; a job's build service queues too. */
  async canEdit(caller: PipelineCaller, project: ProjectRef): Promise<boolean> {
    if (caller.job) return caller.job.projectId === project.id;
    const groups = await this.devops.projectGroups(caller, project);
    return groups.includes("Project Administrators") || groups.includes("Contributors");
  }
}
