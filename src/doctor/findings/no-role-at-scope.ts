import { assignRoleStep, type FixPlan, planBase, type Unfixable } from "../fix/steps.js";
import { defineFinding, type Finding, lacking } from "./define.js";

const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/** What a role finding read: the service principal, the connection's scope and the assignments that apply there. */
export type RoleEvidence = { principal: string; scope: string; assignments: Array<{ scope: string; role: string }>; action?: string };

/** Contributor at the connection's scope: the least built-in role that lets deployments write. */
export function contributorPlan(f: Finding<RoleEvidence>): FixPlan | Unfixable {
  const { principal, action } = f.evidence;
  const scope = f.scope;
  if (!principal || !scope) return lacking(f);
  return {
    ...planBase(f),
    summary: `Assign Contributor to the service principal of '${f.connection?.name}' at its scope ${scope} (the least built-in role that lets deployments write${action ? `, and allows ${action}` : ""})`,
    steps: [assignRoleStep(principal, scope, CONTRIBUTOR, { assignments: f.evidence.assignments })],
  };
}

export default defineFinding({
  kind: "no-role-at-scope",
  severity: "high",
  title: "The service principal holds no role at the connection's scope",
  explanation: "rbac-authorization-failed",
  fix: "Assign the least role the pipelines need (e.g. Contributor) at the connection's scope.",
  check: async (facts): Promise<{ evidence: RoleEvidence; application: Finding["application"] } | null> => {
    const roles = await facts.roles();
    if (!roles || roles.relevant.length) return null;
    return { evidence: { principal: roles.principal.objectId, scope: roles.scope, assignments: [] }, application: (await facts.found())!.ref };
  },
  plan: contributorPlan,
});
