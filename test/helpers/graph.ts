import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { postToken } from "./entra.js";

const AZ_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/** A delegated Graph token for a demo user (ROPC through the Azure CLI client). */
export async function userGraphToken(runtime: Runtime, upn: string, tenant: string = DEMO.tenantId): Promise<string> {
  const result = await postToken(
    runtime,
    { grant_type: "password", client_id: AZ_CLI, username: upn, password: DEMO.userPassword, scope: "https://graph.microsoft.com/.default offline_access" },
    `/${tenant}/oauth2/v2.0/token`,
  );
  if (result.status !== 200) throw new Error(JSON.stringify(result.body));
  return result.body.access_token as string;
}

export async function appGraphToken(runtime: Runtime, clientId: string = DEMO.bootstrapAppId, secret: string = DEMO.bootstrapSecret): Promise<string> {
  const result = await postToken(runtime, { grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: "https://graph.microsoft.com/.default" });
  if (result.status !== 200) throw new Error(JSON.stringify(result.body));
  return result.body.access_token as string;
}

export async function graph(runtime: Runtime, token: string | undefined, method: string, path: string, body?: unknown) {
  const response = await runtime.listeners.graph.inject({
    method: method as never,
    url: `/v1.0${path}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), host: "127.0.0.1:8444", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { payload: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: (response.body ? JSON.parse(response.body) : undefined) as any };
}
