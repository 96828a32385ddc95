import { DAY } from "../scan/connection-facts.js";
import type { ExecutionInfo } from "../scan/target.js";
import { defineFinding } from "./define.js";

export default defineFinding({
  kind: "unused",
  severity: "low",
  title: "The connection has not been used for a long time",
  explanation: null,
  fix: "Delete the connection (and its application with deep delete) if nothing needs it any more.",
  check: async (facts) => {
    const executions = await facts.executions();
    if (!facts.readable<ExecutionInfo[]>("unused", executions)) return null;
    const { now, unusedDays } = facts.limits;
    const last = executions.map((e) => Date.parse(e.finishTime ?? "")).filter((t) => !Number.isNaN(t)).sort((a, b) => b - a)[0];
    const created = Date.parse(facts.connection.createdOn ?? "");
    const unused = unusedDays * DAY;
    const idle = last !== undefined ? now.getTime() - last > unused : !Number.isNaN(created) && now.getTime() - created > unused;
    return idle ? { evidence: { lastUsed: last !== undefined ? new Date(last).toISOString() : null, createdOn: facts.connection.createdOn, days: unusedDays } } : null;
  },
});
