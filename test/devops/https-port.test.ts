import { randomUUID } from "node:crypto";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ResourceManagementClient } from "@azure/arm-resources";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { type AccessToken, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRIBUTOR_ROLE_DEFINITION_ID, PortError, type ArmApi, type ArmAs, type RoleAssignmentInfo } from "../../src/devops/ports.js";
import type { RunningServer } from "../../src/server/start.js";
import { makeApp } from "../helpers/entra.js";
import { testServer } from "../helpers/runtime.js";
import { ARM_WORLD, ARM_WORLD_YAML, worldFile } from "../worlds/arm.js";

/**
 * The DevOps plane's ARM port implemented over HTTPS with the official SDKs, the way the doctor's scan reaches
 * real Azure: if this compiles against `ArmApi` and behaves like the in-process adapter, the port is replaceable.
 */
function sdkArmApi(endpoint: string): ArmApi {
  const translate = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      const e = error as { statusCode?: number; code?: string; message?: string; details?: { error?: { code?: string; message?: string } } };
      if (typeof e.statusCode !== "number") throw error;
      throw new PortError("arm", e.statusCode, e.details?.error?.code ?? e.code ?? "", e.details?.error?.message ?? e.message ?? "");
    }
  };
  return {
    async as(token: string): Promise<ArmAs> {
      const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
      const options = { endpoint };
      const subscriptions = new SubscriptionClient(credential, options);
      // The subscription id only fills `{subscriptionId}` in URLs; every call below names its own scope.
      const authorization = new AuthorizationManagementClient(credential, "00000000-0000-0000-0000-000000000000", options);
      const resources = new ResourceManagementClient(credential, "00000000-0000-0000-0000-000000000000", options);
      const subscriptionInfo = (s: { subscriptionId?: string; displayName?: string; state?: string; tenantId?: string }) => ({
        id: s.subscriptionId ?? "",
        displayName: s.displayName ?? "",
        state: s.state ?? "",
        tenantId: s.tenantId ?? "",
      });
      return {
        subscription: (id) => translate(async () => subscriptionInfo(await subscriptions.subscriptions.get(id))),
        subscriptions: () =>
          translate(async () => {
            const out = [];
            for await (const s of subscriptions.subscriptions.list()) out.push(subscriptionInfo(s));
            return out;
          }),
        managementGroups: () =>
          translate(async () => {
            const groups = (await resources.resources.getById("/providers/Microsoft.Management/managementGroups", "2020-05-01")) as unknown as {
              value?: Array<{ name: string; properties?: { displayName?: string; tenantId?: string } }>;
            };
            return (groups.value ?? []).map((g) => ({ name: g.name, displayName: g.properties?.displayName ?? g.name, tenantId: g.properties?.tenantId ?? "" }));
          }),
        readScope: (scope) =>
          translate(async () => {
            await resources.resources.getById(scope, scope.includes("managementGroups") ? "2020-05-01" : "2022-09-01");
          }),
        assignRole: (command) =>
          translate(async (): Promise<RoleAssignmentInfo> => {
            const created = await authorization.roleAssignments.create(command.scope, randomUUID(), {
              roleDefinitionId: command.roleDefinitionId,
              principalId: command.principalId,
              principalType: command.principalType,
            });
            return { name: created.name ?? "", scope: created.scope ?? command.scope, roleDefinitionId: created.roleDefinitionId ?? "", principalId: created.principalId ?? "" };
          }),
        removeRoleAssignment: (scope, name) =>
          translate(async () => {
            const removed = await authorization.roleAssignments.delete(scope, name);
            return !!removed?.name;
          }),
      };
    },
  };
}

let server: RunningServer;
const tokenFor = async (clientId: string, secret: string) =>
  (await new ClientSecretCredential(ARM_WORLD.tenantId, clientId, secret, { authorityHost: server.login, disableInstanceDiscovery: true }).getToken(`${server.arm}/.default`))!.token;

beforeAll(async () => {
  server = await testServer({ rbacPropagationSeconds: 0, world: worldFile(ARM_WORLD_YAML, "arm") });
});
afterAll(async () => server?.close());

describe("ArmApi over HTTPS with the official SDKs", () => {
  it("assigns and removes a role, reads scopes and subscriptions, and fails with PortError like the in-process adapter", async () => {
    const port = sdkArmApi(server.arm);
    const owner = await port.as(await tokenFor(ARM_WORLD.appId, ARM_WORLD.secret));
    const app = await makeApp(server.runtime, { name: "https-port", tenantId: ARM_WORLD.tenantId });
    const subscription = `/subscriptions/${ARM_WORLD.subscriptionId}`;
    const scope = `${subscription}/resourceGroups/${ARM_WORLD.resourceGroup}`;

    expect((await owner.subscriptions()).map((s) => s.id)).toEqual([ARM_WORLD.subscriptionId]);
    expect(await owner.subscription(ARM_WORLD.subscriptionId)).toMatchObject({ id: ARM_WORLD.subscriptionId, tenantId: ARM_WORLD.tenantId, state: "Enabled" });
    await owner.readScope(scope);

    const assignment = await owner.assignRole({ scope, roleDefinitionId: CONTRIBUTOR_ROLE_DEFINITION_ID, principalId: app.servicePrincipalId!, principalType: "ServicePrincipal" });
    expect(assignment).toMatchObject({ scope, principalId: app.servicePrincipalId, roleDefinitionId: CONTRIBUTOR_ROLE_DEFINITION_ID });

    // The new Contributor cannot assign roles: the same PortError the in-process adapter gives.
    const contributor = await port.as(await tokenFor(app.appId, app.secret!));
    const refusal = await contributor
      .assignRole({ scope, roleDefinitionId: CONTRIBUTOR_ROLE_DEFINITION_ID, principalId: app.servicePrincipalId!, principalType: "ServicePrincipal" })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PortError);
    expect(refusal).toMatchObject({ plane: "arm", status: 403, code: "AuthorizationFailed", message: expect.stringContaining("'Microsoft.Authorization/roleAssignments/write'") });
    await contributor.readScope(scope);

    expect(await owner.removeRoleAssignment(scope, assignment.name)).toBe(true);
    expect(await owner.removeRoleAssignment(scope, assignment.name)).toBe(false);
    // Without its role the application reads nothing there (no propagation delay in this server).
    await expect(contributor.readScope(scope)).rejects.toMatchObject({ plane: "arm", status: 403, code: "AuthorizationFailed" });
  });
});
