import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { normaliseGraphUrl } from "../../src/entra/http/graph/routes.js";
import { GUEST_ROLE } from "../../src/entra/model.js";
import { testRuntime } from "../helpers/runtime.js";
import { postToken } from "../helpers/entra.js";
import { appGraphToken, graph, userGraphToken } from "../helpers/graph.js";

let runtime: Runtime;
let admin: string;
beforeAll(async () => {
  runtime = await testRuntime({ directoryPropagationSeconds: 900 });
  admin = await appGraphToken(runtime);
});
afterAll(async () => runtime.close());

const DENIED = { error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } };

describe("applications", () => {
  it("create, get by id and by appId, patch, addPassword (secret shown once), removePassword, delete", async () => {
    const created = await graph(runtime, admin, "POST", "/applications", { displayName: "graph-app", signInAudience: "AzureADMyOrg" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ "@odata.context": "http://127.0.0.1:8444/v1.0/$metadata#applications/$entity", displayName: "graph-app", signInAudience: "AzureADMyOrg", passwordCredentials: [] });
    const { id, appId } = created.body;
    expect((await graph(runtime, admin, "GET", `/applications/${id}`)).body.appId).toBe(appId);
    expect((await graph(runtime, admin, "GET", `/applications(appId='${appId}')`)).body.id).toBe(id);
    expect((await graph(runtime, admin, "PATCH", `/applications/${id}`, { signInAudience: "AzureADMultipleOrgs" })).status).toBe(204);
    expect((await graph(runtime, admin, "GET", `/applications/${id}?$select=signInAudience,displayName`)).body).toEqual({
      "@odata.context": "http://127.0.0.1:8444/v1.0/$metadata#applications/$entity",
      signInAudience: "AzureADMultipleOrgs",
      displayName: "graph-app",
    });
    const password = await graph(runtime, admin, "POST", `/applications(appId='${appId}')/addPassword`, { passwordCredential: { displayName: "ci" } });
    expect(password.status).toBe(200);
    expect(password.body).toMatchObject({ displayName: "ci", customKeyIdentifier: null, secretText: expect.any(String), hint: password.body.secretText.slice(0, 3) });
    // Default lifetime: two years.
    expect(Date.parse(password.body.endDateTime) - Date.parse(password.body.startDateTime)).toBeGreaterThan(729 * 86_400_000);
    const listed = (await graph(runtime, admin, "GET", `/applications/${id}`)).body.passwordCredentials;
    expect(listed).toEqual([expect.objectContaining({ keyId: password.body.keyId, secretText: null, hint: password.body.hint })]);
    expect((await graph(runtime, admin, "POST", `/applications/${id}/removePassword`, { keyId: password.body.keyId })).status).toBe(204);
    expect((await graph(runtime, admin, "DELETE", `/applications/${id}`)).status).toBe(204);
    const gone = await graph(runtime, admin, "GET", `/applications/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: "Request_ResourceNotFound", message: `Resource '${id}' does not exist or one of its queried reference-property objects are not present.` });
    expect(gone.body.error.innerError).toMatchObject({ date: expect.any(String), "request-id": expect.any(String), "client-request-id": expect.any(String) });
  });

  it("lists with $filter (appId, in, displayName, startswith, federated credentials), $top and nextLink", async () => {
    const names = ["filter-a", "filter-b", "filter-c"];
    const apps = [];
    for (const displayName of names) apps.push((await graph(runtime, admin, "POST", "/applications", { displayName })).body);
    await graph(runtime, admin, "POST", `/applications/${apps[1].id}/federatedIdentityCredentials`, { name: "github", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/x:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"] });
    const byAppId = await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent(`appId eq '${apps[0].appId}'`)}`);
    expect(byAppId.body.value.map((a: any) => a.displayName)).toEqual(["filter-a"]);
    const inList = await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent(`appId in ('${apps[0].appId}', '${apps[2].appId}')`)}`);
    expect(inList.body.value.map((a: any) => a.displayName).sort()).toEqual(["filter-a", "filter-c"]);
    expect((await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent("displayName eq 'filter-c'")}`)).body.value).toHaveLength(1);
    const prefix = await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent("startswith(displayName,'filter-')")}&$top=2`);
    expect(prefix.body.value.map((a: any) => a.displayName)).toEqual(["filter-a", "filter-b"]);
    const next = new URL(prefix.body["@odata.nextLink"]);
    const second = await graph(runtime, admin, "GET", `${next.pathname.replace("/v1.0", "")}${next.search}`);
    expect(second.body.value.map((a: any) => a.displayName)).toEqual(["filter-c"]);
    const fic = await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent("federatedIdentityCredentials/any(f:f/subject eq 'repo:contoso/x:ref:refs/heads/main')")}`);
    expect(fic.body.value.map((a: any) => a.displayName)).toEqual(["filter-b"]);
    expect(fic.body.value[0].federatedIdentityCredentials).toBeUndefined();
  });

  it("answers bad input with Graph errors: syntax, unknown properties, wrong types, GUIDs, huge bodies", async () => {
    const badFilter = await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent("appId eq")}`);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error.message).toMatch(/Invalid filter clause/);
    expect((await graph(runtime, admin, "GET", `/applications?$filter=${encodeURIComponent("color eq 'red'")}`)).body.error.code).toBe("Request_UnsupportedQuery");
    expect((await graph(runtime, admin, "POST", "/applications", { displayName: "x", colour: "red" })).body.error).toMatchObject({
      code: "Request_BadRequest",
      message: "Property 'colour' does not exist on type 'microsoft.graph.application'.",
    });
    expect((await graph(runtime, admin, "POST", "/applications", { displayName: 5 })).body.error.code).toBe("Request_BadRequest");
    expect((await graph(runtime, admin, "POST", "/applications", { displayName: "x", signInAudience: "Everyone" })).body.error.message).toBe(
      "Invalid value specified for property 'signInAudience' of resource 'application'.",
    );
    expect((await graph(runtime, admin, "POST", "/applications", "{not json")).status).toBe(400);
    expect((await graph(runtime, admin, "GET", "/applications/not-a-guid")).body.error.message).toBe("Invalid object identifier 'not-a-guid'.");
    const huge = await graph(runtime, admin, "POST", "/applications", { displayName: "x".repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBeTypeOf("string");
    expect((await graph(runtime, admin, "GET", "/applications?$top=5000")).status).toBe(400);
  });
});

describe("deleted items (directory/deletedItems)", () => {
  it("keeps a deleted application and its service principal 30 days: listed, restored whole (secret, federated credential, owner), then gone for good", async () => {
    const app = (await graph(runtime, admin, "POST", "/applications", { displayName: "restorable" })).body;
    const sp = (await graph(runtime, admin, "POST", "/servicePrincipals", { appId: app.appId })).body;
    const secret = (await graph(runtime, admin, "POST", `/applications/${app.id}/addPassword`, {})).body.secretText;
    expect((await graph(runtime, admin, "POST", `/applications/${app.id}/federatedIdentityCredentials`, { name: "github", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/r:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"] })).status).toBe(201);
    expect((await graph(runtime, admin, "POST", `/applications/${app.id}/owners/$ref`, { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${DEMO.users.dev.id}` })).status).toBe(204);
    const token = () => postToken(runtime, { grant_type: "client_credentials", client_id: app.appId, client_secret: secret, scope: "https://management.azure.com/.default" });
    expect((await token()).status).toBe(200);

    const before = runtime.clock.nowMs();
    expect((await graph(runtime, admin, "DELETE", `/applications/${app.id}`)).status).toBe(204);
    expect((await token()).body.error_codes).toEqual([700016]);
    expect((await graph(runtime, admin, "GET", `/servicePrincipals/${sp.id}`)).status).toBe(404);
    const listed = await graph(runtime, admin, "GET", "/directory/deletedItems/microsoft.graph.application");
    expect(listed.body["@odata.context"]).toBe("http://127.0.0.1:8444/v1.0/$metadata#directory/deletedItems/microsoft.graph.application");
    const deleted = listed.body.value.find((a: any) => a.id === app.id);
    expect(deleted).toMatchObject({ appId: app.appId, displayName: "restorable" });
    expect(Date.parse(deleted.deletedDateTime) - before).toBeGreaterThanOrEqual(0);
    expect(Date.parse(deleted.deletedDateTime) - before).toBeLessThan(5_000);
    expect((await graph(runtime, admin, "GET", "/directory/deletedItems/microsoft.graph.servicePrincipal")).body.value.map((s: any) => s.id)).toContain(sp.id);
    expect((await graph(runtime, admin, "GET", `/directory/deletedItems/${app.id}`)).body).toMatchObject({ "@odata.type": "#microsoft.graph.application", id: app.id });

    // Only who could change it may bring it back: dev owns it, a stranger does not.
    const stranger = await userGraphToken(runtime, DEMO.users.reader.upn);
    expect((await graph(runtime, stranger, "POST", `/directory/deletedItems/${app.id}/restore`, {})).body).toMatchObject(DENIED);
    const restored = await graph(runtime, await userGraphToken(runtime, DEMO.users.dev.upn), "POST", `/directory/deletedItems/${app.id}/restore`, {});
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ "@odata.context": "http://127.0.0.1:8444/v1.0/$metadata#directoryObjects/$entity", "@odata.type": "#microsoft.graph.application", id: app.id, appId: app.appId, deletedDateTime: null });
    expect((await graph(runtime, admin, "GET", `/servicePrincipals/${sp.id}`)).status).toBe(200);
    expect((await graph(runtime, admin, "GET", `/applications/${app.id}/federatedIdentityCredentials`)).body.value.map((f: any) => f.name)).toEqual(["github"]);
    expect((await token()).status).toBe(200);
    expect((await graph(runtime, admin, "GET", `/directory/deletedItems/${app.id}`)).status).toBe(404);

    // After 30 days a deleted application cannot come back.
    await graph(runtime, admin, "DELETE", `/applications/${app.id}`);
    runtime.clock.advance(31 * 86_400);
    admin = await appGraphToken(runtime);
    expect((await graph(runtime, admin, "POST", `/directory/deletedItems/${app.id}/restore`, {})).status).toBe(404);
  });

  it("restores a service principal deleted alone, refuses one whose appId has another, and deletes for good", async () => {
    const app = (await graph(runtime, admin, "POST", "/applications", { displayName: "sp-alone" })).body;
    const sp = (await graph(runtime, admin, "POST", "/servicePrincipals", { appId: app.appId })).body;
    expect((await graph(runtime, admin, "DELETE", `/servicePrincipals/${sp.id}`)).status).toBe(204);
    const again = (await graph(runtime, admin, "POST", "/servicePrincipals", { appId: app.appId })).body;
    const clash = await graph(runtime, admin, "POST", `/directory/deletedItems/${sp.id}/restore`, {});
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ code: "Request_MultipleObjectsWithSameKeyValue", message: `The service principal cannot be created, updated, or restored because the service principal name ${app.appId} is already in use.` });
    await graph(runtime, admin, "DELETE", `/servicePrincipals/${again.id}`);
    expect((await graph(runtime, admin, "DELETE", `/directory/deletedItems/${again.id}`)).status).toBe(204);
    const back = await graph(runtime, admin, "POST", `/directory/deletedItems/${sp.id}/restore`, {});
    expect(back.body).toMatchObject({ "@odata.type": "#microsoft.graph.servicePrincipal", id: sp.id, appId: app.appId });
    expect((await graph(runtime, admin, "GET", `/directory/deletedItems/${again.id}`)).status).toBe(404);
  });
});

