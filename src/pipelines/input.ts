import { pipelinesErrors } from "./errors.js";
import type { QueueTimeVariable } from "./model.js";
import type { RunRequest } from "./run-scheduler.js";
import type { DefinitionUpdate, NewPipeline, VariableInput } from "./catalog.js";

type Body = Record<string, unknown>;
const isObject = (v: unknown): v is Body => v !== null && typeof v === "object" && !Array.isArray(v);

function object(value: unknown, what: string): Body {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw pipelinesErrors.argument(`${what} must be an object.`);
  return value;
}

function text(value: unknown, what: string, required: boolean): string | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw pipelinesErrors.argument(`Value cannot be null.\r\nParameter name: ${what}`);
    return undefined;
  }
  if (typeof value !== "string" && typeof value !== "number") throw pipelinesErrors.argument(`${what} must be a string.`);
  return String(value);
}

function stringMap(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(object(value, what))) {
    if (v !== null && typeof v === "object") throw pipelinesErrors.argument(`${what}.${k} must be a string.`);
    out[k] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}

function variables(value: unknown): Record<string, QueueTimeVariable> {
  const out: Record<string, QueueTimeVariable> = {};
  for (const [k, v] of Object.entries(object(value, "variables"))) {
    if (isObject(v)) out[k] = { value: v.value === undefined || v.value === null ? "" : String(v.value), isSecret: v.isSecret === true };
    else out[k] = { value: v === null || v === undefined ? "" : String(v) };
  }
  return out;
}

const bool = (value: unknown, what: string): boolean => {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  throw pipelinesErrors.argument(`${what} must be true or false.`);
};

/** A definition's `variables`: name → `{value, isSecret, allowOverride}` (BuildDefinitionVariable). */
function definitionVariables(value: unknown): Record<string, VariableInput> | undefined {
  if (value === undefined || value === null) return undefined;
  const out: Record<string, VariableInput> = {};
  const entries = Object.entries(object(value, "variables"));
  if (entries.length > 10_000) throw pipelinesErrors.argument("A pipeline has at most 10000 variables.");
  for (const [name, v] of entries) {
    if (!/^[A-Za-z0-9._\- ]{1,256}$/.test(name)) throw pipelinesErrors.argument(`Variable name '${name.slice(0, 300)}' is not valid: use letters, digits, '.', '_', '-' and spaces.`);
    const fields = object(v, `variables.${name}`);
    const secret = bool(fields.isSecret, `variables.${name}.isSecret`);
    const given = fields.value;
    if (given !== undefined && given !== null && typeof given !== "string" && typeof given !== "number" && typeof given !== "boolean") throw pipelinesErrors.argument(`variables.${name}.value must be a string.`);
    out[name] = { value: given === undefined || given === null ? (secret ? null : "") : String(given), isSecret: secret, allowOverride: bool(fields.allowOverride, `variables.${name}.allowOverride`) };
  }
  return out;
}

/** `PUT build/definitions/{id}`: the parts svcconn lets change (name, path, variables), checked against `revision`. */
export function readDefinitionUpdate(body: unknown): DefinitionUpdate {
  const b = object(body, "definition");
  const revision = b.revision === undefined || b.revision === null ? undefined : Number(b.revision);
  if (revision !== undefined && !Number.isSafeInteger(revision)) throw pipelinesErrors.argument("revision must be a number.");
  return { name: text(b.name, "name", false), folder: text(b.path, "path", false), revision, variables: definitionVariables(b.variables) };
}

/** `PATCH build/generalsettings`: the settings svcconn keeps (`enforceSettableVar`); others are read and ignored. */
export function readGeneralSettings(body: unknown): { enforceSettableVar?: boolean } {
  const b = object(body, "settings");
  return b.enforceSettableVar === undefined ? {} : { enforceSettableVar: bool(b.enforceSettableVar, "enforceSettableVar") };
}

/** `POST pipelines`: `{name, folder, configuration: {type: "yaml", path, repository: {id | name}}}`. */
export function readNewPipeline(body: unknown): NewPipeline {
  const b = object(body, "pipeline");
  const configuration = object(b.configuration, "configuration");
  const type = text(configuration.type, "configuration.type", true)!;
  // Enums arrive as names or numbers (node-api sends ConfigurationType.Yaml as 1).
  if (type.toLowerCase() !== "yaml" && type !== "1") throw pipelinesErrors.argument(`The configuration type '${type}' is not supported: only 'yaml' pipelines.`);
  const repository = object(configuration.repository, "configuration.repository");
  return {
    name: text(b.name, "name", true)!,
    folder: text(b.folder, "folder", false),
    repository: text(repository.id ?? repository.name, "configuration.repository", true)!,
    yamlPath: text(configuration.path, "configuration.path", true)!,
  };
}

