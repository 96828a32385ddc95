import type * as azdev from "azure-devops-node-api";
import type { IBuildApi } from "azure-devops-node-api/BuildApi.js";
import { ServiceEndpointExecutionResult } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import type { FixTarget, PipelinePermissionsChange } from "../../doctor/fix/target.js";
import type { ConnectionInfo, ExecutionInfo, PermissionsInfo, ProjectInfo, Readable, RunPoolInfo, RunTaskInfo, ScanTarget } from "../../doctor/scan/target.js";
import { runFailureOf } from "../run-failure.js";
import { unreadable } from "./shared.js";

/** An enum member's name as the REST API writes it (`SucceededWithIssues` → `succeededWithIssues`). */
const restName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

type DevOpsPart = Pick<ScanTarget, "projects" | "connections" | "executions" | "permissions"> &
  Pick<FixTarget, "rotateSecret" | "convertScheme" | "setConnectionSecret" | "setPipelinePermissions">;

/** Azure DevOps through azure-devops-node-api: projects, connections, their usage and permissions, and their changes. */
export function devopsPart(web: azdev.WebApi, organizationUrl: string): DevOpsPart {
  // Made on first use: the client looks its area up over the network, and a failure must reach the caller.
  let serviceEndpointApi: ReturnType<typeof web.getServiceEndpointApi> | undefined;
  const endpoints = () => (serviceEndpointApi ??= web.getServiceEndpointApi());
  const permissionsUrl = (project: string, connectionId: string) =>
    `${organizationUrl.replace(/\/$/, "")}/${encodeURIComponent(project)}/_apis/pipelines/pipelinePermissions/endpoint/${connectionId}?api-version=7.1-preview.1`;
  return {
    async projects(): Promise<ProjectInfo[]> {
      const core = await web.getCoreApi();
      const projects: ProjectInfo[] = [];
      let continuationToken: number | undefined;
      do {
        const page = await core.getProjects(undefined, 100, undefined, continuationToken);
        projects.push(...page.map((p) => ({ id: p.id!, name: p.name! })));
        continuationToken = (page as { continuationToken?: number }).continuationToken;
      } while (continuationToken);
      return projects;
    },

    async connections(project): Promise<ConnectionInfo[]> {
      const api = await endpoints();
      const list = await api.getServiceEndpoints(project.name, undefined, undefined, undefined, undefined, true, true);
      return (list ?? []).map((e) => {
        const parameters = (e.authorization?.parameters ?? {}) as Record<string, string>;
        const data = (e.data ?? {}) as Record<string, string>;
        return {
          id: e.id!,
          name: e.name!,
          type: e.type ?? "",
          scheme: e.authorization?.scheme ?? "",
          isReady: e.isReady !== false,
          isShared: e.isShared === true,
          operationState: (e.operationStatus as { state?: string } | undefined)?.state ?? null,
          operationMessage: (e.operationStatus as { statusMessage?: string } | undefined)?.statusMessage ?? null,
          creationMode: data.creationMode ?? null,
          scopeLevel: data.scopeLevel ?? null,
          subscriptionId: data.subscriptionId ?? null,
          managementGroupId: data.managementGroupId ?? null,
          scope: parameters.scope ?? null,
          tenantId: parameters.tenantid ?? null,
          appId: parameters.serviceprincipalid ?? null,
          issuer: parameters.workloadIdentityFederationIssuer ?? null,
          subject: parameters.workloadIdentityFederationSubject ?? null,
          projects: (e.serviceEndpointProjectReferences ?? []).map((r) => ({ id: r.projectReference?.id ?? "", name: r.projectReference?.name ?? "" })),
          createdOn: (e as { creationDate?: string | Date }).creationDate ? new Date((e as { creationDate: string | Date }).creationDate).toISOString() : null,
        };
      });
    },

    async executions(project, connectionId): Promise<Readable<ExecutionInfo[]>> {
      try {
        const api = await endpoints();
        const records = await api.getServiceEndpointExecutionRecords(project.name, connectionId, 50);
        return (records ?? []).map((r) => ({
          finishTime: r.data?.finishTime ? new Date(r.data.finishTime).toISOString() : null,
          // The client turns the result into its enum's number: back to the name the REST API sends.
          result: r.data?.result !== undefined ? restName(ServiceEndpointExecutionResult[r.data.result as number] ?? String(r.data.result)) : null,
          definitionId: r.data?.definition?.id ?? null,
          definitionName: r.data?.definition?.name ?? null,
          runId: r.data?.owner?.id ?? null,
        }));
      } catch (error) {
        return unreadable("the usage history", error);
      }
    },

    async permissions(project, connectionId): Promise<Readable<PermissionsInfo>> {
      // azure-devops-node-api has no client for pipelinePermissions: its REST client reads the route.
      try {
        const response = await web.rest.get<{ allPipelines?: { authorized?: boolean }; pipelines?: Array<{ id: number; authorized: boolean }> }>(permissionsUrl(project.name, connectionId));
        return { allPipelines: response.result?.allPipelines?.authorized === true, pipelines: (response.result?.pipelines ?? []).filter((p) => p.authorized).map((p) => p.id) };
      } catch (error) {
        return unreadable("the pipeline permissions", error);
      }
    },

    async rotateSecret(project, connectionId) {
      const api = await endpoints();
      const endpoint = await api.getServiceEndpointDetails(project, connectionId);
      await api.updateServiceEndpoint(endpoint, connectionId, "RotateSecret");
    },

    async convertScheme(project, connectionId, scheme) {
      const api = await endpoints();
      const endpoint = await api.getServiceEndpointDetails(project, connectionId);
      endpoint.authorization = { scheme, parameters: Object.fromEntries(Object.entries(endpoint.authorization?.parameters ?? {}).filter(([k]) => k === "tenantid" || k === "serviceprincipalid" || k === "scope")) };
      const converted = await api.updateServiceEndpoint(endpoint, connectionId, "ConvertAuthenticationScheme");
      const parameters = (converted?.authorization?.parameters ?? {}) as Record<string, string>;
      return { issuer: parameters.workloadIdentityFederationIssuer ?? null, subject: parameters.workloadIdentityFederationSubject ?? null };
    },

    async setConnectionSecret(project, connectionId, secret) {
      const api = await endpoints();
      const endpoint = await api.getServiceEndpointDetails(project, connectionId);
      endpoint.authorization = { ...endpoint.authorization, parameters: { ...endpoint.authorization?.parameters, serviceprincipalkey: secret } };
      await api.updateServiceEndpoint(endpoint, connectionId);
    },

    async setPipelinePermissions(project, connectionId, change: PipelinePermissionsChange) {
      const body = { ...(change.allPipelines !== undefined ? { allPipelines: { authorized: change.allPipelines } } : {}), ...(change.pipelines ? { pipelines: change.pipelines } : {}) };
      await web.rest.update(permissionsUrl(project, connectionId), body);
    },
  };
}

