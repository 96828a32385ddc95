import type { Clock } from "../core/clock.js";
import type { Approvals } from "./approvals.js";
import type { CompiledPipeline, CompiledStage } from "./compile/compiler.js";
import type { RecordType, Run, TimelineRecord } from "./model.js";
import type { CheckForRun, CheckedResource, DevOpsApi, OrganizationRef, ProjectRef } from "./ports.js";
import type { ResourceLocks } from "./resource-locks.js";

/** How often a waiting stage looks at its approvals again. */
const POLL_MS = 250;

export interface CheckpointContext {
  devops: DevOpsApi;
  approvals: Approvals;
  locks: ResourceLocks;
  clock: Clock;
  signal: AbortSignal;
  run: Run;
  org: OrganizationRef;
  project: ProjectRef;
  pipeline: { id: number; name: string };
  compiled: CompiledPipeline;
  /** Adds a record to the run's timeline. */
  record: (r: Partial<TimelineRecord> & Pick<TimelineRecord, "type" | "name">) => TimelineRecord;
  changed: () => void;
}

type Verdict = { passed: true } | { passed: false; message: string };
/** What a stage's checkpoint decided, and the exclusive locks it holds until the stage ends. */
export type CheckpointOutcome = Verdict & { release: () => void };

/**
 * The checks of the resources a stage uses, evaluated before its first job as Azure Pipelines does: a Checkpoint
 * record under the stage with one record per check. Approvals wait (on svcconn's clock for their timeout); required
 * templates and branch control are decided at once; checks svcconn cannot evaluate fail, saying so.
 */
export async function passCheckpoint(ctx: CheckpointContext, stage: CompiledStage, stageRecord: TimelineRecord, resources: CheckedResource[]): Promise<CheckpointOutcome> {
  const checks = resources.length ? await ctx.devops.checksFor(ctx.org, ctx.project.id, resources) : [];
  const held: Array<() => void> = [];
  const release = () => {
    for (const r of held.splice(0)) r();
  };
  if (checks.length === 0) return { passed: true, release };
  const now = () => ctx.clock.now().toISOString();
  const checkpoint = ctx.record({ type: "Checkpoint", name: "Checkpoint", identifier: `${stage.name}.Checkpoint`, parentId: stageRecord.id, state: "inProgress", startTime: now() });
  Object.assign(stageRecord, { state: "pending" });
  ctx.changed();
  const verdicts = await Promise.all(checks.map((check) => evaluate(ctx, stage, check, checkpoint, held)));
  const failed = verdicts.find((v): v is Extract<Verdict, { passed: false }> => !v.passed);
  Object.assign(checkpoint, { state: "completed", result: failed ? "failed" : "succeeded", finishTime: now() });
  ctx.changed();
  if (failed) release();
  return { ...(failed ?? { passed: true }), release };
}

async function evaluate(ctx: CheckpointContext, stage: CompiledStage, check: CheckForRun, checkpoint: TimelineRecord, held: Array<() => void>): Promise<Verdict> {
  const now = () => ctx.clock.now().toISOString();
  const type = `Checkpoint.${check.type}` as RecordType;
  const record = ctx.record({ type, name: type, identifier: `${stage.name}.${type}.${check.id}`, parentId: checkpoint.id, state: "inProgress", startTime: now() });
  ctx.changed();
  const verdict = check.type === "Approval" ? await waitForApproval(ctx, stage, check, record) : check.type === "ExclusiveLock" ? await takeLock(ctx, check, record, held) : decide(ctx, check);
  Object.assign(record, {
    state: "completed",
    result: verdict.passed ? "succeeded" : "failed",
    finishTime: now(),
    currentOperation: null,
    ...(verdict.passed ? {} : { issues: [{ type: "error", category: "General", message: verdict.message, data: { type: "error" } }], errorCount: 1 }),
  });
  ctx.changed();
  return verdict;
}

