import { CHECK_TYPES, CHECKED_RESOURCE_TYPES, MAX_CHECK_TIMEOUT, type CheckInput, type CheckTypeName } from "./checks.js";
import { devopsErrors } from "./errors.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function checkType(raw: unknown): CheckTypeName {
  if (!isObject(raw)) throw devopsErrors.argumentNull("type");
  const byId = typeof raw.id === "string" ? (Object.entries(CHECK_TYPES).find(([, id]) => id === raw.id!.toString().toLowerCase())?.[0] as CheckTypeName | undefined) : undefined;
  const byName = typeof raw.name === "string" ? (Object.keys(CHECK_TYPES).find((n) => n.toLowerCase() === raw.name!.toString().toLowerCase()) as CheckTypeName | undefined) : undefined;
  const found = byId ?? byName;
  if (!found) throw devopsErrors.argument(`The check type '${String(raw.id ?? raw.name)}' is not valid.`);
  return found;
}

/** Approval settings: approvers (users or groups, by id), how many must approve, in what order, and by whom not. */
function approvalSettings(raw: Record<string, unknown>): Record<string, unknown> {
  const identities = (value: unknown, field: string): Array<{ id: string }> => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw devopsErrors.argument(`settings.${field} must be a list of identities.`);
    return value.map((a) => {
      if (!isObject(a) || typeof a.id !== "string" || !GUID.test(a.id)) throw devopsErrors.argument(`Each of settings.${field} needs the id of a user or a group.`);
      return { id: a.id.toLowerCase() };
    });
  };
  const approvers = identities(raw.approvers, "approvers");
  if (approvers.length === 0) throw devopsErrors.argument("An approval needs at least one approver.");
  const min = raw.minRequiredApprovers ?? 0;
  if (typeof min !== "number" || !Number.isInteger(min) || min < 0 || min > approvers.length) throw devopsErrors.argument(`settings.minRequiredApprovers must be between 0 (all) and ${approvers.length}.`);
  const order = raw.executionOrder ?? "anyOrder";
  if (order !== "anyOrder" && order !== "inSequence") throw devopsErrors.argument("settings.executionOrder must be anyOrder or inSequence.");
  if (raw.instructions !== undefined && raw.instructions !== null && typeof raw.instructions !== "string") throw devopsErrors.argument("settings.instructions must be a string.");
  return {
    approvers,
    blockedApprovers: identities(raw.blockedApprovers, "blockedApprovers"),
    executionOrder: order,
    instructions: typeof raw.instructions === "string" ? raw.instructions : "",
    minRequiredApprovers: min,
    requesterCannotBeApprover: raw.requesterCannotBeApprover === true,
  };
}

/** Required templates: each names a repository and a template path the pipeline must extend. */
function extendsSettings(raw: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(raw.extendsChecks) || raw.extendsChecks.length === 0) throw devopsErrors.argument("settings.extendsChecks must list at least one required template.");
  return {
    extendsChecks: raw.extendsChecks.map((c) => {
      if (!isObject(c) || typeof c.templatePath !== "string" || !c.templatePath) throw devopsErrors.argument("Each required template needs a templatePath.");
      return { repositoryType: String(c.repositoryType ?? "git"), repositoryName: String(c.repositoryName ?? ""), repositoryRef: String(c.repositoryRef ?? ""), templatePath: c.templatePath };
    }),
  };
}

/** A task check (branch control, business hours, Azure Function, REST API…): its task and inputs, kept as sent. */
function taskSettings(raw: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(raw.definitionRef) || typeof raw.definitionRef.name !== "string") throw devopsErrors.argument("settings.definitionRef.name is required for a task check.");
  if (raw.inputs !== undefined && !isObject(raw.inputs)) throw devopsErrors.argument("settings.inputs must be an object.");
  return { ...raw, inputs: raw.inputs ?? {} };
}

/** How each check type's settings are read (an exclusive lock has none of its own). */
const SETTINGS_READERS: Record<CheckTypeName, (raw: Record<string, unknown>) => Record<string, unknown>> = {
  Approval: approvalSettings,
  ExtendsCheck: extendsSettings,
  TaskCheck: taskSettings,
  ExclusiveLock: (raw) => raw,
};

/** A CheckConfiguration body (POST or PATCH), checked whole before anything is stored. */
export function readCheckInput(body: unknown): CheckInput {
  if (!isObject(body)) throw devopsErrors.argumentNull("configuration");
  const type = checkType(body.type);
  const resource = body.resource;
  if (!isObject(resource) || typeof resource.type !== "string" || (typeof resource.id !== "string" && typeof resource.id !== "number")) throw devopsErrors.argumentNull("resource");
  const resourceType = resource.type.toLowerCase();
  if (!(CHECKED_RESOURCE_TYPES as readonly string[]).includes(resourceType)) throw devopsErrors.argument(`The resource type '${resource.type}' is not valid.`);
  const timeout = body.timeout ?? MAX_CHECK_TIMEOUT;
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_CHECK_TIMEOUT) throw devopsErrors.argument(`timeout must be between 1 and ${MAX_CHECK_TIMEOUT} minutes.`);
  const settings = isObject(body.settings) ? body.settings : {};
  const read = SETTINGS_READERS[type];
  return { type, settings: read(settings), resource: { type: resourceType as CheckInput["resource"]["type"], id: String(resource.id) }, timeout };
}
