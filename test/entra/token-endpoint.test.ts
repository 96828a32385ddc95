import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { JWT_BEARER } from "../../src/entra/token/client-auth.js";
import { testRuntime } from "../helpers/runtime.js";
import { TENANT, certificateAssertion, makeApp, makeCertificate, makeIssuer, postToken } from "../helpers/entra.js";

const ARM_SCOPE = "https://management.azure.com/.default";
const TOKEN_URL = `https://127.0.0.1:8443/${TENANT}/oauth2/v2.0/token`;

let runtime: Runtime;
beforeAll(async () => {
  runtime = await testRuntime();
});
afterAll(async () => runtime.close());

const bootstrap = () => ({ client_id: DEMO.bootstrapAppId, client_secret: DEMO.bootstrapSecret });

function expectAadsts(result: { status: number; body: Record<string, any> }, code: number, errorClass: string, status: number) {
  expect(result.status).toBe(status);
  expect(result.body.error).toBe(errorClass);
  expect(result.body.error_codes).toEqual([code]);
  expect(result.body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(result.body.error_description).toMatch(/\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(result.body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(result.body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(result.body.error_uri).toBe(`http://127.0.0.1:8443/error?code=${code}`);
}

describe("client_credentials with a secret", () => {
  it("issues a v1 ARM token with the claims Entra puts in it", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, ...bootstrap() });
    expect(result.status).toBe(200);
    expect(result.body.token_type).toBe("Bearer");
    expect(typeof result.body.expires_in).toBe("number");
    expect(result.body.expires_in).toBeGreaterThanOrEqual(3600);
    expect(result.body.expires_in).toBeLessThanOrEqual(5400);
    expect(result.body.ext_expires_in).toBe(result.body.expires_in);
    const header = decodeProtectedHeader(result.body.access_token);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(header.x5t).toBe(header.kid);
    const claims = decodeJwt(result.body.access_token);
    expect(claims).toMatchObject({
      aud: "https://management.azure.com",
      iss: `https://sts.windows.net/${TENANT}/`,
      idp: `https://sts.windows.net/${TENANT}/`,
      appid: DEMO.bootstrapAppId,
      appidacr: "1",
      idtyp: "app",
      oid: DEMO.bootstrapServicePrincipalId,
      sub: DEMO.bootstrapServicePrincipalId,
      tid: TENANT,
      ver: "1.0",
      wids: ["62e90394-69f5-4237-9190-012177145e10"],
    });
    expect(claims.exp! - claims.iat!).toBe(result.body.expires_in);
  });

  it("accepts HTTP Basic client authentication, tenant by domain, and the scope forms real clients send", async () => {
    const basic = Buffer.from(`${encodeURIComponent(DEMO.bootstrapAppId)}:${encodeURIComponent(DEMO.bootstrapSecret)}`).toString("base64");
    for (const scope of [
      "https://management.core.windows.net//.default",
      "https://management.azure.com/.default openid profile offline_access",
      "499b84ac-1321-427f-aa17-267ca6975798/.default",
      "https://graph.microsoft.com/.default",
    ]) {
      const result = await postToken(runtime, { grant_type: "client_credentials", scope }, `/${DEMO.tenantDomain}/oauth2/v2.0/token`, { authorization: `Basic ${basic}` });
      expect(result.status, scope).toBe(200);
    }
    const devops = await postToken(runtime, { grant_type: "client_credentials", scope: "499b84ac-1321-427f-aa17-267ca6975798/.default", ...bootstrap() });
    expect(decodeJwt(devops.body.access_token).aud).toBe("499b84ac-1321-427f-aa17-267ca6975798");
  });

  it("ignores unknown form fields MSAL adds", async () => {
    const result = await postToken(runtime, {
      grant_type: "client_credentials",
      scope: ARM_SCOPE,
      ...bootstrap(),
      "x-client-SKU": "msal.js.node",
      "x-client-VER": "5.6.0",
      client_info: "1",
      claims: '{"access_token":{"xms_cc":{"values":["CP1"]}}}',
      "client-request-id": "3f1c4a2e-0000-4000-8000-000000000000",
    });
    expect(result.status).toBe(200);
  });

  it("answers the v1 endpoint with string fields and the resource", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", resource: "https://management.core.windows.net/", ...bootstrap() }, `/${TENANT}/oauth2/token`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ token_type: "Bearer", resource: "https://management.core.windows.net/" });
    for (const field of ["expires_in", "ext_expires_in", "expires_on", "not_before"]) expect(typeof result.body[field]).toBe("string");
    expect(decodeJwt(result.body.access_token).aud).toBe("https://management.core.windows.net/");
  });

  it("serves the ADFS-style endpoint the Azure CLI uses, finding the tenant from the client", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: "https://management.core.windows.net//.default", ...bootstrap() }, "/adfs/oauth2/token");
    expect(result.status).toBe(200);
    expect(decodeJwt(result.body.access_token).tid).toBe(TENANT);
  });

  it("AADSTS7000215 for a wrong secret, naming the app", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: DEMO.bootstrapAppId, client_secret: "nope" });
    expectAadsts(result, 7000215, "invalid_client", 401);
    expect(result.body.error_description).toContain(`for a secret added to app '${DEMO.bootstrapAppId}'`);
  });

  it("AADSTS7000222 once the secret's end date has passed on the clock", async () => {
    const app = await makeApp(runtime, { secret: { endDateTime: new Date(runtime.clock.nowMs() + 90 * 86_400_000).toISOString() } });
    const form = { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_secret: app.secret! };
    expect((await postToken(runtime, form)).status).toBe(200);
    const local = await testRuntime();
    try {
      // Use a runtime of its own: moving the clock must not disturb the other tests.
      const app2 = await makeApp(local, { secret: { endDateTime: new Date(local.clock.nowMs() + 90 * 86_400_000).toISOString() } });
      local.clock.advance(91 * 86_400);
      const result = await postToken(local, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app2.appId, client_secret: app2.secret! });
      expectAadsts(result, 7000222, "invalid_client", 401);
      expect(result.body.error_description).toContain(`The provided client secret keys for app '${app2.appId}' are expired.`);
    } finally {
      await local.close();
    }
  });

  it("AADSTS700016 for an unknown client, naming the directory", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: "9a9a9a9a-0000-4000-8000-000000000000", client_secret: "x" });
    expectAadsts(result, 700016, "unauthorized_client", 400);
    expect(result.body.error_description).toContain("Application with identifier '9a9a9a9a-0000-4000-8000-000000000000' was not found in the directory 'Contoso'.");
  });

  it("AADSTS700016 for a single-tenant app used in another tenant", async () => {
    const app = await makeApp(runtime);
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_secret: app.secret! }, `/${DEMO.otherTenantId}/oauth2/v2.0/token`);
    expectAadsts(result, 700016, "unauthorized_client", 400);
    expect(result.body.error_description).toContain("'Fabrikam'");
  });

  it("AADSTS7000229 when the application has no service principal", async () => {
    const app = await makeApp(runtime, { servicePrincipal: false });
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_secret: app.secret! });
    expectAadsts(result, 7000229, "invalid_client", 401);
    expect(result.body.error_description).toContain(`The client application ${app.appId} is missing service principal in the tenant ${TENANT}.`);
  });

  it("AADSTS7000112 when the service principal is disabled", async () => {
    const app = await makeApp(runtime, { name: "disabled-app" });
    await runtime.store.servicePrincipals.update(app.servicePrincipalId!, { accountEnabled: false });
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_secret: app.secret! });
    expectAadsts(result, 7000112, "unauthorized_client", 400);
    expect(result.body.error_description).toContain(`AADSTS7000112: Application '${app.appId}'(disabled-app) is disabled.`);
  });
});