async function waitForApproval(ctx: CheckpointContext, stage: CompiledStage, check: CheckForRun, record: TimelineRecord): Promise<Verdict> {
  const opened = await ctx.approvals.open({ organization: ctx.org, projectId: ctx.project.id, runId: ctx.run.id, runName: ctx.run.name, pipeline: ctx.pipeline, stageName: stage.name, requestedBy: ctx.run.requestedBy.id, check });
  Object.assign(record, { currentOperation: `Waiting for approval: ${resourceLabel(check)}` });
  ctx.changed();
  for (;;) {
    if (ctx.signal.aborted) {
      await ctx.approvals.cancelOfRun(ctx.run.id);
      return { passed: false, message: "The run was canceled while it waited for approval." };
    }
    const approval = (await ctx.approvals.current(opened.id))!;
    if (approval.status === "approved") return { passed: true };
    if (approval.status === "rejected") {
      const by = approval.steps.find((s) => s.status === "rejected");
      return { passed: false, message: `Approval rejected by ${by?.actualApprover?.displayName ?? "an approver"}${by?.comment ? `: ${by.comment}` : "."}` };
    }
    if (approval.status === "timedOut") return { passed: false, message: `The approval timed out: nobody approved within ${check.timeout} minutes.` };
    if (approval.status !== "pending") return { passed: false, message: `The approval ended ${approval.status}.` };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The Exclusive Lock check: the stage waits its turn on the resource and holds it until the stage ends. */
async function takeLock(ctx: CheckpointContext, check: CheckForRun, record: TimelineRecord, held: Array<() => void>): Promise<Verdict> {
  Object.assign(record, { currentOperation: `Waiting for the exclusive lock on ${resourceLabel(check)}` });
  ctx.changed();
  const behavior = check.settings.lockBehavior === "runLatest" ? "runLatest" : "sequential";
  try {
    held.push(await ctx.locks.acquire(`${ctx.project.id}:${check.resource.type}:${check.resource.id.toLowerCase()}`, ctx.run.id, behavior, ctx.signal));
    return { passed: true };
  } catch (error) {
    return { passed: false, message: (error as Error).message };
  }
}

const resourceLabel = (check: CheckForRun) => `${check.resource.type} ${check.resource.name}`;

/** Checks decided from what the run is: required templates, branch control; the rest svcconn cannot evaluate. */
function decide(ctx: CheckpointContext, check: CheckForRun): Verdict {
  if (check.type === "ExtendsCheck") return requiredTemplate(ctx, check);
  if (check.type === "TaskCheck" && String((check.settings.definitionRef as { name?: string })?.name).toLowerCase() === "evaluatebranchprotection") return branchControl(ctx, check);
  const name = check.type === "TaskCheck" ? String(check.settings.displayName ?? (check.settings.definitionRef as { name?: string }).name) : check.type;
  return { passed: false, message: `svcconn does not evaluate the check "${name}" on ${resourceLabel(check)}: it fails, as a check that cannot be evaluated does.` };
}

function requiredTemplate(ctx: CheckpointContext, check: CheckForRun): Verdict {
  const required = (check.settings.extendsChecks as Array<{ repositoryName: string; templatePath: string }>) ?? [];
  const extended = ctx.compiled.extendsTemplate;
  const [path = "", alias] = (extended ?? "").split("@");
  const repository = alias && alias !== "self" ? (ctx.compiled.resources.repositories.find((r) => r.alias.toLowerCase() === alias.toLowerCase())?.name ?? alias) : null;
  const clean = (p: string) => p.replace(/^\/+/, "").toLowerCase();
  const matches = required.some((r) => clean(r.templatePath) === clean(path) && (!r.repositoryName || !repository || r.repositoryName.toLowerCase().split("/").pop() === repository.toLowerCase().split("/").pop()));
  if (extended && matches) return { passed: true };
  const names = required.map((r) => `${r.repositoryName ? `${r.repositoryName}/` : ""}${r.templatePath}`).join(", ");
  return { passed: false, message: `The pipeline does not extend the required template (${names}) of ${resourceLabel(check)}.${extended ? ` It extends ${extended}.` : " It extends no template."}` };
}

function branchControl(ctx: CheckpointContext, check: CheckForRun): Verdict {
  const inputs = (check.settings.inputs ?? {}) as Record<string, string>;
  const allowed = String(inputs.allowedBranches ?? "*").split(",").map((b) => b.trim()).filter(Boolean);
  const branch = ctx.run.sourceBranch;
  const pattern = (b: string) => new RegExp(`^${b.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  if (!allowed.some((b) => pattern(b).test(branch))) return { passed: false, message: `Branch ${branch} is not allowed to use ${resourceLabel(check)}: allowed branches are ${allowed.join(", ")}.` };
  // svcconn's repositories have no branch policies: a branch's protection is unknown.
  if (String(inputs.ensureProtectionOfBranch).toLowerCase() === "true" && String(inputs.allowUnknownStatusBranch).toLowerCase() !== "true") {
    return { passed: false, message: `The protection of branch ${branch} is unknown, and ${resourceLabel(check)} requires a protected branch.` };
  }
  return { passed: true };
}
