/**
 * bench:pipeline — what running a step through svcconn's pipelines costs, against doing the same work directly,
 * measured in the same run:
 *   1. overhead: wall time of a one-job run whose one step is `script: echo ok` (queue → compile → job → step
 *      process → logs stored → completed), against spawning the process that step runs (the task's own process,
 *      which runs bash), directly. The ratio is the agent's overhead.
 *   2. throughput: runs completed per minute with 4 queued at once, against 4 direct spawns in parallel.
 * Uses the built package (`npm run build` first), as `svcconn serve` runs it; the store is in memory.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The built modules (tasks then run as the package runs them), typed by their sources.
const built = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { resolveConfig } = (await import(built("core/config.js"))) as typeof import("../src/core/config.js");
const { createRuntime } = (await import(built("server/runtime.js"))) as typeof import("../src/server/runtime.js");
const { DEMO } = (await import(built("world/demo.js"))) as typeof import("../src/world/demo.js");

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const PARALLEL = 4;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runtime = await createRuntime(resolveConfig({ memory: true, dataDir: mkdtempSync(join(tmpdir(), "svcconn-bench-")), tls: false, adminKey: "bench-admin-key-0123456789", logLevel: "silent" }, {}));
const { pipelines } = runtime;
await pipelines.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "bench", files: { "/azure-pipelines.yml": "steps:\n  - checkout: none\n  - script: echo ok\n" } });
const pipeline = await pipelines.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "bench", repository: "bench", yamlPath: "/azure-pipelines.yml" });
// Four parallel jobs (the free tier runs one at a time), so the throughput round measures the agent, not the queue.
await pipelines.putParallelism(DEMO.organization.name, { microsoftHosted: PARALLEL, selfHosted: 1 });
const caller = await pipelines.caller(DEMO.organization.name, `Basic ${Buffer.from(`:${DEMO.pats.admin}`).toString("base64")}`);

async function oneRun(): Promise<number> {
  const started = performance.now();
  const run = await pipelines.queueRun(caller, DEMO.project.id, pipeline.id, { variables: {}, templateParameters: {}, previewRun: false });
  for (;;) {
    const current = await pipelines.run(caller, DEMO.project.id, run.id);
    if (current.status === "completed") {
      if (current.result !== "succeeded") throw new Error(`run ${run.id} ${current.result}`);
      return performance.now() - started;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The step's own process, spawned directly: node running the CmdLine task module, which runs bash. */
function direct(): Promise<number> {
  const temp = mkdtempSync(join(tmpdir(), "svcconn-bench-step-"));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL("../dist/pipelines/tasks/cmdline.js", import.meta.url).pathname], {
      cwd: temp,
      env: { PATH: process.env.PATH, AGENT_TEMPDIRECTORY: temp, AGENT_VERSION: "4.264.2", INPUT_SCRIPT: "echo ok", INPUT_WORKINGDIRECTORY: temp, INPUT_FAILONSTDERR: "false" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", (code) => (code === 0 && out.includes("ok") ? resolve(performance.now() - started) : reject(new Error(out))));
  });
}

await oneRun();
await direct();
const runs: number[] = [];
const directs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  runs.push(await oneRun());
  directs.push(await direct());
}
const t0 = performance.now();
const batch = ROUNDS;
for (let i = 0; i < batch; i += PARALLEL) await Promise.all(Array.from({ length: PARALLEL }, () => oneRun()));
const runsPerMinute = (batch / (performance.now() - t0)) * 60_000;
const t1 = performance.now();
for (let i = 0; i < batch; i += PARALLEL) await Promise.all(Array.from({ length: PARALLEL }, () => direct()));
const directPerMinute = (batch / (performance.now() - t1)) * 60_000;

console.log(`one-job run of 'script: echo ok' (median of ${ROUNDS}): ${median(runs).toFixed(0)} ms; the step's process spawned directly: ${median(directs).toFixed(0)} ms; overhead ratio ${(median(runs) / median(directs)).toFixed(2)}×`);
console.log(`${PARALLEL} in parallel: ${runsPerMinute.toFixed(0)} runs/min through svcconn vs ${directPerMinute.toFixed(0)} direct step processes/min (${(runsPerMinute / directPerMinute).toFixed(2)}×)`);
await runtime.close();
