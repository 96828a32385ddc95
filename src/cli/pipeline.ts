import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { basename, dirname, join, relative, resolve } from "node:path";
import * as azdev from "azure-devops-node-api";
import type { IBuildApi } from "azure-devops-node-api/BuildApi.js";
import type { TimelineRecord } from "azure-devops-node-api/interfaces/BuildInterfaces.js";
import type { IPipelinesApi } from "azure-devops-node-api/PipelinesApi.js";
import { Command } from "commander";
import { UnreachableError, UsageError } from "./exit.js";
import { paint } from "./style.js";

/** The running instance on a data folder, as its `instance.json` describes it (flags and environment first). */
interface Target {
  devops: string;
  organization: string;
  project: string;
  pat: string;
  adminKey: string;
  caFile?: string;
}

interface TargetFlags {
  data?: string;
  org?: string;
  project?: string;
  pat?: string;
  adminKey?: string;
}

function target(flags: TargetFlags): Target {
  const data = resolve(flags.data ?? process.env.SVCCONN_DATA ?? ".svcconn");
  const file = join(data, "instance.json");
  if (!existsSync(file)) throw new UnreachableError(`no svcconn is running on ${data} (no ${file}): start one with 'svcconn serve --data ${data}'`);
  const instance = JSON.parse(readFileSync(file, "utf8")) as { devops: string; organization: string | null; project: string | null; pat: string | null; caFile: string | null };
  const keys = join(data, "keys.json");
  const adminKey = flags.adminKey ?? process.env.SVCCONN_ADMIN_KEY ?? (existsSync(keys) ? (JSON.parse(readFileSync(keys, "utf8")) as { adminKey?: string }).adminKey : undefined) ?? "";
  const organization = flags.org ?? instance.organization?.split("/").pop();
  const pat = flags.pat ?? process.env.SVCCONN_PAT ?? instance.pat;
  if (!organization) throw new UsageError("no organization: pass --org");
  if (!pat) throw new UsageError("no personal access token: pass --pat or set SVCCONN_PAT");
  return { devops: instance.devops, organization, project: flags.project ?? instance.project ?? "", pat, adminKey, caFile: instance.caFile ?? undefined };
}

function clients(t: Target): { pipelines: Promise<IPipelinesApi>; builds: Promise<IBuildApi> } {
  const web = new azdev.WebApi(`${t.devops}/${t.organization}`, azdev.getPersonalAccessTokenHandler(t.pat), t.caFile ? { cert: { caFile: t.caFile } } : {});
  return { pipelines: web.getPipelinesApi(), builds: web.getBuildApi() };
}

