import type { DefinitionVariable, Pipeline, PipelineSettings, Repository, Run, RunLog, TimelineRecord } from "../model.js";
import type { OrganizationRef, ProjectRef } from "../ports.js";

/** Where a view's links point: the collection URL of the organization and the project. */
export interface ViewBase {
  collection: string;
  organization: OrganizationRef;
  project: ProjectRef;
}

const api = (b: ViewBase) => `${b.collection}${b.project.id}/_apis`;
const web = (b: ViewBase) => `${b.collection}${encodeURIComponent(b.project.name)}`;

export function pipelineView(p: Pipeline, repository: Repository | undefined, b: ViewBase) {
  const url = `${api(b)}/pipelines/${p.id}?revision=${p.revision}`;
  return {
    _links: { self: { href: url }, web: { href: `${web(b)}/_build/definition?definitionId=${p.id}` } },
    configuration: { path: p.yamlPath.replace(/^\//, ""), repository: repository ? { id: repository.id, type: "azureReposGit" } : null, type: "yaml" },
    url,
    id: p.id,
    revision: p.revision,
    name: p.name,
    folder: p.folder,
  };
}

const runState = (r: Run) => (r.status === "completed" ? "completed" : r.status === "cancelling" ? "canceling" : "inProgress");
const runResult = (r: Run) => (r.result === null ? null : r.result === "partiallySucceeded" ? "succeeded" : r.result);

export function runView(r: Run, p: Pipeline, b: ViewBase) {
  const url = `${api(b)}/pipelines/${p.id}/runs/${r.id}`;
  const pipelineUrl = `${api(b)}/pipelines/${p.id}?revision=${r.pipelineRevision}`;
  return {
    _links: {
      self: { href: url },
      web: { href: `${web(b)}/_build/results?buildId=${r.id}` },
      "pipeline.web": { href: `${web(b)}/_build/definition?definitionId=${p.id}` },
      pipeline: { href: pipelineUrl },
    },
    pipeline: { url: pipelineUrl, id: p.id, revision: r.pipelineRevision, name: p.name, folder: p.folder },
    state: runState(r),
    result: runResult(r) ?? undefined,
    createdDate: r.queueTime,
    finishedDate: r.finishTime,
    url,
    resources: { repositories: { self: { repository: { id: p.repositoryId, type: "azureReposGit" }, refName: r.sourceBranch, version: r.sourceVersion } } },
    ...(r.finalYaml !== null && r.id < 0 ? { finalYaml: r.finalYaml } : {}),
    templateParameters: r.templateParameters,
    variables: Object.fromEntries(Object.entries(r.variables).map(([k, v]) => [k, v.isSecret ? { isSecret: true } : { value: v.value }])),
    id: r.id,
    name: r.name,
  };
}

export function buildView(r: Run, p: Pipeline, repository: Repository | undefined, b: ViewBase) {
  const url = `${api(b)}/build/Builds/${r.id}`;
  const project = { id: b.project.id, name: b.project.name, url: `${b.collection}_apis/projects/${b.project.id}`, state: "wellFormed", visibility: "private" };
  const identity = { displayName: r.requestedBy.displayName, id: r.requestedBy.id, uniqueName: r.requestedBy.uniqueName };
  const hosted = r.queue === "Azure Pipelines";
  return {
    _links: { self: { href: url }, web: { href: `${web(b)}/_build/results?buildId=${r.id}` }, timeline: { href: `${api(b)}/build/builds/${r.id}/Timeline` } },
    properties: {},
    tags: [],
    validationResults: r.validationResults,
    plans: [{ planId: r.planId }],
    templateParameters: r.templateParameters,
    id: r.id,
    buildNumber: r.name,
    status: r.status,
    result: r.result ?? undefined,
    queueTime: r.queueTime,
    startTime: r.startTime ?? undefined,
    finishTime: r.finishTime ?? undefined,
    url,
    definition: { drafts: [], id: p.id, name: p.name, url: `${api(b)}/build/Definitions/${p.id}?revision=${p.revision}`, uri: `vstfs:///Build/Definition/${p.id}`, path: p.folder, type: "build", queueStatus: "enabled", revision: p.revision, project },
    buildNumberRevision: Number(r.name.split(".")[1] ?? 1),
    project,
    uri: `vstfs:///Build/Build/${r.id}`,
    sourceBranch: r.sourceBranch,
    sourceVersion: r.sourceVersion,
    queue: { id: hosted ? 1 : 2, name: r.queue, pool: { id: hosted ? 1 : 2, name: r.queue, isHosted: hosted } },
    priority: "normal",
    reason: r.reason,
    requestedFor: identity,
    requestedBy: identity,
    lastChangedDate: r.finishTime ?? r.startTime ?? r.queueTime,
    lastChangedBy: identity,
    orchestrationPlan: { planId: r.planId },
    logs: { id: 0, type: "Container", url: `${url}/logs` },
    repository: { id: repository?.id ?? p.repositoryId, type: "TfsGit", name: repository?.name, clean: null, checkoutSubmodules: false },
    retainedByRelease: false,
    triggeredByBuild: null,
    appendCommitMessageToRunName: true,
  };
}

export function timelineView(r: Run, b: ViewBase) {
  const base = `${api(b)}/build/builds/${r.id}`;
  const records = r.timeline.map((t: TimelineRecord, i) => ({
    previousAttempts: [],
    id: t.id,
    parentId: t.parentId,
    type: t.type,
    name: t.name,
    startTime: t.startTime,
    finishTime: t.finishTime,
    currentOperation: t.currentOperation ?? null,
    percentComplete: null,
    state: t.state,
    result: t.result,
    resultCode: t.resultCode,
    changeId: i + 1,
    lastModified: t.finishTime ?? t.startTime ?? r.queueTime,
    workerName: t.workerName,
    order: t.order,
    details: null,
    errorCount: t.errorCount,
    warningCount: t.warningCount,
    url: null,
    log: t.logId === null ? null : { id: t.logId, type: "Container", url: `${base}/logs/${t.logId}` },
    task: t.task,
    attempt: 1,
    identifier: t.identifier,
    issues: t.issues,
  }));
  return { records, lastChangedBy: "00000002-0000-8888-8000-000000000000", lastChangedOn: r.finishTime ?? r.startTime ?? r.queueTime, id: r.planId, changeId: records.length, url: `${base}/Timeline/${r.planId}` };
}

export function buildLogView(l: RunLog, r: Run, b: ViewBase) {
  return { lineCount: l.lineCount, createdOn: l.createdOn, lastChangedOn: l.lastChangedOn, id: l.id, type: "Container", url: `${api(b)}/build/builds/${r.id}/logs/${l.id}` };
}

export function pipelineLogView(l: RunLog, r: Run, b: ViewBase) {
  return { id: l.id, createdOn: l.createdOn, lastChangedOn: l.lastChangedOn, lineCount: l.lineCount, url: `${api(b)}/pipelines/${r.pipelineId}/runs/${r.id}/logs/${l.id}` };
}

/** BuildDefinitionVariable as Azure DevOps shows it: a secret's value is null; false flags are left out. */
export function definitionVariablesView(variables: Record<string, DefinitionVariable>): Record<string, { value: string | null; isSecret?: true; allowOverride?: true }> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, v]) => [name, { value: v.isSecret ? null : v.value, ...(v.isSecret ? { isSecret: true as const } : {}), ...(v.allowOverride ? { allowOverride: true as const } : {}) }]),
  );
}

/** PipelineGeneralSettings: the setting svcconn enforces, and the others at their defaults for a new organization. */
export function generalSettingsView(settings: PipelineSettings) {
  return {
    enforceReferencedRepoScopedToken: true,
    disableClassicPipelineCreation: true,
    disableClassicBuildPipelineCreation: true,
    disableClassicReleasePipelineCreation: true,
    forkProtectionEnabled: true,
    buildsEnabledForForks: true,
    enforceJobAuthScopeForForks: true,
    enforceNoAccessToSecretsFromForks: true,
    isCommentRequiredForPullRequest: true,
    requireCommentsForNonTeamMembersOnly: false,
    requireCommentsForNonTeamMemberAndNonContributors: false,
    enableShellTasksArgsSanitizing: false,
    enableShellTasksArgsSanitizingAudit: false,
    disableImpliedYAMLCiTrigger: false,
    statusBadgesArePrivate: true,
    enforceSettableVar: settings.enforceSettableVar,
    enforceJobAuthScope: true,
    enforceJobAuthScopeForReleases: true,
    publishPipelineMetadata: false,
  };
}
