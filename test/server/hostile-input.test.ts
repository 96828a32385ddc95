import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { bootstrapToken } from "../helpers/arm.js";
import { basic } from "../helpers/devops.js";
import { appGraphToken } from "../helpers/graph.js";
import { ADMIN_KEY, testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
let armToken: string;
let graphToken: string;
beforeAll(async () => {
  runtime = await testRuntime();
  armToken = await bootstrapToken(runtime);
  graphToken = await appGraphToken(runtime);
});
afterAll(async () => runtime.close());

const nested = (depth: number) => {
  let value = "1";
  for (let i = 0; i < depth; i++) value = `{"a":${value}}`;
  return value;
};
const RESOURCE = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app/providers/Microsoft.Web/sites/hostile?api-version=2022-03-01`;

describe("hostile input gets the service's own 4xx, never a 500", () => {
  it("a token whose header or payload is JSON null", async () => {
    const token = `${Buffer.from("null").toString("base64url")}.${Buffer.from("null").toString("base64url")}.c2ln`;
    const armCall = await runtime.listeners.arm.inject({ method: "GET", url: "/subscriptions?api-version=2022-12-01", headers: { authorization: `Bearer ${token}` } });
    expect(armCall.statusCode).toBe(401);
    expect(armCall.json().error.code).toBe("InvalidAuthenticationToken");
    const graphCall = await runtime.listeners.graph.inject({ method: "GET", url: "/v1.0/applications", headers: { authorization: `Bearer ${token}` } });
    expect(graphCall.statusCode).toBe(401);
    expect(graphCall.json().error.code).toBe("InvalidAuthenticationToken");
    const devopsCall = await runtime.listeners.devops.inject({ method: "GET", url: "/contoso/_apis/projects?api-version=7.1", headers: { authorization: `Bearer ${token}` } });
    expect(devopsCall.statusCode).toBe(401);
  });

  it("a $filter nested thousands of parentheses deep", async () => {
    const deep = `${"(".repeat(5000)}appId eq 'x'${")".repeat(5000)}`;
    const response = await runtime.listeners.graph.inject({ method: "GET", url: `/v1.0/applications?$filter=${encodeURIComponent(deep)}`, headers: { authorization: `Bearer ${graphToken}` } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain("recursion depth limit of '100' was exceeded");
    const fine = await runtime.listeners.graph.inject({ method: "GET", url: `/v1.0/applications?$filter=${encodeURIComponent(`${"(".repeat(50)}appId eq 'x'${")".repeat(50)}`)}`, headers: { authorization: `Bearer ${graphToken}` } });
    expect(fine.statusCode).toBe(200);
  });

  it("query values with a percent sign are decoded once", async () => {
    const auth = basic(DEMO.pats.admin);
    for (const query of ["endpointNames=%25ZZ", "endpointIds=%25"]) {
      const response = await runtime.listeners.devops.inject({ method: "GET", url: `/contoso/web/_apis/serviceendpoint/endpoints?api-version=7.1&${query}`, headers: { authorization: auth } });
      expect(response.statusCode, query).toBe(200);
      expect(response.json()).toEqual({ count: 0, value: [] });
    }
    const remove = await runtime.listeners.devops.inject({ method: "DELETE", url: `/contoso/_apis/serviceendpoint/endpoints/${DEMO.project.id}?api-version=7.1&projectIds=%25`, headers: { authorization: auth } });
    expect(remove.statusCode).toBe(404);
  });

  it("bodies nested 10 000 deep, on every listener that reads JSON", async () => {
    const arm = await runtime.listeners.arm.inject({ method: "PUT", url: RESOURCE, headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json" }, payload: `{"location":"westeurope","properties":${nested(10_000)}}` });
    expect(arm.statusCode).toBe(400);
    expect(arm.json().error).toEqual({ code: "InvalidRequestContent", message: "The request content was invalid and could not be deserialized: 'The reader's MaxDepth of 64 has been exceeded.'." });
    expect((await runtime.listeners.arm.inject({ method: "GET", url: RESOURCE, headers: { authorization: `Bearer ${armToken}` } })).statusCode).toBe(404);
    const graph = await runtime.listeners.graph.inject({ method: "POST", url: "/v1.0/applications", headers: { authorization: `Bearer ${graphToken}`, "content-type": "application/json" }, payload: nested(10_000) });
    expect(graph.statusCode).toBe(400);
    expect(graph.json().error.code).toBe("BadRequest");
    const devops = await runtime.listeners.devops.inject({ method: "POST", url: "/contoso/_apis/serviceendpoint/endpoints?api-version=7.1", headers: { authorization: basic(DEMO.pats.admin), "content-type": "application/json" }, payload: nested(10_000) });
    expect(devops.statusCode).toBe(400);
    expect(devops.json().message).toBe("The reader's MaxDepth of 64 has been exceeded.");
    // 64 levels are still read.
    const ok = await runtime.listeners.arm.inject({ method: "PUT", url: RESOURCE, headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json" }, payload: `{"location":"westeurope","properties":${nested(60)}}` });
    expect(ok.statusCode).toBe(201);
  });

  it("invalid JSON in each service's words, without the framework's", async () => {
    const arm = await runtime.listeners.arm.inject({ method: "PUT", url: RESOURCE, headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json" }, payload: '{"location": westeurope}' });
    expect(arm.json().error.message).toBe("The request content was invalid and could not be deserialized: 'Unexpected character encountered while parsing value: w. Path '', line 1, position 14.'.");
    const graph = await runtime.listeners.graph.inject({ method: "POST", url: "/v1.0/applications", headers: { authorization: `Bearer ${graphToken}`, "content-type": "application/json" }, payload: "{nope" });
    expect(graph.json().error).toMatchObject({ code: "BadRequest", message: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format." });
    for (const response of [arm, graph]) expect(response.body).not.toMatch(/content-type is set to|fastify|svcconn/i);
  });

  it("a path that is not valid percent-encoding, answered before routing in each service's format", async () => {
    const graph = await runtime.listeners.graph.inject({ method: "GET", url: "/v1.0/applications/%ZZ", headers: { authorization: `Bearer ${graphToken}` } });
    expect(graph.statusCode).toBe(400);
    expect(graph.json().error).toMatchObject({ code: "Request_BadRequest", message: "The request URL is not valid." });
    const devops = await runtime.listeners.devops.inject({ method: "GET", url: "/contoso/_apis/projects/%ZZ?api-version=7.1", headers: { authorization: basic(DEMO.pats.admin) } });
    expect(devops.statusCode).toBe(400);
    expect(devops.json()).toMatchObject({ typeKey: "VssServiceException", message: "The request URL is not valid." });
    for (const response of [graph, devops]) expect(response.body).not.toMatch(/FST_|fastify/i);
  });

  it("an ARM body in UTF-16 is read as UTF-16", async () => {
    const response = await runtime.listeners.arm.inject({
      method: "PUT",
      url: `/subscriptions/${DEMO.subscriptionId}/resourcegroups/rg-utf16?api-version=2022-09-01`,
      headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json; charset=utf-16" },
      payload: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"location":"westeurope","tags":{"ü":"✓"}}', "utf16le")]),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().tags).toEqual({ ü: "✓" });
  });
});

describe("the login listener and the admin API", () => {
  it("answers a bad admin request as the admin API, and a JSON token request as Entra does", async () => {
    const admin = await runtime.listeners.login.inject({ method: "POST", url: "/_admin/sessions/sign-out", headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY }, payload: "{bad" });
    expect(admin.statusCode).toBe(400);
    expect(admin.json()).toEqual({ error: { code: "InvalidJson", message: "Unexpected character encountered while parsing value: b. Path '', line 1, position 2." } });
    const token = await runtime.listeners.login.inject({ method: "POST", url: `/${DEMO.tenantId}/oauth2/v2.0/token`, headers: { "content-type": "application/json" }, payload: '{"grant_type":' });
    expect(token.json().error_codes).toEqual([900144]);
    // Elsewhere on the login listener unreadable JSON is Entra's AADSTS9000410.
    const authorize = await runtime.listeners.login.inject({ method: "POST", url: `/${DEMO.tenantId}/oauth2/v2.0/authorize`, headers: { "content-type": "application/json" }, payload: "{nope" });
    expect(authorize.statusCode).toBe(400);
    expect(authorize.json()).toMatchObject({ error: "invalid_request", error_codes: [9000410] });
    expect(authorize.json().error_description).toMatch(/^AADSTS9000410: Malformed JSON\.\r\nTrace ID: /);
  });

  it("serves no admin API on the plain-HTTP instance-metadata listener", async () => {
    const clock = await runtime.listeners.imds.inject({ method: "POST", url: "/_admin/clock", headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY }, payload: { advanceSeconds: 60 } });
    expect(clock.statusCode).toBe(404);
    expect((await runtime.listeners.imds.inject({ method: "GET", url: "/_svcconn/health" })).json().plane).toBe("imds");
  });
});

describe("service details clients read", () => {
  it("ARM names the request and the correlation id on every answer; Graph refuses /me for an app-only token", async () => {
    const correlation = "0f0e0d0c-0b0a-4000-8000-000000000001";
    const ok = await runtime.listeners.arm.inject({ method: "GET", url: "/subscriptions?api-version=2022-12-01", headers: { authorization: `Bearer ${armToken}`, "x-ms-correlation-request-id": correlation } });
    expect(ok.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers["x-ms-correlation-request-id"]).toBe(correlation);
    const missing = await runtime.listeners.arm.inject({ method: "GET", url: "/subscriptions/nope/spaceships?api-version=2022-12-01", headers: { authorization: `Bearer ${armToken}` } });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["x-ms-correlation-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const me = await runtime.listeners.graph.inject({ method: "GET", url: "/v1.0/me", headers: { authorization: `Bearer ${graphToken}` } });
    expect(me.statusCode).toBe(400);
    expect(me.json().error).toMatchObject({ code: "BadRequest", message: "/me request is only valid with delegated authentication flow." });
  });
});
