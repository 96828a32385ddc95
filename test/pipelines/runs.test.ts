import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { DEMO, DEMO_WORLD_YAML } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { ADMIN_KEY, testRuntime } from "../helpers/runtime.js";
import { explain } from "../../src/doctor/explain.js";

let runtime: Runtime;
const repositoryName = "app";

const files: Record<string, string> = {
  "/azure-pipelines.yml": `
variables:
  greeting: hello
  password: not-in-logs
steps:
  - script: |
      echo "$(greeting) from $(Build.DefinitionName)"
      echo "##vso[task.setsecret]s3cr3t-value"
      echo "the secret is s3cr3t-value"
      echo "##vso[task.setvariable variable=answer]42"
    displayName: Say hello
  - bash: echo "answer=$(answer)"
  - script: exit 3
    displayName: Fails
    continueOnError: true
`,
  "/failing.yml": "steps:\n  - script: echo before && exit 2\n    displayName: Breaks\n  - script: echo never\n    displayName: Skipped\n",
  "/broken.yml": "steps:\n  - script: echo\n    inputz: 1\n",
  "/crash.yml": "jobs:\n  - job: crashes\n    steps:\n      - script: kill -9 $PPID\n        displayName: Kills its task\n  - job: after\n    dependsOn: []\n    steps:\n      - script: echo still running\n",
  "/connection.yml": `
parameters:
  - name: connection
    default: deploy-conn
variables:
  conn: \${{ parameters.connection }}
  late: $[ variables.conn ]
jobs:
  - job: Deploy
    steps:
      - task: AzureCLI@2
        inputs:
          azureSubscription: $(conn)
          scriptType: bash
          scriptLocation: inlineScript
          inlineScript: az account show
`,
  "/late.yml": `
variables:
  late: $[ variables.missing ]
steps:
  - task: AzureCLI@2
    inputs:
      azureSubscription: $(late)
      scriptType: bash
      scriptLocation: inlineScript
      inlineScript: az account show
`,
};

async function pipeline(name: string, yaml: string): Promise<number> {
  const created = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name, folder: "\\", configuration: { type: "yaml", path: yaml, repository: { name: repositoryName, type: "azureReposGit" } } });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body.id;
}

