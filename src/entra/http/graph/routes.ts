import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { answerBrowsers } from "../../../http/cors.js";
import { baseUrl } from "../../../http/wire.js";
import { GraphError, graphErrors } from "../../graph/graph-errors.js";
import {
  applicationCommand,
  appRoleGrantCommand,
  directoryRoleAssignmentCommand,
  federatedCredentialCommand,
  newServicePrincipalCommand,
  ownerReference,
  passwordCommand,
  policyChanges,
  removePasswordKeyId,
  servicePrincipalChanges,
  type ApplicationCommand,
} from "../../graph/graph-input.js";
import type { GraphCaller, GraphService } from "../../graph/graph-service.js";
import { graphViews } from "./views.js";
import type { Application, DeletedItem, ServicePrincipal, User } from "../../model.js";
import { filterProperties, matches, parseFilter, pinnedValues } from "./odata.js";

interface GraphRequest {
  method: string;
  segments: string[];
  query: Record<string, string>;
  body: unknown;
  base: string;
  version: string;
}

const FILTERABLE: Record<string, Set<string>> = {
  applications: new Set(["id", "appid", "displayname", "identifieruris", "signinaudience", "federatedidentitycredentials", "tags", "createddatetime", "publisherdomain"]),
  servicePrincipals: new Set(["id", "appid", "displayname", "serviceprincipalnames", "serviceprincipaltype", "accountenabled", "appownerorganizationid", "tags"]),
  users: new Set(["id", "userprincipalname", "displayname", "mail", "usertype", "accountenabled"]),
  roleAssignments: new Set(["principalid", "roledefinitionid", "directoryscopeid"]),
};
const RESOURCE_TYPE: Record<string, string> = { applications: "Application", servicePrincipals: "ServicePrincipal", users: "User", roleAssignments: "UnifiedRoleAssignment" };

/**
 * Graph addresses an object by key inside a segment — `applications(appId='…')`, `directoryRoles(roleTemplateId='…')`.
 * Before routing, such a segment becomes two: `applications/appId=…`, so Fastify's router sees plain paths.
 */
export function normaliseGraphUrl(url: string): string {
  const [path = "", query] = url.split(/\?(.*)/s, 2);
  const raw = path.split("/");
  // `/v1.0/{tenant id or domain}/servicePrincipals`: Graph takes the tenant after the version (the tasks' ARM library
  // writes it); the token's tenant is the one served, so the segment is dropped.
  if (/^(?:v1\.0|beta)$/.test(raw[1] ?? "") && raw.length > 3 && /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i.test(raw[2]!)) raw.splice(2, 1);
  const segments = raw.map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return segment;
    }
    const match = /^([A-Za-z]+)\((\w+)=['"]?([^'")]*)['"]?\)$/.exec(decoded);
    return match ? `${match[1]}/${match[2]}=${encodeURIComponent(match[3]!)}` : segment;
  });
  return query === undefined ? segments.join("/") : `${segments.join("/")}?${query}`;
}

/** The object a route's key parameter names: `appId=…` (or `uniqueName=…`) after normalising, or an object id. */
function objectKey(param: string): { id?: string; appId?: string } {
  const match = /^(appId|uniqueName)=(.*)$/i.exec(param);
  return match ? { appId: match[2]! } : { id: param };
}

interface GraphContext {
  req: GraphRequest;
  caller: GraphCaller;
  reply: FastifyReply;
  params: Record<string, string>;
}
type GraphHandler = (context: GraphContext) => Promise<unknown>;

const METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT"] as const;
type Method = (typeof METHODS)[number];

/**
 * Microsoft Graph v1.0 (and the same surface under /beta) for the directory objects svcconn keeps, one route per
 * resource path. Every request authenticates first (Graph answers 401 before anything else); a path Graph has but
 * not for this method is Graph's 405, and an unknown segment its 400 "Resource not found for the segment".
 */