/** `POST build/definitions` (what az pipelines create sends): a YAML process (type 2) over a repository. */
export function readNewDefinition(body: unknown): NewPipeline {
  const b = object(body, "definition");
  const process = object(b.process, "process");
  if (process.type !== undefined && Number(process.type) !== 2) throw pipelinesErrors.argument("Only YAML build definitions (process type 2) are supported.");
  const repository = object(b.repository, "repository");
  const queue = object(b.queue, "queue");
  return {
    name: text(b.name, "name", true)!,
    folder: text(b.path, "path", false),
    repository: text(repository.id ?? repository.name, "repository", true)!,
    yamlPath: text(process.yamlFilename, "process.yamlFilename", true)!,
    defaultPool: text(queue.name, "queue.name", false) ?? null,
    variables: definitionVariables(b.variables),
  };
}

/** `POST pipelines/{id}/runs` and `…/preview`: RunPipelineParameters. */
export function readRunRequest(body: unknown): RunRequest {
  const b = object(body, "runParameters");
  const resources = object(b.resources, "resources");
  const repositories = object(resources.repositories, "resources.repositories");
  const self = object(repositories.self, "resources.repositories.self");
  if (b.yamlOverride !== undefined && b.yamlOverride !== null) throw pipelinesErrors.argument("yamlOverride is not supported by svcconn: change the YAML in the repository.");
  return {
    variables: variables(b.variables),
    templateParameters: stringMap(b.templateParameters, "templateParameters"),
    previewRun: b.previewRun === true,
    sourceBranch: text(self.refName, "resources.repositories.self.refName", false),
  };
}

/**
 * `POST build/builds`: `{definition: {id}, sourceBranch, parameters: "<JSON of variables>", templateParameters}`.
 * `parameters` is kept as text: it is read (readBuildParameters) only once the caller may queue the pipeline.
 */
export function readQueueBuild(body: unknown, definitionIdQuery: string | undefined): { pipelineId: number; request: RunRequest; parameters: string | undefined } {
  const b = object(body, "build");
  const definition = object(b.definition, "definition");
  const id = Number(definition.id ?? definitionIdQuery);
  if (!Number.isSafeInteger(id) || id <= 0) throw pipelinesErrors.argument("Value cannot be null.\r\nParameter name: build.Definition");
  if (b.parameters !== undefined && b.parameters !== null && typeof b.parameters !== "string") throw pipelinesErrors.argument("parameters must be a JSON string.");
  const queue = object(b.queue, "queue");
  return {
    pipelineId: id,
    parameters: typeof b.parameters === "string" && b.parameters !== "" ? b.parameters : undefined,
    request: {
      variables: {},
      templateParameters: stringMap(b.templateParameters, "templateParameters"),
      previewRun: false,
      sourceBranch: text(b.sourceBranch, "sourceBranch", false),
      defaultPool: text(queue.name, "queue.name", false),
    },
  };
}

/**
 * A build's `parameters` (its variables as a JSON string). Json.NET also reads single-quoted strings, and the az
 * devops extension sends Python's repr of a dict, so single-quoted strings are read too; nothing else (no YAML).
 */
export function readBuildParameters(parameters: string | undefined): Record<string, QueueTimeVariable> {
  if (parameters === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(parameters);
  } catch {
    try {
      if (!parameters.includes("'")) throw new Error("not JSON");
      parsed = JSON.parse(singleQuotedAsJson(parameters));
    } catch {
      throw pipelinesErrors.argument("The parameters of the build are not valid JSON.");
    }
  }
  if (!isObject(parsed)) throw pipelinesErrors.argument("The parameters of the build are not valid JSON.");
  return variables(parsed);
}

/** Rewrites single-quoted strings (Python's `{'a': 'b'}`) as JSON strings, in one pass; True/False/None as JSON. */
function singleQuotedAsJson(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      let value = "";
      for (i++; i < text.length && text[i] !== c; i++) {
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[++i]!;
          value += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
        } else value += text[i];
      }
      if (i >= text.length) throw new Error("unterminated string");
      out += JSON.stringify(value);
      continue;
    }
    const word = /^(True|False|None)\b/.exec(text.slice(i, i + 6));
    if (word) {
      out += word[1] === "True" ? "true" : word[1] === "False" ? "false" : "null";
      i += word[1]!.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** A positive integer route value, or the service's not-found. */
export function readId(value: string | undefined, notFound: (v: string) => Error): number {
  const n = Number(value);
  if (!value || !/^\d{1,15}$/.test(value) || !Number.isSafeInteger(n)) throw notFound(value ?? "");
  return n;
}
