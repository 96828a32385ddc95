import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { basic, devops, type Member, ORG, PROJECT } from "../helpers/devops.js";
import { yamlRuns } from "../helpers/pipelines.js";

// Issue 28: checks on protected resources and approvals — the REST surfaces (check configurations, approvals) and a
// stage that waits for its checks before its first job: approved, rejected, timed out on the clock, by a group's
// member, required templates and branch control.

const suite = yamlRuns();
let runtime: Runtime;
const ids: Partial<Record<Member | "contributors", string>> = {};
beforeAll(async () => {
  runtime = suite.runtime();
  for (const who of ["admin", "dev", "appdev", "reader"] as const) ids[who] = (await runtime.pipelines.caller(ORG, basic(DEMO.pats[who]))).identity.id;
  const project = (await runtime.store.devops.project(DEMO.organization.id, DEMO.project.id))!;
  ids.contributors = (await runtime.devops.security.projectGroup(project, "Contributors"))!.id;
});

const PREVIEW = { version: "7.1-preview.1" };
const configurations = `/${ORG}/${PROJECT}/_apis/pipelines/checks/configurations`;
const approvals = `/${ORG}/${PROJECT}/_apis/pipelines/approvals`;
const APPROVAL = { id: "8c6f20a7-a545-4486-9777-f762fafe0d4d", name: "Approval" };

let environments = 0;
/** A new environment every pipeline may deploy to. */
async function environment(): Promise<{ id: number; name: string }> {
  const made = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/distributedtask/environments`, { name: `checked-${++environments}` }, PREVIEW);
  await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/environment/${made.body.id}`, { allPipelines: { authorized: true } }, PREVIEW);
  return made.body;
}

const approvalCheck = (env: { id: number }, settings: Record<string, unknown>, timeout = 60) =>
  devops(runtime, "admin", "POST", configurations, { type: APPROVAL, resource: { type: "environment", id: String(env.id) }, settings, timeout }, PREVIEW);

const deployTo = (name: string) => `stages:
  - stage: Build
    jobs:
      - job: Compile
        steps:
          - bash: echo built
  - stage: Production
    dependsOn: Build
    jobs:
      - deployment: Ship
        environment: ${name}
        strategy:
          runOnce:
            deploy:
              steps:
                - bash: echo shipped
`;

