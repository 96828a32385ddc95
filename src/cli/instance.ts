import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UnreachableError } from "./exit.js";

/** What `svcconn serve` writes to its data folder's instance.json: its listeners, CA and bootstrap identities. */
export interface Instance {
  devops: string;
  login: string;
  graph: string;
  arm: string;
  caFile: string | null;
  organization: string | null;
  pat: string | null;
  bootstrap: { tenantId: string; clientId: string; clientSecret: string } | null;
}

/**
 * The svcconn running on the data folder (--data, SVCCONN_DATA or ./.svcconn) unless an organization URL names
 * another (real Azure DevOps); its CA is trusted for the whole process.
 */
export function openInstance(flags: { data?: string; org?: string }): { data: string; instance?: Instance } {
  const data = resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn");
  const instanceFile = join(data, "instance.json");
  const instance = !flags.org || flags.data ? (existsSync(instanceFile) ? (JSON.parse(readFileSync(instanceFile, "utf8")) as Instance) : undefined) : undefined;
  if (flags.data && !instance) throw new UnreachableError(`no svcconn is running on ${data} (no ${instanceFile})`);
  if (instance) ensureTrusted(instance.caFile);
  return { data, instance };
}

/**
 * Trusting svcconn's CA must hold for every client in the process (Graph, ARM and identity read it at start): run
 * again with NODE_EXTRA_CA_CERTS set when it is not.
 */
function ensureTrusted(caFile: string | null): void {
  if (!caFile || (process.env.NODE_EXTRA_CA_CERTS && resolve(process.env.NODE_EXTRA_CA_CERTS) === resolve(caFile))) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
  process.exit(child.status ?? 2);
}
