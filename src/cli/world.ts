import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Command } from "commander";
import { SecretBox } from "../core/crypto.js";
import { DATABASE_FILE, KEY_FILE, readKeys } from "../server/data-folder.js";
import { openSqlite, storeOf } from "../store/index.js";
import { DEMO_WORLD_YAML } from "../world/demo.js";
import { exportedYaml, exportWorld } from "../world/export.js";
import { readWorld } from "../world/load.js";

export function worldCommand(): Command {
  const world = new Command("world").description("World files: the YAML description of tenants, users, applications and the rest");
  world
    .command("demo")
    .description("Print the built-in demo world")
    .action(() => {
      process.stdout.write(DEMO_WORLD_YAML);
    });
  world
    .command("check <file>")
    .description("Validate a world file; errors name the bad path")
    .action((file: string) => {
      const parsed = readWorld(file);
      process.stdout.write(`ok: ${parsed.tenants.length} tenant(s)\n`);
    });
  world
    .command("show")
    .description("List what a data folder's store holds: tenants, users, applications, subscriptions, organizations, connections")
    .option("--data <dir>", "data folder (default ./.svcconn; env SVCCONN_DATA)")
    .option("--json", "print it as JSON")
    .action((flags: { data?: string; json?: boolean }) => {
      const file = join(resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn"), "svcconn.db");
      if (!existsSync(file)) throw new Error(`no store at ${file}`);
      // Read-only, so it works beside the running server (SQLite in WAL mode lets readers in).
      const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
      try {
        const held = storeContents(db);
        process.stdout.write(flags.json ? `${JSON.stringify(held)}\n` : describeContents(held));
      } finally {
        db.close();
      }
    });
  world
    .command("export")
    .description("Write what a data folder's store holds as a world file (secrets the store keeps hashed stay hashes)")
    .option("--data <dir>", "data folder (default ./.svcconn; env SVCCONN_DATA)")
    .option("--out <file>", "write to this file (default: standard output)")
    .option("--include-secrets", "write connection secrets in clear (opened with the folder's keys.json); otherwise placeholders")
    .action(async (flags: { data?: string; out?: string; includeSecrets?: boolean }) => {
      const dataDir = resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn");
      if (!existsSync(join(dataDir, DATABASE_FILE))) throw new Error(`no store at ${join(dataDir, DATABASE_FILE)}`);
      const opened = await openSqlite({ dataDir, readonly: true });
      try {
        const secrets = flags.includeSecrets ? new SecretBox(readKeys(join(dataDir, KEY_FILE)).secretKey) : undefined;
        const exported = await exportWorld(storeOf(opened), { secrets });
        const yaml = exportedYaml(exported);
        if (flags.out) {
          // A world with secrets in it is as sensitive as the keys: owner only.
          writeFileSync(flags.out, yaml, { mode: 0o600 });
          process.stderr.write(`wrote ${flags.out}\n`);
        } else process.stdout.write(yaml);
      } finally {
        await opened.db.destroy();
      }
    });
  return world;
}

type Row = Record<string, string | number | null>;

function storeContents(db: SqliteDatabase.Database) {
  const all = (query: string) => db.prepare(query).all() as Row[];
  return {
    tenants: all("select id, display_name as displayName, default_domain as defaultDomain from tenants order by created_at"),
    users: all("select tenant_id as tenantId, user_principal_name as userPrincipalName, user_type as userType from users order by tenant_id, user_principal_name"),
    applications: all("select tenant_id as tenantId, app_id as appId, display_name as displayName from applications order by tenant_id, display_name"),
    subscriptions: all("select id, display_name as displayName, tenant_id as tenantId, state from subscriptions order by display_name"),
    organizations: all("select o.name, o.id, (select count(*) from projects p where p.organization_id = o.id) as projects from organizations o order by o.name"),
    connections: all("select id, body from service_endpoints order by created_at").map((row) => {
      const body = JSON.parse(String(row.body)) as { name: string; type: string; scheme: string; operationStatus?: { state?: string } };
      return { id: row.id, name: body.name, type: body.type, scheme: body.scheme, state: body.operationStatus?.state ?? "Ready" };
    }),
  };
}

function describeContents(held: ReturnType<typeof storeContents>): string {
  const lines: string[] = [];
  const section = (title: string, rows: Row[] | Array<Record<string, unknown>>, line: (row: never) => string) => {
    lines.push(`${title} (${rows.length})`);
    for (const row of rows) lines.push(`  ${line(row as never)}`);
  };
  section("tenants", held.tenants, (t: Row) => `${t.displayName}  ${t.id}  ${t.defaultDomain}`);
  section("users", held.users, (u: Row) => `${u.userPrincipalName}  ${u.userType}`);
  section("applications", held.applications, (a: Row) => `${a.displayName}  ${a.appId}`);
  section("subscriptions", held.subscriptions, (x: Row) => `${x.displayName}  ${x.id}  ${x.state}`);
  section("organizations", held.organizations, (o: Row) => `${o.name}  ${o.id}  ${o.projects} project(s)`);
  section("connections", held.connections, (c: Record<string, unknown>) => `${c.name}  ${c.type}/${c.scheme}  ${c.state}  ${c.id}`);
  return `${lines.join("\n")}\n`;
}