/** Registers the YAML file's folder as a repository (svcconn's admin API), named after the folder. */
function registerFolder(t: Target, folder: string): Promise<string> {
  const name = `${basename(folder).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 48) || "local"}-${createHash("sha256").update(folder).digest("hex").slice(0, 8)}`;
  const url = new URL(`${t.devops}/_admin/organizations/${encodeURIComponent(t.organization)}/projects/${encodeURIComponent(t.project)}/repositories/${name}`);
  const body = JSON.stringify({ folder });
  return new Promise((ok, fail) => {
    const send = url.protocol === "https:" ? request : httpRequest;
    const req = send(
      url,
      { method: "PUT", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-svcconn-admin-key": t.adminKey }, ...(t.caFile ? { ca: readFileSync(t.caFile) } : {}) },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => (res.statusCode === 200 ? ok(name) : fail(new Error(`cannot register ${folder}: ${res.statusCode} ${text}`))));
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

/** BuildResult's values (azure-devops-node-api's enum) by the names the REST API writes. */
const RESULT_NAMES: Record<number, string> = { 2: "succeeded", 4: "partiallySucceeded", 8: "failed", 32: "canceled" };
const mark = (r: TimelineRecord) => {
  const result = String(r.result ?? "");
  if (result === "0" || /^succeeded$/i.test(result)) return paint("green", "✔");
  if (result === "1" || /succeededWithIssues/i.test(result)) return paint("yellow", "!");
  if (result === "2" || /^failed$/i.test(result)) return paint("red", "✖");
  if (result === "3" || /canceled/i.test(result)) return paint("gray", "⊘");
  return paint("gray", "↷");
};
const seconds = (r: TimelineRecord) => (r.startTime && r.finishTime ? ` ${((new Date(r.finishTime).getTime() - new Date(r.startTime).getTime()) / 1000).toFixed(1)}s` : "");
/** A log line without the agent's timestamp, with its `##[…]` marker shown the way the web log shows it. */
const pretty = (line: string) => {
  const text = line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, "");
  if (text.startsWith("##[error]")) return paint("red", text);
  if (text.startsWith("##[warning]")) return paint("yellow", text);
  if (text.startsWith("##[section]")) return paint("cyan", text.slice(11));
  if (text.startsWith("[command]")) return paint("blue", text);
  if (/^(={20,}|Task {9}:|Description {2}:|Version {6}:|Author {7}:|Help {9}:)/.test(text)) return paint("gray", text);
  return text;
};

/** A local YAML file is registered (or reused) as a pipeline of its folder's repository; anything else is a name. */
async function pipelineFor(t: Target, api: IPipelinesApi, fileOrName: string, name: string | undefined): Promise<{ id: number; name: string }> {
  const path = resolve(fileOrName);
  if (!existsSync(path)) {
    const found = (await api.listPipelines(t.project)).find((p) => p.name?.toLowerCase() === fileOrName.toLowerCase());
    if (!found) throw new UsageError(`no file ${path}, and no pipeline named '${fileOrName}' in project ${t.project}`);
    return { id: found.id!, name: found.name! };
  }
  // The repository is the folder of the YAML file, so templates next to it resolve as in Azure Repos.
  const folder = dirname(path);
  const repository = await registerFolder(t, folder);
  const pipelineName = name ?? `${basename(folder)}/${relative(folder, path)}`.replace(/[\\/]/g, "-");
  const existing = (await api.listPipelines(t.project)).find((p) => p.name === pipelineName);
  const defined = existing ?? (await api.createPipeline({ name: pipelineName, folder: "\\", configuration: { type: 1, path: relative(folder, path), repository: { id: repository, type: 1 } } as never }, t.project));
  return { id: defined.id!, name: defined.name! };
}

const recordResult = (r: TimelineRecord): string => {
  const result = String(r.result ?? "");
  return ({ "0": "succeeded", "1": "succeededWithIssues", "2": "failed", "3": "canceled", "4": "skipped", "5": "abandoned" } as Record<string, string>)[result] ?? (result || String(r.state ?? ""));
};

/**
 * Follows a run: stages, jobs and steps as they start and finish, each step's log as it grows (to `out`; with
 * null, only waits). Returns the run's result.
 */
async function follow(builds: IBuildApi, project: string, runId: number, out: NodeJS.WritableStream | null): Promise<string> {
  const printed = new Map<string, number>();
  const announced = new Set<string>();
  const done = new Set<string>();
  for (;;) {
    const build = await builds.getBuild(project, runId);
    const timeline = await builds.getBuildTimeline(project, runId);
    const records = (timeline?.records ?? []).slice().sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
    const children = (parent: string | undefined) => records.filter((r) => (r.parentId ?? undefined) === parent);
    const walk = async (record: TimelineRecord, depth: number) => {
      const pad = "  ".repeat(depth);
      const state = String(record.state ?? "");
      const started = state === "1" || state === "2" || /inProgress|completed/i.test(state);
      const finished = state === "2" || /completed/i.test(state);
      if (record.type !== "Phase" && started && !announced.has(record.id!)) {
        announced.add(record.id!);
        if (record.type !== "Task" || record.log) out?.write(`${pad}${paint("bold", `▶ ${record.type === "Task" ? "" : `${record.type} `}${record.name}`)}${record.type === "Job" && record.workerName ? paint("gray", ` (${record.workerName})`) : ""}\n`);
      }
      // Steps' logs; the agent's own records (initialize, checkout, finalize) show as one line each.
      if (out && record.type === "Task" && record.log?.id && record.task) {
        const from = printed.get(record.id!) ?? 0;
        const lines = await builds.getBuildLogLines(project, runId, record.log.id, from + 1);
        for (const line of lines) if (!/^\d{4}-\d\d-\d\dT[\d:.]+Z ##\[section\](Starting|Finishing):/.test(line)) out.write(`${pad}  ${pretty(line)}\n`);
        printed.set(record.id!, from + lines.length);
      }
      for (const child of children(record.id)) await walk(child, record.type === "Phase" ? depth : depth + 1);
      if (record.type !== "Phase" && finished && !done.has(record.id!) && (record.type !== "Task" || announced.has(record.id!) || record.result !== undefined)) {
        done.add(record.id!);
        out?.write(`${pad}${mark(record)} ${record.name}${paint("gray", seconds(record))}\n`);
      }
    };
    for (const root of children(undefined)) await walk(root, 0);
    const status = String(build.status ?? "");
    if (status === "2" || /completed/i.test(status)) {
      for (const v of build.validationResults ?? []) out?.write(`${paint("red", "##[error]")}${v.message}\n`);
      const result = String(build.result ?? "");
      return result === "2" ? "succeeded" : result === "4" ? "partiallySucceeded" : result === "8" ? "failed" : result === "32" ? "canceled" : result.toLowerCase();
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * `--var` on a pipeline the CLI registered for your own file: the variables are marked settable at queue time on
 * the pipeline first (what its owner does in the pipeline editor), since the project limits queue-time variables.
 */
async function settableAtQueueTime(builds: IBuildApi, project: string, definitionId: number, names: string[]): Promise<void> {
  const definition = await builds.getDefinition(project, definitionId);
  const variables = { ...(definition.variables ?? {}) };
  let changed = false;
  for (const name of names) {
    const key = Object.keys(variables).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key && variables[key]!.allowOverride) continue;
    variables[key ?? name] = { ...(key ? variables[key] : { value: "" }), allowOverride: true };
    changed = true;
  }
  if (changed) await builds.updateDefinition({ ...definition, variables }, project, definitionId);
}

function parsePairs(values: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new UsageError(`--${what} takes NAME=VALUE, not '${v}'`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const targetOptions = (c: Command) =>
  c
    .option("--data <dir>", "data folder of the running svcconn (default ./.svcconn; env SVCCONN_DATA)")
    .option("--org <name>", "organization (default: the one the instance prints)")
    .option("--project <name>", "project (default: the one the instance prints)")
    .option("--pat <token>", "personal access token (default: the instance's demo PAT; env SVCCONN_PAT)")
    .option("--admin-key <key>", "the instance's admin key (default: the data folder's keys.json; env SVCCONN_ADMIN_KEY)");

/** The reasons Azure DevOps gives for refusing a run (`customProperties.ValidationResults`), each on its own line. */
function validationMessages(error: unknown): string[] {
  const body = (error as { result?: { message?: string; customProperties?: { ValidationResults?: Array<{ message: string }> } } }).result;
  const results = body?.customProperties?.ValidationResults?.map((r) => r.message) ?? [];
  return results.length ? results : [body?.message ?? (error as Error).message];
}

export function pipelineCommand(): Command {
  const pipeline = new Command("pipeline").description("Run YAML pipelines on svcconn: service connections, tasks and logs, offline");
  targetOptions(
    pipeline
      .command("run <file-or-name>")
      .description("Run a pipeline: a local YAML file (registered, or reused, as a pipeline of its folder's repository) or a pipeline of the project by name; follows stages, jobs, steps and logs; the exit code is the run's result")
      .option("--var <name=value>", "a queue-time variable (repeatable)", collect)
      .option("--param <name=value>", "a template parameter (repeatable)", collect)
      .option("--pool <pool>", "'hosted' (the Microsoft-hosted pool) or a self-hosted pool's name, for jobs whose YAML names none")
      .option("--name <name>", "pipeline name for a file (default: the file's path)")
      .option("--preview", "print the expanded YAML (finalYaml) instead of running")
      .option("--json", "print the run's outcome as one JSON object instead of following it"),
  ).action(async (target_: string, flags: TargetFlags & { var?: string[]; param?: string[]; pool?: string; name?: string; preview?: boolean; json?: boolean }) => {
    const t = target(flags);
    const { pipelines, builds } = clients(t);
    const api = await pipelines;
    const defined = await pipelineFor(t, api, target_, flags.name);
    const variables = parsePairs(flags.var, "var");
    const templateParameters = parsePairs(flags.param, "param");
    if (Object.keys(variables).length) await settableAtQueueTime(await builds, t.project, defined.id, Object.keys(variables));
    const runVariables = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, { value: v }]));
    let run: { id: number; name: string };
    try {
      if (flags.preview) {
        const preview = await api.preview({ variables: runVariables, templateParameters, previewRun: true }, t.project, defined.id);
        process.stdout.write(preview.finalYaml ?? "");
        return;
      }
      if (flags.pool) {
        // Queueing through the build API chooses the agent pool (queue) for jobs whose YAML names none.
        const queued = await (await builds).queueBuild({ definition: { id: defined.id }, queue: { name: flags.pool === "hosted" ? "Azure Pipelines" : flags.pool } as never, parameters: JSON.stringify(variables), templateParameters }, t.project);
        run = { id: queued.id!, name: queued.buildNumber ?? "" };
      } else {
        const started = await api.runPipeline({ variables: runVariables, templateParameters }, t.project, defined.id);
        run = { id: started.id!, name: started.name ?? "" };
      }
    } catch (error) {
      const messages = validationMessages(error);
      if (flags.json) process.stdout.write(`${JSON.stringify({ pipeline: defined.name, result: "notQueued", validationResults: messages })}\n`);
      else for (const m of messages) process.stderr.write(`${paint("red", "##[error]", process.stderr)}${m}\n`);
      process.exitCode = 1;
      return;
    }
    const url = `${t.devops}/${t.organization}/${t.project}/_build/results?buildId=${run.id}`;
    if (flags.json) {
      const result = await follow(await builds, t.project, run.id, null);
      const timeline = await (await builds).getBuildTimeline(t.project, run.id);
      const build = await (await builds).getBuild(t.project, run.id);
      const records = (timeline?.records ?? []).map((r) => ({ type: r.type, name: r.name, result: recordResult(r), issues: (r.issues ?? []).map((i) => i.message) }));
      process.stdout.write(`${JSON.stringify({ id: run.id, name: run.name, pipeline: defined.name, url, result, validationResults: (build.validationResults ?? []).map((v) => v.message), records })}\n`);
      process.exitCode = result === "succeeded" || result === "partiallySucceeded" ? 0 : 1;
      return;
    }
    process.stdout.write(`${paint("bold", `Run ${run.name} of ${defined.name}`)} ${paint("gray", `(#${run.id}, ${url})`)}\n`);
    const result = await follow(await builds, t.project, run.id, process.stdout);
    process.stdout.write(`${paint("bold", `Result: ${result}`)}\n`);
    process.exitCode = result === "succeeded" || result === "partiallySucceeded" ? 0 : 1;
  });
  targetOptions(pipeline.command("runs").description("List the project's runs, newest first").option("--top <n>", "how many", "20").option("--json", "print them as JSON")).action(
    async (flags: TargetFlags & { top: string; json?: boolean }) => {
      const t = target(flags);
      const builds = await clients(t).builds;
      const list = await builds.getBuilds(t.project, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, Number(flags.top) || 20);
      const rows = list.map((b) => ({ id: b.id, pipeline: b.definition?.name ?? "", buildNumber: b.buildNumber ?? "", status: b.status === 2 ? "completed" : "inProgress", result: RESULT_NAMES[b.result ?? 0] ?? "", queueTime: b.queueTime?.toISOString() ?? null }));
      if (flags.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else for (const r of rows) process.stdout.write(`${String(r.id).padStart(5)}  ${r.pipeline.padEnd(32)} ${r.buildNumber.padEnd(12)} ${r.status.padEnd(11)} ${r.result.padEnd(19)} ${r.queueTime ?? ""}\n`);
    },
  );
  targetOptions(pipeline.command("logs <run>").description("Print a run's log, job by job").option("--json", "print the jobs and their log lines as JSON")).action(async (run: string, flags: TargetFlags & { json?: boolean }) => {
    const t = target(flags);
    const builds = await clients(t).builds;
    const timeline = await builds.getBuildTimeline(t.project, Number(run));
    const jobs = [];
    for (const job of (timeline?.records ?? []).filter((r) => r.type === "Job" && r.log?.id)) jobs.push({ name: job.name ?? "", lines: await builds.getBuildLogLines(t.project, Number(run), job.log!.id!) });
    const errors = ((await builds.getBuild(t.project, Number(run))).validationResults ?? []).map((v) => v.message ?? "");
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ run: Number(run), jobs, validationResults: errors }, null, 2)}\n`);
      return;
    }
    for (const job of jobs) {
      process.stdout.write(`${paint("bold", `Job ${job.name}`)}\n`);
      for (const line of job.lines) process.stdout.write(`${pretty(line)}\n`);
    }
    for (const message of errors) process.stdout.write(`${paint("red", "##[error]")}${message}\n`);
  });
  return pipeline;
}
