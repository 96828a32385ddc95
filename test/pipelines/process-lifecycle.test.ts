import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxMode } from "../../src/pipelines/runner/sandbox.js";
import { StepProcess } from "../../src/pipelines/runner/step-process.js";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { basic, devops, ORG, PROJECT } from "../helpers/devops.js";
import { TEST_CA_DIR, testRuntime } from "../helpers/runtime.js";

// Issue 22, item 6: whatever ends a job — cancel, its timeout on svcconn's clock, svcconn stopping (SIGTERM) or
// dying (kill -9) — the run ends within 10 s, the step's heartbeat stops, no process of the step remains, and the
// job's folder is gone. An inline script far over the OS's limit for one environment value still runs.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A step that beats into `dir` every 100 ms from itself and from a background child, forever. */
function beatStep(dir: string, mark: string): string {
  return `- bash: |
    echo "$(Agent.BuildDirectory)" > ${dir}/work
    (while true; do date +%s%N > ${dir}/beat-child; sleep 0.1; done) &
    while true; do date +%s%N > ${dir}/beat; sleep 0.1; done
  displayName: Beat
  env:
    HEARTBEAT_MARK: ${mark}
`;
}

const indent = (text: string, spaces: number) => text.replace(/^(?=.)/gm, " ".repeat(spaces));
const heartbeat = (dir: string, mark: string) => `steps:\n${indent(beatStep(dir, mark), 2)}`;

/** Processes on this machine whose environment carries the mark (the step's, in or out of its sandbox). */
function processesWith(mark: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "utf8").includes(`HEARTBEAT_MARK=${mark}`)) found.push(Number(entry));
    } catch {
      // Gone, or not readable.
    }
  }
  return found;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

/** The heartbeat has started (both beats written). */
const beating = (dir: string) => until("the step beats", () => existsSync(join(dir, "beat")) && existsSync(join(dir, "beat-child")) && existsSync(join(dir, "work")));

/** Nothing of the step is left: the beats stopped, no process carries its mark, its job folder is gone. */
async function allGone(dir: string, mark: string): Promise<void> {
  await until("no process of the step remains", () => processesWith(mark).length === 0);
  const before = [statSync(join(dir, "beat")).mtimeMs, statSync(join(dir, "beat-child")).mtimeMs];
  await sleep(600);
  expect([statSync(join(dir, "beat")).mtimeMs, statSync(join(dir, "beat-child")).mtimeMs]).toEqual(before);
  const work = readFileSync(join(dir, "work"), "utf8").trim();
  expect(work).toMatch(/svcconn-work-/);
  await until("the job folder is removed", () => !existsSync(work));
}

