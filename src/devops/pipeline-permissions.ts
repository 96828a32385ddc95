import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import type { ServiceEndpoints } from "./endpoints.js";
import { devopsErrors } from "./errors.js";
import type { DevOpsCaller } from "./identities.js";
import type { PipelinePermission, Project } from "./model.js";

const ALL = -1;
const RESOURCE_TYPES = new Set(["endpoint", "queue", "securefile", "variablegroup", "environment", "agentpool", "repository"]);

export interface ResourcePermissions {
  resourceType: string;
  resourceId: string;
  pipelines: PipelinePermission[];
  allPipelines: PipelinePermission | null;
}

/**
 * Which pipelines may use a protected resource (S14): specific pipeline definitions, or all of them ("open
 * access", which the doctor reports as a risk). A new connection starts with none.
 */
export class PipelinePermissions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly endpoints: ServiceEndpoints,
  ) {}

  private async check(caller: DevOpsCaller, project: Project, resourceType: string, resourceId: string, change: boolean): Promise<void> {
    if (!RESOURCE_TYPES.has(resourceType)) throw devopsErrors.argument(`The resource type '${resourceType}' is not valid.`);
    if (resourceType === "endpoint") await this.endpoints.require(caller, resourceId, change ? "Administrator" : "Reader", project.id);
  }

  async get(caller: DevOpsCaller, project: Project, resourceType: string, resourceId: string): Promise<ResourcePermissions> {
    await this.check(caller, project, resourceType.toLowerCase(), resourceId, false);
    return this.read(project.id, resourceType.toLowerCase(), resourceId);
  }

  async read(projectId: string, resourceType: string, resourceId: string): Promise<ResourcePermissions> {
    const rows = await this.store.devops.pipelinePermissions(projectId, resourceType, resourceId);
    return {
      resourceType,
      resourceId: resourceId.toLowerCase(),
      pipelines: rows.filter((r) => r.pipelineId !== ALL && r.authorized),
      allPipelines: rows.find((r) => r.pipelineId === ALL && r.authorized) ?? null,
    };
  }

  async update(caller: DevOpsCaller, project: Project, resourceType: string, resourceId: string, body: unknown): Promise<ResourcePermissions> {
    const type = resourceType.toLowerCase();
    await this.check(caller, project, type, resourceId, true);
    if (!body || typeof body !== "object" || Array.isArray(body)) throw devopsErrors.argument("The request body must be a ResourcePipelinePermissions object.");
    const input = body as { pipelines?: unknown; allPipelines?: unknown };
    const now = this.clock.now().toISOString();
    if (input.allPipelines !== undefined && input.allPipelines !== null) {
      const authorized = (input.allPipelines as { authorized?: unknown }).authorized;
      if (typeof authorized !== "boolean") throw devopsErrors.argument("allPipelines.authorized must be true or false.");
      await this.store.devops.setPipelinePermission(project.id, type, resourceId, { pipelineId: ALL, authorized, authorizedBy: caller.identity.id, authorizedOn: now });
    }
    if (input.pipelines !== undefined && input.pipelines !== null) {
      if (!Array.isArray(input.pipelines)) throw devopsErrors.argument("pipelines must be an array.");
      for (const p of input.pipelines) {
        const { id, authorized } = (p ?? {}) as { id?: unknown; authorized?: unknown };
        if (!Number.isInteger(id) || (id as number) < 1 || typeof authorized !== "boolean") throw devopsErrors.argument("Each pipeline needs an integer id and authorized true or false.");
        await this.store.devops.setPipelinePermission(project.id, type, resourceId, { pipelineId: id as number, authorized, authorizedBy: caller.identity.id, authorizedOn: now });
      }
    }
    return this.read(project.id, type, resourceId);
  }

  /** Whether a pipeline definition may use a resource. */
  async isAuthorized(projectId: string, resourceType: string, resourceId: string, pipelineId: number): Promise<boolean> {
    const { pipelines, allPipelines } = await this.read(projectId, resourceType, resourceId);
    return !!allPipelines || pipelines.some((p) => p.pipelineId === pipelineId);
  }
}
