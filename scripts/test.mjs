#!/usr/bin/env node
// Runs the whole suite. Official Azure clients read NODE_EXTRA_CA_CERTS only when a process starts, so the
// test CA is made first (once, under .svcconn-test/) and handed to vitest's workers through the environment.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

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
const vitest = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...process.argv.slice(2)], { stdio: "inherit", env });
process.exit(vitest.status ?? 1);
