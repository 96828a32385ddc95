import { createHash, randomUUID, randomBytes } from "node:crypto";

export const newGuid = (): string => randomUUID();

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (value: unknown): value is string => typeof value === "string" && GUID.test(value);

/** The GUID without dashes, as some ARM messages print principal ids. */
export const guidHex = (guid: string): string => guid.replace(/-/g, "").toLowerCase();

/**
 * A client secret as Entra makes them: 40 characters from a URL-safe alphabet plus `~` and `.`, so that the
 * first three characters (the `hint`) are meaningful and the whole can be pasted into a form field unescaped.
 */
export function newClientSecret(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~.-_";
  const bytes = randomBytes(40);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** Base64url of a GUID's bytes in .NET `ToByteArray` (little-endian) layout, as Entra subjects embed them. */
export function guidToBase64UrlLe(guid: string): string {
  const hex = guidHex(guid);
  const bytes = Buffer.from(hex, "hex");
  const le = Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8),
  ]);
  return le.toString("base64url");
}

/** A name-based GUID (SHA-1, version 5 layout): the same inputs always give the same id. */
export function nameBasedGuid(...parts: string[]): string {
  const hash = createHash("sha1").update("11fb06fb-712d-4ddd-98c7-e71bbd588830").update(parts.join("-")).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
