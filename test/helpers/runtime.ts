import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, type ConfigInput } from "../../src/core/config.js";
import { createRuntime, type Runtime } from "../../src/server/runtime.js";
import { startServer, type RunningServer } from "../../src/server/start.js";

/** The CA every test server signs with; scripts/test.mjs makes it and sets NODE_EXTRA_CA_CERTS to it. */
export const TEST_CA_DIR = process.env.SVCCONN_TEST_CA_DIR ?? join(process.cwd(), ".svcconn-test/ca");

const ADMIN_KEY = "test-admin-key-0123456789";

/** A runtime on an in-memory store with the demo world (or `world`), for `inject()` tests. No TLS, no ports. */
export async function testRuntime(options: ConfigInput = {}): Promise<Runtime> {
  const dataDir = mkdtempSync(join(tmpdir(), "svcconn-test-"));
  return createRuntime(resolveConfig({ memory: true, dataDir, tls: false, adminKey: ADMIN_KEY, logLevel: "silent", ...options }, {}));
}

/** A listening server on 127.0.0.1 with free ports and TLS from the shared test CA. */
export async function testServer(options: ConfigInput = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "svcconn-test-"));
  return startServer({ memory: true, dataDir, ports: "auto", caDir: TEST_CA_DIR, adminKey: ADMIN_KEY, logLevel: "silent", ...options });
}

export { ADMIN_KEY };