describe("request validation", () => {
  it("AADSTS90002 for a tenant that does not exist, by id and by domain", async () => {
    for (const tenant of ["0b0b0b0b-0000-4000-8000-000000000000", "nowhere.onmicrosoft.com"]) {
      const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, ...bootstrap() }, `/${tenant}/oauth2/v2.0/token`);
      expectAadsts(result, 90002, "invalid_tenant", 400);
      expect(result.body.error_description).toContain(`Tenant '${tenant}' not found.`);
    }
  });

  it("AADSTS900023 for a tenant segment that is neither a GUID nor a domain", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, ...bootstrap() }, "/undefined/oauth2/v2.0/token");
    expectAadsts(result, 900023, "invalid_request", 400);
  });

  it("AADSTS50059 for client credentials on /common", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, ...bootstrap() }, "/common/oauth2/v2.0/token");
    expectAadsts(result, 50059, "invalid_request", 400);
  });

  it("AADSTS900144 for each missing parameter", async () => {
    expectAadsts(await postToken(runtime, {}), 900144, "invalid_request", 400);
    const noClient = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE });
    expect(noClient.body.error_description).toContain("'client_id'");
    const noScope = await postToken(runtime, { grant_type: "client_credentials", ...bootstrap() });
    expectAadsts(noScope, 900144, "invalid_request", 400);
    expect(noScope.body.error_description).toContain("'scope'");
    const noResource = await postToken(runtime, { grant_type: "client_credentials", ...bootstrap() }, `/${TENANT}/oauth2/token`);
    expect(noResource.body.error_description).toContain("'resource'");
  });

  it("AADSTS7000218 without a credential", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: DEMO.bootstrapAppId });
    expectAadsts(result, 7000218, "invalid_client", 401);
  });

  it("AADSTS70011 for a scope that is not {resource}/.default, AADSTS28000 for two resources", async () => {
    expectAadsts(await postToken(runtime, { grant_type: "client_credentials", scope: "https://management.azure.com/user_impersonation", ...bootstrap() }), 70011, "invalid_scope", 400);
    expectAadsts(await postToken(runtime, { grant_type: "client_credentials", scope: "openid", ...bootstrap() }), 70011, "invalid_scope", 400);
    expectAadsts(
      await postToken(runtime, { grant_type: "client_credentials", scope: "https://management.azure.com/.default https://graph.microsoft.com/.default", ...bootstrap() }),
      28000,
      "invalid_scope",
      400,
    );
  });

  it("AADSTS500011 for a resource that has no service principal in the tenant", async () => {
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: "https://example.contoso.com/.default", ...bootstrap() });
    expectAadsts(result, 500011, "invalid_resource", 400);
    expect(result.body.error_description).toContain("The resource principal named https://example.contoso.com was not found in the tenant named");
  });

  it("issues tokens for an application of the tenant named by app id or identifier URI, in the version it asks for", async () => {
    const api = await runtime.entra.directory.createApplication({ tenantId: TENANT, displayName: "api", identifierUris: ["api://my-api"], requestedAccessTokenVersion: 2 });
    await runtime.entra.directory.createServicePrincipal({ tenantId: TENANT, appId: api.appId });
    const byUri = await postToken(runtime, { grant_type: "client_credentials", scope: "api://my-api/.default", ...bootstrap() });
    expect(byUri.status).toBe(200);
    const claims = decodeJwt(byUri.body.access_token);
    expect(claims).toMatchObject({ aud: api.appId, ver: "2.0", azp: DEMO.bootstrapAppId, azpacr: "1", iss: `http://127.0.0.1:8443/${TENANT}/v2.0` });
    const byId = await postToken(runtime, { grant_type: "client_credentials", scope: `${api.appId}/.default`, ...bootstrap() });
    expect(byId.status).toBe(200);
  });

  it("AADSTS70003 for a grant type the endpoint does not support", async () => {
    expectAadsts(await postToken(runtime, { grant_type: "urn:made-up", ...bootstrap() }), 70003, "unsupported_grant_type", 400);
  });

  it("treats JSON, text and empty bodies as bodies without parameters", async () => {
    for (const [type, payload] of [
      ["application/json", JSON.stringify({ grant_type: "client_credentials" })],
      ["application/json", "{not json"],
      ["text/plain", "grant_type=client_credentials"],
      ["application/x-www-form-urlencoded", ""],
    ] as const) {
      const response = await runtime.listeners.login.inject({ method: "POST", url: `/${TENANT}/oauth2/v2.0/token`, headers: { "content-type": type }, payload });
      expect(response.statusCode, `${type} ${payload}`).toBe(400);
      expect(response.json().error_codes).toEqual([900144]);
    }
    const none = await runtime.listeners.login.inject({ method: "POST", url: `/${TENANT}/oauth2/v2.0/token` });
    expect(none.statusCode).toBe(400);
  });

  it("answers an oversized body with an Entra error, and keeps serving", async () => {
    const response = await runtime.listeners.login.inject({
      method: "POST",
      url: `/${TENANT}/oauth2/v2.0/token`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: `grant_type=client_credentials&junk=${"a".repeat(2 * 1024 * 1024)}`,
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe("invalid_request");
    expect((await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, ...bootstrap() })).status).toBe(200);
  });

  it("echoes client-request-id as the correlation id", async () => {
    const id = "0c0c0c0c-1111-4222-8333-444444444444";
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: DEMO.bootstrapAppId, client_secret: "bad", "client-request-id": id });
    expect(result.body.correlation_id).toBe(id);
  });
});

