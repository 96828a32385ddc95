/** The facts svcconn keeps of a task, read from its `task.json` (built-in tasks and Marketplace extensions alike). */
export interface TaskJson {
  id: string;
  name: string;
  friendlyName?: string;
  description?: string;
  author?: string;
  helpUrl?: string;
  version: { Major: number | string; Minor: number | string; Patch: number | string };
  deprecated?: boolean;
  inputs?: Array<{ name: string; aliases?: string[]; type: string; defaultValue?: unknown; required?: boolean }>;
  execution?: Record<string, unknown>;
}

/** A version part that is a number, or `fallback` where the file holds a build-time placeholder (`#{…}#`). */
const part = (value: number | string, fallback: number) => (Number.isFinite(Number(value)) ? Number(value) : fallback);

export function taskFacts(text: string, source: string, major?: number) {
  const task = JSON.parse(text.replace(/^\uFEFF/, "")) as TaskJson;
  return {
    id: task.id.toLowerCase(),
    name: task.name,
    friendlyName: task.friendlyName ?? task.name,
    description: task.description ?? "",
    author: task.author ?? "Microsoft Corporation",
    helpUrl: task.helpUrl ?? "",
    version: { major: major ?? part(task.version.Major, 0), minor: part(task.version.Minor, 0), patch: part(task.version.Patch, 0) },
    ...(task.deprecated ? { deprecated: true } : {}),
    inputs: (task.inputs ?? []).map((i) => ({
      name: i.name,
      ...(i.aliases?.length ? { aliases: i.aliases } : {}),
      type: i.type,
      ...(i.defaultValue !== undefined ? { defaultValue: String(i.defaultValue) } : {}),
      ...(i.required ? { required: true } : {}),
    })),
    handlers: Object.keys(task.execution ?? {}).sort(),
    source,
  };
}
