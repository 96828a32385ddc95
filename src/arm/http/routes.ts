import { randomUUID } from "node:crypto";
import { answerBrowsers } from "../../http/cors.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baseUrl } from "../../http/wire.js";
import type { ArmCaller } from "../authorize.js";
import type { DeploymentEngine } from "../deployments.js";
import { ArmError, armErrors } from "../errors.js";
import { resourceBody, resourceGroupCommand, resourceGroupPatch, roleAssignmentCommand, roleDefinitionCommand } from "../input.js";
import { formatScope, parseScope, type Scope } from "../scopes.js";
import type { ArmService, ResourceFilter, RoleAssignmentFilter } from "../service.js";
import { locations, views } from "./views.js";

export interface ArmRouteDeps {
  arm: ArmService;
  deployments: DeploymentEngine;
  /** Base URLs of the other listeners, for `/metadata/endpoints`. */
  urls: () => { login: string; graph: string };
  /** A key vault's `properties.vaultUri` as a client that reached ARM at `host` (no port) can reach the vault. */
  vaultUri?: (name: string, host: string) => Promise<string>;
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

/** What a route answers: a status and, unless the status has none, a body. */
interface ArmResponse {
  status: number;
  body?: unknown;
}

type Method = "GET" | "PUT" | "PATCH" | "DELETE" | "POST" | "HEAD";
type Params = Record<string, string> & { scope?: string };
interface ArmContext {
  req: ArmRequest;
  caller: ArmCaller;
  params: Params;
  deps: ArmRouteDeps;
}
type ArmHandler = (context: ArmContext) => Promise<ArmResponse>;

/** A shape of ARM path and what each method does there. `match` returns the path's parameters, or undefined. */
interface ArmRoute {
  name: string;
  match: (req: ArmRequest) => Params | undefined;
  methods: Partial<Record<Method, ArmHandler>>;
}

const ok = (body: unknown): ArmResponse => ({ status: 200, body });
const createdOr = (created: boolean, body: unknown): ArmResponse => ({ status: created ? 201 : 200, body });

/** `{scope}/providers/{namespace}/{type}[/{name}][/{sub}]`: the last such provider segment, with what follows. */
function extension(namespace: string, type: string, lengths: number[] | ((length: number) => boolean)) {
  return (req: ArmRequest): Params | undefined => {
    const { lower: l, segments: p } = req;
    for (let i = l.length - 3; i >= 0; i--) {
      if (l[i] === "providers" && l[i + 1] === namespace && l[i + 2] === type) {
        const rest = p.slice(i + 3);
        if (!(Array.isArray(lengths) ? lengths.includes(rest.length) : lengths(rest.length))) return undefined;
        return { scope: i === 0 ? "/" : `/${p.slice(0, i).join("/")}`, ...(rest[0] !== undefined ? { name: rest[0] } : {}), ...(rest[1] !== undefined ? { sub: rest[1].toLowerCase() } : {}) };
      }
    }
    return undefined;
  };
}

/** A path of fixed segments, `:name` capturing one segment. Matched case-insensitively, as ARM matches. */
function path(pattern: string) {
  const parts = pattern.split("/").filter(Boolean);
  return (req: ArmRequest): Params | undefined => {
    if (req.segments.length !== parts.length) return undefined;
    const params: Params = {};
    for (const [i, part] of parts.entries()) {
      if (part.startsWith(":")) params[part.slice(1)] = req.segments[i]!;
      else if (part !== req.lower[i]) return undefined;
    }
    return params;
  };
}

/** Resources under a resource group: `…/providers/{namespace}/{type}/{name}[/{type}/{name}…]` and collections. */
function providerResources(kind: "item" | "collection") {
  return (req: ArmRequest): Params | undefined => {
    const { lower: l, segments: p } = req;
    if (l[0] !== "subscriptions" || l[2] !== "resourcegroups" || l[4] !== "providers" || p.length < 7) return undefined;
    const providerPath = p.slice(5);
    const isCollection = providerPath.length % 2 === 0;
    if ((kind === "collection") !== isCollection) return undefined;
    return { subscriptionId: p[1]!, group: p[3]!, providerPath: providerPath.join("/") };
  };
}

const ROUTES: ArmRoute[] = [
  {
    name: "role assignments",
    match: extension("microsoft.authorization", "roleassignments", [0]),
    methods: {
      GET: async ({ req, caller, params, deps }) => ok(page(req, (await deps.arm.listRoleAssignments(caller, params.scope!, parseAssignmentFilter(req.query.$filter))).map(views.roleAssignment))),
    },
  },
  {
    name: "role assignment",
    match: extension("microsoft.authorization", "roleassignments", [1]),
    methods: {
      GET: async ({ caller, params, deps }) => ok(views.roleAssignment(await deps.arm.getRoleAssignment(caller, params.scope!, params.name!))),
      PUT: async ({ req, caller, params, deps }) => {
        const { created, assignment } = await deps.arm.putRoleAssignment(caller, params.scope!, params.name!, roleAssignmentCommand(req.body));
        return createdOr(created, views.roleAssignment(assignment));
      },
      DELETE: async ({ caller, params, deps }) => {
        const removed = await deps.arm.deleteRoleAssignment(caller, params.scope!, params.name!);
        return removed ? ok(views.roleAssignment(removed)) : { status: 204 };
      },
    },
  },
  {
    name: "role definitions",
    match: extension("microsoft.authorization", "roledefinitions", [0]),
    methods: {
      GET: async ({ req, caller, params, deps }) =>
        ok({ value: (await deps.arm.listRoleDefinitions(caller, params.scope!, parseDefinitionFilter(req.query.$filter))).map((r) => views.roleDefinition(r, definitionIdScope(params.scope!))) }),
    },
  },
  {
    name: "role definition",
    match: extension("microsoft.authorization", "roledefinitions", [1]),
    methods: {
      GET: async ({ caller, params, deps }) => ok(views.roleDefinition(await deps.arm.getRoleDefinition(caller, params.scope!, params.name!), definitionIdScope(params.scope!))),
      PUT: async ({ req, caller, params, deps }) => {
        const { created, role } = await deps.arm.putRoleDefinition(caller, params.scope!, params.name!, roleDefinitionCommand(req.body));
        return createdOr(created, views.roleDefinition(role, definitionIdScope(params.scope!)));
      },
      DELETE: async ({ caller, params, deps }) => {
        const removed = await deps.arm.deleteRoleDefinition(caller, params.scope!, params.name!);
        return removed ? ok(views.roleDefinition(removed, definitionIdScope(params.scope!))) : { status: 204 };
      },
    },
  },
  {
    name: "deployments",
    match: extension("microsoft.resources", "deployments", [0]),
    methods: { GET: async (ctx) => ok({ value: (await ctx.deps.deployments.list(ctx.caller, await deploymentScope(ctx))).map((d) => d.body) }) },
  },
  {
    name: "deployment operations",
    match: (req) => {
      const params = extension("microsoft.resources", "deployments", [2])(req);
      return params?.sub === "operations" ? params : undefined;
    },
    methods: { GET: async (ctx) => ok({ value: (await ctx.deps.deployments.get(ctx.caller, await deploymentScope(ctx), ctx.params.name!)).operations }) },
  },
  {
    name: "deployment validation",
    match: (req) => {
      const params = extension("microsoft.resources", "deployments", [2])(req);
      return params?.sub === "validate" ? params : undefined;
    },
    methods: { POST: async (ctx) => ok(await ctx.deps.deployments.validate(ctx.caller, await deploymentScope(ctx), ctx.params.name!, ctx.req.body)) },
  },
  {
    name: "deployment",
    match: extension("microsoft.resources", "deployments", [1]),
    methods: {
      GET: async (ctx) => ok((await ctx.deps.deployments.get(ctx.caller, await deploymentScope(ctx), ctx.params.name!)).body),
      PUT: async (ctx) => {
        const { created, deployment } = await ctx.deps.deployments.put(ctx.caller, await deploymentScope(ctx), ctx.params.name!, ctx.req.body);
        return createdOr(created, deployment.body);
      },
      DELETE: async (ctx) => ({ status: (await ctx.deps.deployments.delete(ctx.caller, await deploymentScope(ctx), ctx.params.name!)) ? 202 : 204 }),
    },
  },
  {
    // Any other depth under these extension providers is no route at all, whatever the method.
    name: "unknown extension path",
    match: (req) =>
      extension("microsoft.authorization", "roleassignments", (n) => n > 1)(req) ??
      extension("microsoft.authorization", "roledefinitions", (n) => n > 1)(req) ??
      extension("microsoft.resources", "deployments", (n) => n > 1)(req),
    methods: Object.fromEntries((["GET", "PUT", "PATCH", "DELETE", "POST", "HEAD"] as const).map((m) => [m, async ({ req }: ArmContext) => Promise.reject(notFound(req))])),
  },
  {
    name: "tenants",
    match: path("/tenants"),
    methods: {
      GET: async ({ caller, deps }) => {
        const tenant = await deps.arm.tenantOf(caller.tenantId);
        return ok({ value: tenant ? [views.tenant(tenant)] : [] });
      },
    },
  },
  {
    name: "management groups",
    match: path("/providers/microsoft.management/managementgroups"),
    methods: { GET: async ({ caller, deps }) => ok({ value: (await deps.arm.listManagementGroups(caller)).map((g) => views.managementGroup(g)), nextLink: null }) },
  },
  {
    name: "management group",
    match: path("/providers/microsoft.management/managementgroups/:group"),
    methods: { GET: async ({ req, caller, params, deps }) => ok(managementGroupView(await deps.arm.getManagementGroup(caller, params.group!), (req.query.$expand ?? "").toLowerCase().includes("children"))) },
  },
  { name: "subscriptions", match: path("/subscriptions"), methods: { GET: async ({ req, caller, deps }) => ok(page(req, (await deps.arm.listSubscriptions(caller)).map(views.subscription))) } },
  { name: "subscription", match: path("/subscriptions/:subscriptionId"), methods: { GET: async ({ caller, params, deps }) => ok(views.subscription(await deps.arm.getSubscription(caller, params.subscriptionId!))) } },
  {
    name: "locations",
    match: path("/subscriptions/:subscriptionId/locations"),
    methods: { GET: async ({ caller, params, deps }) => ok({ value: locations((await deps.arm.getSubscription(caller, params.subscriptionId!)).id) }) },
  },
  {
    name: "subscription resources",
    match: path("/subscriptions/:subscriptionId/resources"),
    methods: { GET: async ({ req, caller, params, deps }) => ok(page(req, (await deps.arm.listResources(caller, params.subscriptionId!, undefined, parseResourceFilter(req.query.$filter))).map(views.resource))) },
  },
  {
    name: "resource groups",
    match: path("/subscriptions/:subscriptionId/resourcegroups"),
    methods: { GET: async ({ req, caller, params, deps }) => ok(page(req, (await deps.arm.listResourceGroups(caller, params.subscriptionId!)).map(views.resourceGroup))) },
  },
  {
    name: "resource group",
    match: path("/subscriptions/:subscriptionId/resourcegroups/:group"),
    methods: {
      GET: async ({ caller, params, deps }) => ok(views.resourceGroup(await deps.arm.getResourceGroup(caller, params.subscriptionId!, params.group!))),
      HEAD: async ({ caller, params, deps }) => ({ status: (await deps.arm.resourceGroupExists(caller, params.subscriptionId!, params.group!)) ? 204 : 404 }),
      PUT: async ({ req, caller, params, deps }) => {
        const { created, group } = await deps.arm.putResourceGroup(caller, params.subscriptionId!, params.group!, resourceGroupCommand(req.body));
        return createdOr(created, views.resourceGroup(group));
      },
      PATCH: async ({ req, caller, params, deps }) => ok(views.resourceGroup(await deps.arm.patchResourceGroup(caller, params.subscriptionId!, params.group!, resourceGroupPatch(req.body)))),
      DELETE: async ({ caller, params, deps }) => {
        if (!(await deps.arm.deleteResourceGroup(caller, params.subscriptionId!, params.group!))) throw armErrors.resourceGroupNotFound(params.group!);
        return { status: 200 };
      },
    },
  },
  {
    name: "resource group resources",
    match: path("/subscriptions/:subscriptionId/resourcegroups/:group/resources"),
    methods: { GET: async ({ req, caller, params, deps }) => ok(page(req, (await deps.arm.listResources(caller, params.subscriptionId!, params.group!, parseResourceFilter(req.query.$filter))).map(views.resource))) },
  },
  {
    // An even number of segments after `providers` names a collection (GET) or an action on a resource (POST).
    name: "resource collection or action",
    match: providerResources("collection"),
    methods: {
      GET: async ({ req, caller, params, deps }) => {
        const providerPath = providerSegments(req, params);
        const type = [providerPath[0], ...providerPath.filter((_, i) => i % 2 === 1)].join("/");
        const parentKey = providerPath.length > 2 ? `/subscriptions/${params.subscriptionId}/resourceGroups/${params.group}/providers/${providerPath.slice(0, -1).join("/")}`.toLowerCase() : null;
        const all = await deps.arm.listResources(caller, params.subscriptionId!, params.group!, { type });
        return ok(page(req, all.filter((r) => !parentKey || r.parentKey === parentKey).map(views.resource)));
      },
      POST: async ({ req, caller, params, deps }) => {
        const providerPath = providerSegments(req, params);
        const action = providerPath[providerPath.length - 1]!;
        const target = providerPath.slice(0, -1);
        if (target.length < 3) throw armErrors.methodNotAllowed(req.method);
        const scope = parseScope(`/subscriptions/${params.subscriptionId}/resourceGroups/${params.group}/providers/${target.join("/")}`) as Extract<Scope, { level: "resource" }>;
        const resource = await deps.arm.resourceAction(caller, scope, action);
        return ok({ id: resource.id, name: resource.name, type: resource.type, action, status: "Succeeded" });
      },
    },
  },
  {
    name: "resource",
    match: providerResources("item"),
    methods: {
      GET: async (ctx) => ok(views.resource(await ctx.deps.arm.getResource(ctx.caller, resourceScope(ctx)))),
      HEAD: async (ctx) => {
        try {
          await ctx.deps.arm.getResource(ctx.caller, resourceScope(ctx));
          return { status: 204 };
        } catch (error) {
          if (!(error instanceof ArmError) || error.status !== 404) throw error;
          return { status: 404 };
        }
      },
      PUT: async (ctx) => {
        const { created, resource } = await ctx.deps.arm.putResource(ctx.caller, resourceScope(ctx), resourceBody(ctx.req.body));
        return createdOr(created, views.resource(resource));
      },
      PATCH: async (ctx) => ok(views.resource(await ctx.deps.arm.patchResource(ctx.caller, resourceScope(ctx), resourceBody(ctx.req.body)))),
      DELETE: async (ctx) => ({ status: (await ctx.deps.arm.deleteResource(ctx.caller, resourceScope(ctx))) ? 200 : 204 }),
    },
  },
];

const ARM_METHODS = ["GET", "PUT", "PATCH", "DELETE", "POST", "HEAD"] as const;

/**
 * Azure Resource Manager's REST surface. ARM paths nest to any depth (scopes, extension resources), so one
 * catch-all route parses the path and dispatches from `ROUTES`; each handler only translates the wire form to a
 * service call and says what to answer. Authentication and the api-version come first, as in ARM.
 */
export function armRoutes(app: FastifyInstance, deps: ArmRouteDeps): void {
  // Every ARM answer, errors included, names its request and the correlation id (the client's, when it sent one).
  app.addHook("onRequest", async (request, reply) => {
    const sent = request.headers["x-ms-correlation-request-id"];
    void reply.header("x-ms-request-id", randomUUID());
    void reply.header("x-ms-correlation-request-id", typeof sent === "string" && /^[0-9a-f-]{36}$/i.test(sent) ? sent : randomUUID());
  });
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const req = armRequest(request);
    if (req.lower[0] === "metadata" && req.lower[1] === "endpoints" && req.segments.length === 2) return metadataEndpoints(req, deps);

    const caller = await deps.arm.authenticate(request.headers.authorization);
    const apiVersion = req.query["api-version"];
    if (!apiVersion) throw armErrors.missingApiVersion();
    if (!API_VERSION.test(apiVersion)) throw armErrors.invalidApiVersion(apiVersion);
    const { route, params } = findRoute(req);
    const method = route.methods[req.method as Method];
    if (!method) throw armErrors.methodNotAllowed(req.method);
    const response = await method({ req, caller, params, deps });
    if (deps.vaultUri) await withVaultUris(response.body, request, deps.vaultUri);
    void reply.status(response.status);
    if (response.body === undefined) return reply.send();
    return response.body;
  };
  app.route({ method: [...ARM_METHODS], url: "/*", handler });
  // Browsers call ARM from other origins (the portal, single-page apps with a bearer token).
  answerBrowsers(app, { methods: ARM_METHODS, expose: ["x-ms-request-id", "x-ms-correlation-request-id", "Location", "Retry-After"] });
}

