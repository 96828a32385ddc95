import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, jwtVerify } from "jose";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { testRuntime } from "../helpers/runtime.js";
import { postToken } from "../helpers/entra.js";

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

const get = async (url: string, host = "localhost:9443") => {
  const response = await runtime.listeners.login.inject({ method: "GET", url, headers: { host } });
  return { status: response.statusCode, body: response.json() as Record<string, any>, headers: response.headers };
};

describe("OIDC discovery and keys", () => {
  it("builds every v2.0 URL on the host the client called, with the tenant id", async () => {
    const { status, body, headers } = await get(`/${DEMO.tenantDomain}/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body.issuer).toBe(`http://localhost:9443/${DEMO.tenantId}/v2.0`);
    expect(body.token_endpoint).toBe(`http://localhost:9443/${DEMO.tenantId}/oauth2/v2.0/token`);
    expect(body.authorization_endpoint).toBe(`http://localhost:9443/${DEMO.tenantId}/oauth2/v2.0/authorize`);
    expect(body.jwks_uri).toBe(`http://localhost:9443/${DEMO.tenantId}/discovery/v2.0/keys`);
    expect(headers["cache-control"]).toBe("max-age=86400, private");
  });

  it("serves the v1, common and ADFS documents", async () => {
    expect((await get(`/${DEMO.tenantId}/.well-known/openid-configuration`)).body.issuer).toBe(`https://sts.windows.net/${DEMO.tenantId}/`);
    expect((await get("/common/v2.0/.well-known/openid-configuration")).body.issuer).toBe("http://localhost:9443/{tenantid}/v2.0");
    const adfs = (await get("/adfs/.well-known/openid-configuration")).body;
    expect(adfs.token_endpoint).toBe("http://localhost:9443/adfs/oauth2/token");
    expect(adfs.authorization_endpoint).toBe("http://localhost:9443/adfs/oauth2/authorize");
  });

  it("answers discovery for an unknown tenant with AADSTS90002", async () => {
    const { status, body } = await get("/0b0b0b0b-0000-4000-8000-000000000000/v2.0/.well-known/openid-configuration");
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_tenant");
    expect(body.error_codes).toEqual([90002]);
  });

  it("publishes keys that verify the tokens it issues", async () => {
    const token = (await postToken(runtime, { grant_type: "client_credentials", scope: "https://management.azure.com/.default", client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret }))
      .body.access_token as string;
    const jwks = (await get(`/${DEMO.tenantId}/discovery/v2.0/keys`)).body;
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB" });
    expect(jwks.keys[0].x5c).toHaveLength(1);
    expect(jwks.keys[0].issuer).toBe(`http://localhost:9443/${DEMO.tenantId}/v2.0`);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), { issuer: `https://sts.windows.net/${DEMO.tenantId}/`, currentDate: runtime.clock.now() });
    expect(payload.tid).toBe(DEMO.tenantId);
    // The other tenant's keys do not verify this tenant's tokens.
    const other = (await get(`/${DEMO.otherTenantId}/discovery/keys`)).body;
    await expect(jwtVerify(token, createLocalJWKSet(other as never))).rejects.toThrow();
  });

  it("answers instance discovery for clients that route login.microsoftonline.com here", async () => {
    const { body } = await get(`/common/discovery/instance?api-version=1.1&authorization_endpoint=https://localhost:9443/${DEMO.tenantId}/oauth2/v2.0/authorize`);
    expect(body.tenant_discovery_endpoint).toBe(`http://localhost:9443/${DEMO.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(body.metadata[0].aliases).toEqual(["localhost:9443"]);
  });
});
