import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baseUrl } from "../../http/wire.js";
import type { ArmCaller } from "../authorize.js";
import type { DeploymentEngine } from "../deployments.js";
import { ArmError, armErrors } from "../errors.js";
import { resourceBody, resourceGroupCommand, resourceGroupPatch, roleAssignmentCommand, roleDefinitionCommand } from "../input.js";
import { formatScope, parseScope, type Scope } from "../scopes.js";
import type { ArmService, RoleAssignmentFilter } from "../service.js";
import { locations, views } from "./views.js";

export interface ArmRouteDeps {
  arm: ArmService;
  deployments: DeploymentEngine;
  /** Base URLs of the other listeners, for `/metadata/endpoints`. */
  urls: () => { login: string; graph: string };
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-(preview|beta|alpha|privatepreview))?$/i;
const PAGE_SIZE = 100;

interface ArmRequest {
  method: string;
  segments: string[];
  lower: string[];
  query: Record<string, string>;
  body: Record<string, unknown>;
  base: string;
  path: string;
}

/**
 * Azure Resource Manager's REST surface. ARM paths nest to any depth (scopes, extension resources), so one
 * catch-all route parses the path and dispatches; every branch only translates the wire form to a service call.
 */
export function armRoutes(app: FastifyInstance, deps: ArmRouteDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const rawPath = request.url.split("?")[0]!;
    const segments = rawPath.split("/").filter(Boolean).map(safeDecode);
    const query = Object.fromEntries(Object.entries((request.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
    const body = request.body;
    if (body !== undefined && body !== null && (typeof body !== "object" || Array.isArray(body))) {
      throw armErrors.invalidRequestContent("the request body must be a JSON object");
    }
    const req: ArmRequest = {
      method: request.method,
      segments,
      lower: segments.map((s) => s.toLowerCase()),
      query,
      body: (body ?? {}) as Record<string, unknown>,
      base: baseUrl(request),
      path: `/${segments.join("/")}`,
    };
    if (req.lower[0] === "metadata" && req.lower[1] === "endpoints" && segments.length === 2) return metadataEndpoints(req, reply, deps);

    const caller = await deps.arm.authenticate(request.headers.authorization);
    const apiVersion = query["api-version"];
    if (!apiVersion) throw armErrors.missingApiVersion();
    if (!API_VERSION.test(apiVersion)) throw armErrors.invalidApiVersion(apiVersion);
    return dispatch(req, caller, reply, deps);
  };
  app.route({ method: ["GET", "PUT", "PATCH", "DELETE", "POST", "HEAD"], url: "/*", handler });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function lastIndexOfProvider(lower: string[], namespace: string, type: string): number {
  for (let i = lower.length - 3; i >= 0; i--) {
    if (lower[i] === "providers" && lower[i + 1] === namespace && lower[i + 2] === type) return i;
  }
  return -1;
}

const scopeOf = (segments: string[], end: number) => (end === 0 ? "/" : `/${segments.slice(0, end).join("/")}`);

async function dispatch(req: ArmRequest, caller: ArmCaller, reply: FastifyReply, deps: ArmRouteDeps): Promise<unknown> {
  const { arm } = deps;
  const { segments: p, lower: l, method } = req;

  const assignments = lastIndexOfProvider(l, "microsoft.authorization", "roleassignments");
  if (assignments >= 0) return roleAssignments(req, caller, reply, deps, scopeOf(p, assignments), p.slice(assignments + 3));
  const definitions = lastIndexOfProvider(l, "microsoft.authorization", "roledefinitions");
  if (definitions >= 0) return roleDefinitions(req, caller, reply, deps, scopeOf(p, definitions), p.slice(definitions + 3));
  const deployments = lastIndexOfProvider(l, "microsoft.resources", "deployments");
  if (deployments >= 0) return deploymentRoutes(req, caller, reply, deps, scopeOf(p, deployments), p.slice(deployments + 3));

  if (l[0] === "tenants" && p.length === 1) {
    only(method, "GET");
    const tenant = await arm.tenantOf(caller.tenantId);
    return { value: tenant ? [views.tenant(tenant)] : [] };
  }
  if (l[0] === "providers" && l[1] === "microsoft.management" && l[2] === "managementgroups") {
    only(method, "GET");
    if (p.length === 3) return { value: (await arm.listManagementGroups(caller)).map((g) => views.managementGroup(g)), nextLink: null };
    if (p.length === 4) {
      const { group, path, children } = await arm.getManagementGroup(caller, p[3]!);
      const parent = path.length > 1 ? path[path.length - 2]! : undefined;
      const expand = (req.query.$expand ?? "").toLowerCase().includes("children");
      return views.managementGroup(group, {
        details: {
          version: 1,
          updatedTime: group.updatedAt,
          updatedBy: null,
          parent: parent ? { id: `/providers/Microsoft.Management/managementGroups/${parent.name}`, name: parent.name, displayName: parent.displayName } : null,
        },
        ...(expand
          ? {
              children: children.map((c) =>
                "state" in c
                  ? { type: "/subscriptions", id: `/subscriptions/${c.id}`, name: c.id, displayName: c.displayName }
                  : { type: "Microsoft.Management/managementGroups", id: `/providers/Microsoft.Management/managementGroups/${c.name}`, name: c.name, displayName: c.displayName },
              ),
            }
          : {}),
      });
    }
  }
  if (l[0] !== "subscriptions") throw notFound(req);
  if (p.length === 1) {
    only(method, "GET");
    return page(req, (await arm.listSubscriptions(caller)).map(views.subscription));
  }
  const subscriptionId = p[1]!;
  if (p.length === 2) {
    only(method, "GET");
    return views.subscription(await arm.getSubscription(caller, subscriptionId));
  }
  if (l[2] === "locations" && p.length === 3) {
    only(method, "GET");
    const subscription = await arm.getSubscription(caller, subscriptionId);
    return { value: locations(subscription.id) };
  }
  if (l[2] === "resources" && p.length === 3) {
    only(method, "GET");
    return page(req, (await arm.listResources(caller, subscriptionId)).map(views.resource));
  }
  if (l[2] === "resourcegroups") {
    if (p.length === 3) {
      only(method, "GET");
      return page(req, (await arm.listResourceGroups(caller, subscriptionId)).map(views.resourceGroup));
    }
    const name = p[3]!;
    if (p.length === 4) return resourceGroupRoutes(req, caller, reply, deps, subscriptionId, name);
    if (l[4] === "resources" && p.length === 5) {
      only(method, "GET");
      return page(req, (await arm.listResources(caller, subscriptionId, name)).map(views.resource));
    }
    if (l[4] === "providers" && p.length >= 7) return resourceRoutes(req, caller, reply, deps, subscriptionId, name, p.slice(5));
  }
  throw notFound(req);
}

async function resourceGroupRoutes(req: ArmRequest, caller: ArmCaller, reply: FastifyReply, deps: ArmRouteDeps, subscriptionId: string, name: string) {
  const { arm } = deps;
  switch (req.method) {
    case "GET":
      return views.resourceGroup(await arm.getResourceGroup(caller, subscriptionId, name));
    case "HEAD":
      void reply.status((await arm.resourceGroupExists(caller, subscriptionId, name)) ? 204 : 404).send();
      return reply;
    case "PUT": {
      const { created, group } = await arm.putResourceGroup(caller, subscriptionId, name, resourceGroupCommand(req.body));
      void reply.status(created ? 201 : 200);
      return views.resourceGroup(group);
    }
    case "PATCH":
      return views.resourceGroup(await arm.patchResourceGroup(caller, subscriptionId, name, resourceGroupPatch(req.body)));
    case "DELETE": {
      const existed = await arm.deleteResourceGroup(caller, subscriptionId, name);
      if (!existed) throw armErrors.resourceGroupNotFound(name);
      void reply.status(200).send();
      return reply;
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

async function resourceRoutes(req: ArmRequest, caller: ArmCaller, reply: FastifyReply, deps: ArmRouteDeps, subscriptionId: string, group: string, providerPath: string[]) {
  const { arm } = deps;
  if (!/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+$/.test(providerPath[0]!)) throw armErrors.invalidScope(req.path);
  // An odd number of segments after the namespace names a collection (GET) or an action (POST).
  if (providerPath.length % 2 === 0) {
    const target = providerPath.slice(0, -1);
    const last = providerPath[providerPath.length - 1]!;
    if (req.method === "POST" && target.length >= 3) {
      const scope = parseScope(`/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${target.join("/")}`) as Extract<Scope, { level: "resource" }>;
      const resource = await arm.resourceAction(caller, scope, last);
      return { id: resource.id, name: resource.name, type: resource.type, action: last, status: "Succeeded" };
    }
    if (req.method === "GET") {
      const type = [providerPath[0], ...providerPath.filter((_, i) => i % 2 === 1)].join("/");
      const parentKey = providerPath.length > 2 ? `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${providerPath.slice(0, -1).join("/")}`.toLowerCase() : null;
      const all = await arm.listResources(caller, subscriptionId, group, type);
      return page(req, all.filter((r) => !parentKey || r.parentKey === parentKey).map(views.resource));
    }
    throw armErrors.methodNotAllowed(req.method);
  }
  const scope = parseScope(`/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/${providerPath.join("/")}`);
  if (scope?.level !== "resource") throw armErrors.invalidScope(req.path);
  switch (req.method) {
    case "GET":
      return views.resource(await arm.getResource(caller, scope));
    case "HEAD": {
      let found = true;
      try {
        await arm.getResource(caller, scope);
      } catch (error) {
        if (!(error instanceof ArmError) || error.status !== 404) throw error;
        found = false;
      }
      void reply.status(found ? 204 : 404).send();
      return reply;
    }
    case "PUT": {
      const { created, resource } = await arm.putResource(caller, scope, resourceBody(req.body));
      void reply.status(created ? 201 : 200);
      return views.resource(resource);
    }
    case "PATCH":
      return views.resource(await arm.patchResource(caller, scope, resourceBody(req.body)));
    case "DELETE": {
      const existed = await arm.deleteResource(caller, scope);
      void reply.status(existed ? 200 : 204).send();
      return reply;
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

async function roleAssignments(req: ArmRequest, caller: ArmCaller, reply: FastifyReply, deps: ArmRouteDeps, scope: string, rest: string[]) {
  const { arm } = deps;
  if (rest.length === 0) {
    only(req.method, "GET");
    const filter = parseAssignmentFilter(req.query.$filter);
    return page(req, (await arm.listRoleAssignments(caller, scope, filter)).map(views.roleAssignment));
  }
  if (rest.length !== 1) throw notFound(req);
  const name = rest[0]!;
  switch (req.method) {
    case "GET":
      return views.roleAssignment(await arm.getRoleAssignment(caller, scope, name));
    case "PUT": {
      const { created, assignment } = await arm.putRoleAssignment(caller, scope, name, roleAssignmentCommand(req.body));
      void reply.status(created ? 201 : 200);
      return views.roleAssignment(assignment);
    }
    case "DELETE": {
      const removed = await arm.deleteRoleAssignment(caller, scope, name);
      if (!removed) {
        void reply.status(204).send();
        return reply;
      }
      return views.roleAssignment(removed);
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

async function roleDefinitions(req: ArmRequest, caller: ArmCaller, reply: FastifyReply, deps: ArmRouteDeps, scope: string, rest: string[]) {
  const { arm } = deps;
  const idScope = parseScope(scope)?.level === "subscription" ? formatScope(parseScope(scope)!) : "/";
  if (rest.length === 0) {
    only(req.method, "GET");
    const filter = parseDefinitionFilter(req.query.$filter);
    return { value: (await arm.listRoleDefinitions(caller, scope, filter)).map((r) => views.roleDefinition(r, idScope)) };
  }
  if (rest.length !== 1) throw notFound(req);
  const id = rest[0]!;
  switch (req.method) {
    case "GET":
      return views.roleDefinition(await arm.getRoleDefinition(caller, scope, id), idScope);
    case "PUT": {
      const { created, role } = await arm.putRoleDefinition(caller, scope, id, roleDefinitionCommand(req.body));
      void reply.status(created ? 201 : 200);
      return views.roleDefinition(role, idScope);
    }
    case "DELETE": {
      const removed = await arm.deleteRoleDefinition(caller, scope, id);
      if (!removed) {
        void reply.status(204).send();
        return reply;
      }
      return views.roleDefinition(removed, idScope);
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

async function deploymentRoutes(req: ArmRequest, caller: ArmCaller, reply: FastifyReply, deps: ArmRouteDeps, scopeText: string, rest: string[]) {
  const scope = await deps.arm.resolveScope(caller, scopeText);
  if (scope.level === "root" || scope.level === "resource") throw armErrors.invalidScope(scopeText);
  const engine = deps.deployments;
  if (rest.length === 0) {
    only(req.method, "GET");
    return { value: (await engine.list(caller, scope)).map((d) => d.body) };
  }
  const name = rest[0]!;
  if (rest.length === 2 && rest[1]!.toLowerCase() === "operations") {
    only(req.method, "GET");
    return { value: (await engine.get(caller, scope, name)).operations };
  }
  if (rest.length !== 1) throw notFound(req);
  switch (req.method) {
    case "GET":
      return (await engine.get(caller, scope, name)).body;
    case "PUT": {
      const { created, deployment } = await engine.put(caller, scope, name, req.body);
      void reply.status(created ? 201 : 200);
      return deployment.body;
    }
    case "DELETE": {
      const existed = await engine.delete(caller, scope, name);
      void reply.status(existed ? 202 : 204).send();
      return reply;
    }
    default:
      throw armErrors.methodNotAllowed(req.method);
  }
}

function metadataEndpoints(req: ArmRequest, reply: FastifyReply, deps: ArmRouteDeps) {
  const { login, graph } = deps.urls();
  const audiences = ["https://management.core.windows.net/", "https://management.azure.com/"];
  const version = req.query["api-version"] ?? "2015-01-01";
  // Before 2019-05-01 the document is one object; from then on an array of clouds.
  if (version < "2019-05-01") {
    return { galleryEndpoint: `${req.base}/gallery/`, graphEndpoint: "https://graph.windows.net/", portalEndpoint: `${req.base}/portal/`, authentication: { loginEndpoint: `${login}/`, audiences } };
  }
  void reply;
  return [
    {
      name: "svcconn",
      resourceManager: `${req.base}/`,
      gallery: `${req.base}/gallery/`,
      graph: "https://graph.windows.net/",
      graphAudience: "https://graph.windows.net/",
      microsoftGraphResourceId: `${graph}/`,
      portal: `${req.base}/portal/`,
      authentication: { loginEndpoint: `${login}/adfs`, audiences, tenant: "common", identityProvider: "AAD" },
      suffixes: { storage: "core.windows.net", keyVaultDns: "vault.azure.net", acrLoginServer: "azurecr.io" },
    },
  ];
}

function only(method: string, allowed: string): void {
  if (method !== allowed) throw armErrors.methodNotAllowed(method);
}

function notFound(req: ArmRequest): ArmError {
  return new ArmError(404, "NotFound", `The requested path '${req.path}' is not a known Azure Resource Manager route.`);
}

/** `nextLink` paging with `$skiptoken` (an offset), `$top` where the API allows it. */
function page<T>(req: ArmRequest, items: T[]): { value: T[]; nextLink?: string } {
  const skip = Number.parseInt(Buffer.from(req.query.$skiptoken ?? "", "base64url").toString() || "0", 10) || 0;
  const top = Math.min(Number.parseInt(req.query.$top ?? "", 10) || PAGE_SIZE, 1000);
  const value = items.slice(skip, skip + top);
  if (skip + top >= items.length) return { value };
  const query = new URLSearchParams({ ...req.query, $skiptoken: Buffer.from(String(skip + top)).toString("base64url") });
  return { value, nextLink: `${req.base}${req.path}?${query}` };
}

/** `atScope()`, `principalId eq '…'`, `assignedTo('…')`, and `atScope() and …` combinations. */
export function parseAssignmentFilter(filter: string | undefined): RoleAssignmentFilter {
  if (!filter?.trim()) return { atScope: false };
  const result: RoleAssignmentFilter = { atScope: false };
  for (const clause of filter.split(/\s+and\s+/i)) {
    const c = clause.trim();
    const principal = /^principalId\s+eq\s+'([0-9a-f-]{36})'$/i.exec(c) ?? /^assignedTo\('([0-9a-f-]{36})'\)$/i.exec(c);
    if (/^atScope\(\)$/i.test(c)) result.atScope = true;
    else if (principal) result.principalId = principal[1]!;
    else throw armErrors.invalidFilter(filter);
  }
  return result;
}

/** `roleName eq '…'` and `type eq 'BuiltInRole' | 'CustomRole'`. */
export function parseDefinitionFilter(filter: string | undefined): { roleName?: string; type?: string } {
  if (!filter?.trim()) return {};
  const result: { roleName?: string; type?: string } = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const m = /^(roleName|type)\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause.trim());
    if (!m) throw armErrors.invalidFilter(filter);
    if (m[1]!.toLowerCase() === "rolename") result.roleName = m[2]!.replace(/''/g, "'");
    else result.type = m[2];
  }
  return result;
}