describe("the OData path", () => {
  it("reads keys inside a segment, matches segments in any case, and answers Graph's 405 and unknown-segment errors", async () => {
    expect(normaliseGraphUrl("/v1.0/applications(appId='abc')/addPassword?x=1")).toBe("/v1.0/applications/appId=abc/addPassword?x=1");
    expect(normaliseGraphUrl("/v1.0/directoryRoles(roleTemplateId=%2762e90394-69f5-4237-9190-012177145e10%27)/members")).toBe(
      "/v1.0/directoryRoles/roleTemplateId=62e90394-69f5-4237-9190-012177145e10/members",
    );
    expect(normaliseGraphUrl("/v1.0/users/%E0%A4%A")).toBe("/v1.0/users/%E0%A4%A");
    expect(normaliseGraphUrl("/v1.0/d0d0cafe-7e4a-4000-8000-000000000001/servicePrincipals?$filter=x")).toBe("/v1.0/servicePrincipals?$filter=x");
    expect(normaliseGraphUrl("/beta/contoso.onmicrosoft.com/users/a")).toBe("/beta/users/a");
    const app = (await graph(runtime, admin, "POST", "/applications", { displayName: "odata-path" })).body;
    expect((await graph(runtime, admin, "GET", `/APPLICATIONS(appId='${app.appId}')/federatedIdentityCredentials`)).body.value).toEqual([]);
    expect((await graph(runtime, admin, "GET", `/Applications/${app.id}`)).body.id).toBe(app.id);
    expect((await graph(runtime, admin, "PUT", `/applications/${app.id}`, {})).body.error).toEqual({
      code: "Request_BadRequest",
      message: "The HTTP method 'PUT' is not allowed for this resource.",
      innerError: expect.anything(),
    });
    expect((await graph(runtime, admin, "GET", `/applications/${app.id}/spaceships`)).body.error).toMatchObject({ code: "BadRequest", message: "Resource not found for the segment 'spaceships'." });
    expect((await graph(runtime, undefined, "GET", `/applications/${app.id}/spaceships`)).status).toBe(401);
  });
});

