import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../core/crypto.js";
import { newGuid } from "../core/ids.js";
import type { OperationLeases } from "../core/leases.js";
import type { Logger } from "../core/logging.js";
import type { Store } from "../store/index.js";
import { UniqueViolation } from "../store/index.js";
import { CompilePool } from "./compile/compile-pool.js";
import type { CompiledPipeline, PoolRequest } from "./compile/compiler.js";
import { compileTimeMacros, pipelineNotValid, resolveConnections } from "./compile/resolve-connections.js";
import { Approvals } from "./approvals.js";
import { type LockStore, ResourceLocks } from "./resource-locks.js";
import { resolveEnvironments } from "./compile/resolve-environments.js";
import { resolveGroups } from "./compile/resolve-groups.js";
import { resolveRepositoryEndpoints } from "./compile/resolve-repositories.js";
import { CompileError } from "./compile/yaml-tree.js";
import { pipelinesErrors } from "./errors.js";
import { FREE_TIER_PARALLELISM, HOSTED_POOL, type DefinitionVariable, type InstalledExtension, type PipelineResourceRun, type RepositoryType, type Parallelism, type Pipeline, type PipelineSettings, type Repository, type Run } from "./model.js";
import type { DevOpsApi, OrganizationRef, PipelineCaller, ProjectRef, ResourceRef } from "./ports.js";
import { repositoryPath } from "./repositories.js";
import { compileTimeVariables } from "./predefined.js";
import { readLogLines } from "./run-logs.js";
import { poolKey, type ExecutionDeps, type LiveJob } from "./run-execution.js";
import { RunScheduler, type QueuedPlan, type Resolution, type RunRequest } from "./run-scheduler.js";
import { AgentQueue, type PoolChoice } from "./agent-queue.js";
import type { RepositoryContent } from "./runner/job-runner.js";
import type { StepSandbox } from "./runner/sandbox.js";
import type { WorkFolders } from "./runner/work-folders.js";
import { MARKETPLACE, type TaskDefinition, withImplementation } from "./tasks/catalog.js";

export interface PipelinesOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  devops: DevOpsApi;
  /** svcconn's own listeners as a job sees them: the DevOps host (collection URL base), login, ARM and Graph. */
  urls: () => { devops: string; login: string; arm: string; graph: string; imds: string; proxy?: string };
  /** Environment every step inherits from the agent (PATH, the CA bundle that trusts svcconn, proxy settings). */
  agentEnvironment: () => NodeJS.ProcessEnv;
  /** Seals pipeline secret variables while stored. */
  keyBox: SecretBox;
  /** Leases on runs under way, so another process can take over one whose process stopped. */
  leases: OperationLeases;
  /** Where jobs run, and how their steps are isolated from svcconn. */
  workFolders: WorkFolders;
  sandbox: StepSandbox;
  /** svcconn's data folder and CA: no checkout copies them and no template reads them. */
  protectedPaths: string[];
}

/** What compiling a pipeline for a caller reads: the pipeline, its repository and project, and who queues it. */
interface CompileContext {
  pipeline: Pipeline;
  repository: Repository;
  project: ProjectRef;
  caller: PipelineCaller;
}

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

/**
 * Azure Pipelines: repositories, YAML pipelines, runs (compile, resource authorization, jobs on agents), their
 * timelines and logs, and the job OIDC token. Service connections, permissions and tokens come from the DevOps
 * plane through its port; tasks reach Entra ID and ARM over HTTPS like real tasks.
 */
export class PipelinesService {
  private readonly live = new Map<string, LiveJob>();
  private readonly scheduler: RunScheduler;
  private readonly compiler = new CompilePool();
  private readonly agents: AgentQueue;

  readonly approvals: Approvals;
  private readonly locks: ResourceLocks;

