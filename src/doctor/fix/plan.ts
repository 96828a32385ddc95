import type { Finding } from "../scan/findings.js";
import type { ScanReport } from "../scan/scan.js";
import type { FixTarget } from "./target.js";

const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/** Key Vault's data roles: reading secrets (get, list) and managing them (docs/reference/identity-arm-api.md §7.3). */
const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const DAY = 86_400_000;

/** One change a fix makes: the call, and the object before and after, as the plan prints them. */
export interface FixStep {
  call: string;
  before: unknown;
  after: unknown;
  run(target: FixTarget): Promise<void>;
  /** Takes the change back when a later step of the same fix fails: a fix is done whole or not at all. */
  undo?(target: FixTarget): Promise<void>;
}

export interface FixOptions {
  /** Fix an expired or expiring secret by converting the connection to workload identity federation, not by rotating. */
  convert?: boolean;
}

export interface FixPlan {
  findingId: string;
  kind: string;
  /** What the fix does, in one sentence. */
  summary: string;
  project: string | null;
  steps: FixStep[];
}

export interface Unfixable {
  findingId: string;
  reason: string;
}

/**
 * The plan for each finding asked for (all fixable ones when `ids` is empty): exactly the calls `--apply` would
 * make, with the objects before and after. Findings without an automatic fix say why.
 */
export function planFixes(report: ScanReport, ids: string[], now: Date, options: FixOptions = {}): { plans: FixPlan[]; unfixable: Unfixable[] } {
  const all = [...report.connections.flatMap((c) => c.findings), ...report.other];
  const unknown = ids.filter((id) => !all.some((f) => f.id === id));
  const chosen = ids.length ? all.filter((f) => ids.includes(f.id)) : all;
  const plans: FixPlan[] = [];
  const unfixable: Unfixable[] = unknown.map((findingId) => ({ findingId, reason: "no such finding in this scan" }));
  // A conversion would break the steps whose task versions cannot use workload identity federation.
  const withoutFederation = new Map(all.filter((f) => f.kind === "task-without-federation" && f.connection).map((f) => [f.connection!.id, f]));
  for (const f of chosen) {
    const blocker = f.connection && withoutFederation.get(f.connection.id);
    const plan = options.convert && blocker && (f.kind === "secret-expired" || f.kind === "secret-expiring") ? notConvertible(f, blocker) : planFix(f, now, options);
    if ("reason" in plan) {
      if (ids.length) unfixable.push(plan);
    } else plans.push(plan);
  }
  return { plans, unfixable };
}

/** Why a connection is not converted: the tasks its last run ran that cannot use federation, and where to move them. */
function notConvertible(f: Finding, blocker: Finding): Unfixable {
  const tasks = (blocker.evidence.tasks as Array<{ task: string; federationIn: string | null }> | undefined) ?? [];
  const run = blocker.evidence.run as { pipeline?: string | null } | undefined;
  const moves = tasks.map((t) => (t.federationIn ? `${t.task} → ${t.federationIn}` : `${t.task} (no version supports it)`)).join(", ");
  return { findingId: f.id, reason: `not converted: the last run of ${run?.pipeline ?? "a pipeline"} that used it ran task versions without workload identity federation (${moves}); move those steps first, or rotate the secret instead (without --convert)` };
}

/** Secret → workload identity federation: Azure DevOps converts; a manual connection's application then trusts it. */
function convertPlan(f: Finding, connection: NonNullable<Finding["connection"]>, project: string): FixPlan | null {
  const base = { findingId: f.id, kind: f.kind, project };
  const call = `PUT {org}/${project}/_apis/serviceendpoint/endpoints/${connection.id}?operation=ConvertAuthenticationScheme`;
  const convert: FixStep = {
    call,
    before: { scheme: "ServicePrincipal", credentials: f.evidence.credentials },
    after: { scheme: "WorkloadIdentityFederation", revertable: "for seven days (svcconn doctor revert)" },
    run: async (t) => {
      presented = await t.convertScheme(project, connection.id, "WorkloadIdentityFederation");
    },
    undo: async (t) => void (await t.convertScheme(project, connection.id, "ServicePrincipal")),
  };
  let presented: { issuer: string | null; subject: string | null } = { issuer: null, subject: null };
  if (f.evidence.creationMode === "Automatic") {
    return { ...base, summary: `Convert '${connection.name}' to workload identity federation (Azure DevOps adds the federated credential to its application; revert within seven days)`, steps: [convert] };
  }
  const objectId = f.application?.objectId;
  if (!objectId) return null;
  let credentialId = "";
  return {
    ...base,
    summary: `Convert '${connection.name}' to workload identity federation and add the federated credential it presents to its application (revert within seven days)`,
    steps: [
      convert,
      {
        call: `POST https://graph.microsoft.com/v1.0/applications/${objectId}/federatedIdentityCredentials`,
        before: { federatedIdentityCredentials: "(as read by the scan)" },
        after: { name: `azure-devops-${connection.id}`, issuer: "(the issuer the converted connection shows)", subject: "(its subject: sc://{org}/{project}/{connection})", audiences: ["api://AzureADTokenExchange"] },
        run: async (t) => {
          if (!presented.issuer || !presented.subject) throw new Error("the converted connection shows no issuer and subject");
          credentialId = await t.addFederatedCredential(objectId, { name: `azure-devops-${connection.id}`, issuer: presented.issuer, subject: presented.subject, audiences: ["api://AzureADTokenExchange"] });
        },
        undo: (t) => t.removeFederatedCredential(objectId, credentialId),
      },
    ],
  };
}