describe("federated identity credentials", () => {
  it("CRUD with the real limits: 20 per app, unique issuer+subject, exactly one audience, valid names", async () => {
    const app = (await graph(runtime, admin, "POST", "/applications", { displayName: "fic-app" })).body;
    const base = `/applications/${app.id}/federatedIdentityCredentials`;
    const fic = (n: number, extra: Record<string, unknown> = {}) => ({ name: `fic-${n}`, issuer: "https://issuer.example", subject: `subject-${n}`, audiences: ["api://AzureADTokenExchange"], ...extra });
    const first = await graph(runtime, admin, "POST", base, fic(0));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: "fic-0", issuer: "https://issuer.example", subject: "subject-0", audiences: ["api://AzureADTokenExchange"] });
    expect((await graph(runtime, admin, "POST", base, { ...fic(1), subject: "subject-0" })).body.error.message).toBe("Issuer and subject combination already exists for this application.");
    expect((await graph(runtime, admin, "POST", base, fic(2, { audiences: ["a", "b"] }))).body.error.message).toBe("Federated identity credentials must have exactly one audience.");
    expect((await graph(runtime, admin, "POST", base, fic(3, { name: "bad name!" }))).body.error.message).toBe("Federated Identity Credential name 'bad name!' is invalid.");
    for (let n = 1; n < 20; n++) expect((await graph(runtime, admin, "POST", base, fic(n))).status, `fic ${n}`).toBe(201);
    const full = await graph(runtime, admin, "POST", base, fic(20));
    expect(full.status).toBe(400);
    expect(full.body.error.message).toMatch(/maximum number of federated identity credentials \(20\)/);
    expect((await graph(runtime, admin, "GET", base)).body.value).toHaveLength(20);
    expect((await graph(runtime, admin, "PATCH", `${base}/fic-0`, { subject: "renamed" })).status).toBe(204);
    expect((await graph(runtime, admin, "GET", `${base}/${first.body.id}`)).body.subject).toBe("renamed");
    expect((await graph(runtime, admin, "DELETE", `${base}/fic-0`)).status).toBe(204);
    expect((await graph(runtime, admin, "GET", `${base}/fic-0`)).status).toBe(404);
  });
});

