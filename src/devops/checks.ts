import type { Clock } from "../core/clock.js";
import type { Store } from "../store/index.js";
import { devopsErrors } from "./errors.js";
import type { DevOpsCaller } from "./identities.js";
import type { CheckConfiguration, CheckResource, EndpointRole, Project } from "./model.js";
import type { ProtectedResources } from "./protected-resources.js";
import type { DevOpsSecurity } from "./security.js";

/** The check types of Azure DevOps (`type.id`), by the name each has on the wire. */
export const CHECK_TYPES = {
  Approval: "8c6f20a7-a545-4486-9777-f762fafe0d4d",
  ExtendsCheck: "4020e66e-b0f3-47e1-bc88-48f3cc59b5f3",
  TaskCheck: "fe1de3ee-a436-41b4-bb20-f6eb4cb879a7",
  ExclusiveLock: "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563",
} as const;
export type CheckTypeName = CheckConfiguration["type"];

/** The resources that may carry checks (`resource.type`). */
export const CHECKED_RESOURCE_TYPES = ["endpoint", "environment", "queue", "repository", "securefile", "variablegroup"] as const;

/** Azure's default and longest timeout: 30 days, in minutes. */
export const MAX_CHECK_TIMEOUT = 43_200;

export interface CheckInput {
  type: CheckTypeName;
  settings: Record<string, unknown>;
  resource: CheckResource;
  timeout: number;
}

/**
 * Checks on protected resources (approvals, required templates, branch control…): what a stage that uses the
 * resource must pass before it runs. Only the resource's Administrators configure them; its Readers see them.
 */
export class CheckConfigurations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly resources: ProtectedResources,
    private readonly security: DevOpsSecurity,
  ) {}

  /**
   * The caller's right on the resource a check guards. Pools, repositories and secure files are not kept by svcconn:
   * their checks are the project administrators' to change.
   */
  private async requireResource(caller: DevOpsCaller, project: Project, resource: CheckResource, needed: EndpointRole): Promise<void> {
    if (this.resources.keeps(resource.type)) await this.resources.require(caller, project.id, resource.type, resource.id, needed);
    else if (needed === "Administrator") {
      const admins = await this.security.projectGroup(project, "Project Administrators");
      if (!admins || !(await this.security.principals(caller.identity.id)).has(admins.id)) throw devopsErrors.noCheckPermission(caller.identity.displayName, resource.type);
    }
  }

  async create(caller: DevOpsCaller, project: Project, input: CheckInput): Promise<CheckConfiguration> {
    await this.requireResource(caller, project, input.resource, "Administrator");
    const now = this.clock.now().toISOString();
    const check: Omit<CheckConfiguration, "id"> = { projectId: project.id, ...input, version: 1, createdBy: caller.identity.id, createdOn: now, modifiedBy: caller.identity.id, modifiedOn: now };
    return { ...check, id: await this.store.checks.insert(check) };
  }

  async get(caller: DevOpsCaller, project: Project, id: number): Promise<CheckConfiguration> {
    const check = await this.store.checks.get(id);
    if (!check || check.projectId !== project.id) throw devopsErrors.checkNotFound(id);
    await this.requireResource(caller, project, check.resource, "Reader").catch(() => {
      throw devopsErrors.checkNotFound(id);
    });
    return check;
  }

  async list(caller: DevOpsCaller, project: Project, resource?: { type?: string; id?: string }): Promise<CheckConfiguration[]> {
    const out: CheckConfiguration[] = [];
    for (const check of await this.store.checks.ofProject(project.id)) {
      if (resource?.type && check.resource.type !== resource.type.toLowerCase()) continue;
      if (resource?.id && check.resource.id.toLowerCase() !== resource.id.toLowerCase()) continue;
      if (await this.requireResource(caller, project, check.resource, "Reader").then(() => true, () => false)) out.push(check);
    }
    return out;
  }

  async update(caller: DevOpsCaller, project: Project, id: number, input: CheckInput): Promise<CheckConfiguration> {
    const check = await this.get(caller, project, id);
    if (input.resource.type !== check.resource.type || input.resource.id.toLowerCase() !== check.resource.id.toLowerCase()) throw devopsErrors.argument("A check's resource cannot be changed.");
    if (input.type !== check.type) throw devopsErrors.argument("A check's type cannot be changed.");
    await this.requireResource(caller, project, check.resource, "Administrator");
    const updated: CheckConfiguration = { ...check, settings: input.settings, timeout: input.timeout, version: check.version + 1, modifiedBy: caller.identity.id, modifiedOn: this.clock.now().toISOString() };
    await this.store.checks.update(updated);
    return updated;
  }

  async delete(caller: DevOpsCaller, project: Project, id: number): Promise<void> {
    const check = await this.get(caller, project, id);
    await this.requireResource(caller, project, check.resource, "Administrator");
    await this.store.checks.delete(id);
  }

  /** The name the checked resource has in the check's project (its id when svcconn does not keep such resources). */
  async resourceName(check: CheckConfiguration): Promise<string> {
    const { type, id } = check.resource;
    if (type === "endpoint") return (await this.store.devops.endpoint(id.toLowerCase()))?.endpoint.projects.find((p) => p.projectId === check.projectId)?.name ?? id;
    if (type === "variablegroup") {
      const group = await this.store.library.variableGroup(Number(id));
      return group?.group.projects.find((p) => p.projectId === check.projectId)?.name ?? id;
    }
    if (type === "environment") return (await this.store.environments.environment(Number(id)))?.name ?? id;
    return id;
  }

  /** The checks a stage must pass for the resources it uses, in the order they were configured. */
  async forResources(projectId: string, resources: CheckResource[]): Promise<CheckConfiguration[]> {
    const wanted = new Set(resources.map((r) => `${r.type}:${r.id.toLowerCase()}`));
    return (await this.store.checks.ofProject(projectId)).filter((c) => wanted.has(`${c.resource.type}:${c.resource.id.toLowerCase()}`));
  }
}
