import { dataPermissionsGrant, permissionsGrant } from "../../core/role-actions.js";
import { explain } from "../explain.js";
import { assignRoleStep, type FixPlan, planBase, type Unfixable } from "../fix/steps.js";
import { type ConnectionFacts, lastFirst } from "../scan/connection-facts.js";
import { type ExecutionInfo, type RoleAssignmentInfo, type RoleDefinitionInfo, Unreadable } from "../scan/target.js";
import { defineFinding, type Finding } from "./define.js";
import { contributorPlan, type RoleEvidence } from "./no-role-at-scope.js";

/** ARM's refusal, naming the principal, the action and the scope (`AuthorizationFailed`). */
const AUTHORIZATION_FAILED = /object id '([0-9a-f-]{36})' does not have (?:authorization|permission) to perform action '([^']+)' (?:over|at) scope '([^']+)'/i;
/** Key Vault's refusals name the caller's object id: a data action refused by Azure RBAC, or an access policy's permission. */
const VAULT_RBAC_REFUSED = /caller: appid=[^;]*;oid=([0-9a-f-]{36});[^\n]*\s+action: '(microsoft\.keyvault\/vaults\/[^']+)'\s+resource: '([^']+)'/i;
const VAULT_POLICY_REFUSED = /'appid=[^;]*;oid=([0-9a-f-]{36});[^']*' does not have secrets (\w+) permission on key vault '([a-z0-9-]+);/i;
/** Key Vault's data roles: reading secrets (get, list) and managing them (docs/reference/identity-arm-api.md §7.3). */
const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";

type Refusal = {
  run: { runId: number; pipeline: string | null; finishTime: string | null };
  message: string;
  action?: string;
  refusedScope?: string;
  dataAction?: string;
  vaultPermission?: string;
  vault?: string;
};

/** What the finding read: the roles at the connection's scope, and the refusal in the connection's last run. */
type RefusalEvidence = RoleEvidence & Refusal;

/** A key vault's id from a refused resource (the vault itself or one of its secrets), in ARM's casing. */
function vaultScope(resource: string): string {
  return resource.replace(/\/secrets\/[^/]+$/i, "").replace(/\/resourcegroups\//i, "/resourceGroups/").replace(/\/providers\/microsoft\.keyvault\/vaults\//i, "/providers/Microsoft.KeyVault/vaults/");
}

/** The refusal in one of a run's errors that names this principal: ARM's, or a key vault's. */
function refusalIn(message: string, principalId: string): Omit<Refusal, "run" | "message"> | null {
  const mine = (id: string | undefined) => id?.toLowerCase() === principalId.toLowerCase();
  const named = AUTHORIZATION_FAILED.exec(message);
  if (named && mine(named[1]) && explain(message).id === "rbac-authorization-failed") return { action: named[2], refusedScope: named[3] };
  // A data plane's refusal (Key Vault): the data role, not Contributor, is what would allow it.
  const data = VAULT_RBAC_REFUSED.exec(message);
  if (data && mine(data[1])) return { dataAction: data[2], refusedScope: vaultScope(data[3]!) };
  const policy = VAULT_POLICY_REFUSED.exec(message);
  if (policy && mine(policy[1])) return { vaultPermission: policy[2]!.toLowerCase(), vault: policy[3] };
  return null;
}

/** When the connection's last use failed because its principal was refused an action, that refusal (from the run's errors). */
async function refusedByRole(facts: ConnectionFacts, executions: ExecutionInfo[], principalId: string): Promise<Refusal | null> {
  const last = [...executions].sort(lastFirst)[0];
  if (last?.result !== "failed" || last.runId === null) return null;
  const errors = await facts.target.runErrors(facts.project, last.runId);
  if (errors instanceof Unreadable) return null;
  const run = { runId: last.runId, pipeline: last.definitionName, finishTime: last.finishTime };
  for (const message of errors) {
    const refusal = refusalIn(message, principalId);
    if (refusal) return { run, message, ...refusal };
  }
  return null;
}

/** Whether one of these assignments' roles allows the action now; a role that cannot be read allows nothing known. */
async function allowedNow(facts: ConnectionFacts, assignments: RoleAssignmentInfo[], refused: Refusal): Promise<boolean> {
  // An access policy is the vault's own setting, not a role: a refusal by one is only settled by a new run.
  if (refused.vaultPermission) return false;
  for (const a of assignments) {
    const read = await facts.roleDefinition(a.roleDefinitionId);
    if (!facts.readable<RoleDefinitionInfo[]>("role definitions", read)) continue;
    const grants = (d: RoleDefinitionInfo) =>
      refused.dataAction ? dataPermissionsGrant(d.permissions.map((p) => ({ dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })), refused.dataAction) : permissionsGrant(d.permissions, refused.action ?? "");
    if (read.some(grants)) return true;
  }
  return false;
}

/**
 * A data plane's refusal (Key Vault) is settled by the data role on the vault the refusal names — Contributor grants
 * no data action: Key Vault Secrets User for reading secrets, Secrets Officer for writing them.
 */
function dataRolePlan(f: Finding<RefusalEvidence>, principal: string, dataAction: string, vault: string): FixPlan {
  const reads = /\/(?:getsecret|readmetadata)\/action$/i.test(dataAction);
  const [roleName, roleId] = reads ? ["Key Vault Secrets User", KEY_VAULT_SECRETS_USER] : ["Key Vault Secrets Officer", KEY_VAULT_SECRETS_OFFICER];
  return {
    ...planBase(f),
    summary: `Assign ${roleName} to the service principal of '${f.connection?.name}' on the key vault ${vault} (Key Vault refused ${dataAction}; Contributor grants no data action)`,
    steps: [assignRoleStep(principal, vault, roleId, { assignments: f.evidence.assignments })],
  };
}

function plan(f: Finding<RefusalEvidence>): FixPlan | Unfixable {
  const { principal, action, vaultPermission, vault, dataAction, refusedScope } = f.evidence;
  // Contributor allows every action but granting access: a refused Microsoft.Authorization write needs a person's choice.
  if (principal && f.scope && action && /^microsoft\.authorization\/(?:roleassignments|roledefinitions|locks|policyassignments)\/(?:write|delete)/i.test(action)) {
    return { findingId: f.id, reason: `no automatic fix for '${f.kind}': the refused action ${action} is one Contributor does not grant; choose a role that may grant access (Role Based Access Control Administrator with a condition, or User Access Administrator) and assign it at ${f.scope} yourself` };
  }
  if (principal && f.scope && vaultPermission) {
    return { findingId: f.id, reason: `no automatic fix for '${f.kind}': key vault ${vault} uses access policies, which are the vault's own setting; give the principal Get and List: az keyvault set-policy --name ${vault} --object-id ${principal} --secret-permissions get list` };
  }
  if (principal && f.scope && dataAction && refusedScope) return dataRolePlan(f, principal, dataAction, refusedScope);
  return contributorPlan(f);
}

export default defineFinding({
  kind: "role-insufficient",
  severity: "high",
  title: "The connection's role does not allow what its pipelines do",
  explanation: "rbac-authorization-failed",
  fix: "Assign a role that allows the refused action (Contributor for deployments) at the connection's scope; the evidence names the action and the run that was refused.",
  check: async (facts) => {
    const [roles, executions] = await Promise.all([facts.roles(), facts.executions()]);
    if (!roles?.relevant.length || executions instanceof Unreadable) return null;
    const refused = await refusedByRole(facts, executions, roles.principal.objectId);
    if (!refused) return null;
    // Only while no role it holds now allows the refused action (a role given since settles it).
    // A data role may sit on the vault itself, below the connection's scope: read the assignments there.
    const atRefused = refused.dataAction ? await facts.target.roleAssignments(roles.principal.objectId, refused.refusedScope!) : roles.relevant;
    if (await allowedNow(facts, atRefused instanceof Unreadable ? [] : atRefused, refused)) return null;
    const evidence: RefusalEvidence = { principal: roles.principal.objectId, scope: roles.scope, assignments: roles.shown, ...refused };
    return { evidence, application: (await facts.found())!.ref, ...(refused.action ? {} : { explanation: "key-vault-access-denied" }) };
  },
  plan,
});
