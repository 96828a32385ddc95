import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64Forms } from "../../src/pipelines/runner/masker.js";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT, type Member } from "../helpers/devops.js";
import { storedLogs } from "../helpers/pipelines.js";
import { testRuntime } from "../helpers/runtime.js";

// Issue 22, items 1, 2 and 10: what a person who may queue a pipeline (a Contributor, a guest) can make its steps
// run, and what a step can read. svcconn runs on a real data folder here (keys.json, svcconn.db, tls/ca.key) that
// lies inside the folder the pipeline's repository is backed by, as with the README's defaults.

let runtime: Runtime;
let home: string;
let dataDir: string;
let connection: { id: string; name: string };
let counter = 0;
const SECRET = "Sp3cial.Secret~value/for+masking=1";

async function waitRun(pipelineId: number, runId: number) {
  await runtime.pipelines.settled();
  return (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${pipelineId}/runs/${runId}`)).body;
}

/** Every log of a run, as the REST API serves it and as the store keeps it. */
async function logsOf(runId: number): Promise<{ served: string; stored: string }> {
  const list = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/logs`);
  let served = "";
  for (const l of list.body.value) served += `${(await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/logs/${l.id}`)).body}\n`;
  const stored = JSON.stringify(await runtime.store.pipelines.run(runId)) + (await storedLogs(runtime, runId));
  return { served, stored };
}

/** A pipeline over the repository folder `home` (which holds the data folder), permitted to use the connection. */
async function folderPipeline(yaml: string): Promise<number> {
  const file = `pipeline-${++counter}.yml`;
  writeFileSync(join(home, file), yaml);
  const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: `security-${counter}`, repository: "home", yamlPath: `/${file}` });
  await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, { pipelines: [{ id: pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });
  return pipeline.id;
}

const AZURE_CLI_STEP = (extra = "") => `steps:
  - task: AzureCLI@2
    displayName: Deploy
    inputs:
      azureSubscription: guarded
      scriptType: bash
      scriptLocation: inlineScript
      inlineScript: echo deploying${extra}
`;

async function queue(who: Member, pipelineId: number, variables: Record<string, string>) {
  return devops(runtime, who, "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipelineId}/runs`, { variables: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, { value: v }])) });
}

/** Code a queue-time NODE_OPTIONS would run in the task's process: it prints the connection's secrets and svcconn's keys. */
function injectedNodeOptions(): string {
  const code = [
    "const fs = await import('node:fs');",
    "for (const [k, v] of Object.entries(process.env)) if (k.startsWith('ENDPOINT_AUTH_')) { console.log('B64:' + Buffer.from(v).toString('base64')); console.log('URI:' + encodeURIComponent(v)); console.log('PLAIN:' + v); }",
    `for (const f of ['keys.json', 'svcconn.db', 'tls/ca.key']) { try { console.log('READ ' + f + ':' + fs.readFileSync(${JSON.stringify(dataDir)} + '/' + f, 'utf8').slice(0, 200)); } catch (e) { console.log('DENIED ' + f + ':' + e.code); } }`,
    `try { console.log('ENVIRON:' + fs.readFileSync('/proc/${process.pid}/environ', 'utf8').length); } catch (e) { console.log('NO-ENVIRON:' + e.code); }`,
  ].join("\n");
  return `--import=data:text/javascript,${encodeURIComponent(code)}`;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "svcconn-home-"));
  dataDir = join(home, ".svcconn");
  runtime = await testRuntime({ memory: false, dataDir });
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "home", folder: home });
  const created = await createEndpoint(runtime, "admin", azurerm({ name: "guarded", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: SECRET, authenticationType: "spnKey" } }));
  connection = { id: created.id, name: created.name };
});
afterAll(async () => runtime?.close());