export function graphRoutes(app: FastifyInstance, graph: GraphService): void {
  const table = new Map<string, Partial<Record<Method, GraphHandler>>>();
  const on = (method: Method, path: string, handler: GraphHandler) => table.set(path, { ...table.get(path), [method]: handler });
  resourceRoutes(on, graph);
  deletedItemRoutes(on, graph);

  const context = async (request: FastifyRequest, reply: FastifyReply, version: string) => {
    const path = request.url.split("?")[0]!;
    const segments = path.split("/").filter(Boolean).slice(1).map((s) => decodeURIComponent(s));
    const query = Object.fromEntries(Object.entries((request.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
    const req: GraphRequest = { method: request.method, segments, query, body: request.body, base: baseUrl(request), version };
    if (req.method !== "GET" && req.method !== "DELETE" && request.body !== undefined && (typeof request.body !== "object" || request.body === null)) {
      throw graphErrors.badRequest("The request body must be a JSON object.");
    }
    const caller = await graph.authenticate(request.headers.authorization);
    return { req, caller, reply, params: (request.params ?? {}) as Record<string, string> };
  };
  const respond = (reply: FastifyReply, result: unknown) => {
    if (result === undefined) {
      if (!reply.sent) void reply.status(204).send();
      return reply;
    }
    void reply.header("content-type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8");
    return result;
  };
  // Microsoft Graph answers browsers (single-page apps calling it with a bearer token).
  answerBrowsers(app, { methods: METHODS, expose: ["request-id", "client-request-id", "Location"] });
  for (const version of ["v1.0", "beta"]) {
    for (const [path, handlers] of table) {
      app.route({
        method: [...METHODS],
        url: `/${version}${path}`,
        handler: async (request, reply) => {
          const ctx = await context(request, reply, version);
          const handler = handlers[request.method as Method];
          if (!handler) throw new GraphError(405, "Request_BadRequest", `The HTTP method '${request.method}' is not allowed for this resource.`);
          return respond(reply, await handler(ctx));
        },
      });
    }
    app.route({
      method: [...METHODS],
      url: `/${version}/*`,
      handler: async (request, reply) => {
        throw notFoundSegment((await context(request, reply, version)).req);
      },
    });
  }
}

function context(req: GraphRequest, fragment: string) {
  return `${req.base}/${req.version}/$metadata#${fragment}`;
}

function select(req: GraphRequest, object: Record<string, unknown>): Record<string, unknown> {
  const fields = req.query.$select?.split(",").map((f) => f.trim()).filter(Boolean);
  if (!fields?.length) return object;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const key = Object.keys(object).find((k) => k.toLowerCase() === field.toLowerCase());
    if (key === undefined) throw graphErrors.badRequest(`Could not find a property named '${field}' on type 'microsoft.graph.${Object.keys(object).includes("appId") ? "application" : "directoryObject"}'.`);
    out[key] = object[key];
  }
  return out;
}

function single(req: GraphRequest, fragment: string, object: Record<string, unknown>) {
  return { "@odata.context": context(req, `${fragment}/$entity`), ...select(req, object) };
}

/**
 * Objects a filter on `appId` cannot match are dropped before their views are built (rendering reads their
 * credentials): `appId in (…)` over a large directory stays one cheap pass. `list` applies the whole filter after.
 */
function narrowByAppId<T extends { appId: string }>(req: GraphRequest, objects: T[]): T[] {
  const filter = req.query.$filter?.trim();
  if (!filter) return objects;
  let pinned: Set<string> | undefined;
  try {
    pinned = pinnedValues(parseFilter(filter), "appId");
  } catch {
    return objects; // `list` reports the syntax error
  }
  return pinned ? objects.filter((o) => pinned.has(o.appId.toLowerCase())) : objects;
}

/** Filter (checked against what the resource supports), select, and page with `@odata.nextLink`. */
function list(req: GraphRequest, resource: string, fragment: string, objects: Array<Record<string, unknown>>, strip: string[] = []) {
  let items = objects;
  const filter = req.query.$filter?.trim();
  if (filter) {
    const node = parseFilter(filter);
    const allowed = FILTERABLE[resource];
    for (const property of filterProperties(node)) {
      if (allowed && !allowed.has(property.toLowerCase())) {
        throw new GraphError(400, "Request_UnsupportedQuery", `Unsupported or invalid query filter clause specified for property '${property}' of resource '${RESOURCE_TYPE[resource] ?? resource}'.`);
      }
    }
    items = items.filter((o) => matches(node, o));
  }
  items = items.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => !strip.includes(k))));
  const top = req.query.$top === undefined ? 100 : Number(req.query.$top);
  if (!Number.isInteger(top) || top < 1 || top > 999) throw graphErrors.badRequest(`Invalid page size specified: '${req.query.$top}'. Must be between 1 and 999 inclusive.`);
  const skip = req.query.$skiptoken ? Number.parseInt(Buffer.from(req.query.$skiptoken, "base64url").toString(), 10) || 0 : 0;
  const page = items.slice(skip, skip + top).map((o) => select(req, o));
  const out: Record<string, unknown> = { "@odata.context": context(req, fragment) };
  if (req.query.$count === "true") out["@odata.count"] = items.length;
  out.value = page;
  if (skip + top < items.length) {
    const params = new URLSearchParams({ ...req.query, $skiptoken: Buffer.from(String(skip + top)).toString("base64url") });
    out["@odata.nextLink"] = `${req.base}/${req.version}/${req.segments.join("/")}?${params}`;
  }
  return out;
}