/**
 * A vault's `vaultUri` is where clients reach it, which depends on how they reached ARM: Microsoft's host names the
 * vault's (`https://{name}.vault.azure.net/`), svcconn's URL the vault's own port on the same address.
 */
async function withVaultUris(body: unknown, request: FastifyRequest, vaultUri: NonNullable<ArmRouteDeps["vaultUri"]>): Promise<void> {
  const items = body && typeof body === "object" ? (Array.isArray((body as { value?: unknown }).value) ? (body as { value: unknown[] }).value : [body]) : [];
  const host = String(request.headers.host ?? "").replace(/:\d+$/, "");
  for (const item of items as Array<{ type?: unknown; name?: unknown; properties?: Record<string, unknown> }>) {
    if (String(item?.type).toLowerCase() !== "microsoft.keyvault/vaults" || typeof item.name !== "string") continue;
    item.properties = { ...(item.properties ?? {}), vaultUri: await vaultUri(item.name, host) };
  }
}

function armRequest(request: FastifyRequest): ArmRequest {
  const segments = request.url.split("?")[0]!.split("/").filter(Boolean).map(safeDecode);
  const query = Object.fromEntries(Object.entries((request.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
  const body = request.body;
  if (body !== undefined && body !== null && (typeof body !== "object" || Array.isArray(body))) {
    throw armErrors.invalidRequestContent("the request body must be a JSON object");
  }
  return {
    method: request.method,
    segments,
    lower: segments.map((s) => s.toLowerCase()),
    query,
    body: (body ?? {}) as Record<string, unknown>,
    base: baseUrl(request),
    path: `/${segments.join("/")}`,
  };
}

function findRoute(req: ArmRequest): { route: ArmRoute; params: Params } {
  for (const route of ROUTES) {
    const params = route.match(req);
    if (params) return { route, params };
  }
  throw notFound(req);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Role definition ids name the subscription they were read at, or none (tenant-wide). */
function definitionIdScope(scope: string): string {
  const parsed = parseScope(scope);
  return parsed?.level === "subscription" ? formatScope(parsed) : "/";
}

async function deploymentScope({ caller, params, deps }: ArmContext) {
  const scope = await deps.arm.resolveScope(caller, params.scope!);
  if (scope.level === "root" || scope.level === "resource") throw armErrors.invalidScope(params.scope!);
  return scope;
}

function providerSegments(req: ArmRequest, params: Params): string[] {
  const providerPath = params.providerPath!.split("/");
  if (!/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+$/.test(providerPath[0]!)) throw armErrors.invalidScope(req.path);
  return providerPath;
}

function resourceScope({ req, params }: ArmContext): Extract<Scope, { level: "resource" }> {
  const providerPath = providerSegments(req, params);
  const scope = parseScope(`/subscriptions/${params.subscriptionId}/resourceGroups/${params.group}/providers/${providerPath.join("/")}`);
  if (scope?.level !== "resource") throw armErrors.invalidScope(req.path);
  return scope;
}

function managementGroupView({ group, path, children }: Awaited<ReturnType<ArmService["getManagementGroup"]>>, expand: boolean) {
  const parent = path.length > 1 ? path[path.length - 2]! : undefined;
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

function metadataEndpoints(req: ArmRequest, deps: ArmRouteDeps) {
  const { login, graph } = deps.urls();
  const audiences = ["https://management.core.windows.net/", "https://management.azure.com/"];
  const version = req.query["api-version"] ?? "2015-01-01";
  // Before 2019-05-01 the document is one object; from then on an array of clouds.
  if (version < "2019-05-01") {
    return { galleryEndpoint: `${req.base}/gallery/`, graphEndpoint: "https://graph.windows.net/", portalEndpoint: `${req.base}/portal/`, authentication: { loginEndpoint: `${login}/`, audiences } };
  }
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

/** A resource listing's `resourceType eq '…'` and `name eq '…'` (ARM's operators are case-insensitive). */
export function parseResourceFilter(filter: string | undefined): ResourceFilter {
  if (!filter?.trim()) return {};
  const result: ResourceFilter = {};
  for (const clause of filter.split(/\s+and\s+/i)) {
    const m = /^(resourceType|name)\s+eq\s+'((?:[^']|'')*)'$/i.exec(clause.trim());
    if (!m) throw armErrors.invalidFilter(filter);
    const value = m[2]!.replace(/''/g, "'");
    if (m[1]!.toLowerCase() === "resourcetype") result.type = value;
    else result.name = value;
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
