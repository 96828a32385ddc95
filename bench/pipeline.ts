/**
 * bench:pipeline — what running a step through svcconn's pipelines costs, against doing the same work directly,
 * measured in the same run:
 *   1. overhead: wall time of a one-job run whose one step is `script: echo ok` (queue → compile → job → step
 *      process → logs stored → completed), against spawning the process that step runs (the task's own process,
 *      which runs bash), directly. The ratio is the agent's overhead.
 *   2. throughput: runs completed per minute with 4 queued at once, against 4 direct spawns in parallel.
 *   3. compile: a template tree of more than 2 000 lines (stage, job, step and variable templates) with `each` over
 *      50 environments, compiled whole (parse, expand, structure), against a plain `yaml` parse of the same files;
 *      the issue's limit is 100 ms.
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
const { compilePipeline } = (await import(built("pipelines/compile/compiler.js"))) as typeof import("../src/pipelines/compile/compiler.js");
const { parseAllDocuments } = await import("yaml");

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const PARALLEL = 4;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runtime = await createRuntime(resolveConfig({ memory: true, dataDir: mkdtempSync(join(tmpdir(), "svcconn-bench-")), tls: false, adminKey: "bench-admin-key-0123456789", logLevel: "silent" }, {}));
const { pipelines } = runtime;
await pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "bench", files: { "/azure-pipelines.yml": "steps:\n  - checkout: none\n  - script: echo ok\n" } });
const pipeline = await pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "bench", repository: "bench", yamlPath: "/azure-pipelines.yml" });
// Four parallel jobs (the free tier runs one at a time), so the throughput round measures the agent, not the queue.
await pipelines.catalog.putParallelism(DEMO.organization.name, { microsoftHosted: PARALLEL, selfHosted: 1 });
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
    const child = spawn(process.execPath, [new URL("../dist/pipelines/tasks/cmdline/run.js", import.meta.url).pathname], {
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

const CHECKS = 80;
const DEPLOY_STEPS = 130;

/** A template tree as large pipelines are: each file a few hundred lines, the root deploying to 50 environments. */
function templateTree(): Record<string, string> {
  const files: Record<string, string> = {};
  const environments = Array.from({ length: 50 }, (_, i) => `      - { name: env${i}, region: region${i % 7}, tier: ${i % 3 === 0 ? "premium" : "standard"} }`).join("\n");
  files["/azure-pipelines.yml"] = `trigger: [main]\nparameters:\n  - name: environments\n    type: object\n    default:\n${environments}\nvariables:\n  - template: variables/common.yml\nstages:\n  - \${{ each env in parameters.environments }}:\n    - template: stages/deploy.yml\n      parameters:\n        env: \${{ env }}\n`;
  const settings = Array.from({ length: 260 }, (_, i) => `  - name: setting${i}\n    value: value-\${{ format('{0}-{1}', 'common', ${i}) }}`).join("\n");
  files["/variables/common.yml"] = `variables:\n${settings}\n`;
  const checks = Array.from({ length: CHECKS }, (_, i) => `  - \${{ if eq(parameters.env.tier, 'premium') }}:\n    - script: echo check ${i} for \${{ parameters.env.name }}\n      displayName: Premium check ${i}\n  - \${{ else }}:\n    - script: echo basic check ${i}\n      displayName: Basic check ${i}`).join("\n");
  files["/steps/checks.yml"] = `parameters:\n  - name: env\n    type: object\nsteps:\n${checks}\n`;
  const deploySteps = Array.from({ length: DEPLOY_STEPS }, (_, i) => `  - task: AzureCLI@2\n    displayName: Deploy part ${i}\n    inputs:\n      azureSubscription: \${{ parameters.env.name }}-connection\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az group show -n rg-\${{ parameters.env.name }}-${i}`).join("\n");
  files["/steps/deploy.yml"] = `parameters:\n  - name: env\n    type: object\nsteps:\n${deploySteps}\n`;
  files["/jobs/deploy.yml"] = `parameters:\n  - name: env\n    type: object\njobs:\n  - deployment: deploy_\${{ parameters.env.name }}\n    environment: \${{ parameters.env.name }}\n    variables:\n      region: \${{ parameters.env.region }}\n    strategy:\n      runOnce:\n        deploy:\n          steps:\n            - template: ../steps/checks.yml\n              parameters:\n                env: \${{ parameters.env }}\n            - template: ../steps/deploy.yml\n              parameters:\n                env: \${{ parameters.env }}\n`;
  files["/stages/deploy.yml"] = `parameters:\n  - name: env\n    type: object\nstages:\n  - stage: stage_\${{ parameters.env.name }}\n    displayName: Deploy \${{ parameters.env.name }}\n    jobs:\n      - template: ../jobs/deploy.yml\n        parameters:\n          env: \${{ parameters.env }}\n`;
  return files;
}

const tree = templateTree();
const lines = Object.values(tree).reduce((n, text) => n + text.split("\n").length, 0);
const resolve = (path: string) => tree[path.replace(/^\/(stages|jobs|steps)\/\.\.\//, "/")] ?? tree[path];
/** One compile as a run does it (`preview`: also writing the expanded YAML, as the preview API does). */
const compileOnce = (preview = false) => {
  const started = performance.now();
  const compiled = compilePipeline({ yamlPath: "/azure-pipelines.yml", readFile: (path) => resolve(path), templateParameters: {}, queueVariables: {}, finalYaml: preview });
  if (compiled.stages.length !== 50) throw new Error(`expected 50 stages, compiled ${compiled.stages.length}`);
  return performance.now() - started;
};
const parseOnce = () => {
  const started = performance.now();
  for (const text of Object.values(tree)) for (const doc of parseAllDocuments(text) as Array<{ errors: unknown[] }>) if (doc.errors.length) throw new Error("yaml error");
  return performance.now() - started;
};
for (let i = 0; i < 3; i++) {
  compileOnce();
  parseOnce();
}
const compiles = Array.from({ length: ROUNDS }, () => compileOnce());
const previews = Array.from({ length: ROUNDS }, () => compileOnce(true));
const parses = Array.from({ length: ROUNDS }, parseOnce);
const compileMs = median(compiles);
console.log(
  `compile of a ${lines}-line template tree (${Object.keys(tree).length} files, each over 50 environments: 50 stages, ${50 * (CHECKS + DEPLOY_STEPS)} steps), median of ${ROUNDS}: ${compileMs.toFixed(1)} ms (limit 100 ms: ${compileMs <= 100 ? "within" : "OVER"}); plain yaml parse of the same files: ${median(parses).toFixed(1)} ms (${(compileMs / median(parses)).toFixed(1)}× a parse); with the expanded YAML written, as preview does: ${median(previews).toFixed(1)} ms`,
);
await runtime.close();
