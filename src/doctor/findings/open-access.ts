import type { ExecutionInfo, PermissionsInfo } from "../scan/target.js";
import { Unreadable } from "../scan/target.js";
import { type FixPlan, planBase, type Unfixable } from "../fix/steps.js";
import { type Finding, defineFinding, lacking } from "./define.js";

/** The pipelines that used the connection: what permitting them one by one keeps working. */
function usedBy(executions: ExecutionInfo[] | Unreadable) {
  const used = new Map<number, string>();
  if (!(executions instanceof Unreadable)) for (const e of executions) if (e.definitionId !== null) used.set(e.definitionId, e.definitionName ?? String(e.definitionId));
  return [...used].map(([id, name]) => ({ id, name }));
}

type OpenAccessEvidence = { allPipelines: { authorized: boolean }; permitted: PermissionsInfo["pipelines"]; usedBy: Array<{ id: number; name: string }> };

function plan(f: Finding<OpenAccessEvidence>): FixPlan | Unfixable {
  const { connection } = f;
  const base = planBase(f);
  if (!connection || !base.project) return lacking(f);
  const project = base.project;
  const pipelines = f.evidence.usedBy;
  const change = { allPipelines: false, pipelines: pipelines.map((p) => ({ id: p.id, authorized: true })) };
  return {
    ...base,
    summary: `Close open access to '${connection.name}' and permit only the pipelines that used it${pipelines.length ? ` (${pipelines.map((p) => p.name).join(", ")})` : " (none did)"}`,
    steps: [
      {
        call: `PATCH {org}/${project}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`,
        before: { allPipelines: { authorized: true }, pipelines: f.evidence.permitted },
        after: { allPipelines: { authorized: false }, pipelines: change.pipelines },
        run: (t) => t.setPipelinePermissions(project, connection.id, change),
      },
    ],
  };
}

export default defineFinding({
  kind: "open-access",
  severity: "medium",
  title: "Every pipeline of the project may use the connection",
  explanation: null,
  fix: "Turn off open access and permit only the pipelines that need the connection (Security > Pipeline permissions).",
  check: async (facts): Promise<{ evidence: OpenAccessEvidence } | null> => {
    const [executions, permissions] = await Promise.all([facts.executions(), facts.permissions()]);
    if (!facts.readable<PermissionsInfo>("open-access", permissions) || !permissions.allPipelines) return null;
    return { evidence: { allPipelines: { authorized: true }, permitted: permissions.pipelines, usedBy: usedBy(executions) } };
  },
  plan,
});
