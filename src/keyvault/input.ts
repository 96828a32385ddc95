import { vaultErrors } from "./errors.js";
import type { SetSecretCommand, UpdateSecretCommand } from "./service.js";

/** Key Vault's limit on a secret's value. */
const MAX_VALUE_BYTES = 25 * 1024;

type Body = Record<string, unknown>;

function object(body: unknown): Body {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw vaultErrors.badParameter("The request body is not a valid secret object.");
  return body as Body;
}

function optionalString(body: Body, key: string): string | null | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== "string") throw vaultErrors.badParameter(`Property ${key} has invalid value`);
  return value;
}

function tags(body: Body): Record<string, string> | null | undefined {
  const value = body.tags;
  if (value === undefined || value === null) return value as undefined | null;
  if (typeof value !== "object" || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) throw vaultErrors.badParameter("Property tags has invalid value");
  if (Object.keys(value).length > 15) throw vaultErrors.badParameter("The number of tags exceeds the maximum of 15.");
  return value as Record<string, string>;
}

/** `attributes`: `enabled`, and `nbf`/`exp` as seconds since the epoch. */
function attributes(body: Body): { enabled?: boolean; notBefore?: number | null; expires?: number | null } {
  const raw = body.attributes;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw vaultErrors.badParameter("Property attributes has invalid value");
  const a = raw as Body;
  const seconds = (key: string): number | null | undefined => {
    const v = a[key];
    if (v === undefined || v === null) return v as undefined | null;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw vaultErrors.badParameter(`Property ${key} has invalid value`);
    return v;
  };
  if (a.enabled !== undefined && typeof a.enabled !== "boolean") throw vaultErrors.badParameter("Property enabled has invalid value");
  return { enabled: a.enabled as boolean | undefined, notBefore: seconds("nbf"), expires: seconds("exp") };
}

/** The body of `PUT /secrets/{name}`. */
export function readSetSecret(body: unknown): SetSecretCommand {
  const b = object(body);
  const value = b.value;
  if (typeof value !== "string") throw vaultErrors.badParameter("Property value is required");
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw vaultErrors.badParameter("The secret value exceeds the maximum size of 25 KB.");
  const a = attributes(b);
  return { value, contentType: optionalString(b, "contentType") ?? null, tags: tags(b) ?? null, enabled: a.enabled ?? true, notBefore: a.notBefore ?? null, expires: a.expires ?? null };
}

/** The body of `PATCH /secrets/{name}/{version}`: only what it names changes. */
export function readUpdateSecret(body: unknown): UpdateSecretCommand {
  const b = object(body ?? {});
  const a = attributes(b);
  return { contentType: optionalString(b, "contentType"), tags: tags(b), enabled: a.enabled, notBefore: a.notBefore, expires: a.expires };
}
