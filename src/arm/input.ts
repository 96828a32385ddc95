import { isGuid } from "../core/ids.js";
import { armErrors } from "./errors.js";
import type { PrincipalType, ResourceBody, RoleDefinition } from "./model.js";

/**
 * ARM request bodies (and template resources, which are the same bodies) turned into typed commands, or ARM's own
 * `InvalidRequestContent`-family error. The service takes only these commands.
 */

const PRINCIPAL_TYPES: PrincipalType[] = ["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"];

export const normalizeLocation = (location: string) => location.replace(/\s+/g, "").toLowerCase();

const objectOf = (body: unknown): Record<string, unknown> => (body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {});

export function readTags(tags: unknown): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  if (typeof tags !== "object" || Array.isArray(tags)) throw armErrors.invalidRequestContent("tags must be an object of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== "string") throw armErrors.invalidRequestContent(`tag '${k}' must be a string`);
    out[k] = v;
  }
  return out;
}

export interface ResourceGroupCommand {
  /** Required; the service says so in ARM's words when it is missing (after its own checks, as ARM orders them). */
  location?: string;
  tags: Record<string, string>;
  managedBy?: string;
}

export function resourceGroupCommand(body: unknown): ResourceGroupCommand {
  const b = objectOf(body);
  return {
    location: typeof b.location === "string" && b.location ? b.location : undefined,
    tags: readTags(b.tags),
    managedBy: typeof b.managedBy === "string" ? b.managedBy : undefined,
  };
}

export interface ResourceGroupPatch {
  tags?: Record<string, string>;
}

export function resourceGroupPatch(body: unknown): ResourceGroupPatch {
  const b = objectOf(body);
  return b.tags === undefined ? {} : { tags: readTags(b.tags) };
}

/** Keeps what a resource PUT or PATCH may set; read-only envelope fields come from the path. */
export function resourceBody(body: unknown): ResourceBody {
  const { id: _id, name: _name, type: _type, ...rest } = objectOf(body);
  if (rest.tags !== undefined) rest.tags = readTags(rest.tags);
  if (rest.properties !== undefined && (typeof rest.properties !== "object" || rest.properties === null || Array.isArray(rest.properties))) {
    throw armErrors.invalidRequestContent("properties must be an object");
  }
  if (typeof rest.location === "string") rest.location = normalizeLocation(rest.location);
  return rest as ResourceBody;
}

export interface RoleAssignmentCommand {
  roleDefinitionId: string;
  principalId: string;
  /** With it, ARM trusts the type (for replication delay); without it, the principal must exist. */
  principalType?: PrincipalType;
  description?: string;
  condition?: string;
  conditionVersion?: string;
}

/** A role assignment's `properties` (the body of a PUT, or a template resource). */
export function roleAssignmentCommand(body: unknown): RoleAssignmentCommand {
  const properties = objectOf(body).properties;
  if (!properties || typeof properties !== "object") throw armErrors.invalidRequestContent("properties is required");
  const { roleDefinitionId, principalId, principalType, description, condition, conditionVersion } = properties as Record<string, unknown>;
  if (typeof principalId !== "string" || !isGuid(principalId)) throw armErrors.invalidPrincipalId();
  if (typeof roleDefinitionId !== "string" || !/roleDefinitions\/[0-9a-f-]{36}$/i.test(roleDefinitionId)) {
    throw armErrors.invalidRoleDefinitionId(String(roleDefinitionId ?? ""));
  }
  if (principalType !== undefined && !PRINCIPAL_TYPES.includes(principalType as PrincipalType)) {
    throw armErrors.invalidRequestContent(`principalType '${String(principalType)}' is not one of ${PRINCIPAL_TYPES.join(", ")}`);
  }
  return {
    roleDefinitionId,
    principalId,
    principalType: principalType as PrincipalType | undefined,
    description: typeof description === "string" ? description : undefined,
    condition: typeof condition === "string" ? condition : undefined,
    conditionVersion: typeof conditionVersion === "string" ? conditionVersion : undefined,
  };
}

export interface RoleDefinitionCommand {
  roleName: string;
  description: string;
  permissions: RoleDefinition["permissions"];
  /** Empty: the scope the definition is written at. */
  assignableScopes: string[];
}

export function roleDefinitionCommand(body: unknown): RoleDefinitionCommand {
  const properties = objectOf(objectOf(body).properties);
  const roleName = properties.roleName;
  if (typeof roleName !== "string" || !roleName.trim()) throw armErrors.invalidRequestContent("properties.roleName is required");
  return {
    roleName,
    description: typeof properties.description === "string" ? properties.description : "",
    permissions: readPermissions(properties.permissions),
    assignableScopes: Array.isArray(properties.assignableScopes) ? properties.assignableScopes.map(String) : [],
  };
}

function readPermissions(value: unknown): RoleDefinition["permissions"] {
  if (!Array.isArray(value) || value.length === 0) throw armErrors.invalidRequestContent("properties.permissions must be a non-empty array");
  return value.map((p) => {
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === "string") : []) as string[];
    const o = (p ?? {}) as Record<string, unknown>;
    return { actions: list(o.actions), notActions: list(o.notActions), dataActions: list(o.dataActions), notDataActions: list(o.notDataActions) };
  });
}