const notFoundSegment = (req: GraphRequest) => new GraphError(400, "BadRequest", `Resource not found for the segment '${req.segments[req.segments.length - 1] ?? ""}'.`);

async function applicationView(graph: GraphService, app: Application) {
  const { passwords, keys } = await graph.credentialsOf(app);
  return graphViews.application(app, passwords, keys);
}

async function directoryObject(o: User | ServicePrincipal, graph: GraphService) {
  if ("userPrincipalName" in o) return { "@odata.type": "#microsoft.graph.user", ...graphViews.user(o) };
  return { "@odata.type": "#microsoft.graph.servicePrincipal", ...graphViews.servicePrincipal(o, await graph.signInAudienceOf(o)) };
}

/** `directory/deletedItems`: what was deleted in the last 30 days, by type; one item; restore; delete for good. */
function deletedItemRoutes(on: (method: Method, path: string, handler: GraphHandler) => void, graph: GraphService): void {
  const base = "/directory/deletedItems";
  const view = async (item: Pick<DeletedItem, "type" | "deletedAt"> & { object: Application | ServicePrincipal }) => {
    const object = item.type === "application" ? await applicationView(graph, item.object as Application) : graphViews.servicePrincipal(item.object as ServicePrincipal, await graph.signInAudienceOf(item.object as ServicePrincipal));
    return { "@odata.type": `#microsoft.graph.${item.type}`, ...object, deletedDateTime: item.deletedAt };
  };
  const objectOf = (item: DeletedItem) => (item.type === "application" ? item.body.application : item.body.servicePrincipal);
  for (const type of ["application", "servicePrincipal"] as const) {
    on("GET", `${base}/microsoft.graph.${type}`, async ({ req, caller }) => {
      const views = await Promise.all((await graph.deletedItems(caller, type)).map((item) => view({ ...item, object: objectOf(item) })));
      return list(req, "deletedItems", `directory/deletedItems/microsoft.graph.${type}`, views.map(({ "@odata.type": _, ...rest }) => rest));
    });
  }
  on("GET", `${base}/:item`, async ({ req, caller, params }) => {
    const item = await graph.deletedItem(caller, params.item!);
    return single(req, "directoryObjects", await view({ ...item, object: objectOf(item) }));
  });
  on("DELETE", `${base}/:item`, async ({ caller, params }) => void (await graph.purgeDeleted(caller, params.item!)));
  on("POST", `${base}/:item/restore`, async ({ req, caller, params }) => {
    const restored = await graph.restoreDeleted(caller, params.item!);
    return single(req, "directoryObjects", { ...(await view({ ...restored, deletedAt: "" })), deletedDateTime: null });
  });
}

