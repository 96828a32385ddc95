import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { organizationUrl } from "../../http/wire.js";
import { pipelinesErrors, PipelinesError } from "../errors.js";
import { readBuildParameters, readDefinitionUpdate, readGeneralSettings, readId, readNewDefinition, readNewPipeline, readQueueBuild, readRunRequest } from "../input.js";
import type { Pipeline, Repository } from "../model.js";
import { DevOpsPortError, type ProjectRef } from "../ports.js";
import type { PipelinesService } from "../service.js";
import { approvalRoutes } from "./approvals.js";
import type { Req, Route } from "./route.js";
import { buildLogView, buildView, definitionVariablesView, generalSettingsView, pipelineLogView, pipelineView, runView, timelineView, type ViewBase } from "./views.js";


const apiVersion = (request: Req) => /api-version=([^;,\s]+)/i.exec(String(request.headers.accept ?? ""))?.[1] ?? request.query["api-version"];


/** What every route of this surface shares: its caller and project resolved, its answer rendered. */
interface Surface {
  app: FastifyInstance;
  pipelines: PipelinesService;
  route: Route;
  repositories: (p: Pipeline) => Promise<Repository | undefined>;
}

const pipelineId = (request: Req) => readId(request.params.pipelineId, pipelinesErrors.pipelineNotFound);
const runId = (request: Req, key = "runId") => readId(request.params[key], pipelinesErrors.runNotFound);
const list = <T>(value: T[]) => ({ count: value.length, value });

/**
 * Azure Pipelines' REST surface on the DevOps listener: pipelines and runs (`_apis/pipelines`), builds, timelines,
 * logs and definitions (`_apis/build`), approvals, and the job OIDC token (`_apis/distributedtask`).
 */
export function pipelinesRoutes(app: FastifyInstance, pipelines: PipelinesService): void {
  const route = routeOf(pipelines);
  const surface: Surface = { app, pipelines, route, repositories: async (p) => pipelines.catalog.repositoryOf(p).catch(() => undefined) };
  approvalRoutes(app, pipelines, route);
  runRoutes(surface);
  buildRoutes(surface);
  definitionRoutes(surface);
  app.post(
    "/:org/:project/_apis/distributedtask/hubs/:hub/plans/:planId/jobs/:jobId/oidctoken",
    route(async (request, _reply, caller, base) => ({ oidcToken: await pipelines.oidcToken(caller, base.project.id, request.params.planId!, request.params.jobId!, request.query.serviceConnectionId) })),
  );
}

/** A handler with the caller and project resolved and the answer rendered as Azure DevOps does (JSON, text, 204). */
function routeOf(pipelines: PipelinesService): Route {
  return (handler) => async (request: Req, reply: FastifyReply) => {
    try {
      const caller = await pipelines.caller(request.params.org!, request.headers.authorization);
      const project: ProjectRef = request.params.project ? await pipelines.project(caller, request.params.project) : { id: "", name: "" };
      const base: ViewBase = { collection: `${organizationUrl(request, caller.organization.name)}/`, organization: caller.organization, project };
      const result = await handler(request, reply, caller, base);
      if (reply.sent || result === reply) return reply;
      if (result === undefined) return reply.status(204).send();
      const version = apiVersion(request);
      if (typeof result === "string") return reply.type("text/plain; charset=utf-8").send(result);
      void reply.header("content-type", `application/json; charset=utf-8${version ? `; api-version=${version}` : ""}`);
      return result;
    } catch (error) {
      // The DevOps plane's refusals (authentication, unknown project) in its own envelope.
      if (error instanceof DevOpsPortError) throw new PipelinesError(error.status, error.typeKey, error.message, `Microsoft.VisualStudio.Services.WebApi.${error.typeKey}, Microsoft.VisualStudio.Services.WebApi`);
      throw error;
    }
  };
}

