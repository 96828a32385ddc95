import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { newGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import { UniqueViolation } from "../store/index.js";
import { pipelinesErrors } from "./errors.js";
import type { DefinitionVariable, InstalledExtension, Parallelism, Pipeline, PipelineSettings, Repository, RepositoryType } from "./model.js";
import type { DevOpsApi, PipelineCaller } from "./ports.js";
import { repositoryPath } from "./repositories.js";
import type { PipelineRights } from "./rights.js";
import { MARKETPLACE, type TaskDefinition, withImplementation } from "./tasks/catalog.js";

/** A variable as a definition is written or read over REST: a secret's value comes back as null. */
export interface VariableInput {
  value: string | null;
  isSecret: boolean;
  allowOverride: boolean;
}

export interface NewPipeline {
  name: string;
  folder?: string;
  repository: string;
  yamlPath: string;
  defaultPool?: string | null;
  variables?: Record<string, VariableInput>;
}

/** `PUT build/definitions/{id}`: what svcconn lets a definition update change. */
export interface DefinitionUpdate {
  name?: string;
  folder?: string;
  revision?: number;
  variables?: Record<string, VariableInput>;
}

export interface CatalogOptions {
  store: Store;
  clock: Clock;
  devops: DevOpsApi;
  rights: PipelineRights;
  /** Seals pipeline secret variables while stored. */
  keyBox: SecretBox;
  /** An organization's parallel jobs changed: jobs waiting for one may start. */
  limitsChanged: (organizationId: string) => Promise<void>;
}

/**
 * What a project's pipelines are made of, as Azure Pipelines keeps it: repositories, pipeline definitions and their
 * variables, the project's pipeline settings, and the organization's pools, parallel jobs and extensions' tasks.
 */
export class PipelineCatalog {
  constructor(private readonly options: CatalogOptions) {}

  private get store() {
    return this.options.store;
  }
  private now = () => this.options.clock.now().toISOString();

  // ---- repositories and pools (world files) ------------------------------------------------------------------

  async createRepository(input: { organizationId: string; projectId: string; name: string; type?: RepositoryType; folder?: string | null; files?: Record<string, string> | null; id?: string }): Promise<Repository> {
    const repository: Repository = {
      id: input.id?.toLowerCase() ?? newGuid(),
      organizationId: input.organizationId,
      projectId: input.projectId,
      name: input.name,
      type: input.type ?? "git",
      defaultBranch: "refs/heads/main",
      folder: input.folder ?? null,
      files: input.files ?? null,
      createdAt: this.now(),
    };
    await this.store.pipelines.insertRepository(repository);
    return repository;
  }

  /**
   * svcconn's admin API: a repository backed by a local folder, made or found by name (the CLI registers the folder
   * of a YAML file it runs). A name already used by another folder is refused.
   */
  async folderRepository(organizationName: string, projectIdOrName: string, name: string, folder: string): Promise<Repository> {
    const org = await this.options.devops.organization(organizationName);
    const project = await this.options.devops.projectOf(org, projectIdOrName);
    const found = await this.store.pipelines.repository(project.id, name);
    if (found) {
      if (found.folder !== folder) throw pipelinesErrors.argument(`The repository ${name} is backed by another folder (${found.folder ?? "inline files"}).`);
      return found;
    }
    return this.createRepository({ organizationId: org.id, projectId: project.id, name, folder });
  }

  /** A project's pipeline settings of svcconn's own (world files and the admin API). */
  async putSettings(organizationName: string, projectIdOrName: string, change: Partial<PipelineSettings>): Promise<PipelineSettings> {
    const org = await this.options.devops.organization(organizationName);
    const project = await this.options.devops.projectOf(org, projectIdOrName);
    const settings = { ...(await this.store.pipelines.settings(project.id)), ...change };
    await this.store.pipelines.putSettings(project.id, settings);
    return settings;
  }

  /** An organization's parallel jobs (world files and the admin API); waiting jobs may start at once. */
  async putParallelism(organizationName: string, parallelism: Parallelism): Promise<Parallelism> {
    const org = await this.options.devops.organization(organizationName);
    await this.store.pipelines.putParallelism(org.id, parallelism);
    await this.options.limitsChanged(org.id);
    return parallelism;
  }

  /**
   * Installs a Marketplace extension in an organization: one of the catalog's by id, or one declared with its
   * tasks. An id the catalog does not have and no tasks is refused, naming the ones it has.
   */
  async installExtension(organizationName: string, extension: InstalledExtension): Promise<void> {
    const org = await this.options.devops.organization(organizationName);
    if (!extension.tasks?.length && !MARKETPLACE.some((e) => e.id.toLowerCase() === extension.id.toLowerCase())) {
      throw pipelinesErrors.argument(`svcconn does not know the extension '${extension.id}': declare its tasks, or install one of ${MARKETPLACE.map((e) => e.id).join(", ")}.`);
    }
    await this.store.pipelines.putExtension(org.id, extension);
  }

  /** The tasks of an organization's extensions, each marked with its extension. */
  async installedTasks(organizationId: string): Promise<TaskDefinition[]> {
    const out: TaskDefinition[] = [];
    for (const installed of await this.store.pipelines.extensions(organizationId)) {
      const known = MARKETPLACE.find((e) => e.id.toLowerCase() === installed.id.toLowerCase());
      out.push(...(installed.tasks ?? known?.tasks ?? []).map((t) => withImplementation({ ...t, extension: known?.id ?? installed.id })));
    }
    return out;
  }

  async putPool(organizationId: string, name: string, agents: Array<{ name: string; vm: string | null }>): Promise<void> {
    await this.store.pipelines.putPool({ organizationId, name, hosted: false, agents });
  }

  /** A pipeline a world file declares (no caller: the world is written by its author). */
  async definePipeline(projectId: string, organizationId: string, input: NewPipeline): Promise<Pipeline> {
    const repository = await this.store.pipelines.repository(projectId, input.repository);
    if (!repository) throw pipelinesErrors.repositoryNotFound(input.repository);
    const pipeline: Omit<Pipeline, "id"> = {
      organizationId,
      projectId,
      name: input.name,
      folder: "\\",
      repositoryId: repository.id,
      yamlPath: repositoryPath(input.yamlPath),
      revision: 1,
      defaultPool: input.defaultPool ?? null,
      variables: this.definitionVariables(input.variables ?? {}, {}),
      createdBy: "world",
      createdAt: this.now(),
    };
    return { ...pipeline, id: await this.store.pipelines.insertPipeline(pipeline) };
  }

  // ---- pipelines ---------------------------------------------------------------------------------------------

  async createPipeline(caller: PipelineCaller, projectIdOrName: string, input: NewPipeline): Promise<Pipeline> {
    const project = await this.options.rights.project(caller, projectIdOrName);
    if (!(await this.options.rights.canEdit(caller, project))) throw pipelinesErrors.editDenied(caller.identity.displayName, project.name);
    const repository = await this.store.pipelines.repository(project.id, input.repository);
    if (!repository) throw pipelinesErrors.repositoryNotFound(input.repository);
    const pipeline: Omit<Pipeline, "id"> = {
      organizationId: caller.organization.id,
      projectId: project.id,
      name: input.name,
      folder: input.folder && input.folder !== "/" ? input.folder : "\\",
      repositoryId: repository.id,
      yamlPath: repositoryPath(input.yamlPath),
      revision: 1,
      defaultPool: input.defaultPool ?? null,
      variables: this.definitionVariables(input.variables ?? {}, {}),
      createdBy: caller.identity.id,
      createdAt: this.now(),
    };
    try {
      return { ...pipeline, id: await this.store.pipelines.insertPipeline(pipeline) };
    } catch (error) {
      if (error instanceof UniqueViolation) throw pipelinesErrors.duplicatePipeline(input.name);
      throw error;
    }
  }

  /**
   * `PUT build/definitions/{id}` (what `az pipelines variable create|update|delete` send): name, folder and the
   * variables. A secret sent back as null (how every read shows it) keeps its stored value.
   */
  async updateDefinition(caller: PipelineCaller, projectIdOrName: string, id: number, update: DefinitionUpdate): Promise<Pipeline> {
    const project = await this.options.rights.project(caller, projectIdOrName);
    const pipeline = await this.pipeline(caller, project.id, id);
    if (!(await this.options.rights.canEdit(caller, project)) || caller.job) throw pipelinesErrors.editDenied(caller.identity.displayName, project.name);
    if (update.revision !== undefined && update.revision !== pipeline.revision) throw pipelinesErrors.definitionRevisionMismatch(pipeline.revision, update.revision);
    const updated: Pipeline = {
      ...pipeline,
      name: update.name ?? pipeline.name,
      folder: update.folder ?? pipeline.folder,
      variables: update.variables ? this.definitionVariables(update.variables, pipeline.variables) : pipeline.variables,
      revision: pipeline.revision + 1,
    };
    try {
      await this.store.pipelines.updatePipeline(updated);
    } catch (error) {
      if (error instanceof UniqueViolation) throw pipelinesErrors.duplicatePipeline(updated.name);
      throw error;
    }
    return updated;
  }

  /** Definition variables to store: secrets sealed; a secret given as null keeps the value it had. */
  private definitionVariables(given: Record<string, VariableInput>, previous: Record<string, DefinitionVariable>): Record<string, DefinitionVariable> {
    const out: Record<string, DefinitionVariable> = {};
    for (const [name, v] of Object.entries(given)) {
      const before = Object.entries(previous).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
      const value = v.isSecret ? (v.value === null ? (before?.isSecret ? before.value : this.options.keyBox.seal("")) : this.options.keyBox.seal(v.value)) : (v.value ?? "");
      out[name] = { value, isSecret: v.isSecret, allowOverride: v.allowOverride };
    }
    return out;
  }

  /** A pipeline's variables with their values, secrets opened (for a run only). */
  openVariables(pipeline: Pipeline): Record<string, { value: string; isSecret: boolean }> {
    return Object.fromEntries(Object.entries(pipeline.variables).map(([name, v]) => [name, { value: v.isSecret ? this.options.keyBox.open(v.value) : v.value, isSecret: v.isSecret }]));
  }

  // ---- general settings (build/generalsettings) --------------------------------------------------------------

  async generalSettings(caller: PipelineCaller, projectIdOrName: string): Promise<PipelineSettings> {
    const project = await this.options.rights.project(caller, projectIdOrName);
    return this.store.pipelines.settings(project.id);
  }

  /** Project administrators change the project's pipeline settings. */
  async updateGeneralSettings(caller: PipelineCaller, projectIdOrName: string, change: { enforceSettableVar?: boolean }): Promise<PipelineSettings> {
    const project = await this.options.rights.project(caller, projectIdOrName);
    if (!(await this.options.rights.isProjectAdministrator(caller, project))) throw pipelinesErrors.settingsDenied(caller.identity.displayName, project.name);
    const settings = { ...(await this.store.pipelines.settings(project.id)), ...change };
    await this.store.pipelines.putSettings(project.id, settings);
    return settings;
  }

  async pipelines(caller: PipelineCaller, projectIdOrName: string): Promise<Pipeline[]> {
    const project = await this.options.rights.project(caller, projectIdOrName);
    return this.store.pipelines.pipelines(project.id);
  }

  async pipeline(caller: PipelineCaller, projectIdOrName: string, id: number): Promise<Pipeline> {
    const project = await this.options.rights.project(caller, projectIdOrName);
    const pipeline = Number.isSafeInteger(id) ? await this.store.pipelines.pipeline(id) : undefined;
    if (!pipeline || pipeline.projectId !== project.id) throw pipelinesErrors.pipelineNotFound(id);
    return pipeline;
  }

  async repositoryOf(pipeline: Pipeline): Promise<Repository> {
    const repository = await this.store.pipelines.repository(pipeline.projectId, pipeline.repositoryId);
    if (!repository) throw pipelinesErrors.repositoryNotFound(pipeline.repositoryId);
    return repository;
  }
}
