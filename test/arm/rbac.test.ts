import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import { testRuntime } from "../helpers/runtime.js";
import { SUB, arm, bootstrapToken, principalWithToken } from "../helpers/arm.js";

let runtime: Runtime;
let admin: string;
const RG = `/subscriptions/${SUB}/resourceGroups/rg-prod-app`;
const STORAGE = `${RG}/providers/Microsoft.Storage/storageAccounts/stcontosoprod`;
const MG = `/providers/Microsoft.Management/managementGroups/${DEMO.managementGroup}`;

beforeAll(async () => {
  runtime = await testRuntime();
  admin = await bootstrapToken(runtime);
  // A custom role for the matrix: storage read and write, nothing else.
  const role = await arm(runtime, admin, "PUT", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/0f0f0f0f-0000-4000-8000-000000000001`, {
    properties: {
      roleName: "Storage Operator",
      description: "Read and write storage accounts",
      permissions: [{ actions: ["Microsoft.Storage/storageAccounts/read", "Microsoft.Storage/storageAccounts/write"], notActions: [] }],
      assignableScopes: [MG],
    },
  });
  expect(role.status).toBe(201);
});
afterAll(async () => runtime.close());

const ROLES = {
  Reader: { id: BUILTIN_ROLE_IDS.Reader, read: true, write: false, delete: false, assign: false },
  Contributor: { id: BUILTIN_ROLE_IDS.Contributor, read: true, write: true, delete: true, assign: false },
  Owner: { id: BUILTIN_ROLE_IDS.Owner, read: true, write: true, delete: true, assign: true },
  "User Access Administrator": { id: BUILTIN_ROLE_IDS.UserAccessAdministrator, read: true, write: false, delete: false, assign: true },
  "Storage Operator": { id: "0f0f0f0f-0000-4000-8000-000000000001", read: true, write: true, delete: false, assign: false },
} as const;
const LEVELS = { "management group": MG, subscription: `/subscriptions/${SUB}`, "resource group": RG, resource: STORAGE } as const;

describe("authorization matrix", () => {
  for (const [roleName, role] of Object.entries(ROLES)) {
    for (const [levelName, scope] of Object.entries(LEVELS)) {
      it(`${roleName} at ${levelName}`, async () => {
        const principal = await principalWithToken(runtime, `${roleName}-${levelName}`);
        await runtime.arm.seedRoleAssignment({ tenantId: DEMO.tenantId, scope, roleDefinitionId: role.id, principalId: principal.servicePrincipalId!, principalType: "ServicePrincipal" });
        const denied = (action: string, target: string) =>
          `The client '${principal.appId}' with object id '${principal.servicePrincipalId}' does not have authorization to perform action '${action}' over scope '${target}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;

        const read = await arm(runtime, principal.token, "GET", STORAGE);
        expect(read.status, "read").toBe(role.read ? 200 : 403);
        if (!role.read) expect(read.body.error).toEqual({ code: "AuthorizationFailed", message: denied("Microsoft.Storage/storageAccounts/read", STORAGE) });

        const write = await arm(runtime, principal.token, "PATCH", STORAGE, { tags: { touchedBy: roleName } });
        expect(write.status, "write").toBe(role.write ? 200 : 403);
        if (!role.write) expect(write.body.error.message).toBe(denied("Microsoft.Storage/storageAccounts/write", STORAGE));

        const victim = `${RG}/providers/Microsoft.Storage/storageAccounts/st${randomUUID().slice(0, 8)}`;
        expect((await arm(runtime, admin, "PUT", victim, { location: "westeurope", kind: "StorageV2", sku: { name: "Standard_LRS" } })).status).toBe(201);
        const del = await arm(runtime, principal.token, "DELETE", victim);
        if (levelName === "resource") {
          // An assignment on one resource grants nothing on a sibling.
          expect(del.status, "delete sibling").toBe(403);
        } else {
          expect(del.status, "delete").toBe(role.delete ? 200 : 403);
          if (!role.delete) expect(del.body.error.message).toBe(denied("Microsoft.Storage/storageAccounts/delete", victim));
        }

        const name = randomUUID();
        const assign = await arm(runtime, principal.token, "PUT", `${STORAGE}/providers/Microsoft.Authorization/roleAssignments/${name}`, {
          properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, principalId: DEMO.users.dev.id },
        });
        expect(assign.status, "roleAssignments/write").toBe(role.assign ? 201 : 403);
        if (role.assign) {
          expect(assign.body.properties).toMatchObject({ principalId: DEMO.users.dev.id, principalType: "User", scope: STORAGE });
          expect((await arm(runtime, principal.token, "DELETE", `${STORAGE}/providers/Microsoft.Authorization/roleAssignments/${name}`)).status).toBe(200);
        } else {
          // ARM names the role assignment's own id, not the scope it is checked at.
          expect(assign.body.error.message).toBe(denied("Microsoft.Authorization/roleAssignments/write", `${STORAGE}/providers/Microsoft.Authorization/roleAssignments/${name}`));
        }
      });
    }
  }

  it("grants nothing at a sibling resource group", async () => {
    const principal = await principalWithToken(runtime, "sibling");
    await runtime.arm.seedRoleAssignment({ tenantId: DEMO.tenantId, scope: `/subscriptions/${SUB}/resourceGroups/rg-agents`, roleDefinitionId: BUILTIN_ROLE_IDS.Owner, principalId: principal.servicePrincipalId!, principalType: "ServicePrincipal" });
    expect((await arm(runtime, principal.token, "GET", STORAGE)).status).toBe(403);
    expect((await arm(runtime, principal.token, "GET", `/subscriptions/${SUB}/resourceGroups/rg-agents`)).status).toBe(200);
  });
});

