/**
 * bench:start — time from process spawn to "ready" for svcconn and Azurite, side by side in the same run:
 * a new data folder (first start: keys, CA, world) and an existing one (restart). Medians of several rounds.
 * svcconn runs as README says (`svcconn serve`, HTTPS, five listeners); Azurite as its README says (`azurite`,
 * HTTP, three services), with telemetry off. Needs `npm run build` first (the package's own bin is timed).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
// Nothing started here may reach another host.
const env = { ...process.env, HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "127.0.0.1,localhost" };

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Spawns a server and resolves with the milliseconds until `ready(output)` holds; then stops it and waits. */
function timeToReady(args: string[], ready: (output: string) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let took: number | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready after 30 s: ${args.join(" ")}\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (took === undefined && ready(output)) {
        took = performance.now() - started;
        child.kill("SIGTERM");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", () => {
      clearTimeout(timer);
      if (took === undefined) reject(new Error(`exited before ready: ${args.join(" ")}\n${output}`));
      else resolve(took);
    });
  });
}

const svcconn = (dir: string) => timeToReady(["dist/cli/main.js", "serve", "--data", dir, "--ports", "auto", "--json", "--log-level", "silent"], (o) => o.includes('"event":"ready"'));

async function azurite(dir: string) {
  const [blob, queue, table] = [await freePort(), await freePort(), await freePort()];
  return timeToReady(
    ["node_modules/azurite/dist/src/azurite.js", "--location", dir, "--silent", "--disableTelemetry", "--blobPort", String(blob), "--queuePort", String(queue), "--tablePort", String(table)],
    (o) => ["Blob", "Queue", "Table"].every((s) => o.includes(`Azurite ${s} service is successfully listening`)),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const results: Record<string, number[]> = { "svcconn new": [], "svcconn restart": [], "Azurite new": [], "Azurite restart": [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, start] of [
    ["svcconn", svcconn],
    ["Azurite", azurite],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), `bench-start-${name}-`));
    results[`${name} new`]!.push(await start(dir));
    results[`${name} restart`]!.push(await start(dir));
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench:start — Node ${process.version}, ${ROUNDS} rounds, median ms from spawn to ready`);
for (const kind of ["new", "restart"] as const) {
  const ours = median(results[`svcconn ${kind}`]!);
  const theirs = median(results[`Azurite ${kind}`]!);
  console.log(`${kind === "new" ? "new data folder" : "restart       "}: svcconn ${ours.toFixed(0)} ms, Azurite ${theirs.toFixed(0)} ms → svcconn/Azurite ${(ours / theirs).toFixed(2)} (target < 1)`);
}
