import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import type { Runtime } from "../../src/server/runtime.js";
import { UniqueViolation } from "../../src/store/index.js";
import { DEMO } from "../../src/world/demo.js";
import { arm, bootstrapToken, principalWithToken } from "../helpers/arm.js";
import { azurerm, devops, ORG } from "../helpers/devops.js";
import { appGraphToken, graph } from "../helpers/graph.js";
import { testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

describe("uniqueness held by the store, not only by the handlers", () => {
  it("concurrent creations of one connection name: one wins, the others get DuplicateServiceConnectionException", async () => {
    const body = azurerm({ name: "raced", scheme: "ServicePrincipal", creationMode: "Manual", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: "x" } });
    const answers = await Promise.all(Array.from({ length: 12 }, () => devops(runtime, "admin", "POST", `/${ORG}/_apis/serviceendpoint/endpoints`, body)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 200)) expect(refused.body.typeKey).toBe("DuplicateServiceConnectionException");
  });

  it("the store refuses a second connection of one name in a project even past the service's check", async () => {
    const [first] = await runtime.store.devops.endpointsOfProject(DEMO.project.id);
    const copy = { ...first!.endpoint, id: randomUUID() };
    await expect(runtime.store.devops.putEndpoint(copy, "x")).rejects.toBeInstanceOf(UniqueViolation);
    await expect(runtime.devops.endpoints.save(copy, {})).rejects.toMatchObject({ code: "DuplicateServiceConnectionException" });
  });

  it("concurrent role assignments of one role to one principal at one scope: one is created, the others are RoleAssignmentExists", async () => {
    const admin = await bootstrapToken(runtime);
    const principal = await principalWithToken(runtime, "raced-assignee");
    const scope = `/subscriptions/${DEMO.devSubscriptionId}`;
    const put = () =>
      arm(runtime, admin, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
        properties: { roleDefinitionId: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS.Reader}`, principalId: principal.servicePrincipalId, principalType: "ServicePrincipal" },
      });
    const answers = await Promise.all(Array.from({ length: 12 }, put));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 201)) expect(refused.body.error.code).toBe("RoleAssignmentExists");
  });
});

describe("application identifier URIs", () => {
  it("must be api:// or on a verified domain, unique in the tenant; a Microsoft API's URI cannot be claimed", async () => {
    const admin = await appGraphToken(runtime);
    const claim = await graph(runtime, admin, "POST", "/applications", { displayName: "thief", identifierUris: ["https://management.azure.com/"] });
    expect(claim.status).toBe(400);
    expect(claim.body.error).toMatchObject({ code: "HostNameNotOnVerifiedDomain", message: "Values of identifierUris property must use a verified domain of the organization or its subdomain: 'https://management.azure.com/'" });
    const mine = await graph(runtime, admin, "POST", "/applications", { displayName: "api", identifierUris: ["api://contoso-api", `https://${DEMO.tenantDomain}/orders`] });
    expect(mine.status).toBe(201);
    const again = await graph(runtime, admin, "POST", "/applications", { displayName: "api-2", identifierUris: ["API://contoso-api"] });
    expect(again.body.error).toMatchObject({ code: "Request_BadRequest", message: "Another object with the same value for property identifierUris already exists." });
    const other = (await graph(runtime, admin, "POST", "/applications", { displayName: "other" })).body;
    expect((await graph(runtime, admin, "PATCH", `/applications/${other.id}`, { identifierUris: ["api://contoso-api"] })).status).toBe(400);
    expect((await graph(runtime, admin, "PATCH", `/applications/${mine.body.id}`, { identifierUris: ["api://contoso-api", "api://contoso-api-v2"] })).status).toBe(204);
  });
});
