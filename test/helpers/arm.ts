import { BUILTIN_ROLE_IDS } from "../../src/arm/builtin-roles.js";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { makeApp, postToken } from "./entra.js";

export const SUB = DEMO.subscriptionId;
export const DEV_SUB = DEMO.devSubscriptionId;
export const API = "api-version=2022-04-01";

/** A client-credentials ARM token for an application. */
export async function armToken(runtime: Runtime, clientId: string, secret: string, tenant: string = DEMO.tenantId, scope = "https://management.azure.com/.default"): Promise<string> {
  const result = await postToken(runtime, { grant_type: "client_credentials", scope, client_id: clientId, client_secret: secret }, `/${tenant}/oauth2/v2.0/token`);
  if (result.status !== 200) throw new Error(`token: ${JSON.stringify(result.body)}`);
  return result.body.access_token as string;
}

export const bootstrapToken = (runtime: Runtime) => armToken(runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);

/** A client-credentials token for Key Vault (`https://vault.azure.net/.default`). */
export const vaultToken = (runtime: Runtime, clientId: string, secret: string, tenant: string = DEMO.tenantId) => armToken(runtime, clientId, secret, tenant, "https://vault.azure.net/.default");

/** A new application with a service principal, and its ARM token. */
export async function principalWithToken(runtime: Runtime, name = "arm-test", tenantId: string = DEMO.tenantId) {
  const app = await makeApp(runtime, { name, tenantId });
  return { ...app, token: await armToken(runtime, app.appId, app.secret!, tenantId) };
}

export async function arm(runtime: Runtime, token: string | undefined, method: string, path: string, body?: unknown) {
  const response = await runtime.listeners.arm.inject({
    method: method as never,
    url: path.includes("api-version") ? path : `${path}${path.includes("?") ? "&" : "?"}${API}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), host: "127.0.0.1:8445", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  const text = response.body;
  return { status: response.statusCode, body: (text ? JSON.parse(text) : undefined) as any, headers: response.headers };
}

/** A built-in role for a principal on a demo subscription, assigned by the bootstrap administrator. */
export async function assignSubscriptionRole(runtime: Runtime, principalId: string, role: keyof typeof BUILTIN_ROLE_IDS, subscriptionId: string = SUB): Promise<void> {
  const response = await arm(runtime, await bootstrapToken(runtime), "PUT", `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, {
    properties: { roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILTIN_ROLE_IDS[role]}`, principalId, principalType: "ServicePrincipal" },
  });
  if (response.status !== 201) throw new Error(`role assignment: ${response.status} ${JSON.stringify(response.body)}`);
}