/** A run's failure, tasks and pools (the connection's last uses), each timeline fetched once. */
export function runsPart(web: azdev.WebApi): Pick<ScanTarget, "runErrors" | "runTasks" | "runPools"> {
  const timelines = new Map<string, ReturnType<IBuildApi["getBuildTimeline"]>>();
  const buildApi = async (): Promise<IBuildApi> => {
    const build = await web.getBuildApi();
    return Object.assign(Object.create(build) as IBuildApi, {
      getBuildTimeline: (project: string, runId: number) => {
        const key = `${project}/${runId}`;
        if (!timelines.has(key)) timelines.set(key, build.getBuildTimeline(project, runId));
        return timelines.get(key)!;
      },
    });
  };
  return {
    async runErrors(project, runId): Promise<Readable<string[]>> {
      try {
        const failure = await runFailureOf(await buildApi(), project.name, runId);
        // A script's own error (az's "ERROR: (AuthorizationFailed) …") is in its log only; the issue says "exit code 1".
        return [...failure.issues, ...failure.failedTasks.flatMap((t) => t.log.slice(-200).filter((line) => /error/i.test(line)))];
      } catch (error) {
        return unreadable(`the timeline of run ${runId}`, error);
      }
    },

    async runTasks(project, runId): Promise<Readable<RunTaskInfo[]>> {
      try {
        const timeline = await (await buildApi()).getBuildTimeline(project.name, runId);
        return (timeline?.records ?? []).flatMap((r) => (r.type === "Task" && r.task?.name && r.task.version ? [{ name: r.task.name, version: r.task.version }] : []));
      } catch (error) {
        return unreadable(`the timeline of run ${runId}`, error);
      }
    },

    async runPools(project, runIds): Promise<Readable<RunPoolInfo[]>> {
      try {
        const build = await web.getBuildApi();
        const builds = await build.getBuilds(project.name, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, runIds.length, undefined, undefined, undefined, undefined, undefined, runIds);
        return builds.map((b) => ({ runId: b.id!, pool: b.queue?.pool?.name ?? b.queue?.name ?? "", hosted: b.queue?.pool?.isHosted === true }));
      } catch (error) {
        return unreadable("the runs that used the connection", error);
      }
    },
  };
}