describe("service principals and users", () => {
  it("create for an appId (409 on a second), get, filter by appId, patch accountEnabled, delete", async () => {
    const app = (await graph(runtime, admin, "POST", "/applications", { displayName: "sp-app", signInAudience: "AzureADMyOrg" })).body;
    const sp = await graph(runtime, admin, "POST", "/servicePrincipals", { appId: app.appId });
    expect(sp.status).toBe(201);
    expect(sp.body).toMatchObject({ appId: app.appId, accountEnabled: true, servicePrincipalType: "Application", appOwnerOrganizationId: DEMO.tenantId, servicePrincipalNames: [app.appId] });
    const again = await graph(runtime, admin, "POST", "/servicePrincipals", { appId: app.appId });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("Request_MultipleObjectsWithSameKeyValue");
    const filtered = await graph(runtime, admin, "GET", `/servicePrincipals?$filter=${encodeURIComponent(`servicePrincipalNames/any(c:c eq '${app.appId}')`)}`);
    expect(filtered.body.value.map((s: any) => s.id)).toEqual([sp.body.id]);
    expect((await graph(runtime, admin, "GET", `/servicePrincipals(appId='${app.appId}')`)).body.id).toBe(sp.body.id);
    expect((await graph(runtime, admin, "PATCH", `/servicePrincipals/${sp.body.id}`, { accountEnabled: false })).status).toBe(204);
    expect((await graph(runtime, admin, "GET", `/servicePrincipals/${sp.body.id}`)).body.accountEnabled).toBe(false);
    expect((await graph(runtime, admin, "PATCH", `/servicePrincipals/${sp.body.id}`, { accountEnabled: "no" })).status).toBe(400);
    expect((await graph(runtime, admin, "DELETE", `/servicePrincipals/${sp.body.id}`)).status).toBe(204);
  });

  it("lists users with their type, /me for a user, and limits a guest to itself", async () => {
    const users = (await graph(runtime, admin, "GET", "/users")).body.value;
    expect(users.find((u: any) => u.id === DEMO.users.guest.id)).toMatchObject({ userType: "Guest", userPrincipalName: DEMO.users.guest.upn });
    const dev = await userGraphToken(runtime, DEMO.users.dev.upn);
    expect((await graph(runtime, dev, "GET", "/me")).body).toMatchObject({ id: DEMO.users.dev.id, userType: "Member" });
    const guest = await userGraphToken(runtime, DEMO.users.alex.upn);
    expect((await graph(runtime, guest, "GET", "/me")).body.id).toBe(DEMO.users.guest.id);
    expect((await graph(runtime, guest, "GET", "/users")).body.value.map((u: any) => u.id)).toEqual([DEMO.users.guest.id]);
    expect((await graph(runtime, guest, "GET", `/users/${DEMO.users.admin.id}`)).body).toMatchObject(DENIED);
  });

  it("checks the token: missing, for another resource, expired", async () => {
    expect((await graph(runtime, undefined, "GET", "/users")).body.error).toMatchObject({ code: "InvalidAuthenticationToken", message: "Access token is empty." });
    const armToken = (await postToken(runtime, { grant_type: "client_credentials", client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret, scope: "https://management.azure.com/.default" })).body.access_token;
    const wrong = await graph(runtime, armToken, "GET", "/users");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toMatch(/Invalid audience/);
  });
});

