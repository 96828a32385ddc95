import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual, type BinaryLike } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keylen: number) => Promise<Buffer>;

/**
 * Client secrets are 40 random characters, so a salted SHA-256 is as strong as a slow hash here and keeps token
 * issuance (the hot path) cheap. Stored form: `sha256$<salt b64>$<digest b64>`.
 */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const digest = createHash("sha256").update(salt).update(secret, "utf8").digest();
  return `sha256$${salt.toString("base64")}$${digest.toString("base64")}`;
}

export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, saltB64, digestB64] = stored.split("$");
  if (scheme !== "sha256" || !saltB64 || !digestB64) return false;
  const expected = Buffer.from(digestB64, "base64");
  const actual = createHash("sha256").update(Buffer.from(saltB64, "base64")).update(secret, "utf8").digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** User passwords are chosen by people, so they get a slow, salted hash. Stored form: `scrypt$<salt>$<key>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32);
  return `scrypt$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltB64, keyB64] = stored.split("$");
  if (scheme !== "scrypt" || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, "base64");
  const actual = await scryptAsync(password, Buffer.from(saltB64, "base64"), expected.length);
  return timingSafeEqual(expected, actual);
}

export const sha1 = (data: Buffer): Buffer => createHash("sha1").update(data).digest();
export const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();

/** An opaque random string for claims such as `uti`, `aio` and `rh` that clients never parse. */
export const opaque = (bytes = 16): string => randomBytes(bytes).toString("base64url");

/**
 * Encrypts values svcconn must be able to use again later — a service connection's secret is presented to the
 * token endpoint each time the connection is used — with AES-256-GCM under a key kept in the data folder.
 * (Secrets svcconn only has to check, such as client secrets, are hashed instead.)
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("SecretBox needs a 32-byte key");
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return `v1.${iv.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}.${data.toString("base64url")}`;
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(".");
    if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("not a sealed value");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
  }
}
