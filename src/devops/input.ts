import { devopsErrors } from "./errors.js";

/**
 * Azure DevOps request bodies (other than service endpoints, in `endpoint-input.ts`) turned into typed commands, or
 * the service's own ArgumentException. Read before anything is checked or written, so bad input changes nothing.
 */

export interface ProjectChanges {
  name?: string;
  description?: string;
}

/** `PATCH _apis/projects/{project}`. */
export function projectChanges(body: unknown): ProjectChanges {
  const input = (body && typeof body === "object" ? body : {}) as { name?: unknown; description?: unknown };
  if (input.name !== undefined && (typeof input.name !== "string" || !input.name.trim())) throw devopsErrors.argument("The project name cannot be empty.");
  return {
    ...(typeof input.name === "string" ? { name: input.name.trim() } : {}),
    ...(typeof input.description === "string" ? { description: input.description } : {}),
  };
}

export interface RoleAssignmentRequest {
  /** As sent; the service checks it against the scope's roles. */
  roleName: string;
  userId: string;
}

/** `PUT securityroles/scopes/{scope}/roleassignments/resources/{resourceId}`: `[{roleName, userId}]`. */
export function roleAssignmentRequests(body: unknown): RoleAssignmentRequest[] {
  if (!Array.isArray(body)) throw devopsErrors.argument("The request body must be an array of {roleName, userId}.");
  return body.map((item) => {
    const { roleName, userId } = (item ?? {}) as { roleName?: unknown; userId?: unknown };
    if (typeof userId !== "string") throw devopsErrors.argument("userId must be an identity id.");
    return { roleName: String(roleName), userId };
  });
}

/** `PATCH …/roleassignments/resources/{resourceId}`: the identity ids to remove. */
export function identityIds(body: unknown): string[] {
  if (!Array.isArray(body) || body.some((x) => typeof x !== "string")) throw devopsErrors.argument("The request body must be an array of identity ids.");
  return body as string[];
}

export interface ProjectReferenceRequest {
  /** A project id or name. */
  project: string;
  /** The connection's name in that project; its own name when absent. */
  name?: string;
  description: string;
}

/** `PATCH serviceendpoint/endpoints/{id}` (share): `[{projectReference: {id | name}, name, description}]`. */
export function projectReferenceRequests(body: unknown, parameter = "endpointProjectReferences"): ProjectReferenceRequest[] {
  if (!Array.isArray(body)) throw devopsErrors.argumentNull(parameter);
  return body.map((raw) => {
    const ref = (raw ?? {}) as { projectReference?: { id?: unknown; name?: unknown }; name?: unknown; description?: unknown };
    const project = typeof ref.projectReference?.id === "string" ? ref.projectReference.id : typeof ref.projectReference?.name === "string" ? ref.projectReference.name : undefined;
    if (!project) throw devopsErrors.argument("Each project reference needs projectReference.id or projectReference.name.");
    return { project, name: typeof ref.name === "string" && ref.name ? ref.name : undefined, description: typeof ref.description === "string" ? ref.description : "" };
  });
}

export interface PipelinePermissionsChange {
  allPipelines?: boolean;
  pipelines: Array<{ id: number; authorized: boolean }>;
}

/** A ResourcePipelinePermissions body: open access, and single pipelines. */
export function pipelinePermissionsChange(body: unknown): PipelinePermissionsChange {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw devopsErrors.argument("The request body must be a ResourcePipelinePermissions object.");
  const input = body as { pipelines?: unknown; allPipelines?: unknown };
  const change: PipelinePermissionsChange = { pipelines: [] };
  if (input.allPipelines !== undefined && input.allPipelines !== null) {
    const authorized = (input.allPipelines as { authorized?: unknown }).authorized;
    if (typeof authorized !== "boolean") throw devopsErrors.argument("allPipelines.authorized must be true or false.");
    change.allPipelines = authorized;
  }
  if (input.pipelines !== undefined && input.pipelines !== null) {
    if (!Array.isArray(input.pipelines)) throw devopsErrors.argument("pipelines must be an array.");
    for (const p of input.pipelines) {
      const { id, authorized } = (p ?? {}) as { id?: unknown; authorized?: unknown };
      if (!Number.isInteger(id) || (id as number) < 1 || typeof authorized !== "boolean") throw devopsErrors.argument("Each pipeline needs an integer id and authorized true or false.");
      change.pipelines.push({ id: id as number, authorized });
    }
  }
  return change;
}

/** An EnvironmentCreateParameter (name required) or EnvironmentUpdateParameter (either field). */
export function readEnvironmentInput(body: unknown, creating: boolean): { name?: string; description?: string } {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw devopsErrors.argumentNull(creating ? "environmentCreateParameter" : "environmentUpdateParameter");
  const input = body as { name?: unknown; description?: unknown };
  if (input.name !== undefined && input.name !== null && typeof input.name !== "string") throw devopsErrors.argument("The environment's name must be a string.");
  if (input.description !== undefined && input.description !== null && typeof input.description !== "string") throw devopsErrors.argument("The environment's description must be a string.");
  const name = typeof input.name === "string" ? input.name : undefined;
  if (creating && !name?.trim()) throw devopsErrors.argumentNull("name");
  return { name, description: typeof input.description === "string" ? input.description : undefined };
}
