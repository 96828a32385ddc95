import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { testRuntime } from "../helpers/runtime.js";
import { DEV_SUB, SUB, arm, bootstrapToken, principalWithToken } from "../helpers/arm.js";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";

let runtime: Runtime;
let admin: string;
beforeAll(async () => {
  runtime = await testRuntime();
  admin = await bootstrapToken(runtime);
});
afterAll(async () => runtime.close());

describe("subscriptions, tenants, management groups", () => {
  it("lists only subscriptions of the token's tenant where the caller holds a role", async () => {
    const all = await arm(runtime, admin, "GET", "/subscriptions?api-version=2022-12-01");
    expect(all.body.value.map((s: any) => s.subscriptionId).sort()).toEqual([SUB, DEV_SUB].sort());
    expect(all.body.value[0]).toMatchObject({ id: expect.stringMatching(/^\/subscriptions\//), tenantId: DEMO.tenantId, state: "Enabled", authorizationSource: "RoleBased" });
    const nobody = await principalWithToken(runtime, "nobody");
    expect((await arm(runtime, nobody.token, "GET", "/subscriptions?api-version=2022-12-01")).body.value).toEqual([]);
    // A role on one resource group is enough to see its subscription.
    const narrow = await principalWithToken(runtime, "narrow");
    await runtime.arm.seedRoleAssignment({ tenantId: DEMO.tenantId, scope: `/subscriptions/${DEV_SUB}/resourceGroups/rg-dev-app`, roleDefinitionId: BUILTIN_ROLE_IDS.Reader, principalId: narrow.servicePrincipalId!, principalType: "ServicePrincipal" });
    expect((await arm(runtime, narrow.token, "GET", "/subscriptions?api-version=2022-12-01")).body.value.map((s: any) => s.subscriptionId)).toEqual([DEV_SUB]);
    const get = await arm(runtime, nobody.token, "GET", `/subscriptions/${SUB}?api-version=2022-12-01`);
    expect(get.status).toBe(403);
    expect((await arm(runtime, admin, "GET", `/subscriptions/${randomUUID()}?api-version=2022-12-01`)).body.error.code).toBe("SubscriptionNotFound");
  });

  it("pages subscriptions with nextLink", async () => {
    const first = await arm(runtime, admin, "GET", "/subscriptions?api-version=2022-12-01&$top=1");
    expect(first.body.value).toHaveLength(1);
    const next = new URL(first.body.nextLink);
    const second = await arm(runtime, admin, "GET", `${next.pathname}${next.search}`);
    expect(second.body.value).toHaveLength(1);
    expect(second.body.nextLink).toBeUndefined();
    expect(second.body.value[0].subscriptionId).not.toBe(first.body.value[0].subscriptionId);
  });

  it("lists tenants, locations and the management-group tree", async () => {
    expect((await arm(runtime, admin, "GET", "/tenants?api-version=2022-12-01")).body.value).toEqual([
      expect.objectContaining({ id: `/tenants/${DEMO.tenantId}`, tenantId: DEMO.tenantId, displayName: "Contoso", defaultDomain: DEMO.tenantDomain, tenantCategory: "Home" }),
    ]);
    expect((await arm(runtime, admin, "GET", `/subscriptions/${SUB}/locations`)).body.value.map((l: any) => l.name)).toContain("westeurope");
    const groups = await arm(runtime, admin, "GET", "/providers/Microsoft.Management/managementGroups?api-version=2021-04-01");
    expect(groups.body.value.map((g: any) => g.name).sort()).toEqual([DEMO.managementGroup, DEMO.tenantId].sort());
    const mg = await arm(runtime, admin, "GET", `/providers/Microsoft.Management/managementGroups/${DEMO.managementGroup}?api-version=2021-04-01&$expand=children`);
    expect(mg.body.properties.details.parent).toMatchObject({ name: DEMO.tenantId, displayName: "Tenant Root Group" });
    expect(mg.body.properties.children.map((c: any) => c.name).sort()).toEqual([SUB, DEV_SUB].sort());
  });

  it("serves /metadata/endpoints in both shapes, without a token", async () => {
    const old = await arm(runtime, undefined, "GET", "//metadata/endpoints?api-version=2015-01-01");
    expect(old.body.authentication.audiences).toContain("https://management.core.windows.net/");
    const modern = await arm(runtime, undefined, "GET", "/metadata/endpoints?api-version=2022-09-01");
    expect(Array.isArray(modern.body)).toBe(true);
    expect(modern.body[0]).toMatchObject({ resourceManager: "http://127.0.0.1:8445/", authentication: { audiences: expect.any(Array) } });
  });
});

describe("resource groups", () => {
  const rg = (name: string) => `/subscriptions/${SUB}/resourcegroups/${name}`;

  it("creates (201), updates (200), reads, tests existence, lists and deletes", async () => {
    const name = `rg-${randomUUID().slice(0, 8)}`;
    const created = await arm(runtime, admin, "PUT", `${rg(name)}?api-version=2025-04-01`, { location: "West Europe", tags: { a: "b" } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: `/subscriptions/${SUB}/resourceGroups/${name}`, name, type: "Microsoft.Resources/resourceGroups", location: "westeurope", tags: { a: "b" }, properties: { provisioningState: "Succeeded" } });
    expect((await arm(runtime, admin, "PUT", rg(name), { location: "westeurope" })).status).toBe(200);
    const moved = await arm(runtime, admin, "PUT", rg(name), { location: "eastus" });
    expect(moved.status).toBe(409);
    expect(moved.body.error.code).toBe("InvalidResourceGroupLocation");
    expect((await arm(runtime, admin, "HEAD", rg(name.toUpperCase()))).status).toBe(204);
    expect((await arm(runtime, admin, "HEAD", rg("rg-none"))).status).toBe(404);
    expect((await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourceGroups`)).body.value.map((g: any) => g.name)).toContain(name);
    expect((await arm(runtime, admin, "DELETE", rg(name))).status).toBe(200);
    const gone = await arm(runtime, admin, "GET", rg(name));
    expect(gone.status).toBe(404);
    expect(gone.body.error).toEqual({ code: "ResourceGroupNotFound", message: `Resource group '${name}' could not be found.` });
  });

  it("refuses bad names, a missing location and malformed bodies with ARM errors", async () => {
    expect((await arm(runtime, admin, "PUT", rg("bad*name"), { location: "westeurope" })).body.error.code).toBe("InvalidResourceGroup");
    expect((await arm(runtime, admin, "PUT", rg("no-location"), {})).body.error.code).toBe("LocationRequired");
    const malformed = await runtime.listeners.arm.inject({
      method: "PUT",
      url: `${rg("x")}?api-version=2022-04-01`,
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe("InvalidRequestContent");
    expect((await arm(runtime, admin, "PUT", rg("arr"), [1, 2])).body.error.code).toBe("InvalidRequestContent");
  });

  it("answers a path ARM has not, or a method it has not there, with ARM's NotFound and MethodNotAllowed", async () => {
    const api = "api-version=2022-04-01";
    const deep = await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourceGroups/rg-prod-app/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}/extra?${api}`);
    expect(deep.status).toBe(404);
    expect(deep.body.error.code).toBe("NotFound");
    expect((await arm(runtime, admin, "GET", `/subscriptions/${SUB}/spaceships?${api}`)).body.error.code).toBe("NotFound");
    expect((await arm(runtime, admin, "DELETE", `/subscriptions/${SUB}?${api}`)).body.error).toEqual({ code: "MethodNotAllowed", message: "The requested method 'DELETE' is not allowed for this resource." });
    expect((await arm(runtime, admin, "GET", `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/rg-prod-app?${api}`)).body.name).toBe("rg-prod-app");
    expect((await arm(runtime, undefined, "GET", `/subscriptions/${SUB}/spaceships?${api}`)).status).toBe(401);
  });

  it("requires a well-formed api-version", async () => {
    const missing = await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourcegroups?x=1&api-version=`);
    expect(missing.body.error.code).toBe("MissingApiVersionParameter");
    expect((await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourcegroups?api-version=banana`)).body.error.code).toBe("InvalidApiVersionParameter");
    expect((await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourcegroups?api-version=2099-01-01-preview`)).status).toBe(200);
  });
});

describe("generic resources", () => {
  const base = `/subscriptions/${SUB}/resourceGroups/rg-prod-app/providers`;

  it("stores any provider's resource, with nested types, and returns its properties", async () => {
    const site = `${base}/Microsoft.Web/sites/app-${randomUUID().slice(0, 6)}`;
    const put = await arm(runtime, admin, "PUT", `${site}?api-version=2023-12-01`, { location: "West Europe", kind: "app", properties: { httpsOnly: true, siteConfig: { alwaysOn: true } } });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ type: "Microsoft.Web/sites", location: "westeurope", kind: "app", properties: { httpsOnly: true, provisioningState: "Succeeded" } });
    const slot = await arm(runtime, admin, "PUT", `${site}/slots/staging`, { location: "westeurope", properties: { enabled: true } });
    expect(slot.status).toBe(201);
    expect(slot.body.type).toBe("Microsoft.Web/sites/slots");
    expect((await arm(runtime, admin, "GET", `${site}/slots`)).body.value.map((s: any) => s.name)).toEqual(["staging"]);
    const patched = await arm(runtime, admin, "PATCH", site, { properties: { clientAffinityEnabled: false } });
    expect(patched.body.properties).toMatchObject({ httpsOnly: true, clientAffinityEnabled: false });
    const listed = await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourceGroups/rg-prod-app/resources`);
    expect(listed.body.value.map((r: any) => r.type)).toEqual(expect.arrayContaining(["Microsoft.Storage/storageAccounts", "Microsoft.Web/sites", "Microsoft.Web/sites/slots"]));
    const action = await arm(runtime, admin, "POST", `${site}/restart`);
    expect(action.status).toBe(200);
    expect((await arm(runtime, admin, "DELETE", site)).status).toBe(200);
    expect((await arm(runtime, admin, "GET", `${site}/slots/staging`)).status).toBe(404);
    expect((await arm(runtime, admin, "DELETE", site)).status).toBe(204);
  });

  it("answers ResourceNotFound, ParentResourceNotFound and ResourceGroupNotFound", async () => {
    const missing = await arm(runtime, admin, "GET", `${base}/Microsoft.Web/sites/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({
      code: "ResourceNotFound",
      message: "The Resource 'Microsoft.Web/sites/nothing' under resource group 'rg-prod-app' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    });
    expect((await arm(runtime, admin, "PUT", `${base}/Microsoft.Web/sites/nothing/slots/x`, { location: "westeurope" })).body.error.code).toBe("ParentResourceNotFound");
    expect((await arm(runtime, admin, "PUT", `/subscriptions/${SUB}/resourceGroups/rg-none/providers/Microsoft.Web/sites/x`, { location: "westeurope" })).body.error.code).toBe("ResourceGroupNotFound");
    expect((await arm(runtime, admin, "PUT", `${base}/Microsoft.Web/sites/x`, { location: "westeurope", properties: "nope" })).body.error.code).toBe("InvalidRequestContent");
  });

  it("lets a Machine Learning workspace be a scope for role assignments", async () => {
    const workspace = `${base}/Microsoft.MachineLearningServices/workspaces/mlw-${randomUUID().slice(0, 6)}`;
    expect((await arm(runtime, admin, "PUT", workspace, { location: "westeurope", properties: { friendlyName: "ml" } })).status).toBe(201);
    const principal = await principalWithToken(runtime, "ml");
    const assign = await arm(runtime, admin, "PUT", `${workspace}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
      properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Contributor}`, principalId: principal.servicePrincipalId },
    });
    expect(assign.status).toBe(201);
  });
  it("filters a subscription's resources by type and name, case-insensitively, and refuses other filters", async () => {
    const filter = (f: string) => arm(runtime, admin, "GET", `/subscriptions/${SUB}/resources?api-version=2016-07-01&$filter=${encodeURIComponent(f)}`);
    const found = await filter("resourceType EQ 'Microsoft.Web/Sites' AND name EQ 'APP-CONTOSO-PROD'");
    expect(found.status).toBe(200);
    expect(found.body.value.map((r: { id: string }) => r.id)).toEqual([`/subscriptions/${SUB}/resourceGroups/rg-prod-app/providers/Microsoft.Web/sites/app-contoso-prod`]);
    expect((await filter("resourceType eq 'Microsoft.Web/sites' and name eq 'nope'")).body.value).toEqual([]);
    const refused = await filter("tagName eq 'env'");
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({ code: "UnsupportedQuery", message: "The filter 'tagName eq 'env'' is not supported." });
  });

  it("answers a site's config action while the site exists, and names the site when it does not", async () => {
    const site = `/subscriptions/${SUB}/resourceGroups/rg-prod-app/providers/Microsoft.Web/sites`;
    const listed = await arm(runtime, admin, "POST", `${site}/app-contoso-prod/config/publishingcredentials/list?api-version=2016-08-01`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ type: "Microsoft.Web/sites/config", name: "publishingcredentials", action: "list" });
    const missing = await arm(runtime, admin, "POST", `${site}/app-gone/config/publishingcredentials/list?api-version=2016-08-01`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("ResourceNotFound");
    expect(missing.body.error.message).toContain("'Microsoft.Web/sites/app-gone'");
  });
});
