import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { CamelCasePlugin, type Expression, Kysely, Migrator, PostgresDialect, type SqlBool, SqliteDialect, sql } from "kysely";
import type pg from "pg";
import { ChangeCounter } from "./change-counter.js";
import { migrationProvider } from "./migrations.js";

export { isPostgres } from "./migrations.js";
import type { DatabaseSchema } from "./schema.js";

export type Db = Kysely<DatabaseSchema>;

/** A write the store refused because it would duplicate a unique key (the service says it in its own words). */
export class UniqueViolation extends Error {
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(`duplicate ${what}: ${value}`);
  }
}

/** Whether an error is the database's unique-constraint failure (SQLite or PostgreSQL). */
export const isUniqueViolation = (error: unknown): boolean => {
  const code = (error as { code?: unknown })?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505";
};

/** The handle and its write counter (read caches key on it). */
export interface OpenedDatabase {
  db: Db;
  changes: ChangeCounter;
}

export interface OpenOptions {
  /** Folder for `svcconn.db`; ignored when `memory` is set. */
  dataDir?: string;
  memory?: boolean;
  /** Reads an existing store beside a running server (WAL lets readers in): no writes, no migrations. */
  readonly?: boolean;
}

/** Opens the embedded SQLite store and brings its schema up to date. */
export async function openSqlite(options: OpenOptions): Promise<OpenedDatabase> {
  let file = ":memory:";
  if (!options.memory) {
    if (!options.dataDir) throw new Error("a data folder is needed unless the store is in memory");
    if (!options.readonly) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    file = join(options.dataDir, "svcconn.db");
  }
  let sqlite: SqliteDatabase.Database;
  if (options.readonly) {
    try {
      sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new Error(`The database file ${file} cannot be opened as a svcconn store: ${(error as Error).message}`);
    }
    const changes = new ChangeCounter();
    return { db: new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: sqlite }), plugins: [changes, new CamelCasePlugin()] }), changes };
  }
  try {
    sqlite = new SqliteDatabase(file);
    // Owner only; SQLite gives the -wal and -shm files it makes later the same mode.
    if (!options.memory) chmodSync(file, 0o600);
    sqlite.pragma("journal_mode = WAL");
  } catch (error) {
    throw new Error(`The database file ${file} cannot be opened as a svcconn store: ${(error as Error).message}`);
  }
  sqlite.pragma("synchronous = NORMAL");
  // Deleted rows are overwritten, so a copy of the file keeps no trace of removed secrets.
  sqlite.pragma("secure_delete = ON");
  sqlite.pragma("busy_timeout = 5000");
  // A 64 MiB page cache keeps the role-assignment indexes hot even with a million rows.
  sqlite.pragma("cache_size = -65536");
  sqlite.pragma("temp_store = MEMORY");
  const changes = new ChangeCounter();
  const db = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), plugins: [changes, new CamelCasePlugin()] });
  await migrate(db);
  return { db, changes };
}

/**
 * Opens a PostgreSQL store (`postgres://…`) and brings its schema up to date (processes starting together migrate
 * once: the migrator locks). 64-bit integers (`count(*)`) are read as numbers, as SQLite gives them.
 */
export async function openPostgres(url: string, options: { reset?: boolean; readonly?: boolean } = {}): Promise<OpenedDatabase> {
  // Loaded only for PostgreSQL: SQLite starts without it.
  const { default: pg } = await import("pg");
  const types = { getTypeParser: (oid: number, format?: "text" | "binary") => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as "text")) };
  const pool = new pg.Pool({ connectionString: url, max: 10, types: types as pg.CustomTypesConfig });
  // A dropped connection in the pool is not svcconn's failure: the next query takes another.
  pool.on("error", () => undefined);
  const changes = new ChangeCounter();
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }), plugins: [changes, new CamelCasePlugin()] });
  try {
    // `--reset` wipes the store: every table of svcconn's schema goes (the database's other schemas stay).
    if (options.reset) {
      await sql`drop schema if exists public cascade`.execute(db);
      await sql`create schema public`.execute(db);
    }
    // Kysely's migrator holds its own lock (a row of kysely_migration_lock, `for update`) on PostgreSQL. A reader
    // beside a running server leaves the schema to it.
    if (!options.readonly) await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, changes };
}

/** `LIKE`'s wildcards and its escape character, taken literally. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `column` starts with `prefix`, which may hold `_` or `%` (scopes, resource ids): the same on both databases. */
export function startsWith(column: string, prefix: string): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} like ${`${escapeLike(prefix)}%`} escape '\\'`;
}

/** `column` ends with `suffix`, taken literally. */
export function endsWith(column: string, suffix: string): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} like ${`%${escapeLike(suffix)}`} escape '\\'`;
}

/** `column` contains `text`, taken literally (case-sensitive on both: SQLite's LIKE is not, so callers check). */
export function contains(column: string, text: string): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} like ${`%${escapeLike(text)}%`} escape '\\'`;
}

/**
 * Kysely prepares every statement anew; preparing costs more than running the small indexed queries of the hot
 * paths. Statements are cached by SQL text (Kysely runs them synchronously, so one statement is never in use
 * twice at a time).
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property === "prepare") {
        return (source: string) => {
          let statement = cache.get(source);
          if (!statement) {
            statement = prepare(source);
            if (cache.size > 2000) cache.clear();
            cache.set(source, statement);
          }
          return statement;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`store migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Rows are JSON text in the store; these keep the parse/serialise in one place. */
export const json = {
  write: (value: unknown): string => JSON.stringify(value),
  read: <T>(text: string | null | undefined, fallback: T): T => {
    if (text === null || text === undefined || text === "") return fallback;
    return JSON.parse(text) as T;
  },
};
export const bool = { write: (b: boolean): number => (b ? 1 : 0), read: (n: number | boolean): boolean => n === 1 || n === true };

/** Runs `work` in a transaction, or in the one `db` already is (repositories bound inside `Store.transaction`). */
export function atomically<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
