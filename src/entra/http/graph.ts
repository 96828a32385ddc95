import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baseUrl } from "../../http/wire.js";
import { GraphError, graphErrors } from "../graph-errors.js";
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
} from "../graph-input.js";
import type { GraphCaller, GraphService } from "../graph-service.js";
import { graphViews } from "./graph-views.js";
import type { Application, ServicePrincipal, User } from "../model.js";
import { filterProperties, matches, parseFilter } from "./odata.js";

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

/** `applications(appId='…')` → { name: "applications", key: { appId } }. */
function parseSegment(segment: string): { name: string; key?: Record<string, string> } {
  const match = /^([A-Za-z]+)\((\w+)=['"]?([^'")]*)['"]?\)$/.exec(segment);
  if (!match) return { name: segment };
  return { name: match[1]!, key: { [match[2]!]: match[3]! } };
}

/**
 * Microsoft Graph v1.0 (and the same surface under /beta) for the directory objects svcconn keeps. One catch-all
 * route parses the OData path — `applications(appId='…')/addPassword` is one path segment plus an action — and
 * dispatches; the service decides, this module renders.
 */
export function graphRoutes(app: FastifyInstance, graph: GraphService): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split("?")[0]!;
    const all = path.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
    const version = all[0]!;
    const query = Object.fromEntries(Object.entries((request.query ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
    const req: GraphRequest = { method: request.method, segments: all.slice(1), query, body: request.body, base: baseUrl(request), version };
    if (req.method !== "GET" && req.method !== "DELETE" && request.body !== undefined && (typeof request.body !== "object" || request.body === null)) {
      throw graphErrors.badRequest("The request body must be a JSON object.");
    }
    const caller = await graph.authenticate(request.headers.authorization);
    const result = await dispatch(req, caller, reply, graph);
    if (result === undefined) {
      if (!reply.sent) void reply.status(204).send();
      return reply;
    }
    void reply.header("content-type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8");
    return result;
  };
  for (const version of ["v1.0", "beta"]) {
    app.route({ method: ["GET", "POST", "PATCH", "DELETE", "PUT"], url: `/${version}/*`, handler });
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
const onlyMethods = (req: GraphRequest, ...methods: string[]) => {
  if (!methods.includes(req.method)) throw new GraphError(405, "Request_BadRequest", `The HTTP method '${req.method}' is not allowed for this resource.`);
};

async function applicationView(graph: GraphService, app: Application) {
  const { passwords, keys } = await graph.credentialsOf(app);
  return graphViews.application(app, passwords, keys);
}

async function directoryObject(req: GraphRequest, o: User | ServicePrincipal, graph: GraphService) {
  if ("userPrincipalName" in o) return { "@odata.type": "#microsoft.graph.user", ...graphViews.user(o) };
  return { "@odata.type": "#microsoft.graph.servicePrincipal", ...graphViews.servicePrincipal(o, await graph.signInAudienceOf(o)) };
}

async function dispatch(req: GraphRequest, caller: GraphCaller, reply: FastifyReply, graph: GraphService): Promise<unknown> {
  const [head, ...rest] = req.segments;
  if (!head) throw notFoundSegment(req);
  const { name, key } = parseSegment(head);
  // Graph matches path segments case-insensitively.
  switch (name.toLowerCase()) {
    case "applications":
      return applications(req, caller, reply, graph, key ? { appId: key.appId ?? key.uniqueName ?? "" } : rest[0] ? { id: rest.shift()! } : undefined, rest);
    case "serviceprincipals":
      return servicePrincipals(req, caller, reply, graph, key ? { appId: key.appId ?? "" } : rest[0] ? { id: rest.shift()! } : undefined, rest);
    case "users":
      return users(req, caller, graph, rest[0] ? rest.shift()! : undefined, rest);
    case "me":
      return users(req, caller, graph, caller.objectId, rest);
    case "organization": {
      onlyMethods(req, "GET");
      return list(req, "organization", "organization", [graphViews.organization(caller.tenant)]);
    }
    case "policies": {
      if (rest[0]?.toLowerCase() !== "authorizationpolicy" || rest.length > 2) throw notFoundSegment(req);
      if (req.method === "GET") return single(req, "policies/authorizationPolicy", graphViews.authorizationPolicy(await graph.getPolicy(caller)));
      onlyMethods(req, "PATCH");
      await graph.updatePolicy(caller, policyChanges(req.body));
      return undefined;
    }
    case "directoryroles": {
      onlyMethods(req, "GET");
      await graph.requireDirectoryRead(caller);
      const templateId = key ? graph.roleTemplateOf(caller.tenant.id, key.roleTemplateId ?? "") : rest[0] ? graph.roleTemplateOf(caller.tenant.id, rest.shift()!) : undefined;
      if (!key && !templateId && req.segments.length === 1) {
        return list(req, "directoryRoles", "directoryRoles", graph.modelledRoles().map((t) => graphViews.directoryRole(graph.directoryRoleId(caller.tenant.id, t), t)));
      }
      if (!templateId) throw graphErrors.notFound(key?.roleTemplateId ?? req.segments[1] ?? "");
      if (rest[0]?.toLowerCase() === "members") return list(req, "members", "directoryObjects", await Promise.all((await graph.roleMembers(caller, templateId)).map((m) => directoryObject(req, m, graph))));
      return single(req, "directoryRoles", graphViews.directoryRole(graph.directoryRoleId(caller.tenant.id, templateId), templateId));
    }
    case "rolemanagement": {
      if (rest[0]?.toLowerCase() !== "directory") throw notFoundSegment(req);
      if (rest[1]?.toLowerCase() === "roledefinitions") {
        onlyMethods(req, "GET");
        await graph.requireDirectoryRead(caller);
        if (rest[2]) {
          const templateId = graph.roleTemplateOf(caller.tenant.id, rest[2]);
          if (!templateId) throw graphErrors.notFound(rest[2]);
          return single(req, "roleManagement/directory/roleDefinitions", graphViews.roleDefinition(templateId));
        }
        return list(req, "roleDefinitions", "roleManagement/directory/roleDefinitions", graph.modelledRoles().map((t) => graphViews.roleDefinition(t)));
      }
      if (rest[1]?.toLowerCase() === "roleassignments") {
        if (rest[2]) {
          onlyMethods(req, "DELETE", "GET");
          if (req.method === "DELETE") {
            await graph.removeRoleAssignment(caller, rest[2]);
            return undefined;
          }
          const found = (await graph.listRoleAssignments(caller)).find((a) => a.id === rest[2]!.toLowerCase());
          if (!found) throw graphErrors.notFound(rest[2]);
          return single(req, "roleManagement/directory/roleAssignments", graphViews.roleAssignment(found));
        }
        if (req.method === "POST") {
          void reply.status(201);
          return single(req, "roleManagement/directory/roleAssignments", graphViews.roleAssignment(await graph.assignRole(caller, directoryRoleAssignmentCommand(req.body))));
        }
        onlyMethods(req, "GET");
        return list(req, "roleAssignments", "roleManagement/directory/roleAssignments", (await graph.listRoleAssignments(caller)).map(graphViews.roleAssignment));
      }
      throw notFoundSegment(req);
    }
    default:
      throw notFoundSegment(req);
  }
}

async function applications(
  req: GraphRequest,
  caller: GraphCaller,
  reply: FastifyReply,
  graph: GraphService,
  key: { id?: string; appId?: string } | undefined,
  rest: string[],
): Promise<unknown> {
  if (!key) {
    if (req.method === "POST") {
      const created = await graph.createApplication(caller, applicationCommand(req.body, true) as ApplicationCommand & { displayName: string });
      void reply.status(201);
      return single(req, "applications", await applicationView(graph, created));
    }
    onlyMethods(req, "GET");
    const withFederated = /federatedidentitycredentials/i.test(req.query.$filter ?? "");
    const views = await Promise.all(
      (await graph.listApplications(caller)).map(async (a) => ({
        ...(await applicationView(graph, a)),
        ...(withFederated ? { federatedIdentityCredentials: (await graph.listFederated(caller, a)).map(graphViews.federatedIdentityCredential) } : {}),
      })),
    );
    return list(req, "applications", "applications", views, ["federatedIdentityCredentials"]);
  }
  const app = await graph.findApplication(caller, key);
  const [action, sub, ...more] = rest;
  if (!action) {
    if (req.method === "GET") return single(req, "applications", await applicationView(graph, app));
    if (req.method === "PATCH") {
      await graph.updateApplication(caller, app, applicationCommand(req.body, false));
      return undefined;
    }
    onlyMethods(req, "DELETE");
    await graph.deleteApplication(caller, app);
    return undefined;
  }
  switch (action.toLowerCase()) {
    case "addpassword": {
      onlyMethods(req, "POST");
      const credential = await graph.addPassword(caller, app, passwordCommand(req.body));
      return { "@odata.context": context(req, "microsoft.graph.passwordCredential"), ...credential };
    }
    case "removepassword":
      onlyMethods(req, "POST");
      await graph.removePassword(caller, app, removePasswordKeyId(req.body));
      return undefined;
    case "federatedidentitycredentials": {
      if (!sub) {
        if (req.method === "POST") {
          void reply.status(201);
          return single(req, `applications('${app.id}')/federatedIdentityCredentials`, graphViews.federatedIdentityCredential(await graph.createFederated(caller, app, federatedCredentialCommand(req.body))));
        }
        onlyMethods(req, "GET");
        return list(req, "federatedIdentityCredentials", `applications('${app.id}')/federatedIdentityCredentials`, (await graph.listFederated(caller, app)).map(graphViews.federatedIdentityCredential));
      }
      if (more.length) throw notFoundSegment(req);
      const fic = await graph.findFederated(app, sub);
      if (req.method === "GET") return single(req, `applications('${app.id}')/federatedIdentityCredentials`, graphViews.federatedIdentityCredential(fic));
      if (req.method === "PATCH") {
        await graph.updateFederated(caller, app, fic, federatedCredentialCommand(req.body));
        return undefined;
      }
      onlyMethods(req, "DELETE");
      await graph.deleteFederated(caller, app, fic);
      return undefined;
    }
    case "owners":
      return owners(req, caller, graph, app, sub, more);
    default:
      throw notFoundSegment(req);
  }
}

async function owners(req: GraphRequest, caller: GraphCaller, graph: GraphService, object: Application | ServicePrincipal, sub: string | undefined, more: string[]) {
  if (!sub) {
    onlyMethods(req, "GET");
    return list(req, "owners", "directoryObjects", await Promise.all((await graph.owners(object)).map((o) => directoryObject(req, o, graph))));
  }
  if (sub === "$ref") {
    onlyMethods(req, "POST");
    await graph.addOwner(caller, object.id, ownerReference(req.body));
    return undefined;
  }
  if (more[0] === "$ref") {
    onlyMethods(req, "DELETE");
    await graph.removeOwner(caller, object.id, sub);
    return undefined;
  }
  throw notFoundSegment(req);
}

async function servicePrincipals(req: GraphRequest, caller: GraphCaller, reply: FastifyReply, graph: GraphService, key: { id?: string; appId?: string } | undefined, rest: string[]): Promise<unknown> {
  if (!key) {
    if (req.method === "POST") {
      const created = await graph.createServicePrincipal(caller, newServicePrincipalCommand(req.body));
      void reply.status(201);
      return single(req, "servicePrincipals", graphViews.servicePrincipal(created, await graph.signInAudienceOf(created)));
    }
    onlyMethods(req, "GET");
    const views = await Promise.all((await graph.listServicePrincipals(caller)).map(async (sp) => graphViews.servicePrincipal(sp, await graph.signInAudienceOf(sp))));
    return list(req, "servicePrincipals", "servicePrincipals", views);
  }
  const sp = await graph.findServicePrincipal(caller, key);
  const [action, sub, ...more] = rest;
  if (!action) {
    if (req.method === "GET") return single(req, "servicePrincipals", graphViews.servicePrincipal(sp, await graph.signInAudienceOf(sp)));
    if (req.method === "PATCH") {
      await graph.updateServicePrincipal(caller, sp, servicePrincipalChanges(req.body));
      return undefined;
    }
    onlyMethods(req, "DELETE");
    await graph.deleteServicePrincipal(caller, sp);
    return undefined;
  }
  if (action.toLowerCase() === "owners") return owners(req, caller, graph, sp, sub, more);
  if (action.toLowerCase() === "approleassignments") {
    const resourceName = "Microsoft Graph";
    if (!sub) {
      if (req.method === "POST") {
        void reply.status(201);
        return single(req, `servicePrincipals('${sp.id}')/appRoleAssignments`, graphViews.appRoleAssignment(await graph.grantAppRole(caller, sp, appRoleGrantCommand(req.body)), sp.displayName, resourceName));
      }
      onlyMethods(req, "GET");
      return list(req, "appRoleAssignments", `servicePrincipals('${sp.id}')/appRoleAssignments`, (await graph.appRoleAssignments(sp)).map((a) => graphViews.appRoleAssignment(a, sp.displayName, resourceName)));
    }
    onlyMethods(req, "DELETE");
    await graph.revokeAppRole(caller, sp, sub);
    return undefined;
  }
  throw notFoundSegment(req);
}

async function users(req: GraphRequest, caller: GraphCaller, graph: GraphService, id: string | undefined, rest: string[]): Promise<unknown> {
  if (!id) {
    onlyMethods(req, "GET");
    return list(req, "users", "users", (await graph.listUsers(caller)).map(graphViews.user));
  }
  const user = await graph.findUser(caller, id);
  if (rest[0]?.toLowerCase() === "revokesigninsessions") {
    onlyMethods(req, "POST");
    await graph.revokeSessions(caller, user);
    return { "@odata.context": context(req, "Edm.Boolean"), value: true };
  }
  if (rest.length) throw notFoundSegment(req);
  onlyMethods(req, "GET");
  return single(req, "users", graphViews.user(user));
}
