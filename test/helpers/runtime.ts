import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import pg from "pg";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, type ConfigInput } from "../../src/core/config.js";
import { createRuntime, type Runtime } from "../../src/server/runtime.js";
import { startServer, type RunningServer } from "../../src/server/start.js";

/** The CA every test server signs with; scripts/test.mjs makes it and sets NODE_EXTRA_CA_CERTS to it. */
export const TEST_CA_DIR = process.env.SVCCONN_TEST_CA_DIR ?? join(process.cwd(), ".svcconn-test/ca");

const ADMIN_KEY = "test-admin-key-0123456789";

/**
 * Where a test's store lives: in memory (or the data folder's SQLite file when the test keeps one), or — when the
 * suite runs on PostgreSQL (`SVCCONN_TEST_POSTGRES`, a cluster's URL) — a database of its own there, named after
 * the data folder so a test that restarts svcconn on the same folder finds its store again.
 */
async function storeFor(dataDir: string, options: ConfigInput): Promise<ConfigInput> {
  const cluster = process.env.SVCCONN_TEST_POSTGRES;
  if (!cluster) return { memory: options.memory ?? true };
  const name = `svcconn_${createHash("sha256").update(dataDir).digest("hex").slice(0, 20)}`;
  const client = new pg.Client({ connectionString: cluster });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } catch (error) {
    // 42P04: it exists (a restart on the same folder).
    if ((error as { code?: string }).code !== "42P04") throw error;
  } finally {
    await client.end();
  }
  const url = new URL(cluster);
  url.pathname = `/${name}`;
  return { memory: false, database: url.href };
}

/** A runtime on an in-memory store with the demo world (or `world`), for `inject()` tests. No TLS, no ports. */
export async function testRuntime(options: ConfigInput = {}): Promise<Runtime> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "svcconn-test-"));
  return createRuntime(resolveConfig({ dataDir, tls: false, adminKey: ADMIN_KEY, logLevel: "silent", ...options, ...(await storeFor(dataDir, options)) }, {}));
}

/** A listening server on 127.0.0.1 with free ports and TLS from the shared test CA. */
export async function testServer(options: ConfigInput = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "svcconn-test-"));
  return startServer({ dataDir, ports: "auto", caDir: TEST_CA_DIR, adminKey: ADMIN_KEY, logLevel: "silent", ...options, ...(await storeFor(dataDir, options)) });
}

export { ADMIN_KEY };
