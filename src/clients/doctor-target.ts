import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { TokenCredential } from "@azure/identity";
import { Client, type GraphError } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import * as azdev from "azure-devops-node-api";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent as UndiciAgent } from "undici";
import type { IBuildApi } from "azure-devops-node-api/BuildApi.js";
import type { IRequestOptions } from "azure-devops-node-api/interfaces/common/VsoBaseInterfaces.js";
import { ServiceEndpointExecutionResult } from "azure-devops-node-api/interfaces/ServiceEndpointInterfaces.js";
import {
  type ApplicationInfo,
  type ConnectionInfo,
  type ExecutionInfo,
  type FederatedCredentialInfo,
  type PermissionsInfo,
  type ProjectInfo,
  type Readable,
  type RoleAssignmentInfo,
  type RoleDefinitionInfo,
  type RunPoolInfo,
  type RunTaskInfo,
  type ScanTarget,
  type ServicePrincipalInfo,
  Unreadable,
} from "../doctor/scan/target.js";
import type { FixTarget, PipelinePermissionsChange } from "../doctor/fix/target.js";
import { runFailureOf } from "./run-failure.js";

export interface SdkDoctorTargetOptions {
  /** The organization's URL: `https://dev.azure.com/{org}`, or svcconn's devops listener and the organization. */
  organizationUrl: string;
  /** A PAT that may read the projects' service connections (a project administrator's)… */
  pat?: string;
  /** …or an Entra access token for Azure DevOps (a signed-in person's). */
  devopsToken?: string;
  /** Who reads the directory and Azure (a directory reader, Reader on the scopes): az login, a service principal… */
  credential: TokenCredential;
  graphUrl?: string;
  armUrl?: string;
  /**
   * A CA to trust besides the system's (svcconn's local CA) for every call: the server's own scan trusts its CA in
   * process, whatever NODE_EXTRA_CA_CERTS says.
   */
  caFile?: string;
}

const BUILTIN_ROLES: Record<string, string> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

const status = (error: unknown): number | undefined => {
  const e = error as { statusCode?: number; status?: number };
  return e?.statusCode ?? e?.status;
};

/** A failed read as the scan reports it: the status and the service's own message. */
function unreadable(what: string, error: unknown): Unreadable {
  const code = status(error);
  const message = (error as Error)?.message ?? String(error);
  const why = code === 401 || code === 403 ? `no rights to read ${what} (${code})` : `could not read ${what}: ${message}`;
  return new Unreadable(why, code);
}

