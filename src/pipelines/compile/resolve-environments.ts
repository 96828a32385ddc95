import type { EnvironmentForRun, ResourceRef } from "../ports.js";
import type { CompiledPipeline } from "./compiler.js";
import { compileTimeMacros } from "./resolve-connections.js";

const AUTHZ = "For authorization details, refer to https://aka.ms/yamlauthz.";

export interface EnvironmentContext {
  /** The project's environment of that name; a missing one is created when the requester may (null otherwise). */
  find: (name: string) => Promise<EnvironmentForRun | null>;
  isAuthorized: (resource: Omit<ResourceRef, "name">) => Promise<boolean>;
  /** Queue-time variables (an environment may be named by a macro of one). */
  queueVariables: Record<string, string>;
}

export interface EnvironmentResolution {
  errors: string[];
  unauthorized: ResourceRef[];
  onlyUnauthorized: boolean;
  /** The pipeline with each deployment job's environment id set. */
  pipeline: CompiledPipeline;
}

/**
 * Resolves the environment of every deployment job, as Azure Pipelines does when a run is queued: by name in the
 * project (created on first use when the person queuing may create environments), then the pipeline's permission.
 * Environments have no resources in svcconn, so a job naming one (`env.resource`) cannot find it.
 */
export async function resolveEnvironments(compiled: CompiledPipeline, context: EnvironmentContext): Promise<EnvironmentResolution> {
  const errors: string[] = [];
  const unauthorized = new Map<string, ResourceRef>();
  const found = new Map<string, Promise<EnvironmentForRun | null>>();
  const lookup = (name: string) => {
    const key = name.toLowerCase();
    if (!found.has(key)) found.set(key, context.find(name));
    return found.get(key)!;
  };
  let permissionErrors = 0;
  const stages = [];
  for (const stage of compiled.stages) {
    const jobs = [];
    for (const job of stage.jobs) {
      if (!job.environment) {
        jobs.push(job);
        continue;
      }
      const name = compileTimeMacros(job.environment.name, context.queueVariables).trim();
      const notFound = `Job ${job.name}: Environment ${name} could not be found. The environment does not exist or has not been authorized for use. ${AUTHZ}`;
      const environment = name ? await lookup(name) : null;
      if (!environment) {
        errors.push(notFound);
        jobs.push(job);
        continue;
      }
      if (!(await context.isAuthorized({ type: "environment", id: String(environment.id) }))) {
        permissionErrors++;
        unauthorized.set(String(environment.id), { type: "environment", id: String(environment.id), name: environment.name });
        errors.push(notFound);
      } else if (job.environment.resourceName) {
        errors.push(`Job ${job.name}: Environment ${environment.name} does not have a resource named ${job.environment.resourceName}. svcconn's environments have no Kubernetes or virtual machine resources.`);
      }
      jobs.push({ ...job, environment: { ...job.environment, name: environment.name, id: environment.id } });
    }
    stages.push({ ...stage, jobs });
  }
  return { errors, unauthorized: [...unauthorized.values()], onlyUnauthorized: errors.length > 0 && errors.length === permissionErrors, pipeline: { ...compiled, stages } };
}
