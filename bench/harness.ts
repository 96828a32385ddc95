import { spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { join, resolve } from "node:path";
import { ensureCa } from "../src/server/tls.js";

/** What the benches share: their flags, the CA their clients trust, the machine's signing ceiling. */

/** `--name N` from the command line, or `fallback`. */
export function numberFlag(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The CA every bench's servers sign with. */
export const BENCH_CA_DIR = resolve(".svcconn-test/bench-ca");

/**
 * Runs `main` in a process that trusts the bench CA: clients read NODE_EXTRA_CA_CERTS only when a process starts,
 * so without it the bench runs itself again with it.
 */
export async function trustingBenchCa(main: () => Promise<void>): Promise<void> {
  if (process.env.NODE_EXTRA_CA_CERTS?.startsWith(BENCH_CA_DIR)) return main();
  await ensureCa(BENCH_CA_DIR);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: { ...process.env, NODE_EXTRA_CA_CERTS: join(BENCH_CA_DIR, "ca.crt") } });
  child.on("exit", (code) => process.exit(code ?? 1));
}

/** The same signature through crypto.sign's thread-pool path with 16 in flight: the machine's signing ceiling. */
export async function pooledSigningRate(): Promise<number> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const input = Buffer.from("eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0");
  const end = Date.now() + 3000;
  let n = 0;
  const worker = async () => {
    while (Date.now() < end) {
      await new Promise<void>((ok, fail) => sign("sha256", input, privateKey, (e) => (e ? fail(e) : ok())));
      n++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return n / 3;
}
