import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baseUrl } from "../server/wire.js";
import { endpointTypes, endpointView, identityRef } from "./endpoint-views.js";
import { readActionFilter, type StoredEndpoint } from "./endpoints.js";
import { devopsErrors } from "./errors.js";
import type { DevOpsCaller } from "./identities.js";
import { locations } from "./discovery.js";
import { ROLE_DEFINITIONS } from "./security.js";
import type { DevOpsService } from "./service.js";
import type { Organization, Project, ServiceEndpoint } from "./model.js";
import type { ResourcePermissions } from "./pipeline-permissions.js";

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string> }>;

const VERSION = /^(\d+)\.(\d+)(?:-preview(?:\.\d+)?)?$/i;

/** The api-version from the Accept header (what the SDKs send) or the query string. */
function apiVersion(request: Req): string | undefined {
  const accept = String(request.headers.accept ?? "");
  const fromAccept = /api-version=([^;,\s]+)/i.exec(accept)?.[1];
  return fromAccept ?? request.query["api-version"];
}

function requireVersion(request: Req): string {
  const version = apiVersion(request);
  if (!version) throw devopsErrors.versionMissing(request.method);
  const match = VERSION.exec(version);
  if (!match) throw devopsErrors.invalidVersion(version);
  if (Number(match[1]) > 7 || (Number(match[1]) === 7 && Number(match[2]) > 2)) throw devopsErrors.versionOutOfRange(version);
  return version;
}

const list = <T>(value: T[]) => ({ count: value.length, value });
const csv = (value: string | undefined) => (value ? value.split(",").map((s) => decodeURIComponent(s).trim()).filter(Boolean) : undefined);
const flag = (value: string | undefined) => value !== undefined && value.toLowerCase() === "true";

/**
 * Azure DevOps' REST surface for organizations, projects, security roles, service connections, pipeline
 * permissions and job OIDC tokens. Routes translate the wire form; the DevOps service decides.
 */