describe("certificate credentials", () => {
  it("accepts RS256 and PS256 assertions with x5t or x5t#S256 and marks appidacr 2", async () => {
    const app = await makeApp(runtime, { secret: false, name: "cert-app" });
    const cert = await makeCertificate();
    await runtime.entra.directory.addCertificate(app.objectId, { certificate: cert.certPem });
    for (const variant of [{}, { alg: "PS256" as const }, { sha256: true }, { alg: "PS256" as const, sha256: true }]) {
      const assertion = await certificateAssertion(cert, app.appId, TOKEN_URL, variant);
      const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: assertion });
      expect(result.status, JSON.stringify(variant)).toBe(200);
      expect(decodeJwt(result.body.access_token).appidacr).toBe("2");
    }
    // The real token endpoint is an accepted audience too.
    const real = await certificateAssertion(cert, app.appId, `https://login.microsoftonline.com/${DEMO.tenantDomain}/oauth2/v2.0/token`);
    expect((await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: real })).status).toBe(200);
  });

  it("AADSTS700027 for an unregistered certificate or a bad signature", async () => {
    const app = await makeApp(runtime, { secret: false });
    const registered = await makeCertificate();
    const other = await makeCertificate();
    await runtime.entra.directory.addCertificate(app.objectId, { certificate: registered.derBase64 });
    const unknown = await certificateAssertion(other, app.appId, TOKEN_URL);
    const r1 = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: unknown });
    expectAadsts(r1, 700027, "invalid_client", 401);
    expect(r1.body.error_description).toContain("[Reason - The key was not found.");
    expect(r1.body.error_description).toContain(other.thumbprintSha1.toString("hex").toUpperCase());
    // Signed by another key but claiming the registered thumbprint.
    const forged = await certificateAssertion({ ...other, thumbprintSha1: registered.thumbprintSha1 }, app.appId, TOKEN_URL);
    const r2 = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: forged });
    expectAadsts(r2, 700027, "invalid_client", 401);
    expect(r2.body.error_description).toContain("Key was found, but use of the key to verify the signature failed.");
  });

  it("AADSTS700024 for an assertion outside its time range", async () => {
    const app = await makeApp(runtime, { secret: false });
    const cert = await makeCertificate();
    await runtime.entra.directory.addCertificate(app.objectId, { certificate: cert.certPem });
    const old = Math.floor(Date.now() / 1000) - 3600;
    const assertion = await certificateAssertion(cert, app.appId, TOKEN_URL, { iat: old, exp: old + 600 });
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: assertion });
    expectAadsts(result, 700024, "invalid_client", 401);
    expect(result.body.error_description).toMatch(/Current time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z, assertion valid from .*\.\d{7}Z, expiry time of assertion .*\.\d{7}Z\./);
  });

  it("AADSTS1000502 when the certificate's validity has ended on the clock", async () => {
    const local = await testRuntime();
    try {
      const app = await makeApp(local, { secret: false });
      const cert = await makeCertificate(new Date(Date.now() - 86_400_000), new Date(Date.now() + 30 * 86_400_000));
      await local.entra.directory.addCertificate(app.objectId, { certificate: cert.certPem });
      local.clock.advance(31 * 86_400);
      const assertion = await certificateAssertion(cert, app.appId, TOKEN_URL);
      const result = await postToken(local, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: assertion });
      expectAadsts(result, 1000502, "invalid_client", 401);
    } finally {
      await local.close();
    }
  });

  it("refuses garbage, unsigned and mis-addressed assertions with Entra errors", async () => {
    const app = await makeApp(runtime, { secret: false });
    const cert = await makeCertificate();
    await runtime.entra.directory.addCertificate(app.objectId, { certificate: cert.certPem });
    const base = { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER };
    expectAadsts(await postToken(runtime, { ...base, client_assertion: "not-a-jwt" }), 50027, "invalid_request", 400);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ iss: app.appId, sub: app.appId, aud: TOKEN_URL, exp: 9999999999 })).toString("base64url")}.`;
    expectAadsts(await postToken(runtime, { ...base, client_assertion: unsigned }), 50027, "invalid_request", 400);
    const wrongAud = await certificateAssertion(cert, app.appId, "https://example.com/token");
    expectAadsts(await postToken(runtime, { ...base, client_assertion: wrongAud }), 50013, "invalid_client", 401);
    const wrongSub = await certificateAssertion(cert, app.appId, TOKEN_URL, { sub: "someone-else" });
    expectAadsts(await postToken(runtime, { ...base, client_assertion: wrongSub }), 700021, "invalid_client", 401);
    const { client_assertion_type: _type, ...noType } = base;
    expectAadsts(await postToken(runtime, { ...noType, client_assertion: wrongAud }), 900144, "invalid_request", 400);
  });
});

describe("federated credentials", () => {
  it("exchanges an external issuer's token that matches a federated credential", async () => {
    const issuer = await makeIssuer("https://token.actions.githubusercontent.com");
    await runtime.store.keys.upsertIssuer({ issuer: issuer.issuer, jwks: issuer.jwks });
    const app = await makeApp(runtime, { secret: false, name: "gha" });
    await runtime.entra.directory.addFederatedCredential(app.objectId, {
      name: "main-branch",
      issuer: issuer.issuer,
      subject: "repo:contoso/app:ref:refs/heads/main",
      audiences: ["api://AzureADTokenExchange"],
    });
    const form = (assertion: string) => ({ grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: assertion });

    const good = await issuer.sign({ sub: "repo:contoso/app:ref:refs/heads/main", aud: "api://AzureADTokenExchange" });
    const ok = await postToken(runtime, form(good));
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.access_token).appidacr).toBe("2");

    const otherIssuer = await makeIssuer("https://other.example.com");
    const r1 = await postToken(runtime, form(await otherIssuer.sign({ sub: "repo:contoso/app:ref:refs/heads/main", aud: "api://AzureADTokenExchange" })));
    expectAadsts(r1, 700211, "invalid_client", 401);
    expect(r1.body.error_description).toContain("presented assertion issuer 'https://other.example.com'");

    const r2 = await postToken(runtime, form(await issuer.sign({ sub: "repo:contoso/app:ref:refs/heads/dev", aud: "api://AzureADTokenExchange" })));
    expectAadsts(r2, 700213, "invalid_client", 401);
    expect(r2.body.error_description).toContain("presented assertion subject 'repo:contoso/app:ref:refs/heads/dev'");

    const r3 = await postToken(runtime, form(await issuer.sign({ sub: "repo:contoso/app:ref:refs/heads/main", aud: "api://SomethingElse" })));
    expectAadsts(r3, 70021, "invalid_request", 400);
    expect(r3.body.error_description).toContain("Assertion Audience: 'api://SomethingElse'");

    const now = Math.floor(Date.now() / 1000);
    const r4 = await postToken(runtime, form(await issuer.sign({ sub: "repo:contoso/app:ref:refs/heads/main", aud: "api://AzureADTokenExchange", iat: now - 900, nbf: now - 900, exp: now - 600 })));
    expectAadsts(r4, 700024, "invalid_client", 401);

    const impostor = await makeIssuer(issuer.issuer);
    const r5 = await postToken(runtime, form(await impostor.sign({ sub: "repo:contoso/app:ref:refs/heads/main", aud: "api://AzureADTokenExchange" })));
    expectAadsts(r5, 700027, "invalid_client", 401);
  });

  it("AADSTS70025 when the application has no federated credentials", async () => {
    const issuer = await makeIssuer();
    const app = await makeApp(runtime, { secret: false });
    const result = await postToken(runtime, {
      grant_type: "client_credentials",
      scope: ARM_SCOPE,
      client_id: app.appId,
      client_assertion_type: JWT_BEARER,
      client_assertion: await issuer.sign({ sub: "x", aud: "api://AzureADTokenExchange" }),
    });
    expectAadsts(result, 70025, "invalid_client", 401);
  });

  it("AADSTS700222 for an Entra-issued token presented as an assertion, AADSTS70052 for a multi-tenant app on the Azure DevOps path", async () => {
    // A token the bootstrap principal got from Entra, presented to an app whose FIC names the Entra issuer.
    const entraToken = (await postToken(runtime, { grant_type: "client_credentials", scope: "api://AzureADTokenExchange/.default", ...bootstrap() })).body.access_token as string;
    const claims = decodeJwt(entraToken);
    const app = await makeApp(runtime, { secret: false });
    await runtime.entra.directory.addFederatedCredential(app.objectId, { name: "entra", issuer: String(claims.iss), subject: String(claims.sub), audiences: ["api://AzureADTokenExchange"] });
    const result = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: app.appId, client_assertion_type: JWT_BEARER, client_assertion: entraToken });
    expectAadsts(result, 700222, "invalid_client", 401);

    // Azure DevOps' own token for a service connection (azp is the Azure DevOps app) to a multi-tenant app.
    const { SignJWT } = await import("jose");
    const key = await runtime.entra.keys.activeKey(TENANT);
    const now = runtime.clock.nowSeconds();
    const devopsToken = await new SignJWT({
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      sub: "/eid1/c/pub/t/x/a/rISbSSETf0KqFyZ8ppdXmA/sc/org/sc",
      aud: "fb60f99c-7a34-4190-8149-302f77469936",
      azp: "499b84ac-1321-427f-aa17-267ca6975798",
      iat: now,
      nbf: now,
      exp: now + 3600,
    })
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .sign(key.privateKey);
    const multi = await makeApp(runtime, { secret: false, signInAudience: "AzureADMultipleOrgs" });
    await runtime.entra.directory.addFederatedCredential(multi.objectId, {
      name: "ado",
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      subject: "/eid1/c/pub/t/x/a/rISbSSETf0KqFyZ8ppdXmA/sc/org/sc",
      audiences: ["api://AzureADTokenExchange"],
    });
    const r2 = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: multi.appId, client_assertion_type: JWT_BEARER, client_assertion: devopsToken });
    expectAadsts(r2, 70052, "invalid_client", 401);

    const single = await makeApp(runtime, { secret: false });
    await runtime.entra.directory.addFederatedCredential(single.objectId, {
      name: "ado",
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      subject: "/eid1/c/pub/t/x/a/rISbSSETf0KqFyZ8ppdXmA/sc/org/sc",
      audiences: ["api://AzureADTokenExchange"],
    });
    const r3 = await postToken(runtime, { grant_type: "client_credentials", scope: ARM_SCOPE, client_id: single.appId, client_assertion_type: JWT_BEARER, client_assertion: devopsToken });
    expect(r3.status).toBe(200);
  });
});
