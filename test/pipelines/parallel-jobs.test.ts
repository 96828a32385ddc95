import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { devops, ORG, PROJECT } from "../helpers/devops.js";
import { ADMIN_KEY, testRuntime } from "../helpers/runtime.js";

// Issue 22, item 8: an organization runs at most its parallel jobs at once (Microsoft-hosted and self-hosted
// apart, the free tier's one of each by default), a self-hosted agent one job at a time; the rest wait in the queue
// with Azure DevOps' words and their position, and start when a job ends.

let runtime: Runtime;
let counter = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  runtime = await testRuntime();
  await runtime.pipelines.catalog.putPool(DEMO.organization.id, "two-agents", [
    { name: "agent-a", vm: null },
    { name: "agent-b", vm: null },
  ]);
});
afterAll(async () => runtime?.close());

async function pipeline(yaml: string): Promise<number> {
  const name = `parallel-${++counter}`;
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml } });
  return (await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" })).id;
}
const queue = async (id: number) => (await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {})).body.id as number;
const job = async (runId: number) => ((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records as Array<{ type: string; state: string; result: string; currentOperation: string | null; workerName: string | null }>).find((r) => r.type === "Job")!;
const parallelism = (body: unknown) => runtime.listeners.devops.inject({ method: "PUT", url: `/_admin/organizations/${ORG}/parallelism`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify(body) });

/** A step that runs until `release` exists in `dir`, writing `started` first. */
const held = (dir: string, name: string, pool = "") => `${pool}steps:\n  - checkout: none\n  - bash: |\n      touch ${dir}/${name}.started\n      while [ ! -f ${dir}/release ]; do sleep 0.05; done\n`;

describe("parallel jobs", () => {
  it("twenty runs queued at once run one at a time on the free tier, never two together", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-parallel-"));
    const id = await pipeline(`steps:\n  - checkout: none\n  - bash: |\n      echo "start $(date +%s%N)" >> ${dir}/spans\n      sleep 0.05\n      echo "end $(date +%s%N)" >> ${dir}/spans\n`);
    await Promise.all(Array.from({ length: 20 }, () => queue(id)));
    await runtime.pipelines.settled();
    const events = readFileSync(join(dir, "spans"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
    expect(events).toHaveLength(40);
    // Alternating start/end: no job started while another ran.
    expect(events).toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 ? "end" : "start")));
  });

  it("a job waits with its position in Azure DevOps' words, and starts when the limit allows", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "svcconn-parallel-"));
    const ids = await Promise.all(["a", "b", "c"].map((n) => pipeline(held(dir, n))));
    const runs: number[] = [];
    for (const id of ids) runs.push(await queue(id));
    for (let i = 0; i < 100 && !existsSync(join(dir, "a.started")); i++) await sleep(50);
    await sleep(300);
    expect((await job(runs[0]!)).state).toBe("inProgress");
    expect(await job(runs[1]!)).toMatchObject({ state: "pending", currentOperation: "The agent request is not running because you have reached the maximum number of requests that can run for parallelism type 'Microsoft-Hosted Private'. Current position in queue: 1" });
    expect((await job(runs[2]!)).currentOperation).toMatch(/Current position in queue: 2$/);
    const build = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runs[1]}`)).body;
    expect(build.status).toBe("notStarted");
    // A waiting run can be canceled: it never starts.
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/build/builds/${runs[2]}`, { status: "cancelling" });
    // More parallel jobs (what buying them does): the waiting run starts at once.
    expect((await parallelism({ microsoftHosted: 3, selfHosted: 1 })).statusCode).toBe(200);
    for (let i = 0; i < 100 && !existsSync(join(dir, "b.started")); i++) await sleep(50);
    expect(existsSync(join(dir, "b.started"))).toBe(true);
    writeFileSync(join(dir, "release"), "");
    await runtime.pipelines.settled();
    expect(existsSync(join(dir, "c.started"))).toBe(false);
    expect((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runs[2]}`)).body.result).toBe("canceled");
    expect((await parallelism({ microsoftHosted: 1, selfHosted: 1 })).statusCode).toBe(200);
  });

  it("a self-hosted agent runs one job at a time: with every agent busy, a job waits for one", { timeout: 60_000 }, async () => {
    expect((await parallelism({ microsoftHosted: 1, selfHosted: 5 })).statusCode).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), "svcconn-parallel-"));
    const ids = await Promise.all(["a", "b", "c"].map((n) => pipeline(held(dir, n, "pool: two-agents\n"))));
    const runs: number[] = [];
    for (const id of ids) runs.push(await queue(id));
    for (let i = 0; i < 100 && !(existsSync(join(dir, "a.started")) && existsSync(join(dir, "b.started"))); i++) await sleep(50);
    await sleep(300);
    const workers = [(await job(runs[0]!)).workerName, (await job(runs[1]!)).workerName].sort();
    expect(workers).toEqual(["agent-a", "agent-b"]);
    expect(await job(runs[2]!)).toMatchObject({ state: "pending", currentOperation: "The agent request is not running because all potential agents are running other requests. Current position in queue: 1" });
    writeFileSync(join(dir, "release"), "");
    await runtime.pipelines.settled();
    expect(await job(runs[2]!)).toMatchObject({ state: "completed", result: "succeeded", currentOperation: null });
    expect((await parallelism({ microsoftHosted: -1, selfHosted: 1 })).statusCode).toBe(400);
  });
});
