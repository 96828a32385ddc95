import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { sql } from "kysely";
import { SecretBox } from "../core/crypto.js";
import { openPostgres, openSqlite, type Store } from "../store/index.js";
import { ensureCa } from "./tls.js";
import type { OpenedDatabase } from "../store/database.js";

/**
 * svcconn's data folder: the SQLite store, the key file, the lock. The key file holds what must never sit next to
 * the data it protects — the key that encrypts connection secrets and token-signing keys, and the admin key — so a
 * copy of the database alone reveals no secret that can be used (client secrets, PATs and passwords are hashed;
 * connection secrets and signing keys are encrypted). The folder is 0700 and every file in it 0600.
 */

export const DATABASE_FILE = "svcconn.db";
export const KEY_FILE = "keys.json";
export const LOCK_FILE = "svcconn.lock";
/** Where a folder's store lives when it is not `svcconn.db`: `{"database": "postgres://…"}` (owner only). */
export const STORE_FILE = "store.json";

/** Records that this folder's store is a PostgreSQL database, so the CLI's `--data` finds it. */
export function recordDatabase(dataDir: string, database: string): void {
  writeFileSync(join(dataDir, STORE_FILE), `${JSON.stringify({ database })}\n`, { mode: 0o600 });
}

/** A folder's store opened to read beside a running server: its PostgreSQL database, or its SQLite file. */
export async function openFolderStore(dataDir: string): Promise<OpenedDatabase> {
  const database = databaseOfFolder(dataDir);
  if (database) return openPostgres(database, { readonly: true });
  const file = join(dataDir, DATABASE_FILE);
  if (!existsSync(file)) throw new DataFolderError(`no store at ${file}`);
  return openSqlite({ dataDir, readonly: true });
}

/** The PostgreSQL database a folder's store is in, when it is not the folder's SQLite file. */
export function databaseOfFolder(dataDir: string): string | undefined {
  const file = join(dataDir, STORE_FILE);
  if (!existsSync(file)) return undefined;
  const database = (JSON.parse(readFileSync(file, "utf8")) as { database?: unknown }).database;
  return typeof database === "string" ? database : undefined;
}

/** A data folder that cannot be used, with a message naming the file and what to do. */
export class DataFolderError extends Error {}

export interface DataKeys {
  /** 32 bytes: AES-256-GCM key for connection secrets and signing keys. */
  secretKey: Buffer;
  adminKey: string;
}

export interface DataFolder {
  dir: string;
  databaseFile: string;
  /** True when the folder held no store: only a new folder is seeded with a world. */
  isNew: boolean;
  /** The key file's keys; undefined when an existing store has no key file (older layout, or a lost file). */
  keys: DataKeys | undefined;
  keyFile: string;
  /** Releases the lock. */
  release(): void;
}

/**
 * When a process started (its start time in /proc), or undefined when it is gone or a zombie: right after kill -9
 * a process can linger as a zombie, and a PID can later belong to another process. Without /proc, kill(pid, 0).
 */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" || fields[0] === "X" ? undefined : (fields[19] ?? "");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || existsSync("/proc/self/stat")) return undefined;
    try {
      process.kill(pid, 0);
      return "";
    } catch (signalError) {
      return (signalError as NodeJS.ErrnoException).code === "EPERM" ? "" : undefined;
    }
  }
}

/** The lock's holder is alive: the same process (PID and start time) that wrote it. */
function holderAlive(pid: number, start: string | undefined): boolean {
  const now = processStart(pid);
  return now !== undefined && (start === undefined || now === "" || now === start);
}

/**
 * One server per data folder: a second one would keep its own clock and caches over the same file. A lock left by
 * a process that is gone (kill -9) is taken over.
 */
