import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JOB_LOG_BYTES } from "../../src/pipelines/runner/job-runner.js";
import { sql } from "kysely";
import type { RunningServer } from "../../src/server/start.js";
import { isPostgres } from "../../src/store/database.js";
import { DEMO } from "../../src/world/demo.js";
import { basic, ORG, PROJECT } from "../helpers/devops.js";
import { testServer } from "../helpers/runtime.js";
import { mkdtempSync } from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";

// Issue 22, item 7: a step that writes 195 MB. Its log goes to the store in pages as it is written (memory stays
// low), is stored once (a job's log is its steps' logs), stops at the job's cap with a warning, and is read by
// several readers at once as a stream (memory stays low again).

let server: RunningServer;
let data: string;
const MB = 1024 * 1024;

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), "svcconn-logs-"));
  server = await testServer({ memory: false, dataDir: data });
  await server.runtime.pipelines.catalog.createRepository({
    organizationId: DEMO.organization.id,
    projectId: DEMO.project.id,
    name: "noisy",
    // 195 MB of 100-character lines, then one line more after the cap: the job goes on.
    files: { "/azure-pipelines.yml": `steps:\n  - bash: |\n      yes "$(printf '%0100d' 7)" | head -c ${195 * MB}\n      echo still-running\n    displayName: Noisy\n  - bash: echo next-step\n    displayName: Next\n` },
  });
});
afterAll(async () => server?.close());

async function api(path: string, accept = "application/json"): Promise<Response> {
  return fetch(`${server.devops}/${ORG}/${PROJECT}/_apis/${path}${path.includes("?") ? "&" : "?"}api-version=7.1`, { headers: { authorization: basic(DEMO.pats.admin), accept } });
}

describe("logs in pages", () => {
  it("195 MB of output: bounded memory, stored once up to the job's cap, streamed to eight readers at once", { timeout: 120_000 }, async () => {
    const pipeline = await server.runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "noisy", repository: "noisy", yamlPath: "/azure-pipelines.yml" });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const queued = await (await fetch(`${server.devops}/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs?api-version=7.1`, { method: "POST", headers: { authorization: basic(DEMO.pats.admin), "content-type": "application/json" }, body: "{}" })).json();
    await server.runtime.pipelines.settled();
    const writing = (peak - rssBefore) / MB;

    const build = await (await api(`build/builds/${queued.id}`)).json();
    expect(build.result).toBe("succeeded");
    const timeline = await (await api(`build/builds/${queued.id}/timeline`)).json();
    const noisy = timeline.records.find((r: { name: string }) => r.name === "Noisy");
    const job = timeline.records.find((r: { type: string }) => r.type === "Job");
    expect(noisy.issues).toEqual([expect.objectContaining({ type: "warning", message: `The log of this job was cut at ${MAX_JOB_LOG_BYTES / MB} MB (svcconn's limit); the job goes on.` })]);
    expect(timeline.records.find((r: { name: string }) => r.name === "Next").result).toBe("succeeded");
    const logs = (await (await api(`build/builds/${queued.id}/logs`)).json()).value as Array<{ id: number; lineCount: number }>;
    const noisyLog = logs.find((l) => l.id === noisy.log.id)!;
    const jobLog = logs.find((l) => l.id === job.log.id)!;
    // The job's log counts its steps' lines; it holds no text of its own.
    expect(jobLog.lineCount).toBe(logs.filter((l) => l.id !== job.log.id).reduce((n, l) => n + l.lineCount, 0));
    expect(noisyLog.lineCount * 101).toBeGreaterThan(MAX_JOB_LOG_BYTES * 0.9);
    expect(noisyLog.lineCount * 101).toBeLessThan(MAX_JOB_LOG_BYTES * 1.1);

    // Stored once: the database holds about one copy of the capped log, not one per log that shows it.
    const database = isPostgres(server.runtime.store.db)
      ? Number((await sql<{ size: string }>`select pg_total_relation_size('run_log_pages') as size`.execute(server.runtime.store.db)).rows[0]!.size)
      : ["svcconn.db", "svcconn.db-wal"].reduce((n, f) => n + (() => { try { return statSync(join(data, f)).size; } catch { return 0; } })(), 0);
    expect(database / MB).toBeLessThan((MAX_JOB_LOG_BYTES * 1.5) / MB);

    // Eight readers of the job's log at once, as text and as JSON lines: each gets every line, and the server's
    // memory grows by less than half of what holding their logs would take (the rest is garbage a collection frees:
    // PostgreSQL's driver reads pages into buffers outside the heap). The readers run in a process of their own, so
    // this process's memory is the server's alone.
    const before = process.memoryUsage().rss;
    peak = before;
    const url = (i: number) => `${server.devops}/${ORG}/${PROJECT}/_apis/build/builds/${queued.id}/logs/${job.log.id}?api-version=7.1#${i % 2 ? "application/json" : "text/plain"}`;
    const readers = 8;
    const reads = await readInChild(Array.from({ length: readers }, (_, i) => url(i)), basic(DEMO.pats.admin));
    clearInterval(sampler);
    for (const [i, read] of reads.entries()) {
      if (i % 2 === 0) expect(read.lines + 1).toBe(jobLog.lineCount);
      else expect(read.last).toMatch(/\]\}$/);
    }
    const reading = (peak - before) / MB;
    expect(writing).toBeLessThan(200);
    expect(reading).toBeLessThan((readers * MAX_JOB_LOG_BYTES) / MB / 2);
    // A range of a large log reads only what it asks for.
    const tail = await (await api(`build/builds/${queued.id}/logs/${noisy.log.id}?startLine=${noisyLog.lineCount - 2}&endLine=${noisyLog.lineCount}`, "application/json")).json();
    expect(tail.count).toBe(3);
    expect(tail.value).toHaveLength(3);
  });
});

/** Streams each URL (its fragment names the Accept type) in another process: each one's line count and its end. */
function readInChild(urls: string[], authorization: string): Promise<Array<{ lines: number; last: string }>> {
  const script = `
    const reads = ${JSON.stringify(urls)}.map(async (u) => {
      const [url, accept] = u.split("#");
      const response = await fetch(url, { headers: { authorization: ${JSON.stringify(authorization)}, accept } });
      let lines = 0, last = "";
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        const text = decoder.decode(chunk, { stream: true });
        for (let at = text.indexOf("\\n"); at >= 0; at = text.indexOf("\\n", at + 1)) lines++;
        last = (last + text).slice(-200);
      }
      return { lines, last };
    });
    Promise.all(reads).then((r) => process.stdout.write(JSON.stringify(r)));`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ["-e", script], { maxBuffer: 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout)))),
  );
}
