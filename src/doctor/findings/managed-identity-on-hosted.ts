import { type RunPoolInfo, Unreadable } from "../scan/target.js";
import { defineFinding } from "./define.js";

/** A managed identity exists only on its VM: a run of the hosted pool could not have had it. */
export default defineFinding({
  kind: "managed-identity-on-hosted",
  severity: "high",
  title: "A managed identity connection is used from Microsoft-hosted agents",
  explanation: "managed-identity-unsupported",
  fix: "Run the pipelines that use it on a self-hosted pool whose agents run on the VM (or scale set) with the identity, or use a workload identity connection instead.",
  check: async (facts) => {
    if (facts.connection.scheme !== "ManagedServiceIdentity") return null;
    const executions = await facts.executions();
    if (executions instanceof Unreadable) return null;
    const runIds = [...new Set(executions.map((e) => e.runId).filter((id): id is number => id !== null))];
    const pools = runIds.length ? await facts.target.runPools(facts.project, runIds) : [];
    if (!facts.readable<RunPoolInfo[]>("managed-identity-pool", pools)) return null;
    const hosted = pools.filter((p) => p.hosted);
    if (!hosted.length) return null;
    const byRun = new Map(executions.map((e) => [e.runId, e]));
    const runs = hosted.map((p) => ({ runId: p.runId, pool: p.pool, pipeline: byRun.get(p.runId)?.definitionName ?? null, result: byRun.get(p.runId)?.result ?? null }));
    return { evidence: { scheme: facts.connection.scheme, runs }, application: null };
  },
});