describe("queue-time variables: only what the pipeline declares settable", () => {
  it("refuses NODE_OPTIONS, BASH_ENV, PATH and LD_PRELOAD from a Contributor and a guest, on both queue routes and preview: no run, nothing reaches a step", async () => {
    const id = await folderPipeline(AZURE_CLI_STEP());
    const hostile = { NODE_OPTIONS: injectedNodeOptions(), BASH_ENV: join(home, "evil.sh"), PATH: join(home, "bin"), LD_PRELOAD: join(home, "evil.so") };
    const before = (await runtime.store.pipelines.runs(DEMO.project.id, { pipelineId: id, top: 100 })).length;
    for (const who of ["dev", "guest"] as const) {
      const refused = await queue(who, id, hostile);
      expect(refused.status, JSON.stringify(refused.body)).toBe(400);
      expect(refused.body.message).toBe("Could not queue the build because there were validation errors or warnings.");
      expect(refused.body.customProperties.ValidationResults).toEqual([
        { result: "error", message: "You can't set the following variables (NODE_OPTIONS, BASH_ENV, PATH, LD_PRELOAD). If you want to be able to set these variables, then edit the pipeline and select Settable at queue time on the variables tab of the pipeline editor." },
      ]);
      const build = await devops(runtime, who, "POST", `/${ORG}/${PROJECT}/_apis/build/builds`, { definition: { id }, parameters: JSON.stringify({ BASH_ENV: join(home, "evil.sh") }) });
      expect(build.status).toBe(400);
      expect(build.body.customProperties.ValidationResults[0].message).toContain("(BASH_ENV)");
      const preview = await devops(runtime, who, "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/preview`, { variables: { PATH: { value: "/x" } } });
      expect(preview.status).toBe(400);
    }
    expect((await runtime.store.pipelines.runs(DEMO.project.id, { pipelineId: id, top: 100 })).length).toBe(before);
  });

  it("sets a variable the pipeline marks settable, keeps the rest; only project administrators turn the limit off", async () => {
    const id = await folderPipeline("steps:\n  - bash: echo \"greeting=$GREETING fixed=$FIXED\"\n    displayName: Say\n");
    const definition = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/definitions/${id}`);
    const put = await devops(runtime, "dev", "PUT", `/${ORG}/${PROJECT}/_apis/build/definitions/${id}`, { ...definition.body, variables: { greeting: { value: "hello", allowOverride: true }, fixed: { value: "kept" } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const refused = await queue("dev", id, { fixed: "changed" });
    expect(refused.body.customProperties.ValidationResults[0].message).toContain("(fixed)");
    const ok = await queue("dev", id, { GREETING: "hi" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await waitRun(id, ok.body.id)).toMatchObject({ result: "succeeded" });
    expect((await logsOf(ok.body.id)).served).toContain("greeting=hi fixed=kept");

    const settings = `/${ORG}/${PROJECT}/_apis/build/generalsettings`;
    expect((await devops(runtime, "dev", "GET", settings, undefined, { version: "7.1-preview.1" })).body.enforceSettableVar).toBe(true);
    const denied = await devops(runtime, "dev", "PATCH", settings, { enforceSettableVar: false }, { version: "7.1-preview.1" });
    expect(denied.status).toBe(403);
    expect((await devops(runtime, "reader", "PATCH", settings, { enforceSettableVar: false }, { version: "7.1-preview.1" })).status).toBe(403);
    expect((await devops(runtime, "admin", "GET", settings, undefined, { version: "7.1-preview.1" })).body.enforceSettableVar).toBe(true);
  });

  it("with the limit turned off, an injected NODE_OPTIONS runs in the step's process but finds no svcconn secret, and the connection's secret is masked in every encoding", async () => {
    const settings = `/${ORG}/${PROJECT}/_apis/build/generalsettings`;
    expect((await devops(runtime, "admin", "PATCH", settings, { enforceSettableVar: false }, { version: "7.1-preview.1" })).body.enforceSettableVar).toBe(false);
    try {
      const id = await folderPipeline(AZURE_CLI_STEP());
      const queued = await queue("dev", id, { NODE_OPTIONS: injectedNodeOptions() });
      expect(queued.status, JSON.stringify(queued.body)).toBe(200);
      await waitRun(id, queued.body.id);
      const { served, stored } = await logsOf(queued.body.id);
      // The injected code did run (Azure DevOps behaves the same once the project allows any queue-time variable)…
      expect(served).toContain("B64:");
      if (runtime.pipelines.sandboxKind() === "bubblewrap") {
        // …but svcconn's data folder and its own process are out of its sight.
        for (const f of ["keys.json", "svcconn.db", "tls/ca.key"]) expect(served).toContain(`DENIED ${f}:ENOENT`);
        expect(served).toContain("NO-ENVIRON:ENOENT");
      } else {
        expect(served).toContain("without a sandbox");
      }
      const keys = JSON.parse(readFileSync(join(dataDir, "keys.json"), "utf8")) as Record<string, string>;
      for (const text of [served, stored]) {
        for (const value of [SECRET, ...Object.values(keys)]) {
          expect(text).not.toContain(value);
          expect(text).not.toContain(encodeURIComponent(value));
          for (const form of base64Forms(value)) expect(text).not.toContain(form);
        }
        expect(text).not.toContain(Buffer.from(SECRET).toString("base64").slice(4, 20));
      }
      // The tenant id is not a secret for the agent: it stays readable.
      expect(served).toContain(DEMO.tenantId);
    } finally {
      await devops(runtime, "admin", "PATCH", settings, { enforceSettableVar: true }, { version: "7.1-preview.1" });
    }
  });
});

describe("a step cannot reach svcconn's own secrets", () => {
  it("the checkout leaves out the data folder, templates cannot read it, and a step cannot open it", async () => {
    mkdirSync(join(home, "templates"), { recursive: true });
    const id = await folderPipeline(`steps:
  - bash: |
      echo "sources: $(ls -A)"
      for f in ${dataDir}/keys.json ${dataDir}/svcconn.db ${dataDir}/tls/ca.key .svcconn/keys.json; do
        if cat "$f" > /dev/null 2>&1; then echo "READABLE $f"; else echo "HIDDEN $f"; fi
      done
    displayName: Look
`);
    const queued = await queue("admin", id, {});
    const run = await waitRun(id, queued.body.id);
    const { served } = await logsOf(queued.body.id);
    expect(run.result, served).toBe("succeeded");
    expect(served).toMatch(/sources: .*pipeline-/);
    expect(served).not.toMatch(/sources: .*\.svcconn/);
    expect(served).toContain("HIDDEN .svcconn/keys.json");
    if (runtime.pipelines.sandboxKind() === "bubblewrap") {
      for (const f of ["keys.json", "svcconn.db", "tls/ca.key"]) expect(served).toContain(`HIDDEN ${dataDir}/${f}`);
      expect(served).not.toContain("READABLE");
    } else {
      expect(served).toContain("svcconn runs this job's steps without a sandbox");
    }
    // A template path into the data folder reads nothing (no content can leak through a compile error).
    const leak = await folderPipeline("steps:\n  - template: .svcconn/keys.json\n");
    const refused = await queue("admin", leak, {});
    expect(refused.status).toBe(400);
    expect(refused.body.customProperties.ValidationResults[0].message).toContain("File /.svcconn/keys.json not found");
  });

  it("the job's folder lies outside the data folder and is gone when the job ends", async () => {
    const id = await folderPipeline("steps:\n  - bash: echo \"work=$(Agent.BuildDirectory)\"\n    displayName: Where\n");
    const queued = await queue("admin", id, {});
    await waitRun(id, queued.body.id);
    const work = /work=(\S+)/.exec((await logsOf(queued.body.id)).served)?.[1] ?? "";
    expect(work).not.toBe("");
    expect(work.startsWith(dataDir)).toBe(false);
    expect(work.startsWith(home)).toBe(false);
    expect(() => readFileSync(join(work, "s", `pipeline-${counter}.yml`))).toThrow();
  });
});

describe("variables a step sets, under the agent's rules", () => {
  it("read-only variables refuse task.setvariable and fail the step; target.settableVariables limits what a step may set", async () => {
    const id = await folderPipeline(`steps:
  - bash: echo "##vso[task.setvariable variable=System.AccessToken]forged"
    displayName: Forge
    continueOnError: true
  - bash: |
      echo "##vso[task.setvariable variable=NODE_OPTIONS]--require=/nowhere.js"
      echo "##vso[task.setvariable variable=allowed]yes"
      echo "##vso[task.prependpath]/nowhere"
    displayName: Limited
    target:
      settableVariables:
        - allow*
  - bash: echo "node_options=[$NODE_OPTIONS] allowed=[$ALLOWED] path=[$PATH]"
    displayName: After
`);
    const queued = await queue("admin", id, {});
    await waitRun(id, queued.body.id);
    const build = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`)).body;
    const { served } = await logsOf(queued.body.id);
    expect(build.result, served).toBe("partiallySucceeded");
    expect(served).toContain("Unable to process command '##vso[task.setvariable variable=System.AccessToken]forged' successfully.");
    expect(served).toContain("Overwriting readonly variable 'System.AccessToken' is not permitted.");
    expect(served).toContain("Setting variable 'NODE_OPTIONS' has been disabled by the task or build definition.");
    expect(served).toContain("Setting variable 'PATH' has been disabled by the task or build definition.");
    expect(served).toContain("node_options=[] allowed=[yes]");
    expect(served).not.toContain("/nowhere:");
  });

  it("a secret output variable stays secret in the job that reads it: masked in its log, never stored in clear", async () => {
    const value = "output-secret-Zq81x";
    const id = await folderPipeline(`jobs:
  - job: A
    steps:
      - bash: echo "##vso[task.setvariable variable=token;issecret=true;isOutput=true]$(printf '%s' '${[...value].reverse().join("")}' | rev)"
        name: make
  - job: B
    dependsOn: A
    variables:
      fromA: $[ dependencies.A.outputs['make.token'] ]
    steps:
      - bash: |
          echo "plain=$FROMA secret-env=$SECRET"
          echo "b64=$(printf '%s' "$SECRET" | base64)"
          echo "uri=$(printf '%s' "$SECRET" | jq -sRr @uri 2>/dev/null || true)"
        env:
          SECRET: $(fromA)
        displayName: Use
`);
    const queued = await queue("admin", id, {});
    const run = await waitRun(id, queued.body.id);
    const { served, stored } = await logsOf(queued.body.id);
    expect(run.result, served).toBe("succeeded");
    expect(served).toContain("plain= secret-env=***");
    expect(served).toContain("b64=***");
    for (const text of [served, stored]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(Buffer.from(value).toString("base64"));
    }
  });
});
