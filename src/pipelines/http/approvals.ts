import type { FastifyInstance } from "fastify";
import type { ApprovalUpdate } from "../approvals.js";
import { pipelinesErrors } from "../errors.js";
import type { Approval, ApprovalStatus } from "../model.js";
import type { PipelinesService } from "../service.js";
import type { Req, Route } from "./route.js";
import type { ViewBase } from "./views.js";


const STATES: Array<ApprovalStatus | "all"> = ["pending", "approved", "rejected", "skipped", "canceled", "timedOut", "failed", "uninitiated", "all"];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An approval as `pipelines/approvals` shows it: steps with `$expand=steps`, the run it holds as `pipeline.owner`. */
function approvalView(approval: Approval, base: ViewBase, expand: string[]) {
  const api = `${base.collection}${approval.projectId}/_apis`;
  return {
    id: approval.id,
    ...(expand.includes("steps")
      ? { steps: approval.steps.map((s) => ({ assignedApprover: s.assignedApprover, ...(s.actualApprover ? { actualApprover: s.actualApprover } : {}), status: s.status, comment: s.comment || undefined, initiatedOn: s.initiatedOn, lastModifiedOn: s.lastModifiedOn ?? undefined, order: s.order })) }
      : {}),
    status: approval.status,
    createdOn: approval.createdOn,
    lastModifiedOn: approval.lastModifiedOn,
    instructions: approval.instructions,
    minRequiredApprovers: approval.minRequiredApprovers,
    blockedApprovers: approval.blockedApprovers.map((id) => ({ id })),
    executionOrder: approval.executionOrder,
    ...(expand.includes("permissions") ? { permissions: "view, update" } : {}),
    pipeline: {
      owner: { _links: { web: { href: `${base.collection}${approval.projectId}/_build/results?buildId=${approval.runId}` }, self: { href: `${api}/build/builds/${approval.runId}` } }, id: approval.runId, name: approval.runName },
      id: String(approval.pipeline.id),
      name: approval.pipeline.name,
    },
    _links: { self: { href: `${api}/pipelines/approvals/${approval.id}` } },
  };
}

const expands = (request: Req) => (request.query.$expand ?? "").toLowerCase().split(",").map((s) => s.trim());

/** A PATCH body: `[{approvalId, status: approved|rejected, comment}]`. */
function readUpdates(body: unknown): ApprovalUpdate[] {
  if (!Array.isArray(body) || body.length === 0) throw pipelinesErrors.argument("The request body must be a list of approval updates.");
  return body.map((raw) => {
    const u = (raw ?? {}) as { approvalId?: unknown; status?: unknown; comment?: unknown };
    if (typeof u.approvalId !== "string" || !GUID.test(u.approvalId)) throw pipelinesErrors.argument("Each update needs the approvalId of an approval.");
    const status = typeof u.status === "string" ? u.status.toLowerCase() : "";
    if (status !== "approved" && status !== "rejected") throw pipelinesErrors.argument("An update's status must be approved or rejected.");
    if (u.comment !== undefined && u.comment !== null && typeof u.comment !== "string") throw pipelinesErrors.argument("An update's comment must be a string.");
    return { approvalId: u.approvalId.toLowerCase(), status, comment: typeof u.comment === "string" ? u.comment : "" };
  });
}

/** Approvals (`{project}/_apis/pipelines/approvals`, location 37794717…): list, read, approve or reject. */
export function approvalRoutes(app: FastifyInstance, pipelines: PipelinesService, route: Route): void {
  const A = "/:org/:project/_apis/pipelines/approvals";
  app.get(
    A,
    route(async (request, _reply, caller, base) => {
      const q = request.query;
      const state = q.state ? STATES.find((s) => s.toLowerCase() === q.state!.toLowerCase()) : undefined;
      if (q.state && !state) throw pipelinesErrors.argument(`The value '${q.state}' is not valid for state.`);
      const top = q.top ? Number(q.top) : 50;
      if (!Number.isSafeInteger(top) || top <= 0) throw pipelinesErrors.argument(`The value '${q.top}' is not valid for top.`);
      const ids = q.approvalIds?.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
      const userIds = q.userIds?.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
      const found = await pipelines.approvals.list(caller, base.project, { ids, state, top: Math.min(top, 1000), userIds });
      return { count: found.length, value: found.map((a) => approvalView(a, base, expands(request))) };
    }),
  );
  app.get(
    `${A}/:approvalId`,
    route(async (request, _reply, caller, base) => approvalView(await pipelines.approvals.get(caller, base.project, String(request.params.approvalId).toLowerCase()), base, expands(request))),
  );
  app.patch(
    A,
    route(async (request, _reply, caller, base) => {
      const updated = await pipelines.approvals.update(caller, base.project, readUpdates(request.body));
      return { count: updated.length, value: updated.map((a) => approvalView(a, base, ["steps"])) };
    }),
  );
}