/** `_apis/pipelines`: pipelines, their runs and run logs (the Pipelines API). */
function runRoutes({ app, pipelines, route, repositories }: Surface): void {
  const P = "/:org/:project/_apis/pipelines";
  app.post(P, route(async (request, _reply, caller, base) => {
    const created = await pipelines.catalog.createPipeline(caller, base.project.id, readNewPipeline(request.body));
    return pipelineView(created, await repositories(created), base);
  }));
  app.get(P, route(async (_request, _reply, caller, base) => {
    const all = await pipelines.catalog.pipelines(caller, base.project.id);
    return list(await Promise.all(all.map(async (p) => pipelineView(p, await repositories(p), base))));
  }));
  app.get(`${P}/:pipelineId`, route(async (request, _reply, caller, base) => {
    const p = await pipelines.catalog.pipeline(caller, base.project.id, pipelineId(request));
    return pipelineView(p, await repositories(p), base);
  }));
  app.post(`${P}/:pipelineId/preview`, route(async (request, _reply, caller, base) => ({ finalYaml: await pipelines.preview(caller, base.project.id, pipelineId(request), readRunRequest(request.body)) })));
  app.post(`${P}/:pipelineId/runs`, route(async (request, _reply, caller, base) => {
    const id = pipelineId(request);
    const run = await pipelines.queueRun(caller, base.project.id, id, readRunRequest(request.body));
    return runView(run, await pipelines.catalog.pipeline(caller, base.project.id, id), base);
  }));
  app.get(`${P}/:pipelineId/runs`, route(async (request, _reply, caller, base) => {
    const id = pipelineId(request);
    const p = await pipelines.catalog.pipeline(caller, base.project.id, id);
    return list((await pipelines.runs(caller, base.project.id, { pipelineId: id, top: 10_000 })).map((r) => runView(r, p, base)));
  }));
  app.get(`${P}/:pipelineId/runs/:runId`, route(async (request, _reply, caller, base) => {
    const id = pipelineId(request);
    const p = await pipelines.catalog.pipeline(caller, base.project.id, id);
    return runView(await pipelines.run(caller, base.project.id, runId(request), id), p, base);
  }));
  app.get(`${P}/:pipelineId/runs/:runId/logs`, route(async (request, _reply, caller, base) => {
    const id = pipelineId(request);
    const { run, logs } = await pipelines.logs(caller, base.project.id, runId(request));
    if (run.pipelineId !== id) throw pipelinesErrors.runNotFound(run.id);
    return { logs: logs.map((l) => pipelineLogView(l, run, base)), url: `${base.collection}${base.project.id}/_apis/pipelines/${id}/runs/${run.id}/logs` };
  }));
  app.get(`${P}/:pipelineId/runs/:runId/logs/:logId`, route(async (request, _reply, caller, base) => {
    const { run, log } = await pipelines.log(caller, base.project.id, runId(request), readId(request.params.logId, pipelinesErrors.logNotFound));
    return pipelineLogView(log, run, base);
  }));
}

/** `_apis/build/builds`: queue, list, get, cancel; timelines and logs (the Build API). */
function buildRoutes({ app, pipelines, route, repositories }: Surface): void {
  const B = "/:org/:project/_apis/build";
  app.post(`${B}/builds`, route(async (request, _reply, caller, base) => {
    const { pipelineId: id, request: run, parameters } = readQueueBuild(request.body, request.query.definitionId);
    // The right to queue is checked before the variables' text is read.
    await pipelines.checkQueue(caller, base.project.id, id);
    const queued = await pipelines.queueRun(caller, base.project.id, id, { ...run, variables: readBuildParameters(parameters) });
    const p = await pipelines.catalog.pipeline(caller, base.project.id, id);
    return buildView(queued, p, await repositories(p), base);
  }));
  app.get(`${B}/builds`, route(async (request, _reply, caller, base) => {
    const definitions = request.query.definitions?.split(",").map(Number).filter(Number.isSafeInteger);
    const top = Number(request.query.$top ?? request.query.top ?? 1000) || 1000;
    // buildIds: the builds asked for by id, one call for many (how readers of usage history find each run's pool).
    const runIds = request.query.buildIds?.split(",").map(Number).filter(Number.isSafeInteger).slice(0, 1000);
    const runs = await pipelines.runs(caller, base.project.id, { pipelineId: definitions?.length === 1 ? definitions[0] : undefined, runIds, top });
    const out = [];
    for (const r of runs) {
      if (definitions?.length && !definitions.includes(r.pipelineId)) continue;
      const p = await pipelines.catalog.pipeline(caller, base.project.id, r.pipelineId);
      out.push(buildView(r, p, await repositories(p), base));
    }
    return list(out);
  }));
  app.get(`${B}/builds/:buildId`, route(async (request, _reply, caller, base) => {
    const r = await pipelines.run(caller, base.project.id, runId(request, "buildId"));
    const p = await pipelines.catalog.pipeline(caller, base.project.id, r.pipelineId);
    return buildView(r, p, await repositories(p), base);
  }));
  app.patch(`${B}/builds/:buildId`, route(async (request, _reply, caller, base) => {
    const body = (request.body ?? {}) as { status?: unknown };
    if (String(body.status ?? "").toLowerCase() !== "cancelling") throw pipelinesErrors.argument("Only cancelling a build (status: cancelling) is supported.");
    const r = await pipelines.cancel(caller, base.project.id, runId(request, "buildId"));
    const p = await pipelines.catalog.pipeline(caller, base.project.id, r.pipelineId);
    return buildView({ ...r, status: r.status === "completed" ? r.status : "cancelling" }, p, await repositories(p), base);
  }));
  const timeline = route(async (request, _reply, caller, base) => timelineView(await pipelines.run(caller, base.project.id, runId(request, "buildId")), base));
  app.get(`${B}/builds/:buildId/timeline`, timeline);
  app.get(`${B}/builds/:buildId/timeline/:timelineId`, timeline);
  app.get(`${B}/builds/:buildId/logs`, route(async (request, _reply, caller, base) => {
    const { run, logs } = await pipelines.logs(caller, base.project.id, runId(request, "buildId"));
    return list(logs.map((l) => buildLogView(l, run, base)));
  }));
  app.get(`${B}/builds/:buildId/logs/:logId`, route(async (request, reply, caller, base) => {
    const start = Math.max(Math.floor(Number(request.query.startLine ?? 1)) || 1, 1);
    const endLine = Math.floor(Number(request.query.endLine));
    const end = request.query.endLine && endLine > 0 ? endLine : Number.POSITIVE_INFINITY;
    const { log, lines } = await pipelines.log(caller, base.project.id, runId(request, "buildId"), readId(request.params.logId, pipelinesErrors.logNotFound), { start, end });
    // node-api's getBuildLogLines asks for JSON (an array of lines); everyone else gets the text. Both are streamed.
    if (/application\/json/i.test(String(request.headers.accept ?? ""))) {
      const count = Math.max(0, Math.min(end, log.lineCount) - start + 1);
      return reply.type(`application/json; charset=utf-8`).send(Readable.from(jsonLines(count, lines), { objectMode: false, highWaterMark: 64 * 1024 }));
    }
    return reply.type("text/plain; charset=utf-8").send(Readable.from(textLines(lines), { objectMode: false, highWaterMark: 64 * 1024 }));
  }));
}

