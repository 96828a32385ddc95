import * as azdev from "azure-devops-node-api";
import type { IBuildApi } from "azure-devops-node-api/BuildApi.js";
import { IssueType, TaskResult, ValidationResult } from "azure-devops-node-api/interfaces/BuildInterfaces.js";
import type { IRequestOptions } from "azure-devops-node-api/interfaces/common/VsoBaseInterfaces.js";
import { RUN_LOG_LINES, type RunFailure } from "../doctor/run-failure.js";

/** A run's page as people copy it: `{organization}/{project}/_build/results?buildId=N` (Azure DevOps or svcconn). */
export function parseRunUrl(url: string): { organizationUrl: string; project: string; runId: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  const runId = Number(parsed.searchParams.get("buildId"));
  const parts = parsed.pathname.split("/").filter(Boolean);
  const at = parts.indexOf("_build");
  if (!Number.isInteger(runId) || runId <= 0 || at < 1) throw new Error(`not a run's URL (…/{project}/_build/results?buildId=N): ${url}`);
  const project = decodeURIComponent(parts[at - 1]!);
  return { organizationUrl: `${parsed.origin}/${parts.slice(0, at - 1).join("/")}`.replace(/\/$/, ""), project, runId };
}

/** The run's error issues and failed tasks' logs, through azure-devops-node-api's build client. */
export async function readRunFailure(options: { organizationUrl: string; pat: string; caFile?: string }, project: string, runId: number): Promise<RunFailure> {
  const requestOptions: IRequestOptions = options.caFile ? { cert: { caFile: options.caFile }, allowRetries: true, maxRetries: 3 } : { allowRetries: true, maxRetries: 3 };
  const web = new azdev.WebApi(options.organizationUrl, azdev.getPersonalAccessTokenHandler(options.pat), requestOptions);
  return runFailureOf(await web.getBuildApi(), project, runId);
}

/**
 * What a run's page shows of its failure (also what `doctor scan` reads of a connection's last use): the errors that
 * stopped it before any job (the build's validation results: a pipeline not valid, a resource not authorized), the
 * timeline's error issues and its failed tasks' logs.
 */
export async function runFailureOf(build: IBuildApi, project: string, runId: number): Promise<RunFailure> {
  const run = await build.getBuild(project, runId);
  if (!run) throw new Error(`run ${runId} is not in project ${project} (not found, or not visible to this token)`);
  const validation = (run.validationResults ?? []).filter((v) => v.result === ValidationResult.Error).map((v) => v.message ?? "");
  const timeline = await build.getBuildTimeline(project, runId);
  const records = [...(timeline?.records ?? [])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const issues = records.flatMap((r) => (r.issues ?? []).filter((i) => i.type === IssueType.Error).map((i) => i.message ?? ""));
  const failed = records.filter((r) => r.type === "Task" && r.result === TaskResult.Failed && r.log?.id !== undefined).slice(0, 3);
  const failedTasks = [];
  for (const r of failed) {
    const lines = await build.getBuildLogLines(project, runId, r.log!.id!);
    failedTasks.push({ displayName: r.name ?? "", task: r.task?.name && r.task.version ? `${r.task.name}@${r.task.version}` : undefined, log: lines.slice(-RUN_LOG_LINES) });
  }
  return { issues: [...validation, ...issues], failedTasks };
}
