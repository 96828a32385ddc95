import { roleId } from "../scan/connection-facts.js";
import { defineFinding } from "./define.js";

/** Roles that may grant roles: at subscription level or above they make a connection's identity an administrator. */
const PRIVILEGED = new Map([
  ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"],
  ["18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator"],
]);
const atSubscriptionOrAbove = (scope: string) => !/\/resourcegroups\//i.test(scope);

export default defineFinding({
  kind: "over-privileged",
  severity: "high",
  title: "The service principal is Owner or User Access Administrator at subscription level or above",
  explanation: null,
  fix: "Replace the role by the least one the pipelines need, at the narrowest scope (a resource group where possible).",
  check: async (facts) => {
    const roles = await facts.roles();
    const privileged = roles?.relevant.filter((a) => PRIVILEGED.has(roleId(a)) && atSubscriptionOrAbove(a.scope)) ?? [];
    if (!roles || !privileged.length) return null;
    const assignments = privileged.map((a) => ({ scope: a.scope, role: PRIVILEGED.get(roleId(a)) }));
    return { evidence: { principal: roles.principal.objectId, assignments, all: roles.shown }, application: (await facts.found())!.ref };
  },
});
