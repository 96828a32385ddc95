import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { basic, ORG, PROJECT, type Member } from "../helpers/devops.js";
import { testServer } from "../helpers/runtime.js";

// Issue 22, items 3 and 4: inputs that once froze the server or filled its memory. Each must be answered with a
// 4xx within 2 s, while every listener's health answers within 200 ms and memory grows by less than 200 MB.

let server: RunningServer;
let counter = 0;

const ITEMS = Array.from({ length: 100 }, (_, i) => `i${i}`).join(", ");
const TEN = "{0}".repeat(10);

/** A 949 KB text full of anchors and aliases (what a Reader once posted as a build's `parameters`). */
function aliasText(bytes: number): string {
  let text = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nr: [";
  while (text.length < bytes) text += "*b, ";
  return `${text}*b]\n`;
}

/** A 1.7 MB pipeline file with 20 000 aliases of its anchors. */
function aliasPipeline(): string {
  let text = "";
  for (let i = 0; i < 20_000; i++) text += `k${i}: &a${i} [${"x,".repeat(30)}y]\n`;
  for (let i = 0; i < 20_000; i++) text += `r${i}: *a${i}\n`;
  return `${text}steps:\n  - script: echo\n`;
}

const FILES: Record<string, string> = {
  "/aliases.yml": aliasPipeline(),
  "/each3.yml": `parameters:
  - name: l
    type: object
    default: [${ITEMS}]
steps:
  - \${{ each a in parameters.l }}:
    - \${{ each b in parameters.l }}:
      - \${{ each c in parameters.l }}:
        - script: echo \${{ a }}\${{ b }}\${{ c }}
`,
  "/format.yml": `variables:
  x: \${{ format('${TEN}', format('${TEN}', format('${TEN}', format('${TEN}', format('${TEN}', format('${TEN}', 'abcdefghij')))))) }}
steps:
  - script: echo
`,
  // About 1 KB that once made 100 MB with every run: each step repeats a long text.
  "/weight.yml": `parameters:
  - name: l
    type: object
    default: [${ITEMS}]
steps:
  - \${{ each a in parameters.l }}:
    - \${{ each b in parameters.l }}:
      - script: \${{ format('${TEN}${TEN}', join('-', parameters.l)) }}
`,
  "/object.yml": "parameters:\n  - name: settings\n    type: object\n    default: {}\nsteps:\n  - script: echo\n",
};

async function call(who: Member, method: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.devops}/${ORG}/${PROJECT}/_apis/${path}${path.includes("?") ? "&" : "?"}api-version=7.1`, {
    method,
    headers: { authorization: basic(DEMO.pats[who]), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

/** Runs `action` while every listener's health is asked for again and again; returns how it went. */
async function underWatch<T>(action: () => Promise<T>): Promise<{ result: T; ms: number; worstHealthMs: number; rssGrowthMb: number }> {
  const listeners = [server.login, server.graph, server.arm, server.devops, server.imds];
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let worst = 0;
  let done = false;
  const watch = (async () => {
    while (!done) {
      for (const base of listeners) {
        const started = performance.now();
        const response = await fetch(`${base}/_svcconn/health`);
        await response.text();
        worst = Math.max(worst, performance.now() - started);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const result = await action();
  const ms = performance.now() - started;
  done = true;
  await watch;
  peak = Math.max(peak, process.memoryUsage().rss);
  return { result, ms, worstHealthMs: worst, rssGrowthMb: (peak - rssBefore) / 1024 / 1024 };
}

async function pipelineFor(file: string): Promise<number> {
  const pipeline = await server.runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: `bounded-${++counter}`, repository: "bounded", yamlPath: file });
  return pipeline.id;
}

beforeAll(async () => {
  server = await testServer();
  await server.runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "bounded", files: FILES });
  // Warm up the compile threads, so their start is not counted as growth.
  const warm = await pipelineFor("/object.yml");
  await call("admin", "POST", `pipelines/${warm}/preview`, {});
});
afterAll(async () => server?.close());

describe("bounded work: every expensive input is a prompt 4xx and nothing else slows down", () => {
  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, RegExp]> = [
    ["a Reader's 949 KB parameters of aliases, refused before they are read", async () => call("reader", "POST", "build/builds", { definition: { id: await pipelineFor("/object.yml") }, parameters: aliasText(949 * 1024) }), 403, /TF215106/],
    ["a Contributor's 949 KB parameters of aliases: not JSON", async () => call("dev", "POST", "build/builds", { definition: { id: await pipelineFor("/object.yml") }, parameters: aliasText(949 * 1024) }), 400, /not valid JSON/],
    ["a 949 KB object parameter of aliases at queue time", async () => call("dev", "POST", `pipelines/${await pipelineFor("/object.yml")}/runs`, { templateParameters: { settings: aliasText(949 * 1024) } }), 400, /Anchors are not currently supported/],
    ["a 1.7 MB pipeline file with 20 000 aliases", async () => call("dev", "POST", `pipelines/${await pipelineFor("/aliases.yml")}/runs`, {}), 400, /\(Line: 1, Col: 5\): Anchors are not currently supported\. Remove the anchor 'a0'/],
    ["each nested three deep over 100 items", async () => call("dev", "POST", `pipelines/${await pipelineFor("/each3.yml")}/runs`, {}), 400, /Maximum (events exceeded while evaluating the template|object size exceeded)/],
    ["format() nested six deep", async () => call("dev", "POST", `pipelines/${await pipelineFor("/format.yml")}/runs`, {}), 400, /The maximum allowed memory size was exceeded while evaluating the following expression: format\(/],
    ["a 1 KB file that expands to hundreds of megabytes", async () => call("dev", "POST", `pipelines/${await pipelineFor("/weight.yml")}/runs`, {}), 400, /Maximum (object size|events) exceeded/],
    ["a Reader's preview of the same file, refused before it compiles", async () => call("reader", "POST", `pipelines/${await pipelineFor("/each3.yml")}/preview`, {}), 403, /TF215106/],
  ];

  it.each(cases)("%s", async (_name, action, status, text) => {
    const { result, ms, worstHealthMs, rssGrowthMb } = await underWatch(action);
    expect(result.status, JSON.stringify(result.body).slice(0, 500)).toBe(status);
    const message = typeof result.body === "string" ? result.body : `${result.body.message} ${JSON.stringify(result.body.customProperties ?? {})}`;
    expect(message).toMatch(text);
    expect(ms).toBeLessThan(2_000);
    expect(worstHealthMs).toBeLessThan(200);
    expect(rssGrowthMb).toBeLessThan(200);
  });

  it("a pipeline within the limits still compiles and runs, and no run keeps its expanded YAML", async () => {
    const id = await pipelineFor("/object.yml");
    const queued = await call("dev", "POST", `pipelines/${id}/runs`, { templateParameters: { settings: "retries: 3\nregions: [westeurope, northeurope]" } });
    expect(queued.status, JSON.stringify(queued.body)).toBe(200);
    await server.runtime.pipelines.settled();
    expect((await server.runtime.store.pipelines.run(queued.body.id))?.finalYaml).toBeNull();
    const preview = await call("dev", "POST", `pipelines/${id}/preview`, {});
    expect(preview.body.finalYaml).toContain("script: echo");
  });
});