function resourceRoutes(on: (method: Method, path: string, handler: GraphHandler) => void, graph: GraphService): void {
  // ---- applications ----
  on("GET", "/applications", async ({ req, caller }) => {
    const withFederated = /federatedidentitycredentials/i.test(req.query.$filter ?? "");
    const views = await Promise.all(
      narrowByAppId(req, await graph.listApplications(caller)).map(async (a) => ({
        ...(await applicationView(graph, a)),
        ...(withFederated ? { federatedIdentityCredentials: (await graph.listFederated(caller, a)).map(graphViews.federatedIdentityCredential) } : {}),
      })),
    );
    return list(req, "applications", "applications", views, ["federatedIdentityCredentials"]);
  });
  on("POST", "/applications", async ({ req, caller, reply }) => {
    const created = await graph.createApplication(caller, applicationCommand(req.body, true) as ApplicationCommand & { displayName: string });
    void reply.status(201);
    return single(req, "applications", await applicationView(graph, created));
  });
  const application = ({ caller, params }: GraphContext) => graph.findApplication(caller, objectKey(params.app!));
  on("GET", "/applications/:app", async (ctx) => single(ctx.req, "applications", await applicationView(graph, await application(ctx))));
  on("PATCH", "/applications/:app", async (ctx) => void (await graph.updateApplication(ctx.caller, await application(ctx), applicationCommand(ctx.req.body, false))));
  on("DELETE", "/applications/:app", async (ctx) => void (await graph.deleteApplication(ctx.caller, await application(ctx))));
  on("POST", "/applications/:app/addPassword", async (ctx) => {
    const credential = await graph.addPassword(ctx.caller, await application(ctx), passwordCommand(ctx.req.body));
    return { "@odata.context": context(ctx.req, "microsoft.graph.passwordCredential"), ...credential };
  });
  on("POST", "/applications/:app/removePassword", async (ctx) => void (await graph.removePassword(ctx.caller, await application(ctx), removePasswordKeyId(ctx.req.body))));
  const fics = (app: Application) => `applications('${app.id}')/federatedIdentityCredentials`;
  on("GET", "/applications/:app/federatedIdentityCredentials", async (ctx) => {
    const app = await application(ctx);
    return list(ctx.req, "federatedIdentityCredentials", fics(app), (await graph.listFederated(ctx.caller, app)).map(graphViews.federatedIdentityCredential));
  });
  on("POST", "/applications/:app/federatedIdentityCredentials", async (ctx) => {
    const app = await application(ctx);
    const created = await graph.createFederated(ctx.caller, app, federatedCredentialCommand(ctx.req.body));
    void ctx.reply.status(201);
    return single(ctx.req, fics(app), graphViews.federatedIdentityCredential(created));
  });
  const fic = async (ctx: GraphContext) => {
    const app = await application(ctx);
    return { app, fic: await graph.findFederated(app, ctx.params.fic!) };
  };
  on("GET", "/applications/:app/federatedIdentityCredentials/:fic", async (ctx) => {
    const found = await fic(ctx);
    return single(ctx.req, fics(found.app), graphViews.federatedIdentityCredential(found.fic));
  });
  on("PATCH", "/applications/:app/federatedIdentityCredentials/:fic", async (ctx) => {
    const found = await fic(ctx);
    await graph.updateFederated(ctx.caller, found.app, found.fic, federatedCredentialCommand(ctx.req.body));
  });
  on("DELETE", "/applications/:app/federatedIdentityCredentials/:fic", async (ctx) => {
    const found = await fic(ctx);
    await graph.deleteFederated(ctx.caller, found.app, found.fic);
  });
  ownerRoutes(on, graph, "/applications/:app", application);

  // ---- service principals ----
  on("GET", "/servicePrincipals", async ({ req, caller }) => {
    const views = await Promise.all(narrowByAppId(req, await graph.listServicePrincipals(caller)).map(async (sp) => graphViews.servicePrincipal(sp, await graph.signInAudienceOf(sp))));
    return list(req, "servicePrincipals", "servicePrincipals", views);
  });
  on("POST", "/servicePrincipals", async ({ req, caller, reply }) => {
    const created = await graph.createServicePrincipal(caller, newServicePrincipalCommand(req.body));
    void reply.status(201);
    return single(req, "servicePrincipals", graphViews.servicePrincipal(created, await graph.signInAudienceOf(created)));
  });
  const servicePrincipal = ({ caller, params }: GraphContext) => graph.findServicePrincipal(caller, objectKey(params.sp!));
  on("GET", "/servicePrincipals/:sp", async (ctx) => {
    const sp = await servicePrincipal(ctx);
    return single(ctx.req, "servicePrincipals", graphViews.servicePrincipal(sp, await graph.signInAudienceOf(sp)));
  });
  on("PATCH", "/servicePrincipals/:sp", async (ctx) => void (await graph.updateServicePrincipal(ctx.caller, await servicePrincipal(ctx), servicePrincipalChanges(ctx.req.body))));
  on("DELETE", "/servicePrincipals/:sp", async (ctx) => void (await graph.deleteServicePrincipal(ctx.caller, await servicePrincipal(ctx))));
  ownerRoutes(on, graph, "/servicePrincipals/:sp", servicePrincipal);
  const RESOURCE_NAME = "Microsoft Graph";
  const grants = (sp: ServicePrincipal) => `servicePrincipals('${sp.id}')/appRoleAssignments`;
  on("GET", "/servicePrincipals/:sp/appRoleAssignments", async (ctx) => {
    const sp = await servicePrincipal(ctx);
    return list(ctx.req, "appRoleAssignments", grants(sp), (await graph.appRoleAssignments(sp)).map((a) => graphViews.appRoleAssignment(a, sp.displayName, RESOURCE_NAME)));
  });
  on("POST", "/servicePrincipals/:sp/appRoleAssignments", async (ctx) => {
    const sp = await servicePrincipal(ctx);
    const granted = await graph.grantAppRole(ctx.caller, sp, appRoleGrantCommand(ctx.req.body));
    void ctx.reply.status(201);
    return single(ctx.req, grants(sp), graphViews.appRoleAssignment(granted, sp.displayName, RESOURCE_NAME));
  });
  on("DELETE", "/servicePrincipals/:sp/appRoleAssignments/:grant", async (ctx) => void (await graph.revokeAppRole(ctx.caller, await servicePrincipal(ctx), ctx.params.grant!)));

  // ---- users ----
  on("GET", "/users", async ({ req, caller }) => list(req, "users", "users", (await graph.listUsers(caller)).map(graphViews.user)));
  for (const [path, idOf] of [
    ["/users/:user", (ctx: GraphContext) => ctx.params.user!],
    [
      "/me",
      (ctx: GraphContext) => {
        if (ctx.caller.kind !== "user") throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
        return ctx.caller.objectId;
      },
    ],
  ] as const) {
    on("GET", path, async (ctx) => single(ctx.req, "users", graphViews.user(await graph.findUser(ctx.caller, idOf(ctx)))));
    on("POST", `${path}/revokeSignInSessions`, async (ctx) => {
      await graph.revokeSessions(ctx.caller, await graph.findUser(ctx.caller, idOf(ctx)));
      return { "@odata.context": context(ctx.req, "Edm.Boolean"), value: true };
    });
  }

  // ---- tenant, policy, directory roles ----
  on("GET", "/organization", async ({ req, caller }) => list(req, "organization", "organization", [graphViews.organization(caller.tenant)]));
  for (const path of ["/policies/authorizationPolicy", "/policies/authorizationPolicy/:policy"]) {
    on("GET", path, async ({ req, caller }) => single(req, "policies/authorizationPolicy", graphViews.authorizationPolicy(await graph.getPolicy(caller))));
    on("PATCH", path, async ({ req, caller }) => void (await graph.updatePolicy(caller, policyChanges(req.body))));
  }
  on("GET", "/directoryRoles", async ({ req, caller }) => {
    await graph.requireDirectoryRead(caller);
    return list(req, "directoryRoles", "directoryRoles", graph.modelledRoles().map((t) => graphViews.directoryRole(graph.directoryRoleId(caller.tenant.id, t), t)));
  });
  const directoryRole = async ({ caller, params }: GraphContext) => {
    await graph.requireDirectoryRead(caller);
    const key = params.role!.replace(/^roleTemplateId=/i, "");
    const templateId = graph.roleTemplateOf(caller.tenant.id, key);
    if (!templateId) throw graphErrors.notFound(key);
    return templateId;
  };
  on("GET", "/directoryRoles/:role", async (ctx) => {
    const templateId = await directoryRole(ctx);
    return single(ctx.req, "directoryRoles", graphViews.directoryRole(graph.directoryRoleId(ctx.caller.tenant.id, templateId), templateId));
  });
  on("GET", "/directoryRoles/:role/members", async (ctx) => {
    const members = await graph.roleMembers(ctx.caller, await directoryRole(ctx));
    return list(ctx.req, "members", "directoryObjects", await Promise.all(members.map((m) => directoryObject(m, graph))));
  });
  on("GET", "/roleManagement/directory/roleDefinitions", async ({ req, caller }) => {
    await graph.requireDirectoryRead(caller);
    return list(req, "roleDefinitions", "roleManagement/directory/roleDefinitions", graph.modelledRoles().map((t) => graphViews.roleDefinition(t)));
  });
  on("GET", "/roleManagement/directory/roleDefinitions/:definition", async ({ req, caller, params }) => {
    await graph.requireDirectoryRead(caller);
    const templateId = graph.roleTemplateOf(caller.tenant.id, params.definition!);
    if (!templateId) throw graphErrors.notFound(params.definition!);
    return single(req, "roleManagement/directory/roleDefinitions", graphViews.roleDefinition(templateId));
  });
  const assignments = "roleManagement/directory/roleAssignments";
  on("GET", "/roleManagement/directory/roleAssignments", async ({ req, caller }) => list(req, "roleAssignments", assignments, (await graph.listRoleAssignments(caller)).map(graphViews.roleAssignment)));
  on("POST", "/roleManagement/directory/roleAssignments", async ({ req, caller, reply }) => {
    const created = await graph.assignRole(caller, directoryRoleAssignmentCommand(req.body));
    void reply.status(201);
    return single(req, assignments, graphViews.roleAssignment(created));
  });
  on("GET", "/roleManagement/directory/roleAssignments/:assignment", async ({ req, caller, params }) => {
    const found = (await graph.listRoleAssignments(caller)).find((a) => a.id === params.assignment!.toLowerCase());
    if (!found) throw graphErrors.notFound(params.assignment!);
    return single(req, assignments, graphViews.roleAssignment(found));
  });
  on("DELETE", "/roleManagement/directory/roleAssignments/:assignment", async ({ caller, params }) => void (await graph.removeRoleAssignment(caller, params.assignment!)));
}

/** `owners`, `owners/$ref` (add) and `owners/{id}/$ref` (remove) of an application or a service principal. */
function ownerRoutes(
  on: (method: Method, path: string, handler: GraphHandler) => void,
  graph: GraphService,
  base: string,
  object: (ctx: GraphContext) => Promise<Application | ServicePrincipal>,
): void {
  on("GET", `${base}/owners`, async (ctx) => list(ctx.req, "owners", "directoryObjects", await Promise.all((await graph.owners(await object(ctx))).map((o) => directoryObject(o, graph)))));
  on("POST", `${base}/owners/$ref`, async (ctx) => void (await graph.addOwner(ctx.caller, (await object(ctx)).id, ownerReference(ctx.req.body))));
  on("DELETE", `${base}/owners/:owner/$ref`, async (ctx) => void (await graph.removeOwner(ctx.caller, (await object(ctx)).id, ctx.params.owner!)));
}
