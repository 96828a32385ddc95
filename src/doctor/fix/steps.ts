import type { FixTarget } from "./target.js";

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

/** A plan's fields every fix of a finding shares. */
export const planBase = (f: { id: string; kind: string; connection: { projects: string[] } | null }) => ({ findingId: f.id, kind: f.kind, project: f.connection?.projects[0] ?? null });

/** A role assignment, taken back by deleting it if a later step fails. */
export function assignRoleStep(principal: string, scope: string, roleDefinitionId: string, before: unknown): FixStep {
  let assignmentId = "";
  return {
    call: `PUT https://management.azure.com${scope}/providers/Microsoft.Authorization/roleAssignments/{new id}?api-version=2022-04-01`,
    before,
    after: { principalId: principal, roleDefinitionId, scope },
    run: async (t) => {
      assignmentId = await t.assignRole(principal, scope, roleDefinitionId);
    },
    undo: (t) => t.removeRoleAssignment(assignmentId),
  };
}
