import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

/**
 * The benches' CA folder, trusted by this process: Node and the Azure SDKs read NODE_EXTRA_CA_CERTS only at start,
 * so the first call makes the CA and runs the same script again trusting it, then exits with its status.
 */
export function trustBenchCa(): string {
  const caDir = resolve(".svcconn-test/bench-ca");
  if (process.env.NODE_EXTRA_CA_CERTS === join(caDir, "ca.crt")) return caDir;
  const made = spawnSync(process.execPath, ["--import", "tsx", "scripts/test-ca.ts", caDir], { stdio: "inherit" });
  if (made.status !== 0) process.exit(made.status ?? 1);
  const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: join(caDir, "ca.crt") } });
  process.exit(again.status ?? 1);
}
