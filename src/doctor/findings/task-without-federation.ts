import { schemeSupport, taskNamed } from "../../core/tasks/schemes.js";
import { lastFirst } from "../scan/connection-facts.js";
import { type RunTaskInfo, Unreadable } from "../scan/target.js";
import { defineFinding } from "./define.js";

/** The Azure tasks of a run whose versions cannot use workload identity federation, with the version that can. */
function withoutFederation(tasks: RunTaskInfo[]): Array<{ task: string; version: string; federationIn: string | null }> {
  const out = new Map<string, { task: string; version: string; federationIn: string | null }>();
  for (const t of tasks) {
    const [major, minor] = t.version.split(".").map(Number);
    const facts = major === undefined || Number.isNaN(major) ? undefined : taskNamed({ name: t.name, major });
    const support = facts && schemeSupport(facts, minor);
    if (support && !support.schemes.includes("federation")) out.set(`${t.name}@${t.version}`, { task: support.task, version: t.version, federationIn: support.federationIn ?? null });
  }
  return [...out.values()];
}

/** What the finding read: the connection's last run, and the task versions in it that cannot federate. */
export type TaskWithoutFederationEvidence = {
  run: { runId: number | null; pipeline: string | null; finishTime: string | null };
  tasks: Array<{ task: string; version: string; federationIn: string | null }>;
};

/** Before a conversion to workload identity federation: what the connection's last run ran must support it. */
export default defineFinding({
  kind: "task-without-federation",
  severity: "medium",
  title: "A pipeline that uses the connection runs a task version without workload identity federation",
  explanation: "task-lacks-wif-support",
  fix: "Before converting the connection to workload identity federation, move those steps to a task version that supports it (the evidence names it, e.g. AzureFileCopy@6), or give them a connection of their own that keeps a secret.",
  check: async (facts): Promise<{ evidence: TaskWithoutFederationEvidence } | null> => {
    if (facts.connection.scheme !== "ServicePrincipal") return null;
    const executions = await facts.executions();
    if (executions instanceof Unreadable) return null;
    const last = executions.filter((e) => e.runId !== null).sort(lastFirst)[0];
    if (!last) return null;
    const tasks = await facts.target.runTasks(facts.project, last.runId!);
    if (!facts.readable<RunTaskInfo[]>("task-without-federation", tasks)) return null;
    const lacking = withoutFederation(tasks);
    return lacking.length ? { evidence: { run: { runId: last.runId, pipeline: last.definitionName, finishTime: last.finishTime }, tasks: lacking } } : null;
  },
});