function lock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${process.pid} ${processStart(process.pid) ?? ""}`.trim());
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const [pidText = "", start] = readFileSync(file, "utf8").trim().split(" ");
      const holder = Number(pidText);
      if (Number.isInteger(holder) && holder > 0 && holderAlive(holder, start)) {
        throw new DataFolderError(`Another svcconn (process ${holder}) is using the data folder ${dir}. Stop it, or start this one with another --data folder.`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new DataFolderError(`Cannot lock the data folder ${dir} (${file}).`);
}

export function readKeys(file: string): DataKeys {
  let parsed: { secretKey?: unknown; adminKey?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new DataFolderError(`The key file ${file} cannot be read: ${(error as Error).message}`);
  }
  const secretKey = typeof parsed.secretKey === "string" ? Buffer.from(parsed.secretKey, "base64") : Buffer.alloc(0);
  if (secretKey.length !== 32 || typeof parsed.adminKey !== "string" || !parsed.adminKey) {
    throw new DataFolderError(`The key file ${file} is not one svcconn wrote (it needs "secretKey", 32 bytes in base64, and "adminKey").`);
  }
  return { secretKey, adminKey: parsed.adminKey };
}

export function writeKeys(file: string, keys: DataKeys): void {
  writeFileSync(file, `${JSON.stringify({ secretKey: keys.secretKey.toString("base64"), adminKey: keys.adminKey }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export const newKeys = (): DataKeys => ({ secretKey: randomBytes(32), adminKey: randomBytes(24).toString("base64url") });

/**
 * Opens (or makes) a data folder: 0700, locked, the store file non-empty unless the folder is new, and the key
 * file read or — for a new folder — made (unless the keys live in a key folder of their own, `keysElsewhere`).
 */
export function openDataFolder(dataDir: string, options: { reset?: boolean; keysElsewhere?: boolean } = {}): DataFolder {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const release = lock(dir);
  try {
    const databaseFile = join(dir, DATABASE_FILE);
    const keyFile = join(dir, KEY_FILE);
    if (options.reset) {
      for (const file of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) rmSync(join(dir, file), { force: true });
    }
    const exists = existsSync(databaseFile);
    if (exists && statSync(databaseFile).size === 0) {
      throw new DataFolderError(`The database file ${databaseFile} is empty, so it is not a store svcconn made. Remove it, or start with --reset to make a new store there.`);
    }
    const isNew = !exists;
    for (const file of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) if (existsSync(join(dir, file))) chmodSync(join(dir, file), 0o600);
    let keys: DataKeys | undefined;
    if (options.keysElsewhere) {
      // Read from the key folder by the caller.
    } else if (existsSync(keyFile)) {
      chmodSync(keyFile, 0o600);
      keys = readKeys(keyFile);
    } else if (isNew) {
      keys = newKeys();
      writeKeys(keyFile, keys);
    }
    // An existing store without a key file either keeps its keys in `meta` (older layout: moved out by the caller)
    // or has lost its key file; the caller tells the two apart once the store is open.
    return { dir, databaseFile, isNew, keys, keyFile, release };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * A key folder several processes share (`--keys DIR`): the key file and the local CA (`tls/`), made by whichever
 * process comes first while the others wait, then only read — never copied by hand.
 */
export async function openKeyFolder(dir: string): Promise<{ keys: DataKeys; caDir: string }> {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const keyFile = join(folder, KEY_FILE);
  const caDir = join(folder, "tls");
  await exclusively(join(folder, ".making"), async () => {
    if (!existsSync(keyFile)) writeKeys(keyFile, newKeys());
    await ensureCa(caDir);
  });
  return { keys: readKeys(keyFile), caDir };
}

/** Runs `work` while holding a lock directory; one left by a process that died while holding it lapses. */
async function exclusively(lockDir: string, work: () => Promise<void>): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    try {
      mkdirSync(lockDir, { mode: 0o700 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > STALE_LOCK_MS) rmSync(lockDir, { recursive: true, force: true });
      else if (waited > 2 * STALE_LOCK_MS) throw new DataFolderError(`Cannot lock ${lockDir}.`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Making the keys and a CA takes well under this. */
const STALE_LOCK_MS = 30_000;

/**
 * Whether `box` opens the secrets of this store: the store keeps one value sealed with the key that sealed its
 * secrets, so a process started with another key file fails at once, naming it, instead of failing secret by secret.
 */
export async function checkStoreKey(store: Store, box: SecretBox, keyFile: string): Promise<void> {
  const sealed = await store.meta.get("keyCheck");
  if (!sealed) {
    await store.meta.set("keyCheck", box.seal("svcconn"));
    return;
  }
  try {
    if (box.open(sealed) === "svcconn") return;
  } catch {
    // Another key: said below.
  }
  throw new DataFolderError(`The key file ${keyFile} does not open this store's secrets: it was made with other keys. Start every process on this database with the same --keys folder.`);
}

/**
 * The keys of an opened store: the key file's; for a store in memory, new ones; for a store of the older layout
 * (keys in its `meta` table), those keys moved into a new key file, with its signing keys sealed on the way.
 */
export async function dataKeys(store: Store, folder: DataFolder | undefined): Promise<DataKeys> {
  if (!folder) return newKeys();
  if (folder.keys) return folder.keys;
  const legacySecret = await store.meta.get("secretKey");
  if (!legacySecret) {
    throw new DataFolderError(
      `The key file ${folder.keyFile} is missing: the connection secrets and signing keys in ${folder.databaseFile} cannot be read without it. Restore it, or start with --reset to make a new store.`,
    );
  }
  const keys: DataKeys = { secretKey: Buffer.from(legacySecret, "base64"), adminKey: (await store.meta.get("adminKey")) ?? newKeys().adminKey };
  writeKeys(folder.keyFile, keys);
  const box = new SecretBox(keys.secretKey);
  await store.transaction(async (trx) => {
    for (const key of await trx.keys.all()) if (key.privatePem.startsWith("-----")) await trx.keys.setPrivatePem(key.kid, box.seal(key.privatePem));
    await trx.meta.delete("secretKey");
    await trx.meta.delete("adminKey");
  });
  // The old rows may still sit in the write-ahead log and in freed pages: fold the log in and rewrite the file.
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(store.db);
  await sql`VACUUM`.execute(store.db);
  return keys;
}
