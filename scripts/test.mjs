#!/usr/bin/env node
// Runs the whole suite, on SQLite and then on PostgreSQL (SVCCONN_TEST_DIALECTS=sqlite for SQLite only). Official Azure clients read NODE_EXTRA_CA_CERTS only when a
// process starts, so the test CA is made first (once, under .svcconn-test/) and handed to vitest's workers through
// the environment.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { startPostgres } from "./postgres.mjs";

// Types first: vitest strips them without checking.
const typecheck = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--noEmit"], { stdio: "inherit" });
if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);

// Lint (unused code included) before anything runs: a warning fails the suite too.
const lint = spawnSync(process.execPath, ["node_modules/@biomejs/biome/bin/biome", "lint", "--error-on-warnings"], { stdio: "inherit" });
if (lint.status !== 0) process.exit(lint.status ?? 1);

const caDir = resolve(".svcconn-test/ca");
const made = spawnSync(process.execPath, ["--import", "tsx", "scripts/test-ca.ts", caDir], { stdio: "inherit" });
if (made.status !== 0) process.exit(made.status ?? 1);

const env = {
  ...process.env,
  NODE_EXTRA_CA_CERTS: `${caDir}/ca.crt`,
  REQUESTS_CA_BUNDLE: `${caDir}/ca.crt`,
  SVCCONN_TEST_CA_DIR: caDir,
  // Nothing a test starts may reach another host; a stray client request fails fast instead.
  HTTPS_PROXY: "http://127.0.0.1:9",
  HTTP_PROXY: "http://127.0.0.1:9",
  NO_PROXY: "127.0.0.1,localhost",
  AZURE_CORE_COLLECT_TELEMETRY: "false",
};
// Files under test/web/ are browser tests (Playwright); everything else is vitest's.
const args = process.argv.slice(2);
const browserArgs = args.filter((a) => /(^|\/)test\/web\//.test(a) || a.endsWith(".spec.ts"));
const vitestArgs = args.filter((a) => !browserArgs.includes(a));
if (args.length === 0 || vitestArgs.length > 0) {
  const vitest = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...vitestArgs], { stdio: "inherit", env });
  if (vitest.status !== 0) process.exit(vitest.status ?? 1);
  // The same suite on PostgreSQL: each test's store a database of its own in a throwaway cluster of Debian's
  // postgresql. SVCCONN_TEST_DIALECTS=sqlite skips it (a quicker run while working).
  if (process.env.SVCCONN_TEST_DIALECTS !== "sqlite") {
    const cluster = await startPostgres();
    if (!cluster) console.error("PostgreSQL is not installed (Debian's postgresql): the suite ran on SQLite only.");
    else {
      console.log(`\nThe suite again, on PostgreSQL (${cluster.url}):`);
      const onPostgres = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...vitestArgs], { stdio: "inherit", env: { ...env, SVCCONN_TEST_POSTGRES: cluster.url } });
      cluster.stop();
      if (onPostgres.status !== 0) process.exit(onPostgres.status ?? 1);
    }
  }
}
if ((args.length === 0 || browserArgs.length > 0) && !existsSync("/usr/bin/chromium")) {
  // As with the Azure CLI: where the system packages could not be installed, say so rather than fail.
  console.error("Debian's chromium is not installed (scripts/install-system-deps.sh): the browser tests in test/web/ were not run.");
  process.exit(browserArgs.length > 0 ? 1 : 0);
}
if (args.length === 0 || browserArgs.length > 0) {
  // The pages are served from web/dist: build them when a source is newer than the build.
  if (webBuildIsStale()) {
    const built = spawnSync("npm", ["run", "build:web"], { stdio: "inherit", env });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const files = browserArgs.map((a) => a.replace(/^test\/web\//, ""));
  const playwright = spawnSync(process.execPath, ["node_modules/@playwright/test/cli.js", "test", "-c", "test/web/playwright.config.ts", ...files], { stdio: "inherit", env });
  process.exit(playwright.status ?? 1);
}
process.exit(0);

function webBuildIsStale() {
  const built = join("web", "dist", "index.html");
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name);
      return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  return Math.max(newest(join("web", "src")), statSync(join("web", "index.html")).mtimeMs, statSync(join("web", "vite.config.ts")).mtimeMs) > builtAt;
}
