import { type Explanation, explain, type ExplainContext } from "./explain.js";

/**
 * What a failed run shows (`svcconn explain --run URL`): the timeline's error issues and each failed task's log,
 * with the task's name and version from its timeline record. Read through azure-devops-node-api by
 * clients/run-failure.ts, from svcconn or from Azure DevOps alike.
 */
export interface RunFailure {
  /** The timeline's error issues, in order. */
  issues: string[];
  failedTasks: Array<{ displayName: string; /** `Name@major.minor.patch`, as the timeline records it. */ task?: string; log: string[] }>;
}

/** A run's lines read at most, per failed task, from the end of its log (the failure is at the end). */
export const RUN_LOG_LINES = 2000;

/** Explains the first failed task of a run: its log and the run's issues, with its task and version as context. */
export function explainRun(failure: RunFailure, context: ExplainContext = {}): Explanation {
  const first = failure.failedTasks[0];
  const issues = failure.issues.map((issue) => `##[error]${issue}`);
  const text = [...(first?.log ?? []), ...issues.filter((issue) => !first?.log.some((line) => line.includes(issue.slice(9))))].join("\n");
  return explain(text, { task: context.task ?? first?.task, scheme: context.scheme });
}
