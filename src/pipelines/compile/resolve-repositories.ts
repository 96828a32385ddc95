import type { ConnectionSummary, ResourceRef } from "../ports.js";
import type { CompiledPipeline } from "./compiler.js";
import { compileTimeMacros } from "./resolve-connections.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RepositoryEndpointContext {
  connections: ConnectionSummary[];
  isAuthorized: (resource: Omit<ResourceRef, "name">) => Promise<boolean>;
  queueVariables: Record<string, string>;
}

/**
 * The service connection of every repository resource hosted outside Azure Repos (GitHub, GitHub Enterprise,
 * Bitbucket), checked as Azure Pipelines checks it when a run is queued: it must exist in the project and be
 * permitted to the pipeline, else `Repository {alias} references endpoint {name} which does not exist or is not
 * authorized for use.`
 */
export async function resolveRepositoryEndpoints(compiled: CompiledPipeline, context: RepositoryEndpointContext): Promise<{ errors: string[]; unauthorized: ResourceRef[]; onlyUnauthorized: boolean }> {
  const errors: string[] = [];
  const unauthorized: ResourceRef[] = [];
  for (const repository of compiled.resources.repositories) {
    if (repository.type === "git") continue;
    if (!repository.endpoint) {
      errors.push(`Repository ${repository.alias}: a repository of type ${repository.type} needs an endpoint, the service connection that reaches it.`);
      continue;
    }
    const name = compileTimeMacros(repository.endpoint, context.queueVariables).trim();
    const text = `Repository ${repository.alias} references endpoint ${name} which does not exist or is not authorized for use.`;
    const connection = context.connections.find((c) => c.name.toLowerCase() === name.toLowerCase() || (GUID.test(name) && c.id === name.toLowerCase()));
    if (!connection || connection.isDisabled) {
      errors.push(text);
      continue;
    }
    if (!(await context.isAuthorized({ type: "endpoint", id: connection.id }))) {
      errors.push(text);
      if (!unauthorized.some((u) => u.id === connection.id)) unauthorized.push({ type: "endpoint", id: connection.id, name: connection.name });
    }
  }
  const permissionErrors = errors.filter((e) => unauthorized.some((u) => e.includes(`references endpoint ${u.name} `))).length;
  return { errors, unauthorized, onlyUnauthorized: errors.length > 0 && permissionErrors === errors.length };
}
