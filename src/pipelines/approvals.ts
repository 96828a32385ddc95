import type { Clock } from "../core/clock.js";
import { newGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import { pipelinesErrors } from "./errors.js";
import type { Approval, ApprovalStatus } from "./model.js";
import type { CheckForRun, DevOpsApi, IdentityRef, OrganizationRef, PipelineCaller, ProjectRef } from "./ports.js";

export interface ApprovalQuery {
  ids?: string[];
  state?: ApprovalStatus | "all";
  top: number;
  /** Approvals assigned to these identities (or groups they belong to). */
  userIds?: string[];
}

export interface ApprovalUpdate {
  approvalId: string;
  status: "approved" | "rejected";
  comment: string;
}

const FINAL: ApprovalStatus[] = ["approved", "rejected", "canceled", "timedOut", "skipped", "failed"];

/**
 * Approvals a stage waits for: one per Approval check on a resource the stage uses. Approvers (users, or groups any
 * member of which may act) approve or reject; the approval settles when enough have approved (all of them when the
 * minimum is 0), when one rejects, or when its timeout passes on svcconn's clock.
 */
export class Approvals {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly devops: DevOpsApi,
  ) {}

  private now = () => this.clock.now().toISOString();

  /** A pending approval for a run's stage, from an Approval check. */
  async open(input: { organization: OrganizationRef; projectId: string; runId: number; runName: string; pipeline: { id: number; name: string }; stageName: string; requestedBy: string; check: CheckForRun }): Promise<Approval> {
    // A run taken over from a stopped process waits on the approval it had opened.
    const opened = (await this.store.approvals.ofRun(input.runId)).find((a) => a.stageName === input.stageName && a.checkId === input.check.id && a.status === "pending");
    if (opened) return opened;
    const settings = input.check.settings as { approvers: Array<{ id: string }>; blockedApprovers: Array<{ id: string }>; executionOrder: "anyOrder" | "inSequence"; instructions: string; minRequiredApprovers: number; requesterCannotBeApprover: boolean };
    const now = this.now();
    const steps = [];
    for (const [order, a] of settings.approvers.entries()) {
      const identity = (await this.devops.identity(input.organization, a.id)) ?? { id: a.id, displayName: a.id, uniqueName: "" };
      steps.push({ assignedApprover: identity, actualApprover: null, status: (settings.executionOrder === "inSequence" && order > 0 ? "uninitiated" : "pending") as ApprovalStatus, comment: "", initiatedOn: now, lastModifiedOn: null, order: order + 1 });
    }
    const approval: Approval = {
      id: newGuid(),
      projectId: input.projectId,
      runId: input.runId,
      runName: input.runName,
      pipeline: input.pipeline,
      stageName: input.stageName,
      checkId: input.check.id,
      status: "pending",
      createdOn: now,
      lastModifiedOn: now,
      timeoutAt: new Date(this.clock.now().getTime() + input.check.timeout * 60_000).toISOString(),
      instructions: settings.instructions,
      minRequiredApprovers: settings.minRequiredApprovers,
      executionOrder: settings.executionOrder,
      requesterCannotBeApprover: settings.requesterCannotBeApprover,
      blockedApprovers: settings.blockedApprovers.map((b) => b.id),
      requestedBy: input.requestedBy,
      steps,
    };
    await this.store.approvals.insert(approval);
    return approval;
  }

  /** The approval as it stands now: a pending one past its timeout has timed out. */
  async current(id: string): Promise<Approval | undefined> {
    const approval = await this.store.approvals.get(id);
    if (approval?.status === "pending" && this.clock.now().toISOString() >= approval.timeoutAt) {
      const now = this.now();
      approval.status = "timedOut";
      approval.lastModifiedOn = now;
      for (const s of approval.steps) if (!FINAL.includes(s.status)) s.status = "timedOut";
      await this.store.approvals.update(approval);
    }
    return approval;
  }

  /** Ends a run's pending approvals (the run was canceled or ended). */
  async cancelOfRun(runId: number): Promise<void> {
    for (const approval of await this.store.approvals.ofRun(runId)) {
      if (approval.status !== "pending") continue;
      approval.status = "canceled";
      approval.lastModifiedOn = this.now();
      for (const s of approval.steps) if (!FINAL.includes(s.status)) s.status = "canceled";
      await this.store.approvals.update(approval);
    }
  }

  async list(caller: PipelineCaller, project: ProjectRef, query: ApprovalQuery): Promise<Approval[]> {
    const out: Approval[] = [];
    const principals = query.userIds ? new Set<string>() : undefined;
    for (const id of query.userIds ?? []) for (const p of await this.devops.principalsOf(caller.organization, id)) principals!.add(p);
    for (const stored of await this.store.approvals.ofProject(project.id)) {
      const approval = stored.status === "pending" ? ((await this.current(stored.id)) ?? stored) : stored;
      if (query.ids && !query.ids.includes(approval.id)) continue;
      if (query.state && query.state !== "all" && approval.status !== query.state) continue;
      if (principals && !approval.steps.some((s) => principals.has(s.assignedApprover.id))) continue;
      out.push(approval);
      if (out.length >= query.top) break;
    }
    return out;
  }

  async get(_caller: PipelineCaller, project: ProjectRef, id: string): Promise<Approval> {
    const approval = await this.current(id);
    if (!approval || approval.projectId !== project.id) throw pipelinesErrors.approvalNotFound(id);
    return approval;
  }

  /** Approves or rejects, as the caller, each approval named; all are checked before any changes. */
  async update(caller: PipelineCaller, project: ProjectRef, updates: ApprovalUpdate[]): Promise<Approval[]> {
    const principals = new Set(await this.devops.principalsOf(caller.organization, caller.identity.id));
    const planned: Array<{ approval: Approval; step: Approval["steps"][number]; update: ApprovalUpdate }> = [];
    for (const update of updates) {
      const approval = await this.get(caller, project, update.approvalId);
      if (approval.status !== "pending") throw pipelinesErrors.approvalCompleted(approval.id, approval.status);
      if (approval.requesterCannotBeApprover && approval.requestedBy === caller.identity.id) throw pipelinesErrors.requesterCannotApprove();
      if (approval.blockedApprovers.some((b) => principals.has(b))) throw pipelinesErrors.notAnApprover(caller.identity.displayName);
      const step = approval.steps.find((s) => s.status === "pending" && principals.has(s.assignedApprover.id));
      if (!step) throw pipelinesErrors.notAnApprover(caller.identity.displayName);
      planned.push({ approval, step, update });
    }
    const now = this.now();
    const actor: IdentityRef = { id: caller.identity.id, displayName: caller.identity.displayName, uniqueName: caller.identity.uniqueName };
    for (const { approval, step, update } of planned) {
      Object.assign(step, { status: update.status, comment: update.comment, actualApprover: actor, lastModifiedOn: now });
      settle(approval, now);
      await this.store.approvals.update(approval);
    }
    return planned.map((p) => p.approval);
  }
}

/** An approval's status from its steps: one rejection rejects; enough approvals (all when the minimum is 0) approve. */
function settle(approval: Approval, now: string): void {
  approval.lastModifiedOn = now;
  const approved = approval.steps.filter((s) => s.status === "approved").length;
  const needed = approval.minRequiredApprovers || approval.steps.length;
  if (approval.steps.some((s) => s.status === "rejected")) approval.status = "rejected";
  else if (approved >= needed) approval.status = "approved";
  if (approval.status !== "pending") {
    for (const s of approval.steps) if (s.status === "pending" || s.status === "uninitiated") s.status = "skipped";
    return;
  }
  // In sequence, the next approver's turn comes when the one before has approved.
  const next = approval.steps.find((s) => s.status === "uninitiated");
  if (approval.executionOrder === "inSequence" && next && !approval.steps.some((s) => s.status === "pending")) Object.assign(next, { status: "pending", initiatedOn: now });
}
