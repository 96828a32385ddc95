import { beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, basic, devops, ORG, PROJECT, twoProjectWorld } from "../helpers/devops.js";
import { postToken } from "../helpers/entra.js";
import { testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});

async function devopsToken(upn: string, tenant: string = DEMO.tenantId) {
  const result = await postToken(
    runtime,
    { grant_type: "password", client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", username: upn, password: DEMO.userPassword, scope: "499b84ac-1321-427f-aa17-267ca6975798/.default" },
    `/${tenant}/oauth2/v2.0/token`,
  );
  return result.body.access_token as string;
}

describe("authentication", () => {
  it("accepts a PAT in Basic with any user name, and Entra tokens for Azure DevOps in Bearer or Basic", async () => {
    const path = `/${ORG}/_apis/projects`;
    expect((await devops(runtime, "dev", "GET", path)).status).toBe(200);
    expect((await devops(runtime, { authorization: `Basic ${Buffer.from(`anything:${DEMO.pats.dev}`).toString("base64")}` }, "GET", path)).status).toBe(200);
    const token = await devopsToken(DEMO.users.dev.upn);
    expect((await devops(runtime, { authorization: `Bearer ${token}` }, "GET", path)).status).toBe(200);
    expect((await devops(runtime, { authorization: basic(token) }, "GET", path)).status).toBe(200);
  });

  it("answers TF400813 for anything else", async () => {
    const path = `/${ORG}/_apis/projects`;
    for (const who of [undefined, { authorization: basic("x".repeat(52)) }, { authorization: "Negotiate abc" }, { authorization: "Bearer not.a.jwt" }]) {
      const denied = await devops(runtime, who, "GET", path);
      expect(denied.status).toBe(401);
      expect(denied.body).toMatchObject({ typeKey: "UnauthorizedRequestException", message: expect.stringMatching(/^TF400813: The user '.*' is not authorized to access this resource\.$/) });
    }
    // An ARM token is not a token for Azure DevOps.
    const armToken = (await postToken(runtime, { grant_type: "password", client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", username: DEMO.users.dev.upn, password: DEMO.userPassword, scope: "https://management.azure.com/.default" })).body.access_token;
    expect((await devops(runtime, { authorization: `Bearer ${armToken}` }, "GET", path)).status).toBe(401);
    // A PAT of one organization does not open another; an unknown organization is 404.
    expect((await devops(runtime, "dev", "GET", `/nosuchorg/_apis/projects`)).status).toBe(404);
  });

  it("expires PATs on the clock", async () => {
    const local = await testRuntime();
    local.clock.advance(366 * 86_400);
    expect((await devops(local, "dev", "GET", `/${ORG}/_apis/projects`)).status).toBe(401);
  });
});

describe("api-version, discovery and core", () => {
  it("reads the version from Accept or the query and refuses a data route without one", async () => {
    const missing = await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects`, undefined, { version: null });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({
      typeKey: "VssVersionNotSpecifiedException",
      message: 'No api-version was supplied for the "GET" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. "?api-version=1.0").',
    });
    const viaAccept = await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects`, undefined, { version: null, headers: { accept: "application/json;api-version=7.1-preview.4" } });
    expect(viaAccept.status).toBe(200);
    expect(viaAccept.headers["content-type"]).toContain("api-version=7.1-preview.4");
    expect((await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects`, undefined, { version: "9.0" })).body.typeKey).toBe("VssVersionOutOfRangeException");
    expect((await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects`, undefined, { version: "banana" })).status).toBe(400);
    // Older versions the clients send are accepted.
    expect((await devops(runtime, "dev", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints`, undefined, { version: "5.1-preview.2" })).status).toBe(200);
  });

  it("serves every location the clients resolve, with all version fields", async () => {
    const all = await devops(runtime, "dev", "OPTIONS", `/${ORG}/_apis`, undefined, { version: null });
    expect(all.status).toBe(200);
    for (const location of all.body.value) {
      expect(location).toEqual({ id: expect.any(String), area: expect.any(String), resourceName: expect.any(String), routeTemplate: expect.any(String), resourceVersion: expect.any(Number), minVersion: expect.any(String), maxVersion: expect.any(String), releasedVersion: expect.any(String) });
    }
    const ids = all.body.value.map((l: any) => l.id);
    for (const id of ["e85f1c62-adfc-4b74-b618-11a150fb195e", "14e48fdc-2c8b-41ce-a0c3-e26f6cc55bd0", "b5b9a4a4-e6cd-4096-853c-ab7d8b0c4eb2", "69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2", "603fe2ac-9723-48b9-88ad-09305aa6c6e1"]) expect(ids).toContain(id);
    const area = await devops(runtime, "dev", "OPTIONS", `/${ORG}/_apis/serviceendpoint`, undefined, { version: null });
    expect(area.body.value.every((l: any) => l.area === "serviceendpoint")).toBe(true);
    const connection = await devops(runtime, "dev", "GET", `/${ORG}/_apis/connectionData`, undefined, { version: null });
    expect(connection.body.authenticatedUser).toMatchObject({ providerDisplayName: "Dana Developer", properties: { Account: { $value: DEMO.users.dev.upn } } });
  });

  it("lists and gets projects the caller is a member of", async () => {
    const projects = await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects`);
    expect(projects.body).toMatchObject({ count: 1, value: [{ id: DEMO.project.id, name: PROJECT, state: "wellFormed" }] });
    expect((await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects/${PROJECT}`)).body.id).toBe(DEMO.project.id);
    const missing = await devops(runtime, "dev", "GET", `/${ORG}/_apis/projects/nope`);
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe("VS800075: The project with id 'vstfs:///Classification/TeamProject/nope' does not exist, or you do not have permission to access it.");
    // Only Project Administrators rename.
    expect((await devops(runtime, "dev", "PATCH", `/${ORG}/_apis/projects/${PROJECT}`, { name: "x" })).status).toBe(403);
  });
});

describe("service endpoints: reads, filters, names, sharing, types", () => {
  let manual: any;
  beforeAll(async () => {
    const body = azurerm({ name: "Shared SP", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } });
    manual = (await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body)).body;
  });

  it("refuses a duplicate name with the real 409 and message, case-insensitively", async () => {
    const body = azurerm({ name: "shared sp", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: "x" } });
    const duplicate = await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ typeKey: "DuplicateServiceConnectionException", message: "Service connection with name shared sp already exists. Only a user having Administrator/User role permissions on service connection shared sp can see it." });
  });

  it("filters lists by type, scheme, ids, names, owner and action", async () => {
    const base = `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints`;
    const count = async (query: string, who: "admin" | "dev" = "admin") => (await devops(runtime, who, "GET", `${base}?${query}`)).body.count as number;
    expect(await count("type=azurerm")).toBe(1);
    expect(await count("type=generic")).toBe(0);
    expect(await count("authSchemes=WorkloadIdentityFederation,ServicePrincipal")).toBe(1);
    expect(await count("authSchemes=ManagedServiceIdentity")).toBe(0);
    expect(await count(`endpointIds=${manual.id}`)).toBe(1);
    expect(await count("endpointNames=SHARED%20SP")).toBe(1);
    expect(await count("owner=library")).toBe(1);
    expect(await count("owner=agentcloud")).toBe(0);
    expect(await count("actionFilter=manage")).toBe(1);
    expect(await count("actionFilter=manage", "dev")).toBe(0);
    expect(await count("actionFilter=2", "dev")).toBe(0);
    expect(await count("actionFilter=view", "dev")).toBe(1);
    expect((await devops(runtime, "admin", "GET", `${base}?actionFilter=fly`)).status).toBe(400);
    // By name on the older route.
    const byName = await devops(runtime, "dev", "GET", `${base}?endpointNames=Shared%20SP&type=azurerm`);
    expect(byName.body.value[0]).toMatchObject({ id: manual.id, isReady: true, owner: "Library" });
  });

  it("masks secrets on read: null in a single object, absent in lists", async () => {
    const one = await devops(runtime, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpoints/${manual.id}`);
    expect(one.body.authorization.parameters).toEqual({ tenantid: DEMO.tenantId, serviceprincipalid: DEMO.bootstrapAppId, authenticationType: "spnKey", serviceprincipalkey: null });
    const listed = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints`);
    expect(JSON.stringify(listed.body)).not.toContain(DEMO.bootstrapSecret);
    expect(JSON.stringify(one.body)).not.toContain(DEMO.bootstrapSecret);
  });

  it("updates, keeping a masked secret, and refuses type or unknown-operation changes", async () => {
    const update = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${manual.id}`, { ...manual, description: "edited", authorization: { ...manual.authorization, parameters: { ...manual.authorization.parameters, serviceprincipalkey: null } } });
    expect(update.status).toBe(200);
    expect(update.body.description).toBe("edited");
    const verify = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpointproxy?endpointId=${manual.id}`, { dataSourceDetails: { dataSourceName: "TestConnection" } });
    expect(verify.body.statusCode).toBe("ok");
    expect((await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${manual.id}`, { ...manual, type: "generic" })).status).toBe(400);
    expect((await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${manual.id}?operation=Explode`, manual)).status).toBe(400);
    expect((await devops(runtime, "dev", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${manual.id}`, manual)).status).toBe(403);
    const many = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints`, [{ ...manual, description: "batch" }]);
    expect(many.body).toMatchObject({ count: 1, value: [{ id: manual.id, description: "batch" }] });
  });

  it("converts a secret connection to workload identity federation and back within seven days", async () => {
    const body = azurerm({ name: "to-convert", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } });
    const created = (await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body)).body;
    const path = `/${ORG}/_apis/serviceendpoint/endpoints/${created.id}?operation=ConvertAuthenticationScheme`;
    const converted = await devops(runtime, "admin", "PUT", path, { ...created, authorization: { scheme: "WorkloadIdentityFederation", parameters: {} } });
    expect(converted.status).toBe(200);
    expect(converted.body.authorization).toMatchObject({ scheme: "WorkloadIdentityFederation", parameters: { workloadIdentityFederationSubject: expect.stringContaining(created.id) } });
    expect(converted.body.data.revertSchemeDeadline).toBeDefined();
    const back = await devops(runtime, "admin", "PUT", path, { ...created, authorization: { scheme: "ServicePrincipal", parameters: {} } });
    expect(back.body.authorization.scheme).toBe("ServicePrincipal");

    const again = await devops(runtime, "admin", "PUT", path, { ...created, authorization: { scheme: "WorkloadIdentityFederation", parameters: {} } });
    expect(again.status).toBe(200);
    const later = await testRuntimeClockAdvance(8 * 86_400, async () => devops(runtime, "admin", "PUT", path, { ...created, authorization: { scheme: "ServicePrincipal", parameters: {} } }));
    expect(later.status).toBe(400);
    expect(later.body.message).toBe("The service connection can no longer be reverted: the 7-day revert window has passed.");
  });

  it("shares with another project and unshares by deleting from it", async () => {
    const two = await testRuntime({ world: twoProjectWorld() });
    const body = azurerm({ name: "to-share", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } });
    const endpoint = (await devops(two, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body)).body;
    const inOps = async () => (await devops(two, "admin", "GET", `/${ORG}/ops/_apis/serviceendpoint/endpoints`)).body.value.map((e: any) => e.name);
    expect(await inOps()).toEqual([]);

    const share = await devops(two, "admin", "PATCH", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`, [{ projectReference: { name: "ops" }, name: "shared-in-ops", description: "" }]);
    expect(share.status).toBe(204);
    expect(await inOps()).toEqual(["shared-in-ops"]); // a project sees its own name for the connection
    const shared = (await devops(two, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`)).body;
    expect(shared).toMatchObject({ isShared: true, serviceEndpointProjectReferences: [{ name: "to-share" }, { projectReference: { name: "ops" }, name: "shared-in-ops" }] });
    // The Reader of ops sees it there but may not use it.
    expect((await devops(two, "dev", "GET", `/${ORG}/ops/_apis/serviceendpoint/endpoints?actionFilter=use`)).body.count).toBe(0);
    expect((await devops(two, "admin", "PATCH", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`, [{ projectReference: { name: "ghost" } }])).status).toBe(400);
    expect((await devops(two, "admin", "PATCH", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`, { not: "an array" })).body.typeKey).toBe("ArgumentNullException");

    // Projects keep unique names.
    const clash = await devops(two, "admin", "PATCH", `/${ORG}/_apis/projects/${PROJECT}`, { name: "OPS" });
    expect(clash.status).toBe(400);
    expect(clash.body.message).toBe("TF200019: The following project already exists on the Azure DevOps Server: OPS.");

    // Unshare: delete from ops only; it stays in web.
    expect((await devops(two, "admin", "DELETE", `/${ORG}/ops/_apis/serviceendpoint/endpoints/${endpoint.id}`)).status).toBe(204);
    expect(await inOps()).toEqual([]);
    expect((await devops(two, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`)).body.isShared).toBe(false);
  });

  it("describes the azurerm type with every scheme and the generic type", async () => {
    const types = await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/types`);
    const azure = types.body.value.find((t: any) => t.name === "azurerm");
    expect(azure.authenticationSchemes.map((s: any) => s.scheme).sort()).toEqual(["ManagedServiceIdentity", "PublishProfile", "ServicePrincipal", "WorkloadIdentityFederation"]);
    expect((await devops(runtime, "dev", "GET", `/${ORG}/_apis/serviceendpoint/types?type=azurerm&scheme=WorkloadIdentityFederation`)).body.value[0].authenticationSchemes).toHaveLength(1);
    expect(types.body.value.map((t: any) => t.name)).toContain("generic");
  });

  it("answers 404 for unknown or invisible ids, and an empty execution history", async () => {
    const ghost = crypto.randomUUID();
    const missing = await devops(runtime, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpoints/${ghost}`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(`Service connection with id ${ghost} does not exist or you do not have permissions to access it.`);
    expect((await devops(runtime, "admin", "GET", `/${ORG}/_apis/serviceendpoint/endpoints/not-a-guid`)).status).toBe(404);
    expect((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/${manual.id}/executionhistory`)).body).toEqual({ count: 0, value: [] });
  });
});

describe("S14 pipeline permissions API", () => {
  it("starts closed, authorizes single pipelines and all pipelines, in single and batch form", async () => {
    const body = azurerm({ name: "perm", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } });
    const endpoint = (await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body)).body;
    const path = `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${endpoint.id}`;
    expect((await devops(runtime, "admin", "GET", path, undefined, { version: "7.1-preview.1" })).body).toEqual({ resource: { type: "endpoint", id: endpoint.id }, pipelines: [], allPipelines: null });

    const one = await devops(runtime, "admin", "PATCH", path, { pipelines: [{ id: 12, authorized: true }] }, { version: "7.1-preview.1" });
    expect(one.body.pipelines).toEqual([expect.objectContaining({ id: 12, authorized: true, authorizedBy: expect.objectContaining({ uniqueName: DEMO.users.admin.upn }) })]);
    // Only an Administrator of the connection may open it up.
    expect((await devops(runtime, "dev", "PATCH", path, { allPipelines: { authorized: true } }, { version: "7.1-preview.1" })).status).toBe(403);
    const batch = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions`, [{ resource: { type: "endpoint", id: endpoint.id }, allPipelines: { authorized: true } }], { version: "7.1-preview.1" });
    expect(batch.body.value[0].allPipelines).toMatchObject({ authorized: true });
    const legacy = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/authorizedresources?type=endpoint&id=${endpoint.id}`, undefined, { version: "7.1-preview.1" });
    expect(legacy.body.value).toEqual([{ type: "endpoint", id: endpoint.id, authorized: true }]);
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/build/authorizedresources`, [{ authorized: false, id: endpoint.id, type: "endpoint" }], { version: "7.1-preview.1" });
    expect((await devops(runtime, "admin", "GET", path, undefined, { version: "7.1-preview.1" })).body).toMatchObject({ pipelines: [{ id: 12 }], allPipelines: null });
  });

  it("reads every part of a permissions body before applying any, so a bad part changes nothing", async () => {
    const body = azurerm({ name: "perm-atomic", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret } });
    const endpoint = (await devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body)).body;
    const path = `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${endpoint.id}`;
    const options = { version: "7.1-preview.1" };
    const single = await devops(runtime, "admin", "PATCH", path, { allPipelines: { authorized: true }, pipelines: [{ id: 3, authorized: true }, { id: "x", authorized: true }] }, options);
    expect(single.status).toBe(400);
    const batch = await devops(
      runtime,
      "admin",
      "PATCH",
      `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions`,
      [{ resource: { type: "endpoint", id: endpoint.id }, allPipelines: { authorized: true } }, { resource: { type: "endpoint" } }],
      options,
    );
    expect(batch.status).toBe(400);
    const legacy = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/build/authorizedresources`, [{ authorized: true, id: endpoint.id, type: "endpoint" }, { id: endpoint.id }], options);
    expect(legacy.status).toBe(400);
    expect((await devops(runtime, "admin", "GET", path, undefined, options)).body).toEqual({ resource: { type: "endpoint", id: endpoint.id }, pipelines: [], allPipelines: null });
  });
});

describe("security roles", () => {
  it("finds people and groups of the organization by name or sign-in name (the Identities API's search), for an identity picker", async () => {
    const found = await devops(runtime, "reader", "GET", `/${ORG}/_apis/identities?searchFilter=General&filterValue=RILEY`);
    expect(found.status).toBe(200);
    expect(found.body.value).toEqual([expect.objectContaining({ providerDisplayName: "Riley Reader", isContainer: false, properties: expect.objectContaining({ Account: { $type: "System.String", $value: DEMO.users.reader.upn } }) })]);
    const groups = (await devops(runtime, "reader", "GET", `/${ORG}/_apis/identities?searchFilter=General&filterValue=endpoint%20creators`)).body.value;
    expect(groups.map((g: { providerDisplayName: string; isContainer: boolean }) => [g.providerDisplayName, g.isContainer])).toEqual([[`[${PROJECT}]\\Endpoint Creators`, true]]);
    expect((await devops(runtime, "reader", "GET", `/${ORG}/_apis/identities?searchFilter=General&filterValue=`)).body).toEqual({ count: 0, value: [] });
    const bad = await devops(runtime, "reader", "GET", `/${ORG}/_apis/identities?searchFilter=DirectoryAlias&filterValue=x`);
    expect(bad.status).toBe(400);
  });

  it("has the real defaults: Endpoint Creators create, Endpoint Administrators administer, project members read", async () => {
    const project = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${DEMO.project.id}`, undefined, { version: "7.1-preview.1" });
    const byName = Object.fromEntries(project.body.value.map((a: any) => [a.identity.displayName, a.role.name]));
    expect(byName).toMatchObject({ "[web]\\Endpoint Creators": "Creator", "[web]\\Endpoint Administrators": "Administrator", "[web]\\Project Valid Users": "Reader" });
    const definitions = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.serviceendpointrole/roledefinitions`, undefined, { version: "7.1-preview.1" });
    expect(definitions.body.value.map((d: any) => d.name).sort()).toEqual(["Administrator", "Reader", "User"]);
    // Only administrators change roles.
    expect((await devops(runtime, "dev", "PUT", `/${ORG}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${DEMO.project.id}`, [{ roleName: "Administrator", userId: crypto.randomUUID() }], { version: "7.1-preview.1" })).status).toBe(403);
    expect((await devops(runtime, "admin", "PUT", `/${ORG}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${DEMO.project.id}`, [{ roleName: "Wizard", userId: crypto.randomUUID() }], { version: "7.1-preview.1" })).status).toBe(400);
  });
});

describe("bad input", () => {
  const endpointsRoute = `/${ORG}/_apis/serviceendpoint/endpoints`;
  const cases: Array<{ what: string; method: string; path: string; body?: unknown; raw?: string }> = [
    { what: "malformed JSON", method: "POST", path: endpointsRoute, raw: '{"name": "x", ' },
    { what: "an array", method: "POST", path: endpointsRoute, body: [1, 2] },
    { what: "null", method: "POST", path: endpointsRoute, raw: "null" },
    { what: "a number name", method: "POST", path: endpointsRoute, body: { ...azurerm({ name: "x" }), name: 42 } },
    { what: "an unknown scheme", method: "POST", path: endpointsRoute, body: { ...azurerm({ name: "x" }), authorization: { scheme: "Magic", parameters: {} } } },
    { what: "an unknown scope level", method: "POST", path: endpointsRoute, body: azurerm({ name: "x", scopeLevel: "Universe" as never }) },
    { what: "a bad subscription id", method: "POST", path: endpointsRoute, body: azurerm({ name: "x", subscriptionId: "not-a-guid" }) },
    { what: "an unknown type", method: "POST", path: endpointsRoute, body: { ...azurerm({ name: "x" }), type: "kubernetes-ish" } },
    { what: "object parameters", method: "POST", path: endpointsRoute, body: { ...azurerm({ name: "x" }), authorization: { scheme: "ServicePrincipal", parameters: { tenantid: { a: 1 } } } } },
    { what: "a string for project references", method: "POST", path: endpointsRoute, body: { ...azurerm({ name: "x" }), serviceEndpointProjectReferences: "web" } },
    { what: "no project references", method: "POST", path: endpointsRoute, body: { ...azurerm({ name: "x" }), serviceEndpointProjectReferences: [] } },
    { what: "an automatic connection that brings a secret", method: "POST", path: endpointsRoute, body: azurerm({ name: "x", scheme: "ServicePrincipal", parameters: { serviceprincipalkey: "s" } }) },
    { what: "a huge body", method: "POST", path: endpointsRoute, raw: JSON.stringify({ ...azurerm({ name: "x" }), description: "x".repeat(3 * 1024 * 1024) }) },
    { what: "an update with a string body", method: "PUT", path: `${endpointsRoute}/${crypto.randomUUID()}`, raw: '"x"' },
    { what: "update many with an object", method: "PUT", path: endpointsRoute, body: { id: 1 } },
    { what: "a delete without projects", method: "DELETE", path: `${endpointsRoute}/${crypto.randomUUID()}` },
    { what: "a proxy without endpoint", method: "POST", path: `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpointproxy`, body: {} },
    { what: "permissions with a bad pipeline id", method: "PATCH", path: `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/queue/1`, body: { pipelines: [{ id: "x", authorized: true }] } },
    { what: "permissions for an unknown resource type", method: "GET", path: `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/spaceship/1` },
    { what: "batch permissions with an object", method: "PATCH", path: `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions`, body: { resource: {} } },
    { what: "role assignments with a bad scope", method: "GET", path: `/${ORG}/_apis/securityroles/scopes/nope/roleassignments/resources/${DEMO.project.id}` },
    { what: "role assignments with a string body", method: "PUT", path: `/${ORG}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${DEMO.project.id}`, raw: '"admin"' },
    { what: "a project rename to an empty name", method: "PATCH", path: `/${ORG}/_apis/projects/${PROJECT}`, body: { name: "" } },
    { what: "shared projects without a project", method: "GET", path: `/${ORG}/_apis/serviceendpoint/endpointproject/${crypto.randomUUID()}` },
    { what: "sharing with no target project", method: "POST", path: `/${ORG}/_apis/serviceendpoint/endpointproject/${crypto.randomUUID()}?fromProject=${PROJECT}`, body: {} },
    { what: "an oidctoken without a connection", method: "POST", path: `/${ORG}/${PROJECT}/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken`, body: {} },
  ];

  it.each(cases)("$what → the DevOps error envelope, never a 5xx, nothing stored", async ({ method, path, body, raw }) => {
    const before = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints?includeFailed=true`)).body.count;
    const response = await devops(runtime, "admin", method, path, body, { raw });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.body).toMatchObject({ message: expect.any(String), typeKey: expect.any(String), typeName: expect.any(String) });
    const after = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints?includeFailed=true`)).body.count;
    expect(after).toBe(before);
  });

  it("keeps serving after all of that", async () => {
    expect((await devops(runtime, "admin", "GET", `/${ORG}/_apis/projects`)).status).toBe(200);
  });
});

/** Moves the shared runtime's clock for one call (the clock only moves forward; later tests do not mind). */
async function testRuntimeClockAdvance<T>(seconds: number, work: () => Promise<T>): Promise<T> {
  runtime.clock.advance(seconds);
  return work();
}
