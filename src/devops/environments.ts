import type { Clock } from "../core/clock.js";
import { UniqueViolation, type Store } from "../store/index.js";
import { devopsErrors } from "./errors.js";
import type { DevOpsCaller } from "./identities.js";
import { ROLE_RANK, type DeploymentRecord, type EndpointRole, type Environment, type Project } from "./model.js";
import { ENVIRONMENTS, type DevOpsSecurity } from "./security.js";

/** What an environment's name may not contain (the portal's rule: fewer than 128 characters, none of these). */
const FORBIDDEN = /[,"/\\[\]:|<>+=;?*]/;
const MAX_NAME = 127;

const satisfies = (role: EndpointRole | undefined, needed: EndpointRole) => !!role && ROLE_RANK[role] >= ROLE_RANK[needed];

export interface EnvironmentQuery {
  /** A name, with `*` as a wildcard. */
  name?: string;
  top: number;
  /** The id to continue from (ascending). */
  continuationToken?: number;
}

/**
 * Pipeline environments: what deployment jobs deploy to, with their history. Rights come from the environment roles
 * (project-level, then each environment inheriting from it): Readers see, Users may deploy, Creators create,
 * Administrators change and delete; the creator of an environment becomes its Administrator.
 */
export class Environments {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly security: DevOpsSecurity,
  ) {}

  private async project(caller: DevOpsCaller, idOrName: string): Promise<Project> {
    const project = await this.store.devops.project(caller.organization.id, idOrName);
    if (!project) throw devopsErrors.projectNotFound(idOrName);
    return project;
  }

  /** An environment of the project the caller may act on with at least `needed` (404 when it may not even see it). */
  async require(caller: DevOpsCaller, projectIdOrName: string, id: number, needed: EndpointRole): Promise<Environment> {
    const project = await this.project(caller, projectIdOrName);
    const environment = Number.isSafeInteger(id) && id > 0 ? await this.store.environments.environment(id) : undefined;
    if (!environment || environment.projectId !== project.id) throw devopsErrors.environmentNotFound(id);
    const role = await this.security.itemRole(caller.identity.id, project.id, String(id), ENVIRONMENTS);
    if (!role) throw devopsErrors.environmentNotFound(id);
    if (!satisfies(role, needed)) throw devopsErrors.noEnvironmentPermission(caller.identity.displayName, needed === "Administrator" ? "Manage" : "Use", environment.name);
    return environment;
  }

  async list(caller: DevOpsCaller, projectIdOrName: string, query: EnvironmentQuery): Promise<{ environments: Environment[]; continuationToken: number | null }> {
    const project = await this.project(caller, projectIdOrName);
    const roleOf = await this.security.itemRolesIn(caller.identity.id, project.id, ENVIRONMENTS);
    const name = query.name ? new RegExp(`^${query.name.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i") : undefined;
    const visible: Environment[] = [];
    for (const environment of await this.store.environments.environmentsOfProject(project.id)) {
      if (query.continuationToken !== undefined && environment.id < query.continuationToken) continue;
      if (name && !name.test(environment.name)) continue;
      if (await roleOf(String(environment.id))) visible.push(environment);
    }
    const page = visible.slice(0, query.top);
    return { environments: page, continuationToken: visible.length > query.top ? visible[query.top]!.id : null };
  }

  async create(caller: DevOpsCaller, projectIdOrName: string, name: string, description: string): Promise<Environment> {
    const project = await this.project(caller, projectIdOrName);
    if (!(await this.security.canCreate(caller.identity.id, project.id, ENVIRONMENTS))) throw devopsErrors.noEnvironmentPermission(caller.identity.displayName, "Create", `project ${project.name}`);
    return this.insert(project.id, this.validName(name), description, caller.identity.id);
  }

  async update(caller: DevOpsCaller, projectIdOrName: string, id: number, change: { name?: string; description?: string }): Promise<Environment> {
    const environment = await this.require(caller, projectIdOrName, id, "Administrator");
    const updated: Environment = {
      ...environment,
      name: change.name !== undefined ? this.validName(change.name) : environment.name,
      description: change.description ?? environment.description,
      lastModifiedBy: caller.identity.id,
      lastModifiedOn: this.clock.now().toISOString(),
    };
    await this.saving(() => this.store.environments.updateEnvironment(updated));
    return updated;
  }

  async delete(caller: DevOpsCaller, projectIdOrName: string, id: number): Promise<void> {
    const environment = await this.require(caller, projectIdOrName, id, "Administrator");
    await this.store.environments.deleteEnvironment(environment.id);
  }

  async deployments(caller: DevOpsCaller, projectIdOrName: string, id: number, top: number, before?: number): Promise<DeploymentRecord[]> {
    const environment = await this.require(caller, projectIdOrName, id, "Reader");
    return this.store.environments.deployments(environment.id, top, before);
  }

  // ---- what runs need ---------------------------------------------------------------------------------------

  /**
   * The environment a deployment job names, by name in its project. Azure Pipelines creates a missing one when the
   * person who queued the run may create environments (Creator); it is then theirs and open to that pipeline.
   */
  async forRun(projectId: string, name: string, requestedBy: string, pipelineId: number): Promise<{ environment: Environment; created: boolean } | null> {
    const existing = (await this.store.environments.environmentsOfProject(projectId)).find((e) => e.name.toLowerCase() === name.trim().toLowerCase());
    if (existing) return { environment: existing, created: false };
    if (FORBIDDEN.test(name) || name.trim() === "" || name.length > MAX_NAME) return null;
    if (!(await this.security.canCreate(requestedBy, projectId, ENVIRONMENTS))) return null;
    try {
      const environment = await this.insert(projectId, name.trim(), "", requestedBy);
      await this.store.devops.setPipelinePermission(projectId, "environment", String(environment.id), { pipelineId, authorized: true, authorizedBy: requestedBy, authorizedOn: environment.createdOn });
      return { environment, created: true };
    } catch (error) {
      // Two runs creating the same environment at once: the second uses the first's.
      const raced = (await this.store.environments.environmentsOfProject(projectId)).find((e) => e.name.toLowerCase() === name.trim().toLowerCase());
      if (raced) return { environment: raced, created: false };
      throw error;
    }
  }

  async recordDeployment(record: Omit<DeploymentRecord, "id">): Promise<void> {
    await this.store.environments.addDeployment(record);
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private async insert(projectId: string, name: string, description: string, creator: string): Promise<Environment> {
    const now = this.clock.now().toISOString();
    const environment: Omit<Environment, "id"> = { projectId, name, description, createdBy: creator, createdOn: now, lastModifiedBy: creator, lastModifiedOn: now };
    const id = await this.saving(() => this.store.environments.insertEnvironment(environment));
    await this.security.makeAdministrator(creator, projectId, String(id), ENVIRONMENTS);
    return { ...environment, id };
  }

  private validName(name: string): string {
    if (name.trim() === "" || FORBIDDEN.test(name) || name.length > MAX_NAME) throw devopsErrors.invalidEnvironmentName(name);
    return name.trim();
  }

  private async saving<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UniqueViolation) throw devopsErrors.duplicateEnvironment(error.value);
      throw error;
    }
  }
}