async function finished(pipelineId: number, runId: number) {
  await runtime.pipelines.settled();
  const run = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${pipelineId}/runs/${runId}`);
  return run.body;
}

async function logText(runId: number): Promise<string> {
  const logs = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/logs`);
  let text = "";
  for (const l of logs.body.value) text += `${(await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/logs/${l.id}`)).body}\n`;
  return text;
}

describe("pipelines: definitions, runs, timeline and logs", () => {
  beforeAll(async () => {
    runtime = await testRuntime();
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: repositoryName, files });
  });
  afterAll(async () => runtime?.close());

  it("runs script steps as processes: variables, logging commands, masking, continueOnError", async () => {
    const id = await pipeline("hello", "/azure-pipelines.yml");
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    expect(queued.status, JSON.stringify(queued.body)).toBe(200);
    expect(queued.body).toMatchObject({ state: "inProgress", pipeline: { id, name: "hello" } });
    const run = await finished(id, queued.body.id);
    expect(run).toMatchObject({ state: "completed", result: "succeeded" });
    const build = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`);
    expect(build.body).toMatchObject({ status: "completed", result: "partiallySucceeded", definition: { id } });
    const timeline = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`);
    const records = timeline.body.records as any[];
    expect(records.map((r) => r.type).sort()).toEqual(expect.arrayContaining(["Stage", "Phase", "Job", "Task"]));
    const tasks = records.filter((r) => r.type === "Task").sort((a, b) => a.order - b.order);
    expect(tasks.map((t) => t.name)).toEqual(["Initialize job", "Checkout app@main to s", "Say hello", "Bash", "Fails", "Finalize Job"]);
    expect(tasks.find((t) => t.name === "Fails")).toMatchObject({ result: "failed", errorCount: 1, issues: [{ type: "error", message: "Bash exited with code '3'." }] });
    const text = await logText(queued.body.id);
    expect(text).toContain("hello from hello");
    expect(text).toContain("the secret is ***");
    expect(text).not.toContain("s3cr3t-value");
    expect(text).toContain("answer=42");
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ##\[section\]Starting: Say hello$/m);
  }, 60_000);

  it("runs queued at the same moment get distinct build numbers: the store's unique index decides, not a count read before", async () => {
    const id = await pipeline("numbered", "/failing.yml");
    const queued = await Promise.all(Array.from({ length: 12 }, () => devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {})));
    await runtime.pipelines.settled();
    const names = queued.map((q) => q.body.name as string);
    const day = names[0]!.split(".")[0];
    expect(new Set(names).size).toBe(12);
    expect(names.map((n) => Number(n.split(".")[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(names.every((n) => n.startsWith(`${day}.`))).toBe(true);
  }, 60_000);

  it("a failing step fails the job and skips the next steps", async () => {
    const id = await pipeline("failing", "/failing.yml");
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    const run = await finished(id, queued.body.id);
    expect(run.result).toBe("failed");
    const timeline = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`);
    const byName = Object.fromEntries((timeline.body.records as any[]).map((r) => [r.name, r]));
    expect(byName.Breaks.result).toBe("failed");
    expect(byName.Skipped.result).toBe("skipped");
    const issue = byName.Breaks.issues[0];
    const log = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/logs/${byName.Breaks.log.id}`);
    const lines = String(log.body).split("\n");
    expect(lines[Number(issue.data.logFileLineNumber) - 1]).toContain("##[error]Bash exited with code '2'.");
  }, 60_000);

  it("a step process that dies ends its job as failed, and the run goes on to completion", async () => {
    const id = await pipeline("crash", "/crash.yml");
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    const run = await finished(id, queued.body.id);
    expect(run).toMatchObject({ state: "completed", result: "failed" });
    const records = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body.records as any[];
    const step = records.find((r) => r.name === "Kills its task");
    expect(step.result).toBe("failed");
    expect(step.issues.at(-1).message).toMatch(/^Exit code \d+ returned from process: file name '.*node', arguments '.*cmdline/);
    expect(records.find((r) => r.type === "Job" && r.name === "after").result).toBe("succeeded");
  }, 60_000);

  it("a YAML error is a 400 with the file, line and column, and queues nothing", async () => {
    const id = await pipeline("broken", "/broken.yml");
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    expect(queued.status).toBe(400);
    expect(queued.body.message).toBe("Could not queue the build because there were validation errors or warnings.");
    expect(queued.body.customProperties.ValidationResults).toEqual([{ result: "error", message: "/broken.yml (Line: 3, Col: 5): Unexpected value 'inputz'" }]);
    expect((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`)).body.count).toBe(0);
  });

  it("S14: a connection the pipeline may not use fails the run before any job, and permitting the pipeline fixes it", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "deploy-conn", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret, authenticationType: "spnKey" } }));
    const id = await pipeline("deploy", "/connection.yml");
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    expect(queued.status).toBe(200);
    expect(queued.body).toMatchObject({ state: "completed", result: "failed" });
    const build = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`);
    expect(build.body.validationResults).toEqual([
      {
        result: "error",
        message:
          "The pipeline is not valid. Job Deploy: Step input azureSubscription references service connection deploy-conn which could not be found. The service connection does not exist, has been disabled or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.",
      },
    ]);
    expect(explain(build.body.validationResults[0].message).id).toBe("pipeline-not-authorized");
    const permit = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${endpoint.id}`, { pipelines: [{ id, authorized: true }] }, { version: "7.1-preview.1" });
    expect(permit.status).toBe(200);
    const again = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    expect(again.body.state).toBe("inProgress");
    await runtime.pipelines.settled();
    const history = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/${endpoint.id}/executionhistory`);
    expect(history.body.value[0].data).toMatchObject({ planType: "Build", definition: { id, name: "deploy" }, owner: { id: again.body.id } });
  }, 60_000);

  it("S11: a connection named by a run-time variable stays literal in the message", async () => {
    const id = await pipeline("late", "/late.yml");
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    const build = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`);
    expect(build.body.validationResults[0].message).toContain("Step input azureSubscription references service connection $(late) which could not be found.");
    expect(explain(build.body.validationResults[0].message).id).toBe("subscription-variable-runtime");
  });

  it("S14, waiting mode: the run waits on an Authorization check, Permit resumes it; a waiting run can be canceled", async () => {
    const settings = (body: unknown) =>
      runtime.listeners.devops.inject({ method: "PUT", url: `/_admin/organizations/${ORG}/projects/${PROJECT}/pipelinesettings`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify(body) });
    const bad = await settings({ resourceAuthorization: "sometimes" });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: "InvalidSettings" } });
    const nowhere = await runtime.listeners.devops.inject({ method: "PUT", url: `/_admin/organizations/${ORG}/projects/nowhere/pipelinesettings`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify({ resourceAuthorization: "wait" }) });
    expect(nowhere.statusCode).toBe(404);
    expect((await settings({ resourceAuthorization: "wait" })).statusCode).toBe(200);
    try {
      const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "wait-conn", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret, authenticationType: "spnKey" } }));
      const id = await pipeline("waits", "/connection.yml");
      // The project limits queue-time variables: the pipeline marks `token` settable (a secret of its own).
      const definition = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/definitions/${id}`);
      const marked = await devops(runtime, "admin", "PUT", `/${ORG}/${PROJECT}/_apis/build/definitions/${id}`, { ...definition.body, variables: { token: { value: "definition-secret", isSecret: true, allowOverride: true } } });
      expect(marked.status, JSON.stringify(marked.body)).toBe(200);
      expect(marked.body.variables).toEqual({ token: { value: null, isSecret: true, allowOverride: true } });
      const queue = () => devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, { templateParameters: { connection: "wait-conn" }, variables: { token: { value: "queue-secret-value", isSecret: true } } });
      const records = async (runId: number) => (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records as any[];

      // A waiting run can be canceled: it completes canceled and never starts a job.
      const canceled = await queue();
      expect(canceled.body.state, JSON.stringify(canceled.body)).toBe("inProgress");
      expect(canceled.body.result).toBeUndefined();
      const stop = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/build/builds/${canceled.body.id}`, { status: "cancelling" });
      expect(stop.status).toBe(200);
      expect(await finished(id, canceled.body.id)).toMatchObject({ state: "completed", result: "canceled" });
      expect((await records(canceled.body.id)).map((r) => r.type).sort()).toEqual(["Checkpoint", "Checkpoint.Authorization"]);

      const queued = await queue();
      expect(queued.body.state).toBe("inProgress");
      const waiting = await records(queued.body.id);
      expect(waiting.find((r) => r.type === "Checkpoint.Authorization")).toMatchObject({
        state: "inProgress",
        issues: [{ type: "warning", message: "This pipeline needs permission to access a resource before this run can continue. Service connection: wait-conn." }],
      });
      expect(waiting.some((r) => r.type === "Job")).toBe(false);
      expect(explain(waiting.find((r) => r.type === "Checkpoint.Authorization").issues[0].message).id).toBe("pipeline-not-authorized");
      // Queue-time secrets are not stored with the run.
      expect(JSON.stringify((await runtime.store.pipelines.run(queued.body.id))!.variables)).not.toContain("queue-secret-value");

      const permit = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${endpoint.id}`, { pipelines: [{ id, authorized: true }] }, { version: "7.1-preview.1" });
      expect(permit.status).toBe(200);
      for (let i = 0; i < 100 && !(await records(queued.body.id)).some((r) => r.type === "Job"); i++) await new Promise((r) => setTimeout(r, 100));
      const run = await finished(id, queued.body.id);
      expect(run.state).toBe("completed");
      const after = await records(queued.body.id);
      expect(after.find((r) => r.type === "Checkpoint.Authorization")).toMatchObject({ state: "completed", result: "succeeded" });
      expect(after.find((r) => r.type === "Job")).toMatchObject({ state: "completed" });
      const history = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/${endpoint.id}/executionhistory`);
      expect(history.body.value[0].data).toMatchObject({ definition: { id, name: "waits" }, owner: { id: queued.body.id } });
    } finally {
      await settings({ resourceAuthorization: "fail" });
    }
  }, 60_000);

  it("a reader cannot queue a run (TF215106)", async () => {
    const id = await pipeline("reader-tries", "/azure-pipelines.yml");
    const queued = await devops(runtime, "reader", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${id}/runs`, {});
    expect(queued.status).toBe(403);
    expect(queued.body.message).toMatch(/^TF215106: Access denied\. Riley Reader needs Queue builds permissions for build pipeline \d+ in team project web/);
  });
});

describe("pipelines in a world file", () => {
  it("declares repositories (inline files), pipelines and self-hosted pools that runs use", async () => {
    const world = parse(DEMO_WORLD_YAML);
    const org = world.organizations[0];
    org.projects[0].repositories = [{ name: "infra", files: { "/ci.yml": "pool:\n  name: vm-agents\nsteps:\n  - script: echo on $(Agent.Name)\n" } }];
    org.projects[0].pipelines = [{ name: "ci", repository: "infra", yaml: "/ci.yml" }];
    org.pools = [{ name: "vm-agents", agents: [{ name: "agent-7", vm: DEMO.vm.name }] }];
    const file = join(mkdtempSync(join(tmpdir(), "svcconn-world-")), "world.yml");
    writeFileSync(file, stringify(world));
    const worldRuntime = await testRuntime({ world: file });
    try {
      const list = await devops(worldRuntime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines`);
      expect(list.body.value.map((p: { name: string }) => p.name)).toEqual(["ci"]);
      const queued = await devops(worldRuntime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${list.body.value[0].id}/runs`, {});
      await worldRuntime.pipelines.settled();
      const build = await devops(worldRuntime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`);
      expect(build.body).toMatchObject({ result: "succeeded", queue: { name: "vm-agents" } });
      const timeline = await devops(worldRuntime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`);
      expect(timeline.body.records.find((r: { type: string }) => r.type === "Job").workerName).toBe("agent-7");
      // The queue chosen at queue time applies to jobs whose YAML names no pool: this one names its pool.
      const chosen = await devops(worldRuntime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/build/builds`, { definition: { id: list.body.value[0].id }, queue: { name: "nowhere" } });
      expect(chosen.status).toBe(200);
    } finally {
      await worldRuntime.close();
    }
  }, 60_000);
});

describe("pools", () => {
  it("a pool the organization does not have is a queue-time error in Azure Pipelines' words", async () => {
    const r = await testRuntime();
    try {
      await r.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "p", files: { "/a.yml": "steps:\n  - script: x\n" } });
      const p = await r.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "p", repository: "p", yamlPath: "/a.yml" });
      const queued = await devops(r, "admin", "POST", `/${ORG}/${PROJECT}/_apis/build/builds`, { definition: { id: p.id }, queue: { name: "nowhere" } });
      expect(queued.status).toBe(400);
      expect(queued.body.customProperties.ValidationResults[0].message).toBe("Could not find a pool with name nowhere. The pool does not exist or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.");
    } finally {
      await r.close();
    }
  });
});
