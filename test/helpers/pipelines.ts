import { readLogLines } from "../../src/pipelines/run-logs.js";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { afterAll, beforeAll, expect } from "vitest";
import { devops, type Member, ORG, PROJECT } from "./devops.js";
import { testRuntime } from "./runtime.js";

export { type HeldJob, holdJob } from "./held-job.js";

/**
 * What a person copies out of a failed step's log to ask for help: the error lines (`##[error]`, `ERROR:`, the
 * lines of an error's body), without timestamps.
 */
export function pastedError(log: string): string {
  return log
    .split("\n")
    .map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""))
    .filter((line) => /##\[error\]|^ERROR:|^\(|AADSTS|Code:|Message:/.test(line))
    .join("\n");
}

/** Every log of a run as the store holds it (its pages, read the way the service reads them), one after another. */
export async function storedLogs(runtime: Runtime, runId: number): Promise<string> {
  const all = await runtime.store.pipelines.logs(runId);
  let text = "";
  for (const log of all) for await (const lines of readLogLines(runtime.store.pipelines, log, all)) text += `${lines.join("\n")}\n`;
  return text;
}

export interface YamlRun {
  pipeline: { id: number; name: string };
  build: any;
  records: Array<{ type: string; name: string; identifier: string; result: string; issues: Array<{ message: string }>; log: { id: number } | null }>;
  /** A record's log, by the record's name ("" when it has none). */
  log(recordName: string): Promise<string>;
  /** Every log of the run. */
  logs(): Promise<string>;
}

/**
 * A suite's runtime (the demo world, two hosted parallel jobs) and a way to run YAML on it: each call makes a
 * repository and a pipeline of its own, queues a run (as the admin unless `as` says who, on `sourceBranch` when
 * given) and waits for it.
 */
export function yamlRuns(): { runtime: () => Runtime; run: (yaml: string, files?: Record<string, string>, sourceBranch?: string, as?: Member) => Promise<YamlRun> } {
  let runtime: Runtime;
  let runs = 0;
  beforeAll(async () => {
    runtime = await testRuntime();
    await runtime.pipelines.catalog.putParallelism(ORG, { microsoftHosted: 2, selfHosted: 1 });
  });
  afterAll(async () => runtime?.close());
  const run = async (yaml: string, files: Record<string, string> = {}, sourceBranch?: string, as: Member = "admin"): Promise<YamlRun> => {
    const name = `yaml-run-${++runs}`;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml, ...files } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
    const queued = await devops(runtime, as, "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, sourceBranch ? { resources: { repositories: { self: { refName: sourceBranch } } } } : {});
    expect(queued.status, JSON.stringify(queued.body)).toBe(200);
    await runtime.pipelines.settled();
    const build = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`)).body;
    const records = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body.records;
    const log = async (recordName: string) => {
      const record = records.find((r: { name: string }) => r.name === recordName);
      return record?.log ? String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${record.log.id}`)).body) : "";
    };
    return { pipeline: { id: pipeline.id, name }, build, records, log, logs: () => storedLogs(runtime, queued.body.id) };
  };
  return { runtime: () => runtime, run };
}

let permitted = 0;

/**
 * Runs YAML on a listening server's runtime with `connections` permitted for the pipeline; returns the run's
 * result and each step's timeline record and log (without timestamps) by display name.
 */
export async function runPermitted(runtime: Runtime, yaml: string, connections: string[], files: Record<string, string> = {}) {
  const name = `permitted-${++permitted}-${Date.now()}`;
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml, ...files } });
  const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
  for (const id of connections) await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${id}`, { pipelines: [{ id: pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });
  const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
  expect(queued.status, JSON.stringify(queued.body)).toBe(200);
  await runtime.pipelines.settled();
  const result = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs/${queued.body.id}`)).body.result as string;
  const records: YamlRun["records"] = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body.records;
  const step = async (displayName: string) => {
    const record = records.find((r) => r.name === displayName);
    if (!record) throw new Error(`no step '${displayName}' in ${records.map((r) => r.name).join(", ")}`);
    const text = record.log ? String((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${record.log.id}`)).body) : "";
    const log = text.replace(/^\S+Z /gm, "");
    return { record, log, errors: record.issues.filter((i) => (i as { type?: string }).type !== "warning").map((i) => i.message) };
  };
  return { result, records, step };
}
