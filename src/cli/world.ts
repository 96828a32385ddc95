import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { SecretBox } from "../core/crypto.js";
import { KEY_FILE, openFolderStore, readKeys } from "../server/data-folder.js";
import { type Db, storeOf } from "../store/index.js";
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
    .option("--json", "print what it holds as JSON")
    .action((file: string, flags: { json?: boolean }) => {
      const parsed = readWorld(file);
      const counts = { tenants: parsed.tenants.length, users: parsed.tenants.reduce((n, t) => n + t.users.length, 0), organizations: parsed.organizations.length };
      process.stdout.write(flags.json ? `${JSON.stringify({ ok: true, name: parsed.name ?? null, ...counts })}\n` : `ok: ${parsed.tenants.length} tenant(s)\n`);
    });
  world
    .command("show")
    .description("List what a data folder's store holds: tenants, users, applications, subscriptions, organizations, connections")
    .option("--data <dir>", "data folder (default ./.svcconn; env SVCCONN_DATA)")
    .option("--json", "print it as JSON")
    .action(async (flags: { data?: string; json?: boolean }) => {
      // Read-only, so it works beside the running server (SQLite in WAL mode lets readers in; PostgreSQL does).
      const opened = await openFolderStore(resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn"));
      try {
        const held = await storeContents(opened.db);
        process.stdout.write(flags.json ? `${JSON.stringify(held)}\n` : describeContents(held));
      } finally {
        await opened.db.destroy();
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
      const opened = await openFolderStore(dataDir);
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

/** What `world show` lists, in portable queries (SQLite and PostgreSQL). */
async function storeContents(db: Db) {
  const organizations = await db.selectFrom("organizations").select(["name", "id"]).orderBy("name").execute();
  const projects = await db.selectFrom("projects").select("organizationId").execute();
  const endpoints = await db.selectFrom("serviceEndpoints").select(["id", "body"]).orderBy("createdAt").execute();
  return {
    tenants: await db.selectFrom("tenants").select(["id", "displayName", "defaultDomain"]).orderBy("createdAt").execute(),
    users: await db.selectFrom("users").select(["tenantId", "userPrincipalName", "userType"]).orderBy("tenantId").orderBy("userPrincipalName").execute(),
    applications: await db.selectFrom("applications").select(["tenantId", "appId", "displayName"]).orderBy("tenantId").orderBy("displayName").execute(),
    subscriptions: await db.selectFrom("subscriptions").select(["id", "displayName", "tenantId", "state"]).orderBy("displayName").execute(),
    organizations: organizations.map((o) => ({ ...o, projects: projects.filter((p) => p.organizationId === o.id).length })),
    connections: endpoints.map((row) => {
      const body = JSON.parse(row.body) as { name: string; type: string; scheme: string; operationStatus?: { state?: string } };
      return { id: row.id, name: body.name, type: body.type, scheme: body.scheme, state: body.operationStatus?.state ?? "Ready" };
    }),
  };
}

function describeContents(held: Awaited<ReturnType<typeof storeContents>>): string {
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