let pipelines = 0;
/** Queues a run of `yaml` as `who` without waiting for it; returns the run's id. */
async function queue(yaml: string, who: Member = "admin", files: Record<string, string> = {}, branch?: string): Promise<{ runId: number; pipelineId: number }> {
  const name = `checked-run-${++pipelines}`;
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/azure-pipelines.yml": yaml, ...files } });
  const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/azure-pipelines.yml" });
  const queued = await devops(runtime, who, "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, branch ? { resources: { repositories: { self: { refName: branch } } } } : {});
  expect(queued.status, JSON.stringify(queued.body)).toBe(200);
  return { runId: queued.body.id, pipelineId: pipeline.id };
}

async function pendingApprovalOf(runId: number): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const listed = await devops(runtime, "admin", "GET", `${approvals}?state=pending&$expand=steps`, undefined, PREVIEW);
    const mine = listed.body.value.find((a: any) => a.pipeline.owner.id === runId);
    if (mine) return mine;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} never asked for approval`);
}

/** Waits for one run to complete (others may still be waiting for their approvals). */
async function finished(runId: number) {
  for (let i = 0; i < 400; i++) {
    if ((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}`)).body.status === "completed") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const build = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}`)).body;
  const records = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records as any[];
  return { build, records, record: (type: string, name?: string) => records.find((r) => r.type === type && (!name || r.name === name)) };
}

const decide = (who: Member, approvalId: string, status: "approved" | "rejected", comment = "") => devops(runtime, who, "PATCH", approvals, [{ approvalId, status, comment }], PREVIEW);

describe("check configurations over REST", () => {
  it("the environment's administrators add, read, change and remove checks; others cannot; bad bodies change nothing", async () => {
    const env = await environment();
    const created = await approvalCheck(env, { approvers: [{ id: ids.dev }], instructions: "Look at the release notes", minRequiredApprovers: 0 });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ type: APPROVAL, version: 1, timeout: 60, resource: { type: "environment", id: String(env.id), name: env.name }, settings: { approvers: [{ id: ids.dev, uniqueName: DEMO.users.dev.upn }], instructions: "Look at the release notes" } });
    const listed = await devops(runtime, "reader", "GET", `${configurations}?resourceType=environment&resourceId=${env.id}`, undefined, PREVIEW);
    expect(listed.body.value.map((c: any) => c.id)).toEqual([created.body.id]);
    expect(listed.body.value[0].settings).toBeUndefined();
    const expanded = await devops(runtime, "reader", "GET", `${configurations}/${created.body.id}?$expand=settings`, undefined, PREVIEW);
    expect(expanded.body.settings.instructions).toBe("Look at the release notes");
    expect((await devops(runtime, "reader", "POST", configurations, { type: APPROVAL, resource: { type: "environment", id: String(env.id) }, settings: { approvers: [{ id: ids.reader }] } }, PREVIEW)).status).toBe(403);
    const count = async () => (await devops(runtime, "admin", "GET", configurations, undefined, PREVIEW)).body.count;
    const before = await count();
    for (const body of [
      null,
      { type: APPROVAL, resource: { type: "environment", id: String(env.id) }, settings: { approvers: [] } },
      { type: { id: "00000000-0000-0000-0000-000000000001" }, resource: { type: "environment", id: String(env.id) }, settings: {} },
      { type: APPROVAL, resource: { type: "planet", id: "1" }, settings: { approvers: [{ id: ids.dev }] } },
      { type: APPROVAL, resource: { type: "environment", id: String(env.id) }, settings: { approvers: [{ id: ids.dev }] }, timeout: 0 },
      { type: APPROVAL, resource: { type: "environment", id: String(env.id) }, settings: { approvers: [{ id: ids.dev }], minRequiredApprovers: 2 } },
    ]) {
      const refused = await devops(runtime, "admin", "POST", configurations, body, PREVIEW);
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect(await count()).toBe(before);
    const changed = await devops(runtime, "admin", "PATCH", `${configurations}/${created.body.id}`, { type: APPROVAL, resource: { type: "environment", id: String(env.id) }, settings: { approvers: [{ id: ids.dev }, { id: ids.appdev }] }, timeout: 120 }, PREVIEW);
    expect(changed.body).toMatchObject({ version: 2, timeout: 120 });
    // Checks on resources svcconn does not keep (pools, repositories, secure files) are the project administrators'.
    const onPool = { type: APPROVAL, resource: { type: "queue", id: "7" }, settings: { approvers: [{ id: ids.dev }] } };
    const denied = await devops(runtime, "dev", "POST", configurations, onPool, PREVIEW);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain("needs to be a project administrator to configure the checks of a queue");
    expect((await devops(runtime, "admin", "POST", configurations, onPool, PREVIEW)).status).toBe(200);
    expect((await devops(runtime, "admin", "DELETE", `${configurations}/${created.body.id}`, undefined, PREVIEW)).status).toBe(204);
    expect((await devops(runtime, "admin", "GET", `${configurations}/${created.body.id}`, undefined, PREVIEW)).status).toBe(404);
  });
});

describe("a stage waits for its checks", () => {
  it("an approval holds the stage until its approver approves; someone else cannot; then the deployment runs", async () => {
    const env = await environment();
    await approvalCheck(env, { approvers: [{ id: ids.dev }], instructions: "Ship it?" });
    const { runId } = await queue(deployTo(env.name));
    const approval = await pendingApprovalOf(runId);
    expect(approval).toMatchObject({ status: "pending", instructions: "Ship it?", steps: [{ assignedApprover: { id: ids.dev }, status: "pending" }], pipeline: { owner: { id: runId } } });
    // The first stage ran; the second waits at its checkpoint (the timeline is written a moment later).
    let waiting: any[] = [];
    for (let i = 0; i < 40 && !waiting.some((r) => r.type === "Checkpoint.Approval"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      waiting = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records;
    }
    expect(waiting.find((r) => r.type === "Checkpoint.Approval")).toMatchObject({ state: "inProgress" });
    expect(waiting.find((r) => r.name === "Production" && r.type === "Stage").state).toBe("pending");
    const refused = await decide("appdev", approval.id, "approved");
    expect(refused.status).toBe(403);
    const approved = await decide("dev", approval.id, "approved", "Looks good");
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.value[0]).toMatchObject({ status: "approved", steps: [{ status: "approved", comment: "Looks good", actualApprover: { id: ids.dev } }] });
    expect((await decide("dev", approval.id, "rejected")).status).toBe(400);
    const missing = await devops(runtime, "admin", "GET", `${approvals}/00000000-0000-0000-0000-0000000000aa`, undefined, PREVIEW);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ typeKey: "ApprovalNotFoundException", message: "Approval with id 00000000-0000-0000-0000-0000000000aa does not exist or you do not have permissions to access it." });
    const done = await finished(runId);
    expect(done.build.result).toBe("succeeded");
    expect(done.record("Checkpoint.Approval")).toMatchObject({ state: "completed", result: "succeeded" });
  });

  it("a rejection fails the stage with the approver's words; its jobs are skipped", async () => {
    const env = await environment();
    await approvalCheck(env, { approvers: [{ id: ids.dev }] });
    const { runId } = await queue(deployTo(env.name));
    const approval = await pendingApprovalOf(runId);
    await decide("dev", approval.id, "rejected", "Not during the freeze");
    const done = await finished(runId);
    expect(done.build.result).toBe("failed");
    expect(done.record("Stage", "Production").result).toBe("failed");
    expect(done.record("Phase", "Ship").result).toBe("skipped");
    expect(done.record("Checkpoint.Approval").issues[0].message).toContain("Not during the freeze");
  });

  it("an approval nobody gives times out on svcconn's clock", async () => {
    const env = await environment();
    await approvalCheck(env, { approvers: [{ id: ids.dev }] }, 5);
    const { runId } = await queue(deployTo(env.name));
    const approval = await pendingApprovalOf(runId);
    runtime.clock.advance(6 * 60);
    const done = await finished(runId);
    expect(done.build.result).toBe("failed");
    expect(done.record("Checkpoint.Approval").issues[0].message).toContain("timed out");
    expect((await devops(runtime, "admin", "GET", `${approvals}/${approval.id}`, undefined, PREVIEW)).body.status).toBe("timedOut");
  });

  it("in sequence, each approver's turn comes after the one before approves; a blocked approver cannot act", async () => {
    const env = await environment();
    await approvalCheck(env, { approvers: [{ id: ids.dev }, { id: ids.appdev }], executionOrder: "inSequence", blockedApprovers: [{ id: ids.reader }] });
    const { runId } = await queue(deployTo(env.name));
    const approval = await pendingApprovalOf(runId);
    expect(approval.steps.map((s: any) => s.status)).toEqual(["pending", "uninitiated"]);
    // Not appdev's turn yet; the reader is blocked.
    expect((await decide("appdev", approval.id, "approved")).status).toBe(403);
    expect((await decide("reader", approval.id, "approved")).status).toBe(403);
    const first = await decide("dev", approval.id, "approved");
    expect(first.body.value[0]).toMatchObject({ status: "pending", steps: [{ status: "approved" }, { status: "pending" }] });
    expect((await decide("appdev", approval.id, "approved")).body.value[0].status).toBe("approved");
    expect((await finished(runId)).build.result).toBe("succeeded");
  });

  it("a group approves through any member; two of three approvers are enough when the minimum says two; the requester may be barred", async () => {
    const env = await environment();
    await approvalCheck(env, { approvers: [{ id: ids.contributors }, { id: ids.admin }, { id: ids.reader }], minRequiredApprovers: 2, requesterCannotBeApprover: true });
    const { runId } = await queue(deployTo(env.name));
    const approval = await pendingApprovalOf(runId);
    // The admin queued the run: barred from approving it.
    const barred = await decide("admin", approval.id, "approved");
    expect(barred.status).toBe(400);
    expect(barred.body.message).toContain("cannot approve");
    expect((await decide("appdev", approval.id, "approved")).body.value[0].status).toBe("pending");
    expect((await decide("reader", approval.id, "approved")).body.value[0].status).toBe("approved");
    expect((await finished(runId)).build.result).toBe("succeeded");
  });

  it("a required template passes a pipeline that extends it and fails one that does not", async () => {
    const env = await environment();
    const check = await devops(runtime, "admin", "POST", configurations, { type: { id: "4020e66e-b0f3-47e1-bc88-48f3cc59b5f3", name: "ExtendsCheck" }, resource: { type: "environment", id: String(env.id) }, settings: { extendsChecks: [{ repositoryType: "git", repositoryName: "", repositoryRef: "refs/heads/main", templatePath: "templates/safe.yml" }] } }, PREVIEW);
    expect(check.status, JSON.stringify(check.body)).toBe(200);
    const plain = await finished((await queue(deployTo(env.name))).runId);
    expect(plain.build.result).toBe("failed");
    expect(plain.record("Checkpoint.ExtendsCheck").issues[0].message).toContain("does not extend the required template");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template expression for the YAML, not for JavaScript
    const template = `parameters:\n  - name: environment\n    type: string\n${deployTo("${{ parameters.environment }}")}`;
    const extending = await finished((await queue(`extends:\n  template: templates/safe.yml\n  parameters:\n    environment: ${env.name}\n`, "admin", { "/templates/safe.yml": template })).runId);
    expect(extending.build.result, JSON.stringify(extending.build.validationResults)).toBe("succeeded");
  });

  it("branch control lets the allowed branches deploy and stops the others", async () => {
    const env = await environment();
    await devops(runtime, "admin", "POST", configurations, { type: { id: "fe1de3ee-a436-41b4-bb20-f6eb4cb879a7", name: "TaskCheck" }, resource: { type: "environment", id: String(env.id) }, settings: { definitionRef: { id: "86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b", name: "evaluatebranchProtection", version: "0.0.1" }, displayName: "Branch control", inputs: { allowedBranches: "refs/heads/main,refs/heads/release/*", ensureProtectionOfBranch: "false" } } }, PREVIEW);
    expect((await finished((await queue(deployTo(env.name), "admin", {}, "refs/heads/release/1.0")).runId)).build.result).toBe("succeeded");
    const feature = await finished((await queue(deployTo(env.name), "admin", {}, "refs/heads/feature/x")).runId);
    expect(feature.build.result).toBe("failed");
    expect(feature.record("Checkpoint.TaskCheck").issues[0].message).toContain("Branch refs/heads/feature/x is not allowed");
  });

  it("an exclusive lock lets one run's stage deploy at a time: the second waits until the first stage ends", async () => {
    const env = await environment();
    await devops(runtime, "admin", "POST", configurations, { type: { id: "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563", name: "ExclusiveLock" }, resource: { type: "environment", id: String(env.id) }, settings: {} }, PREVIEW);
    const gate = mkdtempSync(join(tmpdir(), "svcconn-lock-"));
    const held = deployTo(env.name).replace("- bash: echo shipped", `- bash: for i in $(seq 1 400); do [ -f ${gate}/go ] && exit 0; sleep 0.05; done; exit 1`);
    const runs = [await queue(held), await queue(held)];
    const lockOf = async (runId: number) => ((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records as any[]).find((r) => r.type === "Checkpoint.ExclusiveLock");
    // Whichever run reaches the lock first holds it; the other waits at its checkpoint.
    let locks: any[] = [];
    for (let i = 0; i < 200; i++) {
      locks = await Promise.all(runs.map((r) => lockOf(r.runId)));
      if (locks.every(Boolean) && locks.some((l) => l.state === "inProgress") && locks.some((l) => l.result === "succeeded")) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const holder = locks.findIndex((l) => l?.result === "succeeded");
    expect(holder, JSON.stringify(locks)).toBeGreaterThanOrEqual(0);
    expect(locks[1 - holder].state).toBe("inProgress");
    writeFileSync(join(gate, "go"), "");
    const first = await finished(runs[holder]!.runId);
    const second = await finished(runs[1 - holder]!.runId);
    expect([first.build.result, second.build.result]).toEqual(["succeeded", "succeeded"]);
    expect(Date.parse(second.record("Phase", "Ship").startTime)).toBeGreaterThanOrEqual(Date.parse(first.record("Phase", "Ship").finishTime));
  });

  it("an exclusive lock with runLatest: of two runs waiting, the older gives up its place to the newer", async () => {
    const env = await environment();
    await devops(runtime, "admin", "POST", configurations, { type: { id: "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563", name: "ExclusiveLock" }, resource: { type: "environment", id: String(env.id) }, settings: { lockBehavior: "runLatest" } }, PREVIEW);
    const gate = mkdtempSync(join(tmpdir(), "svcconn-lock-latest-"));
    const held = deployTo(env.name).replace("- bash: echo shipped", `- bash: for i in $(seq 1 400); do [ -f ${gate}/go ] && exit 0; sleep 0.05; done; exit 1`);
    const holder = await queue(held);
    const lockOf = async (runId: number) => ((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${runId}/timeline`)).body.records as any[]).find((r) => r.type === "Checkpoint.ExclusiveLock");
    for (let i = 0; i < 100 && (await lockOf(holder.runId))?.result !== "succeeded"; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const older = await queue(held);
    for (let i = 0; i < 100 && (await lockOf(older.runId))?.state !== "inProgress"; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const newer = await queue(held);
    const gaveUp = await finished(older.runId);
    expect(gaveUp.build.result).toBe("failed");
    expect(gaveUp.record("Checkpoint.ExclusiveLock").issues[0].message).toContain("A newer run is waiting for the same exclusive lock");
    writeFileSync(join(gate, "go"), "");
    expect((await finished(holder.runId)).build.result).toBe("succeeded");
    expect((await finished(newer.runId)).build.result).toBe("succeeded");
  });

  it("an approval on a variable group holds the stage that links it", async () => {
    const group = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/distributedtask/variablegroups`, { name: "approved-settings", type: "Vsts", variables: { tier: { value: "gold" } } }, { version: "5.0-preview.1" });
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/variablegroup/${group.body.id}`, { allPipelines: { authorized: true } }, PREVIEW);
    await devops(runtime, "admin", "POST", configurations, { type: APPROVAL, resource: { type: "variablegroup", id: String(group.body.id) }, settings: { approvers: [{ id: ids.dev }] } }, PREVIEW);
    const { runId } = await queue("stages:\n  - stage: Uses\n    variables:\n      - group: approved-settings\n    jobs:\n      - job: Read\n        steps:\n          - bash: echo tier=$(tier)\n");
    const approval = await pendingApprovalOf(runId);
    await decide("dev", approval.id, "approved");
    const done = await finished(runId);
    expect(done.build.result).toBe("succeeded");
    expect(done.record("Checkpoint.Approval").result).toBe("succeeded");
  });

  it("a check svcconn cannot evaluate fails the stage and says so", async () => {
    const env = await environment();
    await devops(runtime, "admin", "POST", configurations, { type: { id: "fe1de3ee-a436-41b4-bb20-f6eb4cb879a7", name: "TaskCheck" }, resource: { type: "environment", id: String(env.id) }, settings: { definitionRef: { id: "9c3e8943-130d-4c78-ac63-8af81df62dfb", name: "InvokeRESTAPI", version: "1.0.0" }, displayName: "Invoke REST API", inputs: {} } }, PREVIEW);
    const done = await finished((await queue(deployTo(env.name))).runId);
    expect(done.build.result).toBe("failed");
    expect(done.record("Checkpoint.TaskCheck").issues[0].message).toBe(`svcconn does not evaluate the check "Invoke REST API" on environment ${env.name}: it fails, as a check that cannot be evaluated does.`);
  });
});
