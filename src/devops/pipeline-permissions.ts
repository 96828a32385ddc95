import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { devopsErrors } from "./errors.js";
import type { PipelinePermissionsChange } from "./input.js";
import type { DevOpsCaller } from "./identities.js";
import type { PipelinePermission, Project } from "./model.js";
import type { ProtectedResources } from "./protected-resources.js";

/** How the store records "every pipeline of the project" (open access). */
export const ALL_PIPELINES = -1;
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
    private readonly resources: ProtectedResources,
  ) {}

  private async check(caller: DevOpsCaller, project: Project, resourceType: string, resourceId: string, change: boolean): Promise<void> {
    if (!RESOURCE_TYPES.has(resourceType)) throw devopsErrors.argument(`The resource type '${resourceType}' is not valid.`);
    await this.resources.require(caller, project.id, resourceType, resourceId, change ? "Administrator" : "Reader");
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
      pipelines: rows.filter((r) => r.pipelineId !== ALL_PIPELINES && r.authorized),
      allPipelines: rows.find((r) => r.pipelineId === ALL_PIPELINES && r.authorized) ?? null,
    };
  }

  async update(caller: DevOpsCaller, project: Project, resourceType: string, resourceId: string, change: PipelinePermissionsChange): Promise<ResourcePermissions> {
    const type = resourceType.toLowerCase();
    await this.check(caller, project, type, resourceId, true);
    const now = this.clock.now().toISOString();
    if (change.allPipelines !== undefined) {
      await this.store.devops.setPipelinePermission(project.id, type, resourceId, { pipelineId: ALL_PIPELINES, authorized: change.allPipelines, authorizedBy: caller.identity.id, authorizedOn: now });
    }
    for (const { id, authorized } of change.pipelines) {
      await this.store.devops.setPipelinePermission(project.id, type, resourceId, { pipelineId: id, authorized, authorizedBy: caller.identity.id, authorizedOn: now });
    }
    return this.read(project.id, type, resourceId);
  }

  /** Resources of a type open to every pipeline of the project, among those the caller may see. */
  async openResources(caller: DevOpsCaller, project: Project, resourceType: string): Promise<string[]> {
    const type = resourceType.toLowerCase();
    if (!RESOURCE_TYPES.has(type)) throw devopsErrors.argument(`The resource type '${resourceType}' is not valid.`);
    const open = await this.store.devops.openResources(project.id, type);
    if (open.length === 0 || !this.resources.keeps(type)) return open;
    const visible = await this.resources.visible(caller, project.id, type);
    return open.filter((id) => visible.has(id));
  }

  /** Whether a pipeline definition may use a resource. */
  async isAuthorized(projectId: string, resourceType: string, resourceId: string, pipelineId: number): Promise<boolean> {
    const { pipelines, allPipelines } = await this.read(projectId, resourceType, resourceId);
    return !!allPipelines || pipelines.some((p) => p.pipelineId === pipelineId);
  }
}