/** `_apis/build/definitions` and general settings. */
function definitionRoutes({ app, pipelines, route, repositories }: Surface): void {
  const B = "/:org/:project/_apis/build";
  const definitionView = (p: Pipeline, repositoryName: string | undefined, base: ViewBase) => ({
    _links: { self: { href: `${base.collection}${base.project.id}/_apis/build/Definitions/${p.id}?revision=${p.revision}` }, web: { href: `${base.collection}${encodeURIComponent(base.project.name)}/_build/definition?definitionId=${p.id}` } },
    process: { yamlFilename: p.yamlPath.replace(/^\//, ""), type: 2 },
    repository: { id: p.repositoryId, type: "TfsGit", name: repositoryName, defaultBranch: "refs/heads/main", clean: null, checkoutSubmodules: false },
    queue: p.defaultPool ? { name: p.defaultPool } : { name: "Azure Pipelines" },
    id: p.id,
    name: p.name,
    url: `${base.collection}${base.project.id}/_apis/build/Definitions/${p.id}?revision=${p.revision}`,
    uri: `vstfs:///Build/Definition/${p.id}`,
    path: p.folder,
    type: "build",
    queueStatus: "enabled",
    variables: definitionVariablesView(p.variables),
    revision: p.revision,
    createdDate: p.createdAt,
    project: { id: base.project.id, name: base.project.name, state: "wellFormed" },
  });
  app.post(`${B}/definitions`, route(async (request, _reply, caller, base) => {
    const created = await pipelines.catalog.createPipeline(caller, base.project.id, readNewDefinition(request.body));
    return definitionView(created, (await repositories(created))?.name, base);
  }));
  app.get(`${B}/definitions`, route(async (request, _reply, caller, base) => {
    const name = request.query.name?.toLowerCase();
    const all = (await pipelines.catalog.pipelines(caller, base.project.id)).filter((p) => !name || p.name.toLowerCase() === name);
    return list(await Promise.all(all.map(async (p) => definitionView(p, (await repositories(p))?.name, base))));
  }));
  app.get(`${B}/definitions/:definitionId`, route(async (request, _reply, caller, base) => {
    const p = await pipelines.catalog.pipeline(caller, base.project.id, readId(request.params.definitionId, pipelinesErrors.pipelineNotFound));
    return definitionView(p, (await repositories(p))?.name, base);
  }));
  app.put(`${B}/definitions/:definitionId`, route(async (request, _reply, caller, base) => {
    const id = readId(request.params.definitionId, pipelinesErrors.pipelineNotFound);
    const p = await pipelines.catalog.updateDefinition(caller, base.project.id, id, readDefinitionUpdate(request.body));
    return definitionView(p, (await repositories(p))?.name, base);
  }));
  app.get(`${B}/generalsettings`, route(async (_request, _reply, caller, base) => generalSettingsView(await pipelines.catalog.generalSettings(caller, base.project.id))));
  app.patch(`${B}/generalsettings`, route(async (request, _reply, caller, base) => generalSettingsView(await pipelines.catalog.updateGeneralSettings(caller, base.project.id, readGeneralSettings(request.body)))));
}

/** A log's lines as text, a page at a time. */
async function* textLines(pages: AsyncIterable<string[]>): AsyncGenerator<string> {
  let first = true;
  for await (const lines of pages) {
    if (!lines.length) continue;
    yield `${first ? "" : "\n"}${lines.join("\n")}`;
    first = false;
  }
}

/** `{count, value: [lines]}`, written a page at a time. */
async function* jsonLines(count: number, pages: AsyncIterable<string[]>): AsyncGenerator<string> {
  yield `{"count":${count},"value":[`;
  let first = true;
  for await (const lines of pages) {
    if (!lines.length) continue;
    yield `${first ? "" : ","}${lines.map((line) => JSON.stringify(line)).join(",")}`;
    first = false;
  }
  yield "]}";
}
