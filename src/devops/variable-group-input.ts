import { devopsErrors } from "./errors.js";
import { projectReferenceRequests, type ProjectReferenceRequest } from "./input.js";

/**
 * `VariableGroupParameters` bodies (`distributedtask/variablegroups`) turned into a typed command, or Azure DevOps'
 * ArgumentException, before anything is checked or written.
 */

export interface GroupVariableInput {
  /** Undefined or null on a secret: keep the stored value (reads return secrets as null and clients send them back). */
  value: string | null | undefined;
  isSecret: boolean;
  isReadOnly: boolean;
  enabled?: boolean;
  contentType?: string;
  expires?: string | null;
}

export interface VariableGroupInput {
  name: string;
  description: string;
  type: "Vsts" | "AzureKeyVault";
  variables: Record<string, GroupVariableInput>;
  providerData: { serviceEndpointId: string; vault: string } | null;
  /** `variableGroupProjectReferences`; undefined on the project-scoped routes (the route names the project). */
  projects: ProjectReferenceRequest[] | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Azure DevOps' length limits for a group's name and a variable's name. */
const MAX_NAME = 256;

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function readVariables(raw: unknown): Record<string, GroupVariableInput> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw devopsErrors.argument("variables must be an object of name: {value, isSecret}.");
  const out: Record<string, GroupVariableInput> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!name.trim()) throw devopsErrors.argument("Variable name cannot be empty.");
    if (name.length > MAX_NAME) throw devopsErrors.argument(`Variable name '${name.slice(0, 40)}…' is longer than ${MAX_NAME} characters.`);
    // Variable names are case-insensitive in Azure Pipelines: two spellings of one name are one variable twice.
    if (seen.has(name.toLowerCase())) throw devopsErrors.argument(`Variable '${name}' is defined more than once (names are not case-sensitive).`);
    seen.add(name.toLowerCase());
    const v = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
    if (v.value !== undefined && v.value !== null && typeof v.value !== "string" && typeof v.value !== "number" && typeof v.value !== "boolean") {
      throw devopsErrors.argument(`The value of variable '${name}' must be a string.`);
    }
    out[name] = {
      value: v.value === undefined || v.value === null ? (v.value as null | undefined) : String(v.value),
      isSecret: v.isSecret === true,
      isReadOnly: v.isReadOnly === true,
      ...(typeof v.enabled === "boolean" ? { enabled: v.enabled } : {}),
      ...(typeof v.contentType === "string" ? { contentType: v.contentType } : {}),
      ...(v.expires === null || typeof v.expires === "string" ? { expires: v.expires as string | null } : {}),
    };
  }
  return out;
}

function readProviderData(type: "Vsts" | "AzureKeyVault", raw: unknown): VariableGroupInput["providerData"] {
  if (type === "Vsts") return null;
  const data = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const serviceEndpointId = text(data.serviceEndpointId);
  const vault = text(data.vault);
  if (!serviceEndpointId || !GUID.test(serviceEndpointId)) throw devopsErrors.argument("providerData.serviceEndpointId must be the id of an Azure Resource Manager service connection.");
  if (!vault) throw devopsErrors.argument("providerData.vault must name the key vault.");
  return { serviceEndpointId: serviceEndpointId.toLowerCase(), vault };
}

/** A create or update body; `withProjects`: the organization-level routes, where the projects are in the body. */
export function readVariableGroupInput(body: unknown, withProjects: boolean): VariableGroupInput {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw devopsErrors.argumentNull("variableGroupParameters");
  }
  const b = body as Record<string, unknown>;
  const name = text(b.name)?.trim();
  if (!name) throw devopsErrors.argument("Variable group name cannot be empty.");
  if (name.length > MAX_NAME) throw devopsErrors.argument(`Variable group name is longer than ${MAX_NAME} characters.`);
  const rawType = text(b.type) ?? "Vsts";
  const type = rawType.toLowerCase() === "azurekeyvault" ? "AzureKeyVault" : rawType.toLowerCase() === "vsts" ? "Vsts" : undefined;
  if (!type) throw devopsErrors.argument(`The variable group type '${rawType}' is not valid. Use Vsts or AzureKeyVault.`);
  let projects: ProjectReferenceRequest[] | undefined;
  if (withProjects) {
    if (b.variableGroupProjectReferences === undefined || b.variableGroupProjectReferences === null) throw devopsErrors.argumentNull("variableGroupProjectReferences");
    projects = projectReferenceRequests(b.variableGroupProjectReferences, "variableGroupProjectReferences");
    if (projects.length === 0) throw devopsErrors.argument("At least one project reference is required for a variable group.");
  }
  return { name, description: text(b.description) ?? "", type, variables: readVariables(b.variables), providerData: readProviderData(type, b.providerData), projects };
}

/** `actionFilter`: none, manage or use, by name or as the number the clients send (0, 2, 16). */
export function readGroupActionFilter(value: string | undefined): "none" | "manage" | "use" {
  const v = (value ?? "").toLowerCase();
  if (v === "" || v === "none" || v === "0") return "none";
  if (v === "manage" || v === "2") return "manage";
  if (v === "use" || v === "16") return "use";
  throw devopsErrors.argument(`The value '${value}' is not valid for actionFilter. Use none, manage or use.`);
}

/** `queryOrder`: idAscending or idDescending (the default), by name or number (0, 1). */
export function readGroupQueryOrder(value: string | undefined): "idAscending" | "idDescending" {
  const v = (value ?? "").toLowerCase();
  if (v === "idascending" || v === "0" || v === "asc") return "idAscending";
  if (v === "" || v === "iddescending" || v === "1" || v === "desc") return "idDescending";
  throw devopsErrors.argument(`The value '${value}' is not valid for queryOrder. Use idAscending or idDescending.`);
}