/** Back to the secret within seven days of a conversion (Azure DevOps keeps the secret that long). */
/**
 * A data plane's refusal (Key Vault) is settled by the data role on the vault the refusal names — Contributor grants
 * no data action: Key Vault Secrets User for reading secrets, Secrets Officer for writing them.
 */
function dataRolePlan(base: { findingId: string; kind: Finding["kind"]; project: string | null }, f: Finding, connection: string | undefined, principal: string, dataAction: string): FixPlan {
  const vault = f.evidence.refusedScope as string;
  const reads = /\/(?:getsecret|readmetadata)\/action$/i.test(dataAction);
  const [roleName, roleId] = reads ? ["Key Vault Secrets User", KEY_VAULT_SECRETS_USER] : ["Key Vault Secrets Officer", KEY_VAULT_SECRETS_OFFICER];
  let assignmentId = "";
  return {
    ...base,
    summary: `Assign ${roleName} to the service principal of '${connection}' on the key vault ${vault} (Key Vault refused ${dataAction}; Contributor grants no data action)`,
    steps: [
      {
        call: `PUT https://management.azure.com${vault}/providers/Microsoft.Authorization/roleAssignments/{new id}?api-version=2022-04-01`,
        before: { assignments: f.evidence.assignments ?? [] },
        after: { principalId: principal, roleDefinitionId: roleId, scope: vault },
        run: async (t) => {
          assignmentId = await t.assignRole(principal, vault, roleId);
        },
        undo: (t) => t.removeRoleAssignment(assignmentId),
      },
    ],
  };
}

export function planRevert(connection: { id: string; name: string }, project: string): FixPlan {
  return {
    findingId: `revert/${connection.id}`,
    kind: "revert",
    project,
    summary: `Revert '${connection.name}' to its client secret (possible within seven days of the conversion)`,
    steps: [{ call: `PUT {org}/${project}/_apis/serviceendpoint/endpoints/${connection.id}?operation=ConvertAuthenticationScheme`, before: { scheme: "WorkloadIdentityFederation" }, after: { scheme: "ServicePrincipal" }, run: async (t) => void (await t.convertScheme(project, connection.id, "ServicePrincipal")) }],
  };
}

