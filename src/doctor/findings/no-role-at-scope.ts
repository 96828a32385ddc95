import { assignRoleStep, type FixPlan, planBase, type Unfixable } from "../fix/steps.js";
import { defineFinding, type Finding, lacking } from "./define.js";

const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";

/** Contributor at the connection's scope: the least built-in role that lets deployments write. */
export function contributorPlan(f: Finding): FixPlan | Unfixable {
  const principal = f.evidence.principal as string | undefined;
  const scope = f.scope;
  if (!principal || !scope) return lacking(f);
  const action = f.evidence.action as string | undefined;
  return {
    ...planBase(f),
    summary: `Assign Contributor to the service principal of '${f.connection?.name}' at its scope ${scope} (the least built-in role that lets deployments write${action ? `, and allows ${action}` : ""})`,
    steps: [assignRoleStep(principal, scope, CONTRIBUTOR, { assignments: f.evidence.assignments ?? [] })],
  };
}

export default defineFinding({
  kind: "no-role-at-scope",
  severity: "high",
  title: "The service principal holds no role at the connection's scope",
  explanation: "rbac-authorization-failed",
  fix: "Assign the least role the pipelines need (e.g. Contributor) at the connection's scope.",
  check: async (facts) => {
    const roles = await facts.roles();
    if (!roles || roles.relevant.length) return null;
    return { evidence: { principal: roles.principal.objectId, scope: roles.scope, assignments: [] }, application: (await facts.found())!.ref };
  },
  plan: contributorPlan,
});
