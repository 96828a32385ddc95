import { CompilePool } from "./compile/compile-pool.js";
import type { CompiledPipeline, PoolRequest } from "./compile/compiler.js";
import { compileTimeMacros, resolveConnections } from "./compile/resolve-connections.js";
import { resolveEnvironments } from "./compile/resolve-environments.js";
import { resolveGroups } from "./compile/resolve-groups.js";
import { resolveRepositoryEndpoints } from "./compile/resolve-repositories.js";
import { CompileError } from "./compile/yaml-tree.js";
import type { Store } from "../store/index.js";
import type { PoolChoice } from "./agent-queue.js";
import type { PipelineCatalog } from "./catalog.js";
import { pipelinesErrors } from "./errors.js";
import { HOSTED_POOL, type Pipeline, type PipelineResourceRun, type Repository, type Run } from "./model.js";
import type { DevOpsApi, OrganizationRef, PipelineCaller, ProjectRef, ResourceRef } from "./ports.js";
import { compileTimeVariables } from "./predefined.js";
import type { PipelineRights } from "./rights.js";
import { poolKey } from "./run-execution.js";
import type { QueuedPlan, Resolution, RunPlanner, RunRequest } from "./run-scheduler.js";
import type { RepositoryContent } from "./runner/job-runner.js";

export interface PreparationOptions {
  store: Store;
  devops: DevOpsApi;
  /** svcconn's DevOps listener as a job sees it (the collection URL templates read). */
  urls: () => { devops: string };
  /** svcconn's data folder and CA: no template reads them. */
  protectedPaths: string[];
  catalog: PipelineCatalog;
  rights: PipelineRights;
}

interface CompileContext {
  pipeline: Pipeline;
  repository: Repository;
  project: ProjectRef;
  caller: PipelineCaller;
}


/**
 * What happens to a run between the queue button and its first job, as Azure Pipelines does it: the queue-time
 * checks of the caller and the variables, the compile (templates, expressions, the final YAML a preview shows),
 * the repositories, pipeline resources and pools its jobs use, and the resources' authorization. A process taking
 * a run over plans it again for who queued it.
 */
export class RunPreparation implements RunPlanner {
  private readonly compiler = new CompilePool();

  constructor(private readonly options: PreparationOptions) {}

  private get store() {
    return this.options.store;
  }

  /** The run's own checks before anything of the pipeline is read: the right to queue it, and its variables. */
  async admit(caller: PipelineCaller, project: ProjectRef, pipeline: Pipeline, request: RunRequest): Promise<void> {
    if (!(await this.options.rights.canEdit(caller, project))) throw pipelinesErrors.queueDenied(caller.identity.displayName, pipeline.id, project.name);
    await this.checkQueueTimeVariables(pipeline, project, request);
  }

  /** The pipeline after templates and expressions (`pipelines/{id}/preview`), once admitted. */
  async finalYaml(caller: PipelineCaller, project: ProjectRef, pipeline: Pipeline, request: RunRequest): Promise<string> {
    const context: CompileContext = { pipeline, repository: await this.options.catalog.repositoryOf(pipeline), project, caller };
    return (await this.compile(context, request, this.compileTimeVariables(context, request), true)).finalYaml ?? "";
  }

  /**
   * Compiles off the event loop, within Azure Pipelines' limits (compile/compile-pool.ts, compile/budget.ts), with
   * the project's repositories for templates from other repositories; `preview` also writes the expanded YAML (a
   * preview, or a preview run, shows it).
   */
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
        installedTasks: await this.options.catalog.installedTasks(context.pipeline.organizationId),
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


  /** Compiles a run's pipeline for its caller and finds what its jobs use: repositories, pipeline resources, pools. */
  async prepare(caller: PipelineCaller, project: ProjectRef, pipeline: Pipeline, request: RunRequest): Promise<{ plan: QueuedPlan; pools: { first: string } }> {
    const repository = await this.options.catalog.repositoryOf(pipeline);
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

  /** The run compiled again for who queued it, for a process that takes it over. */
  async replan(run: Run, request: RunRequest): Promise<QueuedPlan> {
    const { devops } = this.options;
    const organization = await devops.organization(run.organizationId);
    const caller: PipelineCaller = { organization, identity: (await devops.identity(organization, run.requestedBy.id)) ?? run.requestedBy };
    const project = await devops.project(caller, run.projectId);
    const pipeline = await this.store.pipelines.pipeline(run.pipelineId);
    if (!pipeline) throw new Error(`its pipeline ${run.pipelineId} was deleted`);
    return (await this.prepare(caller, project, pipeline, request)).plan;
  }

  /**
   * The queue-time checks of the resources a run uses, in Azure DevOps' order: the connections of repository
   * resources outside Azure Repos, its variable groups (their variables then take their places), then every
   * connection input, whose `$(x)` may read a group's variable, then the environments of deployment jobs (created
   * on first use when the requester may).
   */
  async resolve(plan: QueuedPlan, requestedBy: string): Promise<Resolution> {
    const { compiled, org, project, pipeline, compileTime } = plan;
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

  /** Ends the compile threads (closing svcconn). */
  close(): Promise<void> {
    return this.compiler.close();
  }
}