  constructor(private readonly options: PipelinesOptions) {
    this.approvals = new Approvals(options.store, options.clock, options.devops);
    // Parallel jobs and busy agents are counted in the store, over every process sharing it.
    const { leases } = options;
    this.agents = new AgentQueue(async (organizationId) => (await this.store.pipelines.parallelism(organizationId)) ?? FREE_TIER_PARALLELISM, {
      take: (slot) => leases.holdIfFree("agent", slot),
      free: (slot) => leases.release("agent", slot),
    });
    this.locks = new ResourceLocks(lockStore(leases));
    this.scheduler = new RunScheduler(options, { replan: (run, request) => this.replan(run, request), resolve: (plan, requestedBy) => this.resolve(plan.compiled, plan.org, plan.project, plan.pipeline, plan.compileTime, requestedBy) }, () => this.executionDeps());
  }

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
    await this.agents.limitsChanged(org.id);
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
  private async installedTasks(organizationId: string): Promise<TaskDefinition[]> {
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

  // ---- callers and rights ----------------------------------------------------------------------------------

  async caller(organization: string, authorization: string | undefined): Promise<PipelineCaller> {
    const org = await this.options.devops.organization(organization);
    return this.options.devops.authenticate(org, authorization);
  }

  project(caller: PipelineCaller, idOrName: string): Promise<ProjectRef> {
    return this.options.devops.project(caller, idOrName);
  }

  private async isProjectAdministrator(caller: PipelineCaller, project: ProjectRef): Promise<boolean> {
    if (caller.job) return false;
    return (await this.options.devops.projectGroups(caller, project)).includes("Project Administrators");
  }

  /** Contributors and project administrators edit and queue pipelines; a job's build service queues too. */
  private async canEdit(caller: PipelineCaller, project: ProjectRef): Promise<boolean> {
    if (caller.job) return caller.job.projectId === project.id;
    const groups = await this.options.devops.projectGroups(caller, project);
    return groups.includes("Project Administrators") || groups.includes("Contributors");
  }

  // ---- pipelines ---------------------------------------------------------------------------------------------

  async createPipeline(caller: PipelineCaller, projectIdOrName: string, input: NewPipeline): Promise<Pipeline> {
    const project = await this.project(caller, projectIdOrName);
    if (!(await this.canEdit(caller, project))) throw pipelinesErrors.editDenied(caller.identity.displayName, project.name);
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
    const project = await this.project(caller, projectIdOrName);
    const pipeline = await this.pipeline(caller, project.id, id);
    if (!(await this.canEdit(caller, project)) || caller.job) throw pipelinesErrors.editDenied(caller.identity.displayName, project.name);
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
  private openVariables(pipeline: Pipeline): Record<string, { value: string; isSecret: boolean }> {
    return Object.fromEntries(Object.entries(pipeline.variables).map(([name, v]) => [name, { value: v.isSecret ? this.options.keyBox.open(v.value) : v.value, isSecret: v.isSecret }]));
  }

  // ---- general settings (build/generalsettings) --------------------------------------------------------------

  async generalSettings(caller: PipelineCaller, projectIdOrName: string): Promise<PipelineSettings> {
    const project = await this.project(caller, projectIdOrName);
    return this.store.pipelines.settings(project.id);
  }

  /** Project administrators change the project's pipeline settings. */
  async updateGeneralSettings(caller: PipelineCaller, projectIdOrName: string, change: { enforceSettableVar?: boolean }): Promise<PipelineSettings> {
    const project = await this.project(caller, projectIdOrName);
    if (!(await this.isProjectAdministrator(caller, project))) throw pipelinesErrors.settingsDenied(caller.identity.displayName, project.name);
    const settings = { ...(await this.store.pipelines.settings(project.id)), ...change };
    await this.store.pipelines.putSettings(project.id, settings);
    return settings;
  }

  async pipelines(caller: PipelineCaller, projectIdOrName: string): Promise<Pipeline[]> {
    const project = await this.project(caller, projectIdOrName);
    return this.store.pipelines.pipelines(project.id);
  }

  async pipeline(caller: PipelineCaller, projectIdOrName: string, id: number): Promise<Pipeline> {
    const project = await this.project(caller, projectIdOrName);
    const pipeline = Number.isSafeInteger(id) ? await this.store.pipelines.pipeline(id) : undefined;
    if (!pipeline || pipeline.projectId !== project.id) throw pipelinesErrors.pipelineNotFound(id);
    return pipeline;
  }

  async repositoryOf(pipeline: Pipeline): Promise<Repository> {
    const repository = await this.store.pipelines.repository(pipeline.projectId, pipeline.repositoryId);
    if (!repository) throw pipelinesErrors.repositoryNotFound(pipeline.repositoryId);
    return repository;
  }

  // ---- compile -----------------------------------------------------------------------------------------------

  /**
   * Compiles off the event loop, within Azure Pipelines' limits (compile/compile-pool.ts, compile/budget.ts), with
   * the project's repositories for templates from other repositories.
   */
  /** Compiles the run's pipeline; `preview` also writes the expanded YAML (a preview, or a preview run, shows it). */
  private async compile(context: CompileContext, request: RunRequest, queueVariables = this.compileTimeVariables(context, request), preview = request.previewRun): Promise<CompiledPipeline> {
    const repositories: Record<string, { folder: string | null; files: Record<string, string> | null }> = {};
    for (const r of await this.store.pipelines.repositories(context.project.id)) repositories[r.name.toLowerCase()] = { folder: r.folder, files: r.files };
    repositories.self = { folder: context.repository.folder, files: context.repository.files };
    try {
      return await this.compiler.compile({
        yamlPath: context.pipeline.yamlPath,
        repositories,
        hidden: this.options.protectedPaths,
        templateParameters: request.templateParameters,
        queueVariables,
        installedTasks: await this.installedTasks(context.pipeline.organizationId),
        finalYaml: preview,
      });
    } catch (error) {
      if (error instanceof CompileError) throw pipelinesErrors.validation([{ result: "error", message: error.message }]);
      throw error;
    }
  }

  /**
   * What templates see: the predefined variables of the run (its branch, reason, pipeline, project…), then the
   * pipeline's own and the queue-time variables — every value that is not a secret.
   */
  private compileTimeVariables(context: CompileContext, request: RunRequest): Record<string, string> {
    const { pipeline, repository, project, caller } = context;
    const out: Record<string, string> = compileTimeVariables({
      runId: null,
      buildNumber: null,
      sourceBranch: request.sourceBranch ?? repository.defaultBranch,
      sourceVersion: "0000000000000000000000000000000000000000",
      requestedBy: { id: caller.identity.id, displayName: caller.identity.displayName, uniqueName: caller.identity.uniqueName },
      pipeline,
      repository,
      project,
      organization: caller.organization,
      collectionUri: `${this.options.urls().devops}/${caller.organization.name}/`,
    });
    for (const [name, v] of Object.entries(pipeline.variables)) if (!v.isSecret) out[name] = v.value;
    for (const [name, v] of Object.entries(request.variables)) {
      const defined = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase());
      if (defined !== undefined) delete out[defined];
      if (!v.isSecret && !pipeline.variables[defined ?? name]?.isSecret) out[name] = v.value;
    }
    return out;
  }

  /**
   * With "Limit variables that can be set at queue time" on (the default), a run may set only the variables its
   * pipeline marks settable at queue time; anything else refuses the whole run, as Azure DevOps does.
   */
  private async checkQueueTimeVariables(pipeline: Pipeline, project: ProjectRef, request: RunRequest): Promise<void> {
    const names = Object.keys(request.variables);
    if (names.length === 0 || !(await this.store.pipelines.settings(project.id)).enforceSettableVar) return;
    const settable = new Set(Object.entries(pipeline.variables).filter(([, v]) => v.allowOverride).map(([k]) => k.toLowerCase()));
    const refused = names.filter((name) => !settable.has(name.toLowerCase()));
    if (refused.length) throw pipelinesErrors.validation([{ result: "error", message: pipelinesErrors.notSettableText(refused) }]);
  }

  /** Whether the caller may queue the pipeline (its queue-time input is read only after this). */
  async checkQueue(caller: PipelineCaller, projectIdOrName: string, pipelineId: number): Promise<void> {
    const project = await this.project(caller, projectIdOrName);
    const pipeline = await this.pipeline(caller, project.id, pipelineId);
    if (!(await this.canEdit(caller, project))) throw pipelinesErrors.queueDenied(caller.identity.displayName, pipeline.id, project.name);
  }

  /** The run's own checks before anything of the pipeline is read: the right to queue it, and its variables. */
  private async admit(caller: PipelineCaller, project: ProjectRef, pipeline: Pipeline, request: RunRequest): Promise<void> {
    if (!(await this.canEdit(caller, project))) throw pipelinesErrors.queueDenied(caller.identity.displayName, pipeline.id, project.name);
    await this.checkQueueTimeVariables(pipeline, project, request);
  }

  /** The pipeline after templates and expressions (`pipelines/{id}/preview`): a dry run, with a run's rights. */
  async preview(caller: PipelineCaller, projectIdOrName: string, pipelineId: number, request: RunRequest): Promise<string> {
    const project = await this.project(caller, projectIdOrName);
    const pipeline = await this.pipeline(caller, project.id, pipelineId);
    await this.admit(caller, project, pipeline, request);
    const context: CompileContext = { pipeline, repository: await this.repositoryOf(pipeline), project, caller };
    return (await this.compile(context, request, this.compileTimeVariables(context, request), true)).finalYaml ?? "";
  }

  // ---- runs ------------------------------------------------------------------------------------------------

  async queueRun(caller: PipelineCaller, projectIdOrName: string, pipelineId: number, request: RunRequest): Promise<Run> {
    const project = await this.project(caller, projectIdOrName);
    const pipeline = await this.pipeline(caller, project.id, pipelineId);
    await this.admit(caller, project, pipeline, request);
    const { plan, pools } = await this.prepare(caller, project, pipeline, request);
    const now = this.now();
    const day = now.slice(0, 10).replace(/-/g, "");
    const run: Omit<Run, "id"> = {
      organizationId: caller.organization.id,
      projectId: project.id,
      pipelineId: pipeline.id,
      pipelineRevision: pipeline.revision,
      name: `${day}.${(await this.store.pipelines.runsOfDay(pipeline.id, day)) + 1}`,
      status: "notStarted",
      result: null,
      reason: "manual",
      requestedBy: { id: caller.identity.id, displayName: caller.identity.displayName, uniqueName: caller.identity.uniqueName },
      queueTime: now,
      startTime: null,
      finishTime: null,
      sourceBranch: request.sourceBranch ?? plan.repository.defaultBranch,
      sourceVersion: "0000000000000000000000000000000000000000",
      variables: request.variables,
      templateParameters: request.templateParameters,
      validationResults: [],
      planId: newGuid(),
      // Only a preview run shows it; a stored run does not keep it (it can weigh megabytes).
      finalYaml: request.previewRun ? plan.compiled.finalYaml : null,
      queue: pools.first,
      timeline: [],
    };
    if (request.previewRun) return { ...run, id: -1 };
    const resolution = await this.resolve(plan.compiled, caller.organization, project, pipeline, plan.compileTime, caller.identity.id);
    if (resolution.errors.length) {
      if (resolution.onlyUnauthorized && (await this.store.pipelines.settings(project.id)).resourceAuthorization === "wait") {
        return this.scheduler.waitForPermit(run, resolution.unauthorized, plan);
      }
      // A resource authorization failure is a run that failed before any job (the UI's "There was a resource authorization issue").
      const failed = { ...run, status: "completed" as const, result: "failed" as const, startTime: now, finishTime: now, validationResults: [{ result: "error" as const, message: pipelineNotValid(resolution.errors) }] };
      return this.store.pipelines.insertRun(failed);
    }
    const stored = await this.store.pipelines.insertRun(run);
    await this.scheduler.hold(stored, plan);
    this.scheduler.start(stored, plan, resolution);
    return stored;
  }

  /** Compiles a run's pipeline for its caller and finds what its jobs use: repositories, pipeline resources, pools. */
  private async prepare(caller: PipelineCaller, project: ProjectRef, pipeline: Pipeline, request: RunRequest): Promise<{ plan: QueuedPlan; pools: { first: string } }> {
    const repository = await this.repositoryOf(pipeline);
    const context: CompileContext = { pipeline, repository, project, caller };
    const compileTime = this.compileTimeVariables(context, request);
    const compiled = await this.compile(context, request, compileTime);
    const repositories = await this.checkoutRepositories(project, repository, compiled);
    const pipelineResources = await this.pipelineResources(caller.organization, project, compiled);
    const pools = await this.poolsFor(caller.organization, compiled, request.defaultPool ?? pipeline.defaultPool, compileTime);
    return { plan: { pipeline, repository, compiled, pools: pools.byJob, project, org: caller.organization, request, repositories, pipelineResources, compileTime }, pools };
  }

  /**
   * What a checkout may copy: the pipeline's repository as `self`, and each of `resources.repositories` as its
   * alias — a repository of the project by name (`project/name` by its last part); one svcconn does not have is a
   * queue-time error.
   */
  private async checkoutRepositories(project: ProjectRef, self: Repository, compiled: CompiledPipeline): Promise<Map<string, RepositoryContent>> {
    const out = new Map<string, RepositoryContent>([["self", { name: self.name, folder: self.folder, files: self.files }]]);
    const known = await this.store.pipelines.repositories(project.id);
    const errors: string[] = [];
    for (const r of compiled.resources.repositories) {
      const wanted = r.name.toLowerCase();
      // Azure Repos are named `project/name` or `name`; other hosts `owner/name` in full.
      const ofType = known.filter((k) => k.type === r.type);
      const found = ofType.find((k) => k.name.toLowerCase() === wanted) ?? (r.type === "git" ? ofType.find((k) => k.name.toLowerCase() === wanted.split("/").pop()) : undefined);
      if (!found) errors.push(pipelinesErrors.repositoryResourceText(r.alias, r.name, project.name));
      else out.set(r.alias.toLowerCase(), { name: found.name, folder: found.folder, files: found.files });
    }
    if (errors.length) throw pipelinesErrors.validation(errors.map((message) => ({ result: "error", message })));
    return out;
  }

  /**
   * `resources.pipelines`, resolved as a run is queued: each names a pipeline of the project (or of `project`) by
   * name (a folder path's last part), and stands for its latest successful run — on `branch` when given, or the run
   * named by `version` — whose facts become `resources.pipeline.{alias}.*` and whose artifacts `download: {alias}`
   * fetches. A pipeline or run that cannot be found is a queue-time error naming the resource.
   */
  private async pipelineResources(org: OrganizationRef, project: ProjectRef, compiled: CompiledPipeline): Promise<PipelineResourceRun[]> {
    const out: PipelineResourceRun[] = [];
    const errors: string[] = [];
    for (const r of compiled.resources.pipelines) {
      const where = r.project ? await this.options.devops.projectOf(org, r.project).catch(() => undefined) : project;
      const name = r.source.split("\\").pop()!.toLowerCase();
      const source = where && (await this.store.pipelines.pipelines(where.id)).find((p) => p.name.toLowerCase() === name);
      if (!where || !source) {
        errors.push(`Pipeline resource ${r.alias} references pipeline ${r.source}${r.project ? ` in project ${r.project}` : ""}, which could not be found.`);
        continue;
      }
      const branch = r.branch && (r.branch.startsWith("refs/") ? r.branch : `refs/heads/${r.branch}`);
      const runs = await this.store.pipelines.runs(where.id, { pipelineId: source.id, top: 1000 });
      const run = runs.find((x) => (r.version ? x.name === r.version : x.result === "succeeded" || x.result === "partiallySucceeded") && (!branch || x.sourceBranch === branch));
      if (!run) {
        errors.push(`Pipeline resource ${r.alias}: pipeline ${source.name} has no ${r.version ? `run named ${r.version}` : "successful run"}${branch ? ` on ${branch}` : ""}.`);
        continue;
      }
      out.push({
        alias: r.alias,
        pipeline: { id: source.id, name: source.name },
        project: { id: where.id, name: where.name },
        run: { id: run.id, name: run.name, sourceBranch: run.sourceBranch, sourceVersion: run.sourceVersion, requestedBy: { id: run.requestedBy.id, displayName: run.requestedBy.displayName } },
      });
    }
    if (errors.length) throw pipelinesErrors.validation(errors.map((message) => ({ result: "error", message })));
    return out;
  }

  /**
   * The queue-time checks of the resources a run uses, in Azure DevOps' order: the connections of repository
   * resources outside Azure Repos, its variable groups (their variables then take their places), then every
   * connection input, whose `$(x)` may read a group's variable, then the environments of deployment jobs (created
   * on first use when the requester may).
   */
  /** The run compiled again for who queued it, for a process that takes it over. */
  private async replan(run: Run, request: RunRequest): Promise<QueuedPlan> {
    const { devops } = this.options;
    const organization = await devops.organization(run.organizationId);
    const caller: PipelineCaller = { organization, identity: (await devops.identity(organization, run.requestedBy.id)) ?? run.requestedBy };
    const project = await devops.project(caller, run.projectId);
    const pipeline = await this.store.pipelines.pipeline(run.pipelineId);
    if (!pipeline) throw new Error(`its pipeline ${run.pipelineId} was deleted`);
    return (await this.prepare(caller, project, pipeline, request)).plan;
  }

  private async resolve(compiled: CompiledPipeline, org: OrganizationRef, project: ProjectRef, pipeline: Pipeline, compileTime: Record<string, string>, requestedBy: string): Promise<Resolution> {
    const { devops } = this.options;
    const connections = await devops.connectionsOfProject(org, project.id);
    const isAuthorized = (resource: Omit<ResourceRef, "name">) => devops.isAuthorized(project.id, resource, pipeline.id);
    const linksGroups = compiled.groups.length > 0 || compiled.stages.some((s) => s.groups.length > 0 || s.jobs.some((j) => j.groups.length > 0));
    const groups = linksGroups
      ? await resolveGroups(compiled, { groups: await devops.variableGroupsOfProject(org, project.id), connections, isAuthorized })
      : { errors: [], unauthorized: [], pipeline: compiled, onlyUnauthorized: false };
    const inputs = await resolveConnections(groups.pipeline, { connections, isAuthorized: (id) => isAuthorized({ type: "endpoint", id }), queueVariables: compileTime });
    const environments = await resolveEnvironments(groups.pipeline, {
      find: (name) => devops.environmentForRun(org, project.id, name, requestedBy, pipeline.id),
      isAuthorized,
      queueVariables: compileTime,
    });
    const repositories = await resolveRepositoryEndpoints(compiled, { connections, isAuthorized, queueVariables: compileTime });
    const parts = [repositories, groups, { ...inputs, unauthorized: inputs.unauthorized.map((c) => ({ type: "endpoint" as const, id: c.id, name: c.name })) }, environments];
    const errors = parts.flatMap((p) => p.errors);
    const unauthorized: ResourceRef[] = [];
    for (const r of parts.flatMap((p) => p.unauthorized)) if (!unauthorized.some((u) => u.type === r.type && u.id === r.id)) unauthorized.push(r);
    const onlyUnauthorized = errors.length > 0 && parts.every((p) => p.errors.length === 0 || p.onlyUnauthorized);
    return { errors, unauthorized, onlyUnauthorized, uses: inputs.uses, pipeline: environments.pipeline };
  }

  private executionDeps(): Omit<ExecutionDeps, "legFinished"> {
    const { store, clock, logger, devops, urls, agentEnvironment, workFolders, sandbox, protectedPaths } = this.options;
    return {
      store,
      clock,
      logger,
      devops,
      urls,
      agentEnvironment,
      workFolders,
      sandbox,
      protectedPaths,
      agents: this.agents,
      approvals: this.approvals,
      locks: this.locks,
      live: this.live,
      openVariables: (p) => this.openVariables(p),
    };
  }

  /** The pool of each job: `vmImage` is the Microsoft-hosted pool; `name` a pool the organization has. */
  private async poolsFor(org: OrganizationRef, compiled: CompiledPipeline, defaultPool: string | null, compileTime: Record<string, string>): Promise<{ first: string; byJob: Map<string, PoolChoice> }> {
    const declared = await this.store.pipelines.pools(org.id);
    const byJob = new Map<string, PoolChoice>();
    const errors: string[] = [];
    for (const stage of compiled.stages) {
      for (const job of stage.jobs) {
        if (job.agentless) {
          byJob.set(poolKey(stage, job), { pool: "server", hosted: true, agents: [] });
          continue;
        }
        const request: PoolRequest = job.pool ?? stage.pool ?? compiled.pool ?? (defaultPool ? { name: defaultPool, vmImage: null } : { name: null, vmImage: "ubuntu-latest" });
        // A pool named by a macro takes the variable's value at queue time.
        const named = request.name ? compileTimeMacros(request.name, compileTime) : null;
        const name = request.vmImage || !named ? HOSTED_POOL : named;
        if (name.toLowerCase() === HOSTED_POOL.toLowerCase()) {
          byJob.set(poolKey(stage, job), { pool: HOSTED_POOL, hosted: true, agents: [] });
          continue;
        }
        const pool = declared.find((p) => p.name.toLowerCase() === name.toLowerCase());
        if (!pool) {
          errors.push(`Could not find a pool with name ${name}. The pool does not exist or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.`);
          continue;
        }
        if (!pool.agents.length) {
          errors.push(`No agent found in pool ${pool.name} which satisfies the specified demands.`);
          continue;
        }
        byJob.set(poolKey(stage, job), { pool: pool.name, hosted: false, agents: pool.agents.map((a) => ({ name: a.name, pool: pool.name, hosted: false, vm: a.vm })) });
      }
    }
    if (errors.length) throw pipelinesErrors.validation(errors.map((message) => ({ result: "error", message })));
    return { first: [...byJob.values()][0]?.pool ?? HOSTED_POOL, byJob };
  }

  async run(caller: PipelineCaller, projectIdOrName: string, runId: number, pipelineId?: number): Promise<Run> {
    const project = await this.project(caller, projectIdOrName);
    const run = Number.isSafeInteger(runId) ? await this.store.pipelines.run(runId) : undefined;
    if (!run || run.projectId !== project.id || (pipelineId !== undefined && run.pipelineId !== pipelineId)) throw pipelinesErrors.runNotFound(runId);
    return run;
  }

  async runs(caller: PipelineCaller, projectIdOrName: string, options: { pipelineId?: number; runIds?: number[]; top?: number }): Promise<Run[]> {
    const project = await this.project(caller, projectIdOrName);
    if (options.pipelineId !== undefined) await this.pipeline(caller, project.id, options.pipelineId);
    return this.store.pipelines.runs(project.id, { pipelineId: options.pipelineId, runIds: options.runIds, top: Math.min(Math.max(Math.floor(options.top ?? 1000) || 1000, 1), 10_000) });
  }

  async logs(caller: PipelineCaller, projectIdOrName: string, runId: number) {
    const run = await this.run(caller, projectIdOrName, runId);
    return { run, logs: await this.store.pipelines.logs(run.id) };
  }

  /** A log's description and its lines from `start` to `end`, read a page at a time. */
  async log(caller: PipelineCaller, projectIdOrName: string, runId: number, logId: number, range: { start?: number; end?: number } = {}) {
    const run = await this.run(caller, projectIdOrName, runId);
    const all = await this.store.pipelines.logs(run.id);
    const log = all.find((l) => l.id === logId);
    if (!log) throw pipelinesErrors.logNotFound(logId);
    // A log still being written reads as far as its description counts (its pages may already hold more).
    return { run, log, lines: readLogLines(this.store.pipelines, log, all, range.start, Math.min(range.end ?? Number.POSITIVE_INFINITY, log.lineCount)) };
  }

  /** Cancels a run under way: running steps are stopped, the rest are canceled. */
  async cancel(caller: PipelineCaller, projectIdOrName: string, runId: number): Promise<Run> {
    const run = await this.run(caller, projectIdOrName, runId);
    const project = await this.project(caller, projectIdOrName);
    if (!(await this.canEdit(caller, project))) throw pipelinesErrors.queueDenied(caller.identity.displayName, run.pipelineId, project.name);
    return this.scheduler.cancel(run);
  }

  /** A run another process was asked to cancel, held here. */
  cancelHeld(runId: number): void {
    this.scheduler.cancelHeld(runId);
  }

  /** A run whose process stopped: see `RunScheduler.takeOver`. */
  takeOverRun(id: string, body: string): Promise<void> {
    return this.scheduler.takeOver(id, body);
  }

  /** Runs under way that no process holds end as failed (called at start): see `RunScheduler.recoverUnfinished`. */
  recoverUnfinishedRuns(graceMs = 0): Promise<number> {
    return this.scheduler.recoverUnfinished(graceMs);
  }

  /** Resolves when every run under way has finished (closing waits for it, bounded). */
  settled(): Promise<void> {
    return this.scheduler.settled();
  }

  /** Stops every run under way (closing svcconn); runs waiting for Permit stay held, taken over at the next start. */
  cancelAll(): void {
    this.scheduler.cancelAll();
  }

  // ---- the job OIDC token ----------------------------------------------------------------------------------

  /**
   * `POST …/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken`: only a job's own access token,
   * for its own plan and job while it runs, and for a connection the pipeline is authorized to use.
   */
  async oidcToken(caller: PipelineCaller, projectIdOrName: string, planId: string, jobId: string, connectionId: string | undefined): Promise<string> {
    if (!caller.job) throw pipelinesErrors.oidcNotAJob();
    const project = await this.project(caller, projectIdOrName);
    if (caller.job.planId !== planId.toLowerCase() || caller.job.jobId !== jobId.toLowerCase() || caller.job.projectId !== project.id) throw pipelinesErrors.oidcWrongJob();
    const live = this.live.get(`${caller.job.planId}:${caller.job.jobId}`);
    if (!live) throw pipelinesErrors.oidcJobOver(jobId);
    if (!connectionId) throw pipelinesErrors.argument("The query parameter 'serviceConnectionId' is required.");
    const id = connectionId.toLowerCase();
    if (!live.connections.has(id) || !(await this.options.devops.isAuthorized(project.id, { type: "endpoint", id }, live.pipelineId))) throw pipelinesErrors.oidcNotAuthorized(connectionId);
    return this.options.devops.federationToken(caller.organization, project.id, id);
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------

  /** How steps are isolated from svcconn (`none` when bubblewrap is missing or turned off). */
  sandboxKind(): "bubblewrap" | "none" {
    return this.options.sandbox.kind;
  }

  /** Ends the compile threads and removes the job folders' root (closing svcconn, after the runs have settled). */
  async close(): Promise<void> {
    await this.compiler.close();
    this.options.workFolders.close();
  }


}

/** Exclusive locks and their queues as leases: a lock's body names the run holding it; a place, its run. */
function lockStore(leases: OperationLeases): LockStore {
  const place = (key: string, runId: number) => `${key}#${runId}`;
  return {
    take: async (key, runId) => (await leases.holdIfFree("lock", key, { runId })) || (await leases.heldOf<{ runId: number }>("lock")).some((l) => l.id === key && l.body.runId === runId),
    free: async (key, runId) => {
      if ((await leases.heldOf<{ runId: number }>("lock")).some((l) => l.id === key && l.body.runId === runId)) await leases.release("lock", key);
    },
    enqueue: (key, runId) => leases.enqueue("lock-wait", place(key, runId), { runId }),
    leave: (key, runId) => leases.release("lock-wait", place(key, runId)),
    queue: async (key) =>
      (await leases.heldOf<{ runId: number; arrivedAt: number }>("lock-wait"))
        .filter((w) => w.id.startsWith(`${key}#`))
        .sort((a, b) => a.body.arrivedAt - b.body.arrivedAt)
        .map((w) => w.body.runId),
  };
}