describe("permission matrix", () => {
  const actors = {
    member: DEMO.users.dev.upn,
    "limited guest": DEMO.users.alex.upn,
    "application developer": DEMO.users.appdev.upn,
    "global administrator": DEMO.users.admin.upn,
  };

  async function attempt(local: Runtime, upn: string, foreignAppId: string) {
    const token = await userGraphToken(local, upn);
    const create = await graph(local, token, "POST", "/applications", { displayName: `by-${upn}` });
    if (create.status === 201) {
      const sp = await graph(local, token, "POST", "/servicePrincipals", { appId: create.body.appId });
      const password = await graph(local, token, "POST", `/applications/${create.body.id}/addPassword`, {});
      const fic = await graph(local, token, "POST", `/applications/${create.body.id}/federatedIdentityCredentials`, { name: "fic", issuer: "https://i.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
      return { create: true, servicePrincipal: sp.status === 201, password: password.status === 200, federated: fic.status === 201 };
    }
    expect(create.body).toMatchObject(DENIED);
    // Without the right to create, nothing on someone else's application either.
    const password = await graph(local, token, "POST", `/applications/${foreignAppId}/addPassword`, {});
    const fic = await graph(local, token, "POST", `/applications/${foreignAppId}/federatedIdentityCredentials`, { name: "fic", issuer: "https://i.example", subject: "s", audiences: ["api://AzureADTokenExchange"] });
    return { create: false, servicePrincipal: false, password: password.status === 200, federated: fic.status === 201 };
  }

  it("gives each kind of user the real outcome, and policy changes apply only after the delay", async () => {
    const local = await testRuntime({ directoryPropagationSeconds: 900 });
    try {
      const adminToken = await appGraphToken(local);
      const foreign = (await graph(local, adminToken, "POST", "/applications", { displayName: "foreign" })).body.id;
      const all = { create: true, servicePrincipal: true, password: true, federated: true };
      const none = { create: false, servicePrincipal: false, password: false, federated: false };

      // Registration on, guests limited (the defaults).
      expect(await attempt(local, actors.member, foreign)).toEqual(all);
      expect(await attempt(local, actors["limited guest"], foreign)).toEqual(none);
      expect(await attempt(local, actors["application developer"], foreign)).toEqual(all);
      expect(await attempt(local, actors["global administrator"], foreign)).toEqual(all);

      // Registration off, guests same as members: nothing changes for 15 minutes.
      const patch = await graph(local, adminToken, "PATCH", "/policies/authorizationPolicy", { guestUserRoleId: GUEST_ROLE.User, defaultUserRolePermissions: { allowedToCreateApps: false } });
      expect(patch.status).toBe(204);
      expect((await graph(local, adminToken, "GET", "/policies/authorizationPolicy")).body).toMatchObject({ guestUserRoleId: GUEST_ROLE.User, defaultUserRolePermissions: { allowedToCreateApps: false } });
      expect(await attempt(local, actors.member, foreign)).toEqual(all);
      local.clock.advance(901);
      expect(await attempt(local, actors.member, foreign)).toEqual(none);
      expect(await attempt(local, actors["limited guest"], foreign)).toEqual(none);
      expect(await attempt(local, actors["application developer"], foreign)).toEqual(all);
      expect(await attempt(local, actors["global administrator"], foreign)).toEqual(all);

      // Registration on again: the guest, now same as members, may register applications.
      await graph(local, adminToken, "PATCH", "/policies/authorizationPolicy", { defaultUserRolePermissions: { allowedToCreateApps: true } });
      local.clock.advance(901);
      expect(await attempt(local, actors["limited guest"], foreign)).toEqual(all);
    } finally {
      await local.close();
    }
  });

  it("app-only callers act by their application permissions and directory roles", async () => {
    const app = (await graph(runtime, admin, "POST", "/applications", { displayName: "automation" })).body;
    const sp = (await graph(runtime, admin, "POST", "/servicePrincipals", { appId: app.appId })).body;
    const secret = (await graph(runtime, admin, "POST", `/applications/${app.id}/addPassword`, {})).body.secretText;
    const before = await appGraphToken(runtime, app.appId, secret);
    expect((await graph(runtime, before, "POST", "/applications", { displayName: "x" })).body).toMatchObject(DENIED);
    const graphSp = (await graph(runtime, admin, "GET", "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')")).body.id;
    const grant = await graph(runtime, admin, "POST", `/servicePrincipals/${sp.id}/appRoleAssignments`, { principalId: sp.id, resourceId: graphSp, appRoleId: "18a4783c-866b-4cc7-a460-3d5e5662c884" });
    expect(grant.status).toBe(201);
    const after = await appGraphToken(runtime, app.appId, secret);
    const { decodeJwt } = await import("jose");
    expect(decodeJwt(after).roles).toEqual(["Application.ReadWrite.OwnedBy"]);
    const owned = await graph(runtime, after, "POST", "/applications", { displayName: "owned-by-automation" });
    expect(owned.status).toBe(201);
    expect((await graph(runtime, after, "POST", `/applications/${owned.body.id}/addPassword`, {})).status).toBe(200);
    expect((await graph(runtime, after, "GET", `/applications/${owned.body.id}/owners`)).body.value.map((o: any) => o.id)).toEqual([sp.id]);
    // OwnedBy reaches only what it owns.
    const notOwned = (await graph(runtime, admin, "POST", "/applications", { displayName: "not-owned" })).body;
    expect((await graph(runtime, after, "POST", `/applications/${notOwned.id}/addPassword`, {})).status).toBe(403);
  });

  it("directory roles: list, members, assign with the real template ids", async () => {
    const roles = (await graph(runtime, admin, "GET", "/directoryRoles")).body.value;
    expect(roles.map((r: any) => r.roleTemplateId)).toEqual(expect.arrayContaining(["62e90394-69f5-4237-9190-012177145e10", "cf1c38e5-3621-4004-a7cb-879624dced7c"]));
    const members = (await graph(runtime, admin, "GET", "/directoryRoles(roleTemplateId='cf1c38e5-3621-4004-a7cb-879624dced7c')/members")).body.value;
    expect(members.map((m: any) => m.id)).toEqual([DEMO.users.appdev.id]);
    const assigned = await graph(runtime, admin, "POST", "/roleManagement/directory/roleAssignments", { principalId: DEMO.users.dev.id, roleDefinitionId: "cf1c38e5-3621-4004-a7cb-879624dced7c", directoryScopeId: "/" });
    expect(assigned.status).toBe(201);
    const mine = await graph(runtime, admin, "GET", `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${DEMO.users.dev.id}'`)}`);
    expect(mine.body.value.map((a: any) => a.roleDefinitionId)).toEqual(["cf1c38e5-3621-4004-a7cb-879624dced7c"]);
    const dev = await userGraphToken(runtime, DEMO.users.dev.upn);
    expect((await graph(runtime, dev, "POST", "/roleManagement/directory/roleAssignments", { principalId: DEMO.users.dev.id, roleDefinitionId: "62e90394-69f5-4237-9190-012177145e10" })).body).toMatchObject(DENIED);
    expect((await graph(runtime, admin, "DELETE", `/roleManagement/directory/roleAssignments/${assigned.body.id}`)).status).toBe(204);
  });
});