function planFix(f: Finding, now: Date, options: FixOptions): FixPlan | Unfixable {
  const project = f.connection?.projects[0] ?? null;
  const base = { findingId: f.id, kind: f.kind, project };
  const connection = f.connection;
  const endpoint = connection && project ? `PUT {org}/${project}/_apis/serviceendpoint/endpoints/${connection.id}` : "";
  switch (f.kind) {
    case "secret-expired":
    case "secret-expiring": {
      if (!connection || !project) break;
      if (options.convert) return convertPlan(f, connection, project) ?? { findingId: f.id, reason: `the finding lacks what the fix needs (${f.kind})` };
      const before = f.evidence.credentials;
      if (f.evidence.creationMode === "Automatic") {
        return { ...base, summary: `Rotate the secret of '${connection.name}' (Azure DevOps' Rotate secret: a new secret valid three months, the old one removed)`, steps: [{ call: `${endpoint}?operation=RotateSecret`, before, after: "a new client secret, stored in the connection", run: (t) => t.rotateSecret(project, connection.id) }] };
      }
      const objectId = f.application?.objectId;
      if (!objectId) break;
      const end = new Date(now.getTime() + 90 * DAY).toISOString();
      let added = { secret: "", keyId: "" };
      return {
        ...base,
        summary: `Add a client secret to the application of '${connection.name}' and store it in the connection`,
        steps: [
          { call: `POST https://graph.microsoft.com/v1.0/applications/${objectId}/addPassword`, before, after: { displayName: `svcconn doctor fix ${connection.name}`, endDateTime: end }, run: async (t) => {
              added = await t.addPassword(objectId, `svcconn doctor fix ${connection.name}`, end);
            },
            undo: (t) => t.removePassword(objectId, added.keyId),
          },
          { call: endpoint, before: { serviceprincipalkey: "(the expired secret)" }, after: { serviceprincipalkey: "(the new secret)" }, run: (t) => t.setConnectionSecret(project, connection.id, added.secret) },
        ],
      };
    }
    case "no-role-at-scope":
    case "role-insufficient": {
      const principal = f.evidence.principal as string | undefined;
      const scope = f.scope;
      if (!principal || !scope) break;
      const action = f.evidence.action as string | undefined;
      // Contributor allows every action but granting access: a refused Microsoft.Authorization write needs a person's choice.
      if (action && /^microsoft\.authorization\/(?:roleassignments|roledefinitions|locks|policyassignments)\/(?:write|delete)/i.test(action)) {
        return { findingId: f.id, reason: `no automatic fix for '${f.kind}': the refused action ${action} is one Contributor does not grant; choose a role that may grant access (Role Based Access Control Administrator with a condition, or User Access Administrator) and assign it at ${scope} yourself` };
      }
      const vaultPermission = f.evidence.vaultPermission as string | undefined;
      if (vaultPermission) {
        const vault = f.evidence.vault as string;
        return { findingId: f.id, reason: `no automatic fix for '${f.kind}': key vault ${vault} uses access policies, which are the vault's own setting; give the principal Get and List: az keyvault set-policy --name ${vault} --object-id ${principal} --secret-permissions get list` };
      }
      const dataAction = f.evidence.dataAction as string | undefined;
      if (dataAction) return dataRolePlan(base, f, connection?.name, principal, dataAction);
      let assignmentId = "";
      return {
        ...base,
        summary: `Assign Contributor to the service principal of '${connection?.name}' at its scope ${scope} (the least built-in role that lets deployments write${action ? `, and allows ${action}` : ""})`,
        steps: [{ call: `PUT https://management.azure.com${scope}/providers/Microsoft.Authorization/roleAssignments/{new id}?api-version=2022-04-01`, before: { assignments: f.evidence.assignments ?? [] }, after: { principalId: principal, roleDefinitionId: CONTRIBUTOR, scope }, run: async (t) => {
              assignmentId = await t.assignRole(principal, scope, CONTRIBUTOR);
            },
            undo: (t) => t.removeRoleAssignment(assignmentId),
          },
        ],
      };
    }
    case "open-access": {
      if (!connection || !project) break;
      const usedBy = (f.evidence.usedBy as Array<{ id: number; name: string }> | undefined) ?? [];
      const change = { allPipelines: false, pipelines: usedBy.map((p) => ({ id: p.id, authorized: true })) };
      return {
        ...base,
        summary: `Close open access to '${connection.name}' and permit only the pipelines that used it${usedBy.length ? ` (${usedBy.map((p) => p.name).join(", ")})` : " (none did)"}`,
        steps: [{ call: `PATCH {org}/${project}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, before: { allPipelines: { authorized: true }, pipelines: f.evidence.permitted }, after: { allPipelines: { authorized: false }, pipelines: change.pipelines }, run: (t) => t.setPipelinePermissions(project, connection.id, change) }],
      };
    }
    case "service-principal-disabled": {
      const sp = f.evidence.servicePrincipal as string | undefined;
      if (!sp) break;
      return { ...base, summary: `Enable the service principal of '${connection?.name}'`, steps: [{ call: `PATCH https://graph.microsoft.com/v1.0/servicePrincipals/${sp}`, before: { accountEnabled: false }, after: { accountEnabled: true }, run: (t) => t.enableServicePrincipal(sp) }] };
    }
    case "orphaned-application": {
      const app = f.application;
      if (!app?.objectId) break;
      const assignments = (f.evidence.roleAssignments as Array<{ id: string; scope: string; role: string; roleDefinitionId: string }> | undefined) ?? [];
      // Role assignments first: an application deleted first would leave them pointing at nobody.
      return {
        ...base,
        summary: `Delete the orphaned application '${app.displayName}' and its ${assignments.length} role assignment(s)`,
        steps: [
          ...assignments.map((a) => ({
            call: `DELETE https://management.azure.com${a.id}?api-version=2022-04-01`,
            before: a,
            after: null,
            run: (t: FixTarget) => t.removeRoleAssignment(a.id),
            undo: async (t: FixTarget) => void (await t.assignRole(principalOf(f), a.scope, a.roleDefinitionId)),
          })),
          { call: `DELETE https://graph.microsoft.com/v1.0/applications/${app.objectId}`, before: { appId: app.appId, displayName: app.displayName }, after: null, run: (t) => t.deleteApplication(app.objectId!) },
        ],
      };
    }
    default:
      return { findingId: f.id, reason: `no automatic fix for '${f.kind}': ${f.fix}` };
  }
  return { findingId: f.id, reason: `the finding lacks what the fix needs (${f.kind})` };
}

const principalOf = (f: Finding) => String(f.evidence.servicePrincipal ?? "");

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