describe("role assignment propagation", () => {
  it("a new assignment applies after the delay, and a removed one lingers as long", async () => {
    const local = await testRuntime({ rbacPropagationSeconds: 300 });
    try {
      const owner = await bootstrapToken(local);
      const principal = await principalWithToken(local, "propagation");
      const rg = `/subscriptions/${SUB}/resourceGroups/rg-new-${randomUUID().slice(0, 6)}`;
      const create = () => arm(local, principal.token, "PUT", rg, { location: "westeurope" });
      const first = await create();
      expect(first.status).toBe(403);
      expect(first.body.error.code).toBe("AuthorizationFailed");
      // ARM prints resource-group actions and a group's own scope with lower-case `resourcegroups`.
      expect(first.body.error.message).toContain("'Microsoft.Resources/subscriptions/resourcegroups/write' over scope '/subscriptions/");
      expect(first.body.error.message).toMatch(/over scope '\/subscriptions\/[0-9a-f-]+\/resourcegroups\/rg-new-/);

      const name = randomUUID();
      const assignment = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/${name}`;
      const put = await arm(local, owner, "PUT", assignment, {
        properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Contributor}`, principalId: principal.servicePrincipalId, principalType: "ServicePrincipal" },
      });
      expect(put.status).toBe(201);
      expect(put.body.properties.roleDefinitionId).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Contributor}`);
      expect((await create()).status).toBe(403);
      local.clock.advance(299);
      expect((await create()).status).toBe(403);
      local.clock.advance(2);
      // The token is still good: 301 seconds is well inside its 60–90 minutes.
      expect((await create()).status).toBe(201);

      expect((await arm(local, owner, "DELETE", assignment)).status).toBe(200);
      expect((await arm(local, owner, "GET", assignment)).status).toBe(404);
      const again = () => arm(local, principal.token, "PATCH", rg, { tags: { a: "b" } });
      expect((await again()).status).toBe(200);
      local.clock.advance(301);
      expect((await again()).status).toBe(403);
    } finally {
      await local.close();
    }
  });
});

describe("role assignments API", () => {
  it("lists with atScope(), principalId eq and assignedTo, at, above and below the scope", async () => {
    const principal = await principalWithToken(runtime, "lister");
    await runtime.arm.seedRoleAssignment({ tenantId: DEMO.tenantId, scope: RG, roleDefinitionId: BUILTIN_ROLE_IDS.Reader, principalId: principal.servicePrincipalId!, principalType: "ServicePrincipal" });
    const sub = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments`;
    const all = await arm(runtime, admin, "GET", sub);
    expect(all.body.value.some((a: any) => a.properties.scope === RG && a.properties.principalId === principal.servicePrincipalId)).toBe(true);
    // Inherited from the root management group.
    expect(all.body.value.some((a: any) => a.properties.principalId === DEMO.bootstrapServicePrincipalId)).toBe(true);
    const atScope = await arm(runtime, admin, "GET", `${sub}?$filter=${encodeURIComponent("atScope()")}&${"api-version=2022-04-01"}`);
    expect(atScope.body.value.some((a: any) => a.properties.scope === RG)).toBe(false);
    for (const filter of [`principalId eq '${principal.servicePrincipalId}'`, `assignedTo('${principal.servicePrincipalId}')`]) {
      const mine = await arm(runtime, admin, "GET", `${sub}?$filter=${encodeURIComponent(filter)}&api-version=2020-04-01-preview`);
      expect(mine.status).toBe(200);
      expect(mine.body.value).toHaveLength(1);
      expect(mine.body.value[0]).toMatchObject({ type: "Microsoft.Authorization/roleAssignments", properties: { scope: RG, principalType: "ServicePrincipal" } });
    }
    const bad = await arm(runtime, admin, "GET", `${sub}?$filter=${encodeURIComponent("principalName eq 'x'")}&api-version=2022-04-01`);
    expect(bad.status).toBe(400);
  });

  it("answers RoleAssignmentExists, PrincipalNotFound and bad ids with ARM's errors", async () => {
    const principal = await principalWithToken(runtime, "dup");
    const body = { properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, principalId: principal.servicePrincipalId } };
    const first = randomUUID();
    expect((await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${first}`, body)).status).toBe(201);
    const dup = await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, body);
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("RoleAssignmentExists");
    expect(dup.body.error.message).toBe(`The role assignment already exists. The ID of the existing role assignment is ${first.replace(/-/g, "")}.`);

    const ghost = randomUUID();
    const missing = await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { ...body.properties, principalId: ghost } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("PrincipalNotFound");
    expect(missing.body.error.message).toContain(`Principal ${ghost.replace(/-/g, "")} does not exist in the directory ${DEMO.tenantId}.`);
    // With principalType given ARM trusts it (replication delay).
    expect((await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { ...body.properties, principalId: ghost, principalType: "ServicePrincipal" } })).status).toBe(201);

    expect((await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/not-a-guid`, body)).body.error.code).toBe("InvalidRoleAssignmentId");
    expect((await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { ...body.properties, roleDefinitionId: "Reader" } })).body.error.code).toBe(
      "InvalidRoleDefinitionId",
    );
    expect((await arm(runtime, admin, "PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { ...body.properties, roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}` } })).body.error.code).toBe(
      "RoleDefinitionDoesNotExist",
    );
    expect((await arm(runtime, admin, "PUT", `/subscriptions/not-a-guid/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, body)).body.error.code).toBe("InvalidScope");
    expect((await arm(runtime, admin, "DELETE", `${RG}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`)).status).toBe(204);
  });

  it("role definitions: built-ins with their ids, filter by name, custom roles", async () => {
    const list = await arm(runtime, admin, "GET", `//subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions?$filter=${encodeURIComponent("roleName eq 'Contributor'")}&api-version=2022-04-01`);
    expect(list.status).toBe(200);
    expect(list.body.value).toHaveLength(1);
    expect(list.body.value[0]).toMatchObject({
      id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Contributor}`,
      name: BUILTIN_ROLE_IDS.Contributor,
      type: "Microsoft.Authorization/roleDefinitions",
      properties: { roleName: "Contributor", type: "BuiltInRole", assignableScopes: ["/"] },
    });
    expect(list.body.value[0].properties.permissions[0].notActions).toContain("Microsoft.Authorization/*/Write");
    const custom = await arm(runtime, admin, "GET", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions?$filter=${encodeURIComponent("type eq 'CustomRole'")}&api-version=2022-04-01`);
    expect(custom.body.value.map((r: any) => r.properties.roleName)).toEqual(["Storage Operator"]);
    expect((await arm(runtime, admin, "DELETE", `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Owner}`)).body.error.code).toBe("BuiltInRoleCannotBeModified");
  });
});

describe("token checks", () => {
  it("answers each token problem with ARM's 401", async () => {
    const path = `/subscriptions/${SUB}/resourcegroups`;
    const none = await arm(runtime, undefined, "GET", path);
    expect(none).toMatchObject({ status: 401, body: { error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." } } });
    const basic = await runtime.listeners.arm.inject({ method: "GET", url: `${path}?api-version=2022-04-01`, headers: { authorization: "Basic abc" } });
    expect(basic.json().error.code).toBe("AuthenticationFailedInvalidHeader");
    expect((await arm(runtime, "garbage.token.here", "GET", path)).body.error).toEqual({ code: "InvalidAuthenticationToken", message: "The access token is invalid." });

    const graphToken = (await (await import("../helpers/entra.js")).postToken(runtime, { grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default", client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret })).body.access_token;
    const audience = await arm(runtime, graphToken, "GET", path);
    expect(audience.body.error.code).toBe("InvalidAuthenticationTokenAudience");
    expect(audience.body.error.message).toBe(
      "The access token has been obtained for wrong audience or resource 'https://graph.microsoft.com'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
    );

    const fabrikamApp = await runtime.entra.directory.createApplication({ tenantId: DEMO.otherTenantId, displayName: "fab" });
    const secret = (await runtime.entra.directory.addPassword(fabrikamApp.id)).secretText!;
    await runtime.entra.directory.createServicePrincipal({ tenantId: DEMO.otherTenantId, appId: fabrikamApp.appId });
    const { armToken } = await import("../helpers/arm.js");
    const foreign = await arm(runtime, await armToken(runtime, fabrikamApp.appId, secret, DEMO.otherTenantId), "GET", path);
    expect(foreign.status).toBe(401);
    expect(foreign.body.error.code).toBe("InvalidAuthenticationTokenTenant");
    expect(foreign.body.error.message).toContain(`The access token is from the wrong issuer 'https://sts.windows.net/${DEMO.otherTenantId}/'. It must match the tenant 'https://sts.windows.net/${DEMO.tenantId}/' associated with this subscription.`);
  });

  it("ExpiredAuthenticationToken once the token's lifetime passes on the clock", async () => {
    const local = await testRuntime();
    try {
      const token = await bootstrapToken(local);
      local.clock.advance(2 * 3600);
      const result = await arm(local, token, "GET", `/subscriptions/${SUB}`);
      expect(result.status).toBe(401);
      expect(result.body.error.code).toBe("ExpiredAuthenticationToken");
      expect(result.body.error.message).toMatch(/^The access token expiry UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d\d:\d\d (AM|PM)' is earlier than current UTC time '.*'\.$/);
    } finally {
      await local.close();
    }
  });
});

describe("scopes are matched literally (LIKE's wildcards `_` and `%` in names), on SQLite and PostgreSQL alike", () => {
  it("assignments listed at …/resourceGroups/my_rg leave out those under myxrg; deleting site app_1 leaves appx1's slot", async () => {
    for (const group of ["my_rg", "myxrg"]) expect((await arm(runtime, admin, "PUT", `/subscriptions/${SUB}/resourcegroups/${group}`, { location: "westeurope" })).status).toBeLessThan(300);
    const principal = await principalWithToken(runtime, "like-wildcards");
    const site = `/subscriptions/${SUB}/resourceGroups/myxrg/providers/Microsoft.Web/sites/web1`;
    expect((await arm(runtime, admin, "PUT", `${site}?api-version=2023-01-01`, { location: "westeurope" })).status).toBeLessThan(300);
    const assigned = await arm(runtime, admin, "PUT", `${site}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
      properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, principalId: principal.servicePrincipalId, principalType: "ServicePrincipal" },
    });
    expect(assigned.status).toBe(201);
    const listed = await arm(runtime, admin, "GET", `/subscriptions/${SUB}/resourceGroups/my_rg/providers/Microsoft.Authorization/roleAssignments`);
    expect(listed.status).toBe(200);
    expect(listed.body.value.map((a: { properties: { principalId: string } }) => a.properties.principalId)).not.toContain(principal.servicePrincipalId);

    const sites = `/subscriptions/${SUB}/resourceGroups/my_rg/providers/Microsoft.Web/sites`;
    for (const path of [`${sites}/app_1`, `${sites}/appx1`, `${sites}/appx1/slots/blue`]) expect((await arm(runtime, admin, "PUT", `${path}?api-version=2023-01-01`, { location: "westeurope" })).status).toBeLessThan(300);
    expect((await arm(runtime, admin, "DELETE", `${sites}/app_1?api-version=2023-01-01`)).status).toBe(200);
    expect((await arm(runtime, admin, "GET", `${sites}/appx1/slots/blue?api-version=2023-01-01`)).status).toBe(200);
  });
});
