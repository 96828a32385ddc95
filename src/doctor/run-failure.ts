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

/** What is explained of a run: its first failed task's log, then the run's issues that log does not already hold. */
export function runText(failure: RunFailure): string {
  const log = failure.failedTasks[0]?.log ?? [];
  const issues = failure.issues.filter((issue) => !log.some((line) => line.includes(issue))).map((issue) => `##[error]${issue}`);
  return [...log, ...issues].join("\n");
}

/** Explains the first failed task of a run: its log and the run's issues, with its task and version as context. */
export function explainRun(failure: RunFailure, context: ExplainContext = {}): Explanation {
  return explain(runText(failure), { task: context.task ?? failure.failedTasks[0]?.task, scheme: context.scheme });
}
