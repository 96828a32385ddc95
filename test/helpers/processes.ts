import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect } from "vitest";
import { parse, stringify } from "yaml";
import { DEMO, DEMO_WORLD_YAML } from "../../src/world/demo.js";
import { TEST_CA_DIR } from "./runtime.js";

/** svcconn as processes of their own (from source), for tests that kill them: what `serve --json` printed. */
export interface Served {
  child: ChildProcess;
  login: string;
  arm: string;
  devops: string;
  organization: string;
  pat: string;
  adminKey: string;
  bootstrap: { tenantId: string; clientId: string; clientSecret: string };
}

const started: ChildProcess[] = [];

/** Kills every process `serve` started (afterEach/afterAll). */
export function killServed(): void {
  for (const child of started.splice(0)) child.kill("SIGKILL");
}

export async function serve(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Served> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--ports", "auto", "--json", "--ca-dir", TEST_CA_DIR, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  started.push(child);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`svcconn exited ${code}: ${stderr}`)));
  });
  return { ...(JSON.parse(line) as Omit<Served, "child">), child };
}

/** The demo world with a project that runs `pipelines` (name → YAML) and waits for Permit, and a variable group. */
export function pipelineWorld(pipelines: Record<string, string>): string {
  const world = parse(DEMO_WORLD_YAML);
  Object.assign(world.organizations[0].projects[0], {
    resourceAuthorization: "wait",
    repositories: [{ name: "pipelines", files: Object.fromEntries(Object.entries(pipelines).map(([name, yaml]) => [`${name}.yml`, yaml])) }],
    pipelines: Object.keys(pipelines).map((name) => ({ name, repository: "pipelines", yaml: `${name}.yml` })),
    variableGroups: [{ name: "release-settings", variables: { region: "westeurope" } }],
  });
  const file = join(mkdtempSync(join(tmpdir(), "svcconn-world-")), "world.yaml");
  writeFileSync(file, stringify(world));
  return file;
}

export type Api = (method: string, path: string, body?: unknown, expected?: number) => Promise<any>;

/** The project's REST API on one process, as the admin (PAT). */
export function projectApi(served: Served): Api {
  const auth = `Basic ${Buffer.from(`:${served.pat}`).toString("base64")}`;
  return async (method, path, body, expected) => {
    const url = path.startsWith("/") ? `${served.organization}${path}` : `${served.organization}/${DEMO.project.name}/_apis/${path}`;
    const versioned = url.includes("api-version=") ? url : `${url}${url.includes("?") ? "&" : "?"}api-version=7.1`;
    const response = await fetch(versioned, {
      method,
      headers: { authorization: auth, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (expected !== undefined) expect(response.status, `${method} ${path}: ${text}`).toBe(expected);
    else expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
    return text ? JSON.parse(text) : undefined;
  };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type TimelineRecord = { id: string; parentId: string | null; type: string; name: string; state: string; result: string | null; issues?: Array<{ message: string }> | null };
export const timelineOf = async (api: Api, runId: number): Promise<TimelineRecord[]> => (await api("GET", `build/builds/${runId}/timeline`)).records;
export const pipelineIdOf = async (api: Api, name: string): Promise<number> => ((await api("GET", "pipelines")).value as Array<{ id: number; name: string }>).find((p) => p.name === name)!.id;

/** A run's state once it is completed (polling the process given). */
export const completedRun = (api: Api, pipelineId: number, runId: number, ms?: number) =>
  until(`run ${runId} to finish`, async () => {
    const run = await api("GET", `pipelines/${pipelineId}/runs/${runId}`);
    return run.state === "completed" ? run : undefined;
  }, ms);

/** A job that runs two minutes, then one that runs whatever happened to it. */
export const LONG_THEN_AFTER = `jobs:
  - job: Long
    steps:
      - script: echo long-started && sleep 120
  - job: After
    dependsOn: Long
    condition: always()
    steps:
      - script: echo after-the-loss
`;

/** The lost agent's job as Azure Pipelines ends it, and the job after it run. */
export function expectLostThenAfter(records: TimelineRecord[]): void {
  const long = records.find((r) => r.type === "Job" && r.name === "Long")!;
  expect(long).toMatchObject({ state: "completed", result: "failed" });
  expect(long.issues?.map((i) => i.message)).toEqual([expect.stringMatching(/^We stopped hearing from agent .+\. Verify the agent machine is running and has a healthy network connection\./)]);
  expect(records.filter((r) => r.parentId === long.id).every((r) => r.state === "completed")).toBe(true);
  expect(records.find((r) => r.type === "Job" && r.name === "After")).toMatchObject({ state: "completed", result: "succeeded" });
}
