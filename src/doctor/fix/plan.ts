import { FINDING_KINDS } from "../findings/index.js";
import type { ScanReport } from "../scan/scan.js";
import type { FixOptions, FixPlan, Unfixable } from "./steps.js";
import type { FixTarget } from "./target.js";

export type { FixOptions, FixPlan, FixStep, Unfixable } from "./steps.js";

/**
 * The plan for each finding asked for (all fixable ones when `ids` is empty): exactly the calls `--apply` would
 * make, with the objects before and after. Each finding's plan is its kind's (src/doctor/findings/); findings without
 * an automatic fix say why.
 */
export function planFixes(report: ScanReport, ids: string[], now: Date, options: FixOptions = {}): { plans: FixPlan[]; unfixable: Unfixable[] } {
  const findings = [...report.connections.flatMap((c) => c.findings), ...report.other];
  const unknown = ids.filter((id) => !findings.some((f) => f.id === id));
  const chosen = ids.length ? findings.filter((f) => ids.includes(f.id)) : findings;
  const plans: FixPlan[] = [];
  const unfixable: Unfixable[] = unknown.map((findingId) => ({ findingId, reason: "no such finding in this scan" }));
  for (const f of chosen) {
    const kind = FINDING_KINDS.get(f.kind);
    const plan = kind?.plan ? kind.plan(f, { now, options, findings }) : { findingId: f.id, reason: `no automatic fix for '${f.kind}': ${f.fix}` };
    if ("reason" in plan) {
      if (ids.length) unfixable.push(plan);
    } else plans.push(plan);
  }
  return { plans, unfixable };
}

/** Back to the secret within seven days of a conversion (Azure DevOps keeps the secret that long). */
export function planRevert(connection: { id: string; name: string }, project: string): FixPlan {
  return {
    findingId: `revert/${connection.id}`,
    kind: "revert",
    project,
    summary: `Revert '${connection.name}' to its client secret (possible within seven days of the conversion)`,
    steps: [{ call: `PUT {org}/${project}/_apis/serviceendpoint/endpoints/${connection.id}?operation=ConvertAuthenticationScheme`, before: { scheme: "WorkloadIdentityFederation" }, after: { scheme: "ServicePrincipal" }, run: async (t) => void (await t.convertScheme(project, connection.id, "ServicePrincipal")) }],
  };
}

export interface FixOutcome {
  findingId: string;
  status: "fixed" | "failed" | "still-found";
  /** Steps done before a failure (a failure stops the run; nothing after it is tried). */
  stepsDone: number;
  /** After a failure: whether the steps done were taken back (`rolled-back`) or some could not be (`partial`). */
  rollback?: "rolled-back" | "partial";
  message?: string;
}

/**
 * Applies the plans one finding at a time; after each, scans again and checks the finding is gone. Stops at the
 * first failure with what it had done.
 */
export async function applyFixes(plans: FixPlan[], target: FixTarget, rescan?: () => Promise<ScanReport>): Promise<FixOutcome[]> {
  const outcomes: FixOutcome[] = [];
  for (const plan of plans) {
    let done = 0;
    try {
      for (const step of plan.steps) {
        await step.run(target);
        done++;
      }
    } catch (error) {
      const why = `${plan.steps[done]?.call}: ${error instanceof Error ? error.message : String(error)}`;
      const leftovers: string[] = [];
      for (const step of plan.steps.slice(0, done).reverse()) {
        try {
          if (!step.undo) throw new Error("it cannot be taken back");
          await step.undo(target);
        } catch (undoError) {
          leftovers.push(`${step.call} (${undoError instanceof Error ? undoError.message : String(undoError)})`);
        }
      }
      const rollback = done === 0 ? undefined : leftovers.length ? "partial" : "rolled-back";
      const after = rollback === "rolled-back" ? `; the ${done} step(s) done before it were taken back` : rollback === "partial" ? `; NOT taken back: ${leftovers.join("; ")}` : "";
      outcomes.push({ findingId: plan.findingId, status: "failed", stepsDone: done, ...(rollback ? { rollback } : {}), message: why + after });
      return outcomes;
    }
    // Without a re-scan (a revert: no finding to look for), the calls succeeding is the outcome.
    if (!rescan) {
      outcomes.push({ findingId: plan.findingId, status: "fixed", stepsDone: done });
      continue;
    }
    const after = await rescan();
    const still = [...after.connections.flatMap((c) => c.findings), ...after.other].some((f) => f.id === plan.findingId);
    outcomes.push({ findingId: plan.findingId, status: still ? "still-found" : "fixed", stepsDone: done, ...(still ? { message: "the re-scan still finds it (a change may need time to propagate)" } : {}) });
    if (still) return outcomes;
  }
  return outcomes;
}