/** An enum member's name as the REST API writes it (`SucceededWithIssues` → `succeededWithIssues`). */
const restName = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const escapeOData = (value: string) => value.replace(/'/g, "''");
const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * The doctor's reads and writes through the official SDKs: azure-devops-node-api for projects, connections, their
 * usage and permissions, the Microsoft Graph client for applications and service principals, @azure/arm-authorization
 * for role assignments. The same calls reach svcconn or the real services; only the URLs and credentials differ.
 */
export function sdkDoctorTarget(options: SdkDoctorTargetOptions): ScanTarget & FixTarget {
  const requestOptions: IRequestOptions = options.caFile ? { cert: { caFile: options.caFile }, allowRetries: true, maxRetries: 3 } : { allowRetries: true, maxRetries: 3 };
  const handler = options.devopsToken ? azdev.getBearerHandler(options.devopsToken) : azdev.getPersonalAccessTokenHandler(options.pat ?? "");
  const web = new azdev.WebApi(options.organizationUrl, handler, requestOptions);
  // A connection's last run is read for its errors and for its tasks: its timeline is fetched once.
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
  const organization = decodeURIComponent(new URL(options.organizationUrl).pathname.split("/").filter(Boolean).pop() ?? "");
  const graphUrl = (options.graphUrl ?? "https://graph.microsoft.com").replace(/\/$/, "");
  const trusted = options.caFile ? [...rootCertificates, readFileSync(options.caFile, "utf8")] : undefined;
  const graph = Client.initWithMiddleware({
    // Tokens name the resource, not the host that serves it (svcconn's listener, a proxy): Graph's own identifier.
    authProvider: new TokenCredentialAuthenticationProvider(options.credential, { scopes: ["https://graph.microsoft.com/.default"] }),
    baseUrl: `${graphUrl}/`,
    customHosts: new Set([new URL(graphUrl).hostname]),
    // The Graph client calls fetch, whose TLS settings are its dispatcher's.
    fetchOptions: trusted ? ({ dispatcher: new UndiciAgent({ connect: { ca: trusted } }) } as RequestInit) : undefined,
  });
  const armUrl = options.armUrl ?? "https://management.azure.com";
  // Role assignments are read by scope; the client's subscription id is not used for them.
  const authorization = new AuthorizationManagementClient(options.credential, "00000000-0000-0000-0000-000000000000", { endpoint: armUrl, credentialScopes: ["https://management.azure.com/.default"], tlsOptions: trusted ? { ca: trusted } : undefined });
  // Made on first use: the client looks its area up over the network, and a failure must reach the caller.
  let serviceEndpointApi: ReturnType<typeof web.getServiceEndpointApi> | undefined;
  const endpoints = () => (serviceEndpointApi ??= web.getServiceEndpointApi());

  const graphRead = async <T>(what: string, read: () => Promise<T>): Promise<Readable<T>> => {
    try {
      return await read();
    } catch (error) {
      return unreadable(what, error as GraphError);
    }
  };
  const toApplication = (a: Record<string, any>): ApplicationInfo => ({
    objectId: a.id,
    appId: a.appId,
    displayName: a.displayName,
    signInAudience: a.signInAudience ?? null,
    passwordCredentials: (a.passwordCredentials ?? []).map((p: Record<string, string | null>) => ({ displayName: p.displayName ?? null, endDateTime: p.endDateTime ?? null })),
    keyCredentials: (a.keyCredentials ?? []).map((k: Record<string, string | null>) => ({ displayName: k.displayName ?? null, endDateTime: k.endDateTime ?? null })),
  });
  const APP_FIELDS = "id,appId,displayName,signInAudience,passwordCredentials,keyCredentials";
  /** Role assignments at a scope as ARM lists them (`filter` narrows; none: at, above and below, every principal). */
  const listAssignments = async (scope: string, filter?: string): Promise<Readable<RoleAssignmentInfo[]>> => {
    try {
      const out: RoleAssignmentInfo[] = [];
      for await (const a of authorization.roleAssignments.listForScope(scope, filter ? { filter } : {})) {
        const role = (a.roleDefinitionId ?? "").split("/").pop()!.toLowerCase();
        out.push({ id: a.id ?? "", principalId: a.principalId ?? "", scope: a.scope ?? "", roleDefinitionId: a.roleDefinitionId ?? "", roleName: BUILTIN_ROLES[role] ?? null });
      }
      return out;
    } catch (error) {
      return unreadable(`the role assignments at ${scope}`, error);
    }
  };
  const permissionsUrl = (project: string, connectionId: string) =>
    `${options.organizationUrl.replace(/\/$/, "")}/${encodeURIComponent(project)}/_apis/pipelines/pipelinePermissions/endpoint/${connectionId}?api-version=7.1-preview.1`;

  return {
    organization,

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

    // Graph takes at most 15 values in an `in` filter: a batch per 15 client ids.
    applications: (appIds) =>
      graphRead("the applications", async () => {
        const out: ApplicationInfo[] = [];
        for (const chunk of chunks(appIds, 15)) {
          const found = await graph.api("/applications").filter(`appId in (${chunk.map((id) => `'${escapeOData(id)}'`).join(",")})`).select(APP_FIELDS).get();
          out.push(...(found.value ?? []).map(toApplication));
        }
        return out;
      }),

    servicePrincipals: (appIds) =>
      graphRead("the service principals", async (): Promise<ServicePrincipalInfo[]> => {
        const out: ServicePrincipalInfo[] = [];
        for (const chunk of chunks(appIds, 15)) {
          const found = await graph.api("/servicePrincipals").filter(`appId in (${chunk.map((id) => `'${escapeOData(id)}'`).join(",")})`).select("id,appId,accountEnabled").get();
          out.push(...(found.value ?? []).map((sp: Record<string, any>) => ({ objectId: sp.id, appId: sp.appId, accountEnabled: sp.accountEnabled !== false })));
        }
        return out;
      }),

    federatedCredentials: (applicationObjectId) =>
      graphRead("the federated credentials", async (): Promise<FederatedCredentialInfo[]> => {
        const found = await graph.api(`/applications/${applicationObjectId}/federatedIdentityCredentials`).get();
        return (found.value ?? []).map((f: Record<string, any>) => ({ name: f.name, issuer: f.issuer, subject: f.subject, audiences: f.audiences ?? [] }));
      }),

    directoryTenant: () =>
      graphRead("the organization", async () => {
        const found = await graph.api("/organization").select("id").get();
        return String(found.value?.[0]?.id ?? "").toLowerCase();
      }),

    applicationsNamed: (prefix) =>
      graphRead("the applications", async () => {
        const out: ApplicationInfo[] = [];
        let page = await graph.api("/applications").filter(`startswith(displayName,'${escapeOData(prefix)}')`).select(APP_FIELDS).top(100).get();
        for (;;) {
          out.push(...(page.value ?? []).map(toApplication));
          const next = page["@odata.nextLink"] as string | undefined;
          if (!next) break;
          page = await graph.api(next).get();
        }
        return out;
      }),

    async roleDefinitions(ids): Promise<Readable<RoleDefinitionInfo[]>> {
      try {
        const out: RoleDefinitionInfo[] = [];
        for (const id of ids) {
          const role = await authorization.roleDefinitions.getById(id);
          out.push({ id, roleName: role.roleName ?? "", permissions: (role.permissions ?? []).map((p) => ({ actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] })) });
        }
        return out;
      } catch (error) {
        return unreadable("the role definitions", error);
      }
    },

    roleAssignments: (principalObjectId, scope) => listAssignments(scope, `atScope() and assignedTo('${principalObjectId}')`),
    assignmentsAt: (scope) => listAssignments(scope),

    // ---- writes (doctor fix) ----------------------------------------------------------------------------

    async rotateSecret(project, connectionId) {
      const api = await endpoints();
      const endpoint = await api.getServiceEndpointDetails(project, connectionId);
      await api.updateServiceEndpoint(endpoint, connectionId, "RotateSecret");
    },

    async addPassword(applicationObjectId, displayName, endDateTime) {
      const password = await graph.api(`/applications/${applicationObjectId}/addPassword`).post({ passwordCredential: { displayName, endDateTime } });
      return { secret: password.secretText as string, keyId: password.keyId as string };
    },

    async removePassword(applicationObjectId, keyId) {
      await graph.api(`/applications/${applicationObjectId}/removePassword`).post({ keyId });
    },

    async convertScheme(project, connectionId, scheme) {
      const api = await endpoints();
      const endpoint = await api.getServiceEndpointDetails(project, connectionId);
      endpoint.authorization = { scheme, parameters: Object.fromEntries(Object.entries(endpoint.authorization?.parameters ?? {}).filter(([k]) => k === "tenantid" || k === "serviceprincipalid" || k === "scope")) };
      const converted = await api.updateServiceEndpoint(endpoint, connectionId, "ConvertAuthenticationScheme");
      const parameters = (converted?.authorization?.parameters ?? {}) as Record<string, string>;
      return { issuer: parameters.workloadIdentityFederationIssuer ?? null, subject: parameters.workloadIdentityFederationSubject ?? null };
    },

    async addFederatedCredential(applicationObjectId, credential) {
      const created = await graph.api(`/applications/${applicationObjectId}/federatedIdentityCredentials`).post(credential);
      return created.id as string;
    },

    async removeFederatedCredential(applicationObjectId, credentialId) {
      await graph.api(`/applications/${applicationObjectId}/federatedIdentityCredentials/${credentialId}`).delete();
    },

    async setConnectionSecret(project, connectionId, secret) {
      const api = await endpoints();
      const endpoint = await api.getServiceEndpointDetails(project, connectionId);
      endpoint.authorization = { ...endpoint.authorization, parameters: { ...endpoint.authorization?.parameters, serviceprincipalkey: secret } };
      await api.updateServiceEndpoint(endpoint, connectionId);
    },

    async assignRole(principalObjectId, scope, roleDefinitionGuid) {
      const subscription = /^\/subscriptions\/[^/]+/i.exec(scope)?.[0] ?? "";
      const created = await authorization.roleAssignments.create(scope, crypto.randomUUID(), {
        roleDefinitionId: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`,
        principalId: principalObjectId,
        principalType: "ServicePrincipal",
      });
      return created.id ?? "";
    },

    async removeRoleAssignment(roleAssignmentId) {
      await authorization.roleAssignments.deleteById(roleAssignmentId);
    },

    async setPipelinePermissions(project, connectionId, change: PipelinePermissionsChange) {
      const body = { ...(change.allPipelines !== undefined ? { allPipelines: { authorized: change.allPipelines } } : {}), ...(change.pipelines ? { pipelines: change.pipelines } : {}) };
      await web.rest.update(permissionsUrl(project, connectionId), body);
    },

    async enableServicePrincipal(servicePrincipalObjectId) {
      await graph.api(`/servicePrincipals/${servicePrincipalObjectId}`).patch({ accountEnabled: true });
    },

    async deleteApplication(applicationObjectId) {
      await graph.api(`/applications/${applicationObjectId}`).delete();
    },
  };
}