export function devopsRoutes(app: FastifyInstance, devops: DevOpsService): void {
  /** Resolves the organization and the caller, checks the api-version, and renders JSON with its version. */
  const route = (versioned: boolean, handler: (request: Req, reply: FastifyReply, caller: DevOpsCaller) => Promise<unknown>) => async (request: Req, reply: FastifyReply) => {
    const org = await devops.identities.organization(request.params.org!);
    const caller = await devops.identities.authenticate(org, request.headers.authorization);
    const version = versioned ? requireVersion(request) : apiVersion(request);
    const result = await handler(request, reply, caller);
    if (reply.sent) return reply;
    if (result === undefined) return reply.status(204).send();
    void reply.header("content-type", `application/json; charset=utf-8${version ? `; api-version=${version}` : ""}`);
    return result;
  };

  const view = async (request: Req, caller: DevOpsCaller, stored: StoredEndpoint | ServiceEndpoint, listMode: boolean, inProject?: Project) => {
    const endpoint = "endpoint" in stored ? stored.endpoint : stored;
    const secretKeys = "endpoint" in stored ? devops.endpoints.secretKeys(stored) : [];
    return endpointView(endpoint, {
      organization: caller.organization,
      projects: await devops.projectsOf(caller.organization, endpoint),
      identities: await devops.endpoints.identitiesOf([endpoint]),
      base: `${baseUrl(request)}/${caller.organization.name}`,
      secretKeys,
      list: listMode,
      inProject,
    });
  };

  // ---- discovery and core --------------------------------------------------------------------------------------
  for (const path of ["/:org/_apis", "/:org/_apis/:area"]) {
    app.route({ method: "OPTIONS", url: path, handler: route(false, async (request) => locations(request.params.area)) });
  }
  // The on-premises form: every area lives at the organization URL (clients then ask for nothing else).
  app.get("/:org/_apis/ResourceAreas", route(false, async () => ({ count: 0, value: null })));
  app.get("/:org/_apis/ResourceAreas/:areaId", route(false, async () => undefined));
  app.get(
    "/:org/_apis/connectionData",
    route(false, async (_request, _reply, caller) => {
      const identity = { id: caller.identity.id, descriptor: `aad.${Buffer.from(caller.identity.id).toString("base64url")}`, subjectDescriptor: `aad.${Buffer.from(caller.identity.id).toString("base64url")}`, providerDisplayName: caller.identity.displayName, isActive: true, properties: { Account: { $type: "System.String", $value: caller.identity.uniqueName } } };
      return {
        authenticatedUser: identity,
        authorizedUser: identity,
        instanceId: caller.organization.id,
        deploymentId: caller.organization.id,
        deploymentType: "hosted",
        locationServiceData: { serviceOwner: "00025394-6065-48ca-87d9-7f5672854ef7", defaultAccessMappingMoniker: "PublicAccessMapping", lastChangeId: 1, lastChangeId64: 1, accessMappings: [], serviceDefinitions: [] },
      };
    }),
  );
  const projectView = (request: Req, org: Organization, p: Project) => ({
    id: p.id,
    name: p.name,
    description: p.description ?? undefined,
    url: `${baseUrl(request)}/${org.name}/_apis/projects/${p.id}`,
    state: "wellFormed",
    revision: 1,
    visibility: "private",
    lastUpdateTime: p.createdAt,
  });
  app.get(
    "/:org/_apis/projects",
    route(true, async (request, _reply, caller) => {
      const all = (await devops.projects(caller)).map((p) => projectView(request, caller.organization, p));
      const skip = Number(request.query.$skip ?? 0) || 0;
      const top = Number(request.query.$top ?? 100) || 100;
      return list(all.slice(skip, skip + top));
    }),
  );
  app.get("/:org/_apis/projects/:project", route(true, async (request, _reply, caller) => projectView(request, caller.organization, await devops.project(caller, request.params.project!))));
  app.patch(
    "/:org/_apis/projects/:project",
    route(true, async (request, reply, caller) => {
      const project = await devops.renameProject(caller, request.params.project!, request.body);
      void reply.status(202);
      return { id: project.id, status: "succeeded", url: `${baseUrl(request)}/${caller.organization.name}/_apis/operations/${project.id}` };
    }),
  );
  app.post("/:org/_apis/customerintelligence/Events", route(false, async () => undefined));

  // ---- service endpoints --------------------------------------------------------------------------------------
  app.get(
    "/:org/:project/_apis/serviceendpoint/endpoints",
    route(true, async (request, _reply, caller) => {
      const q = request.query;
      const project = await devops.project(caller, request.params.project!);
      const found = await devops.endpoints.list(
        caller,
        project.id,
        {
          type: q.type,
          authSchemes: csv(q.authSchemes),
          endpointIds: csv(q.endpointIds),
          endpointNames: csv(q.endpointNames),
          owner: q.owner,
          includeFailed: flag(q.includeFailed),
          actionFilter: readActionFilter(q.actionFilter),
        },
      );
      return list(await Promise.all(found.map((e) => view(request, caller, e, true, project))));
    }),
  );
  const getOne = route(true, async (request, _reply, caller) => {
    const project = request.params.project ? await devops.project(caller, request.params.project) : undefined;
    await devops.endpoints.get(caller, request.params.endpointId!, project?.id, readActionFilter(request.query.actionFilter));
    const stored = (await devops.endpoints.load(request.params.endpointId!))!;
    return view(request, caller, stored, false, project);
  });
  app.get("/:org/:project/_apis/serviceendpoint/endpoints/:endpointId", getOne);
  app.get("/:org/_apis/serviceendpoint/endpoints/:endpointId", getOne);
  const create = route(true, async (request, _reply, caller) => {
    return view(request, caller, await devops.endpoints.create(caller, request.body, request.params.project), false);
  });
  app.post("/:org/_apis/serviceendpoint/endpoints", create);
  app.post("/:org/:project/_apis/serviceendpoint/endpoints", create);
  const update = route(true, async (request, _reply, caller) => {
    await devops.endpoints.update(caller, request.params.endpointId!, request.body, request.query.operation);
    return view(request, caller, (await devops.endpoints.load(request.params.endpointId!))!, false);
  });
  app.put("/:org/_apis/serviceendpoint/endpoints/:endpointId", update);
  app.put("/:org/:project/_apis/serviceendpoint/endpoints/:endpointId", update);
  app.put(
    "/:org/_apis/serviceendpoint/endpoints",
    route(true, async (request, _reply, caller) => {
      const updated = await devops.endpoints.updateMany(caller, request.body);
      return list(await Promise.all(updated.map(async (e) => view(request, caller, (await devops.endpoints.load(e.id))!, false))));
    }),
  );
  app.patch(
    "/:org/_apis/serviceendpoint/endpoints/:endpointId",
    route(true, async (request, _reply, caller) => {
      await devops.endpoints.share(caller, request.params.endpointId!, request.body);
      return undefined;
    }),
  );
  // The older sharing API: which projects share a connection, and share it from one project with another.
  app.get(
    "/:org/_apis/serviceendpoint/endpointproject/:endpointId",
    route(true, async (request, _reply, caller) => {
      const from = await devops.project(caller, request.query.project ?? "");
      const { endpoint } = await devops.endpoints.require(caller, request.params.endpointId!, "Reader", from.id);
      return list((await devops.projectsOf(caller.organization, endpoint)).map((p) => ({ id: p.id, name: p.name })));
    }),
  );
  app.post(
    "/:org/_apis/serviceendpoint/endpointproject/:endpointId",
    route(true, async (request, _reply, caller) => {
      const from = await devops.project(caller, request.query.fromProject ?? "");
      await devops.endpoints.require(caller, request.params.endpointId!, "Administrator", from.id);
      await devops.endpoints.share(caller, request.params.endpointId!, [{ projectReference: { name: request.query.withProject ?? "" } }]);
      return undefined;
    }),
  );
  const remove = route(true, async (request, reply, caller) => {
    const projectIds = csv(request.query.projectIds) ?? (request.params.project ? [request.params.project] : undefined);
    if (!projectIds?.length) throw devopsErrors.argument("The query parameter 'projectIds' is required.");
    const result = await devops.endpoints.delete(caller, request.params.endpointId!, projectIds, flag(request.query.deep));
    if (!result.cleanupMessage) return undefined;
    // The connection is gone from the project; what was left in Azure is said, not thrown.
    void reply.status(200);
    return { id: request.params.endpointId, deleted: true, operationStatus: { state: "Failed", statusMessage: result.cleanupMessage } };
  });
  app.delete("/:org/_apis/serviceendpoint/endpoints/:endpointId", remove);
  app.delete("/:org/:project/_apis/serviceendpoint/endpoints/:endpointId", remove);
  app.get(
    "/:org/_apis/serviceendpoint/types",
    route(true, async (request, _reply, caller) => {
      let types: Array<{ name: string; authenticationSchemes: Array<{ scheme: string }> }> = endpointTypes(caller.organization.serverMode);
      if (request.query.type) types = types.filter((t) => t.name.toLowerCase() === request.query.type!.toLowerCase());
      if (request.query.scheme) {
        types = types
          .map((t) => ({ ...t, authenticationSchemes: t.authenticationSchemes.filter((s) => s.scheme.toLowerCase() === request.query.scheme!.toLowerCase()) }))
          .filter((t) => t.authenticationSchemes.length);
      }
      return list(types);
    }),
  );
  app.get(
    "/:org/:project/_apis/serviceendpoint/:endpointId/executionhistory",
    route(true, async (request, reply, caller) => {
      const top = Math.min(Number(request.query.top ?? 50) || 50, 500);
      const before = request.query.continuationToken ? Number(request.query.continuationToken) : undefined;
      const records = await devops.executionHistory(caller, request.params.project!, request.params.endpointId!, top, before);
      if (records.length === top) void reply.header("x-ms-continuationtoken", String(records[records.length - 1]!.id));
      return list(records.map((r) => ({ endpointId: request.params.endpointId!.toLowerCase(), data: { id: r.id, ...r.data } })));
    }),
  );
  app.post(
    "/:org/:project/_apis/serviceendpoint/endpointproxy",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      const body = (request.body ?? {}) as { dataSourceDetails?: { dataSourceName?: string }; dataSourceName?: string; endpointId?: string };
      const endpointId = request.query.endpointId ?? body.endpointId;
      if (!endpointId) throw devopsErrors.argument("The endpointId is required.");
      const stored = await devops.endpoints.require(caller, endpointId, "User", project.id);
      const source = (body.dataSourceDetails?.dataSourceName ?? body.dataSourceName ?? "").toLowerCase();
      const owning = (await devops.projectsOf(caller.organization, stored.endpoint))[0] ?? project;
      const result =
        source === "testconnection"
          ? await devops.proxy.testConnection(caller.organization, owning, stored)
          : source === "azuresubscriptions"
            ? await devops.proxy.connectionSubscriptions(caller.organization, owning, stored)
            : { result: null, statusCode: "badRequest", errorMessage: `The data source '${source}' is not supported by svcconn.` };
      // The query form (no endpointId in the query) answers the bare result list.
      return request.query.endpointId ? { ...result, callbackContextParameters: null, callbackRequired: false } : (result.result ?? []);
    }),
  );
  app.get("/:org/_apis/serviceendpoint/endpointproxy/azurermsubscriptions", route(true, async (_request, _reply, caller) => devops.proxy.pickerSubscriptions(caller)));
  app.get("/:org/_apis/serviceendpoint/endpointproxy/azurermmanagementgroups", route(true, async (_request, _reply, caller) => devops.proxy.pickerManagementGroups(caller)));

  // ---- pipeline permissions -----------------------------------------------------------------------------------
  const permissionsView = async (request: Req, caller: DevOpsCaller, p: ResourcePermissions) => {
    const base = `${baseUrl(request)}/${caller.organization.name}`;
    const who = async (id: string) => identityRef(await devops.identity(id), base);
    return {
      resource: { type: p.resourceType, id: p.resourceId },
      pipelines: await Promise.all(p.pipelines.map(async (x) => ({ id: x.pipelineId, authorized: x.authorized, authorizedBy: await who(x.authorizedBy), authorizedOn: x.authorizedOn }))),
      allPipelines: p.allPipelines ? { authorized: true, authorizedBy: await who(p.allPipelines.authorizedBy), authorizedOn: p.allPipelines.authorizedOn } : null,
    };
  };
  app.get(
    "/:org/:project/_apis/pipelines/pipelinePermissions/:resourceType/:resourceId",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return permissionsView(request, caller, await devops.permissions.get(caller, project, request.params.resourceType!, request.params.resourceId!));
    }),
  );
  app.patch(
    "/:org/:project/_apis/pipelines/pipelinePermissions/:resourceType/:resourceId",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      return permissionsView(request, caller, await devops.permissions.update(caller, project, request.params.resourceType!, request.params.resourceId!, request.body));
    }),
  );
  app.patch(
    "/:org/:project/_apis/pipelines/pipelinePermissions",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      if (!Array.isArray(request.body)) throw devopsErrors.argument("The request body must be an array of ResourcePipelinePermissions.");
      const out = [];
      for (const item of request.body) {
        const resource = (item as { resource?: { type?: unknown; id?: unknown } })?.resource;
        if (typeof resource?.type !== "string" || typeof resource.id !== "string") throw devopsErrors.argument("Each item needs resource.type and resource.id.");
        out.push(await permissionsView(request, caller, await devops.permissions.update(caller, project, resource.type, resource.id, item)));
      }
      return list(out);
    }),
  );
  // The older build API the az devops extension uses for --enable-for-all.
  app.patch(
    "/:org/:project/_apis/build/authorizedresources",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      if (!Array.isArray(request.body)) throw devopsErrors.argument("The request body must be an array of DefinitionResourceReference.");
      const out = [];
      for (const item of request.body as Array<{ authorized?: unknown; id?: unknown; name?: unknown; type?: unknown }>) {
        if (typeof item?.id !== "string" || typeof item.type !== "string" || typeof item.authorized !== "boolean") throw devopsErrors.argument("Each resource needs id, type and authorized.");
        await devops.permissions.update(caller, project, item.type, item.id, { allPipelines: { authorized: item.authorized } });
        out.push({ authorized: item.authorized, id: item.id, name: item.name ?? null, type: item.type });
      }
      return list(out);
    }),
  );
  app.get(
    "/:org/:project/_apis/build/authorizedresources",
    route(true, async (request, _reply, caller) => {
      const project = await devops.project(caller, request.params.project!);
      const type = request.query.type ?? "endpoint";
      if (!request.query.id) return list([]);
      const p = await devops.permissions.get(caller, project, type, request.query.id);
      return list(p.allPipelines ? [{ authorized: true, id: p.resourceId, name: null, type }] : []);
    }),
  );

  // ---- security roles -----------------------------------------------------------------------------------------
  const assignmentsPath = "/:org/_apis/securityroles/scopes/:scope/roleassignments/resources/:resourceId";
  const assignmentsView = async (request: Req, caller: DevOpsCaller) =>
    list(
      (await devops.roleAssignments(caller, request.params.scope!, request.params.resourceId!)).map((a) => ({
        identity: { displayName: a.identity.displayName, id: a.identity.id, uniqueName: a.identity.uniqueName },
        role: { displayName: a.role, name: a.role, allowPermissions: ROLE_DEFINITIONS[a.role].allowPermissions, denyPermissions: 0, identifier: `${request.params.scope}.${a.role}`, description: ROLE_DEFINITIONS[a.role].description, scope: request.params.scope },
        access: a.access,
        accessDisplayName: a.access === "assigned" ? "Assigned" : "Inherited",
      })),
    );
  app.get(assignmentsPath, route(true, async (request, _reply, caller) => assignmentsView(request, caller)));
  app.put(
    assignmentsPath,
    route(true, async (request, _reply, caller) => {
      await devops.setRoles(caller, request.params.scope!, request.params.resourceId!, request.body);
      return assignmentsView(request, caller);
    }),
  );
  app.patch(
    assignmentsPath,
    route(true, async (request, _reply, caller) => {
      if (request.query.inheritPermissions !== undefined) {
        await devops.setInheritance(caller, request.params.scope!, request.params.resourceId!, flag(request.query.inheritPermissions));
        return undefined;
      }
      if (!Array.isArray(request.body) || request.body.some((x) => typeof x !== "string")) throw devopsErrors.argument("The request body must be an array of identity ids.");
      await devops.removeRoles(caller, request.params.scope!, request.params.resourceId!, request.body as string[]);
      return undefined;
    }),
  );
  app.put(
    `${assignmentsPath}/:identityId`,
    route(true, async (request, _reply, caller) => {
      await devops.setRoles(caller, request.params.scope!, request.params.resourceId!, [{ roleName: (request.body as { roleName?: unknown })?.roleName, userId: request.params.identityId }]);
      return (await assignmentsView(request, caller)).value.find((a) => a.identity.id === request.params.identityId!.toLowerCase());
    }),
  );
  app.delete(
    `${assignmentsPath}/:identityId`,
    route(true, async (request, _reply, caller) => {
      await devops.removeRoles(caller, request.params.scope!, request.params.resourceId!, [request.params.identityId!]);
      return undefined;
    }),
  );
  app.get(
    "/:org/_apis/securityroles/scopes/:scope/roledefinitions",
    route(true, async (request) =>
      list(
        Object.entries(ROLE_DEFINITIONS)
          .filter(([name]) => name !== "Creator" || request.params.scope === "distributedtask.project.serviceendpointrole")
          .map(([name, d]) => ({ displayName: name, name, allowPermissions: d.allowPermissions, denyPermissions: 0, identifier: `${request.params.scope}.${name}`, description: d.description, scope: request.params.scope })),
      ),
    ),
  );

  // ---- workload identity federation ---------------------------------------------------------------------------
  app.post(
    "/:org/:project/_apis/distributedtask/hubs/:hub/plans/:planId/jobs/:jobId/oidctoken",
    route(true, async (request, _reply, caller) => ({ oidcToken: await devops.oidcToken(caller, request.params.project!, request.query.serviceConnectionId) })),
  );
  // The legacy Azure DevOps issuer (vstoken): discovery and keys, by organization id, without authentication.
  app.get<{ Params: { orgId: string } }>("/:orgId/.well-known/openid-configuration", async (request) => {
    const org = await devops.identities.organization(request.params.orgId);
    return devops.federation.discovery(org, baseUrl(request));
  });
  app.get<{ Params: { orgId: string } }>("/:orgId/.well-known/jwks", async (request) => devops.federation.jwks(await devops.identities.organization(request.params.orgId)));
}