describe("a job's processes end with it (in-process server)", () => {
  let runtime: Runtime;
  let counter = 0;
  beforeAll(async () => {
    runtime = await testRuntime();
  });
  afterAll(async () => runtime?.close());

  async function start(yaml: (dir: string, mark: string) => string) {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-beat-"));
    const mark = randomUUID();
    const name = `lifecycle-${++counter}`;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml(dir, mark) } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
    expect(queued.status, JSON.stringify(queued.body)).toBe(200);
    return { dir, mark, runId: queued.body.id as number };
  }
  const build = async (runId: number) => (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}`)).body;
  const completed = (runId: number) => until("the run completes", async () => (await build(runId)).status === "completed");

  it("cancel: the run ends canceled, the step and its child stop, the folder is removed", async () => {
    const { dir, mark, runId } = await start(heartbeat);
    await beating(dir);
    const cancel = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}`, { status: "cancelling" });
    expect(cancel.status).toBe(200);
    await completed(runId);
    expect((await build(runId)).result).toBe("canceled");
    await allGone(dir, mark);
  });

  it("the job's timeoutInMinutes on svcconn's clock: the job fails with the agent's text", async () => {
    const { dir, mark, runId } = await start((d, m) => `jobs:\n  - job: Slow\n    timeoutInMinutes: 1\n    steps:\n${indent(beatStep(d, m), 6)}`);
    await beating(dir);
    await runtime.clock.advance(120);
    await completed(runId);
    expect((await build(runId)).result).toBe("failed");
    const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body;
    const job = timeline.records.find((r: { type: string }) => r.type === "Job");
    expect(job.issues.map((i: { message: string }) => i.message)).toContain("The job running on agent Hosted Agent ran longer than the maximum time of 1 minutes. For more information, see https://go.microsoft.com/fwlink/?linkid=2077134");
    await allGone(dir, mark);
  });

  it("a step's timeoutInMinutes: the step fails as timed out and the job goes on to its end", async () => {
    const { dir, mark, runId } = await start((d, m) => `${heartbeat(d, m)}    timeoutInMinutes: 1\n  - bash: echo after\n    displayName: After\n    condition: always()\n`);
    await beating(dir);
    await runtime.clock.advance(90);
    await completed(runId);
    const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body;
    const beat = timeline.records.find((r: { name: string }) => r.name === "Beat");
    expect(beat).toMatchObject({ result: "failed", issues: [{ message: "The task has timed out." }] });
    expect(timeline.records.find((r: { name: string }) => r.name === "After").result).toBe("succeeded");
    await allGone(dir, mark);
  });

  it("an inline script of 200 KB runs (from a file, as the agent's tasks do), with nothing left behind", async () => {
    const padding = Array.from({ length: 2_600 }, (_, i) => `# padding line ${i} ${"x".repeat(60)}`).join("\n      ");
    const { dir, runId } = await start((d) => `steps:\n  - bash: |\n      ${padding}\n      echo "$(Agent.BuildDirectory)" > ${d}/work\n      echo "the long script ran: $(wc -c < "$0") bytes"\n    displayName: Long\n`);
    await completed(runId);
    const record = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records.find((r: { name: string }) => r.name === "Long");
    const log = String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/logs/${record.log.id}`)).body);
    expect(record.result, log).toBe("succeeded");
    expect(Number(/the long script ran: (\d+) bytes/.exec(log)?.[1]), log.slice(-3000)).toBeGreaterThan(200_000);
    expect(Number(/the long script ran: (\d+) bytes/.exec(log)?.[1])).toBeGreaterThan(200_000);
    await until("the job folder is removed", () => !existsSync(readFileSync(join(dir, "work"), "utf8").trim()));
  });

  it("a process that cannot start ends its step as failed, with the reason", async () => {
    const process = new StepProcess({ kind: "none", wrap: (c) => c }, () => undefined);
    const jobFolder = mkdtempSync(join(tmpdir(), "svcconn-nostart-"));
    mkdirSync(join(jobFolder, "_temp"));
    const exit = await process.run({ file: join(jobFolder, "missing-binary"), args: [], cwd: jobFolder, env: { BIG: "y".repeat(300_000) }, jobFolder, tempFolder: join(jobFolder, "_temp"), marker: "x" }, () => undefined);
    expect(exit.startError?.message).toMatch(/ENOENT/);
  });
});

describe("svcconn stopping or dying ends its jobs' processes (svcconn serve in its own process)", () => {
  const folders: string[] = [];
  let serving: ChildProcess | undefined;
  afterAll(() => serving?.kill("SIGKILL"));

  async function serve(data: string): Promise<{ child: ChildProcess; ready: { devops: string; adminKey: string; pat: string } }> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--data", data, "--ports", "auto", "--json", "--ca-dir", TEST_CA_DIR], { stdio: ["ignore", "pipe", "pipe"] });
    serving = child;
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
    });
    return { child, ready: JSON.parse(line) };
  }

  async function queue(ready: { devops: string; adminKey: string; pat: string }, folder: string): Promise<number> {
    const name = `beat-${randomUUID().slice(0, 8)}`;
    const registered = await fetch(`${ready.devops}/_admin/organizations/${ORG}/projects/${PROJECT}/repositories/${name}`, { method: "PUT", headers: { "x-svcconn-admin-key": ready.adminKey, "content-type": "application/json" }, body: JSON.stringify({ folder }) });
    expect(registered.status).toBe(200);
    const headers = { authorization: basic(ready.pat), "content-type": "application/json" };
    const created = await (await fetch(`${ready.devops}/${ORG}/${PROJECT}/_apis/pipelines?api-version=7.1`, { method: "POST", headers, body: JSON.stringify({ name, configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name } } }) })).json();
    const run = await (await fetch(`${ready.devops}/${ORG}/${PROJECT}/_apis/pipelines/${created.id}/runs?api-version=7.1`, { method: "POST", headers, body: "{}" })).json();
    return run.id;
  }

  const build = async (ready: { devops: string; pat: string }, runId: number) => (await fetch(`${ready.devops}/${ORG}/${PROJECT}/_apis/build/builds/${runId}?api-version=7.1`, { headers: { authorization: basic(ready.pat) } })).json();

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`${signal}: the step stops, and the next start takes the run over and ends it`, { timeout: 90_000 }, async () => {
      const data = mkdtempSync(join(tmpdir(), "svcconn-lifecycle-"));
      const beats = mkdtempSync(join(tmpdir(), "svcconn-beat-"));
      const repo = mkdtempSync(join(tmpdir(), "svcconn-repo-"));
      folders.push(data, beats, repo);
      const mark = randomUUID();
      writeFileSync(join(repo, "azure-pipelines.yml"), heartbeat(beats, mark));
      const first = await serve(data);
      const runId = await queue(first.ready, repo);
      await beating(beats);
      const exited = new Promise((resolve) => first.child.once("exit", resolve));
      first.child.kill(signal);
      await exited;
      const sandboxed = (await sandboxKindOf()) === "bubblewrap";
      // Stopping ends the steps itself; a killed svcconn's steps die with it inside the sandbox, or at the next start.
      if (signal === "SIGTERM" || sandboxed) await until("no process of the step remains", () => processesWith(mark).length === 0);
      const second = await serve(data);
      await until("the run has ended", async () => (await build(second.ready, runId)).status === "completed");
      // Stopped or killed, svcconn leaves the run to its next start, which ends the job it lost as Azure Pipelines
      // ends a lost agent's job (test/server/takeover.test.ts follows a run on to its next job).
      expect((await build(second.ready, runId)).result).toBe("failed");
      await allGone(beats, mark);
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));
    });
  }
});

/** The sandbox this machine gives steps (what `svcconn serve` chooses with its default, auto). */
async function sandboxKindOf(): Promise<"bubblewrap" | "none"> {
  const { chooseSandbox } = await import("../../src/pipelines/runner/sandbox.js");
  const mode: SandboxMode = "auto";
  return chooseSandbox(mode, { hidden: [], needed: [] }).kind;
}
