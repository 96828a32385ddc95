import { createHash } from "node:crypto";
import fc from "fast-check";
import { sql } from "kysely";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plane } from "../../src/core/config.js";
import type { Runtime } from "../../src/server/runtime.js";
import { isPostgres } from "../../src/store/database.js";
import { DEMO } from "../../src/world/demo.js";
import { bootstrapToken, vaultToken } from "../helpers/arm.js";
import { basic } from "../helpers/devops.js";
import { appGraphToken } from "../helpers/graph.js";
import { testRuntime } from "../helpers/runtime.js";

/**
 * Property-based fuzzing of every listener: generated requests — real route shapes with mutated segments, odd
 * queries, headers, tokens and bodies — must never get a 5xx, must be answered in the service's own error format,
 * and a refused request must write nothing. Seeds are fixed, so a failure reproduces; runs are bounded in count.
 */

const RUNS = 10_000;
let runtime: Runtime;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  runtime = await testRuntime();
  tokens.arm = await bootstrapToken(runtime);
  tokens.graph = await appGraphToken(runtime);
  tokens.vault = await vaultToken(runtime, DEMO.bootstrapAppId, DEMO.bootstrapSecret);
});
afterAll(async () => runtime.close());

/** The demo world's vault, by its Microsoft host name (the vault listener finds vaults by host). */
const DEMO_VAULT_HOST = "kv-contoso-prod.vault.azure.net";

const NULL_JWT = `${Buffer.from("null").toString("base64url")}.${Buffer.from("null").toString("base64url")}.c2ln`;
const GUIDS = [DEMO.tenantId, DEMO.subscriptionId, DEMO.project.id, DEMO.bootstrapAppId, DEMO.organization.id, "00000000-0000-0000-0000-000000000000"];

/** A path segment: real names, GUIDs, encodings that decode badly, OData keys, long and empty ones. */
const segment = fc.oneof(
  fc.constantFrom(...GUIDS, "contoso", "web", "rg-prod-app", "adfs", "common", "v2.0", "%25", "%25ZZ", "%ZZ", "%C0%AF", "..", "(appId='x')", "applications(appId='%27)", "$ref", "x".repeat(3000)),
  fc.webSegment(),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** Real route shapes of each listener, with `:x` filled by generated segments. */
const SHAPES: Record<Plane, string[]> = {
  login: [
    "/:t/oauth2/v2.0/token",
    "/:t/oauth2/token",
    "/adfs/oauth2/token",
    "/:t/oauth2/v2.0/authorize",
    "/:t/v2.0/.well-known/openid-configuration",
    "/:t/discovery/v2.0/keys",
    "/common/discovery/instance",
    "/_admin/sessions/sign-out",
    "/_admin/clock",
  ],
  graph: [
    "/v1.0/applications",
    "/v1.0/applications/:x",
    "/v1.0/applications/:x/addPassword",
    "/v1.0/applications/:x/federatedIdentityCredentials/:y",
    "/v1.0/applications/:x/owners/$ref",
    "/v1.0/servicePrincipals/:x/appRoleAssignments",
    "/v1.0/users/:x",
    "/v1.0/me",
    "/v1.0/policies/authorizationPolicy",
    "/v1.0/directoryRoles/:x/members",
    "/v1.0/roleManagement/directory/roleAssignments/:x",
    "/beta/:x/:y",
  ],
  arm: [
    "/subscriptions",
    "/subscriptions/:s",
    "/subscriptions/:s/resourcegroups/:x",
    "/subscriptions/:s/resourceGroups/:x/providers/:y/:x/:y",
    "/subscriptions/:s/providers/Microsoft.Authorization/roleAssignments/:x",
    "/:x/providers/Microsoft.Authorization/roleDefinitions/:y",
    "/subscriptions/:s/resourceGroups/rg-prod-app/providers/Microsoft.Resources/deployments/:x",
    "/providers/Microsoft.Management/managementGroups/:x",
    "/tenants",
    "/metadata/endpoints",
  ],
  devops: [
    "/:o/_apis/projects/:x",
    "/:o/_apis/:x",
    "/:o/:p/_apis/serviceendpoint/endpoints",
    "/:o/_apis/serviceendpoint/endpoints/:x",
    "/:o/:p/_apis/serviceendpoint/endpointproxy",
    "/:o/_apis/serviceendpoint/endpointproject/:x",
    "/:o/:p/_apis/pipelines/pipelinePermissions/:x/:y",
    "/:o/:p/_apis/pipelines/pipelinePermissions",
    "/:o/:p/_apis/build/authorizedresources",
    "/:o/_apis/distributedtask/variablegroups",
    "/:o/_apis/distributedtask/variablegroups/:x",
    "/:o/:p/_apis/distributedtask/variablegroups",
    "/:o/:p/_apis/distributedtask/variablegroups/:x",
    "/:o/:p/_apis/distributedtask/environments",
    "/:o/:p/_apis/distributedtask/environments/:x",
    "/:o/:p/_apis/distributedtask/environments/:x/environmentdeploymentrecords",
    "/:o/:p/_apis/pipelines/checks/configurations",
    "/:o/:p/_apis/pipelines/checks/configurations/:x",
    "/:o/:p/_apis/pipelines/approvals",
    "/:o/:p/_apis/pipelines/approvals/:x",
    "/:o/_apis/securityroles/scopes/:x/roleassignments/resources/:y",
    "/:o/:p/_apis/distributedtask/hubs/build/plans/:x/jobs/:y/oidctoken",
    "/:x/.well-known/openid-configuration",
    "/_admin/organizations/:o",
    "/_svcconn/explain",
    "/:o/:p/_apis/pipelines",
    "/:o/:p/_apis/pipelines/:x",
    "/:o/:p/_apis/pipelines/:x/runs",
    "/:o/:p/_apis/pipelines/:x/preview",
    "/:o/:p/_apis/pipelines/:x/runs/:y/logs/:z",
    "/:o/:p/_apis/build/builds",
    "/:o/:p/_apis/build/builds/:x",
    "/:o/:p/_apis/build/builds/:x/timeline",
    "/:o/:p/_apis/build/builds/:x/logs/:y",
    "/:o/:p/_apis/build/definitions",
    "/:o/:p/_apis/build/definitions/:x",
    "/:o/:p/_apis/build/generalsettings",
    "/:o/:p/_apis/pipelines/:x/runs/:y",
    "/:o/:p/_apis/pipelines/:x/runs/:y/logs",
    "/:o/:p/_apis/build/builds/:x/logs",
    "/:o/:p/_apis/build/builds/:x/timeline/:y",
    "/_admin/organizations/:o/projects/:p/repositories/:x",
    "/_admin/organizations/:o/projects/:p/pipelinesettings",
  ],
  imds: ["/metadata/identity/oauth2/token", "/vms/:x/metadata/identity/oauth2/token", "/_admin/clock", "/:x"],
  vault: ["/secrets", "/secrets/:x", "/secrets/:x/:y", "/secrets/:x/versions", "/deletedsecrets", "/deletedsecrets/:x", "/deletedsecrets/:x/recover", "/:x"],
};

const fill = (shape: string) =>
  fc
    .tuple(segment, segment, fc.constantFrom("contoso", "contoso", "CONTOSO", "nope"), fc.constantFrom("web", "web", DEMO.project.id, "nope"), fc.constantFrom(DEMO.subscriptionId, DEMO.devSubscriptionId), fc.constantFrom(DEMO.tenantId, "contoso.onmicrosoft.com", "common", "nope"))
    .map(([x, y, o, p, s, t]) => shape.replace(":x", x).replace(":y", y).replace(":o", o).replace(":p", p).replace(":s", s).replace(":t", t));

const QUERY_KEYS = ["api-version", "$filter", "$top", "$skiptoken", "$select", "$expand", "endpointIds", "endpointNames", "projectIds", "type", "actionFilter", "operation", "deep", "resource", "client_id", "continuationToken", "top", "inheritPermissions", "serviceConnectionId", "includeFailed", "authSchemes"];
const queryValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("%25", "%25ZZ", "%ZZ", "%") },
  fc.constantFrom("7.1", "7.1-preview.1", "2022-04-01", "2018-02-01", "banana", "%25", "%ZZ", "true", "-1", "99999999999", "appId eq 'x'", "((((", "atScope()", `principalId eq '${GUIDS[0]}'`, "ConvertAuthenticationScheme", "RotateSecret"),
  fc.string({ maxLength: 30 }),
);
const query = fc.dictionary(fc.constantFrom(...QUERY_KEYS), queryValue, { maxKeys: 4 }).map((q) => {
  // Values that look like percent-encoding are sent as they are: the server must decode them once.
  const parts = Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${v.startsWith("%") ? v : encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
});

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
/** Bodies shaped like the pipelines routes' (runs, builds, definitions, settings), with hostile values. */
const pipelineBody = fc.record(
  {
    variables: fc.dictionary(fc.constantFrom("NODE_OPTIONS", "BASH_ENV", "PATH", "system.debug", "x", ""), fc.oneof(fc.record({ value: fc.string({ maxLength: 40 }), isSecret: fc.boolean() }), fc.string(), fc.constant(null)), { maxKeys: 3 }),
    templateParameters: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 60 }), fc.constant("a: &a [x]\nb: *a"), fc.json({ maxDepth: 2 }))),
    definition: fc.record({ id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })) }),
    parameters: fc.oneof(fc.string({ maxLength: 60 }), fc.constant("{'who': 'az'}"), fc.constant("&a [*a]"), fc.json()),
    revision: fc.oneof(fc.integer(), fc.string({ maxLength: 3 })),
    enforceSettableVar: fc.oneof(fc.boolean(), fc.string({ maxLength: 5 })),
    resources: fc.json({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 2, arbitrary: pipelineBody },
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom("{", "{nope", '{"a":}', "null", "[]", '"text"', "1e999", deep(100), deep(20_000), "\u0000", '{"properties":null}', '{"authorization":{"scheme":5}}') },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
);
const contentType = fc.constantFrom(undefined, "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "application/json; charset=ebcdic", "application/x-www-form-urlencoded", "text/plain", "application/xml");

function authorization(plane: Plane) {
  const valid = plane === "devops" ? basic(DEMO.pats.admin) : plane === "arm" || plane === "graph" || plane === "vault" ? `Bearer ${tokens[plane]}` : undefined;
  const invalid = fc.constantFrom(undefined, "Bearer", "Bearer garbage", `Bearer ${NULL_JWT}`, "Basic !!!", basic("x"), `Bearer ${"eyJ".repeat(200)}.x.y`);
  // Half the requests are authenticated, so they reach the routes' own reading of paths, queries and bodies.
  return valid ? fc.oneof(invalid, fc.constant(valid)) : invalid;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
const request = (plane: Plane) =>
  fc.record({
    method: fc.oneof({ weight: 3, arbitrary: fc.constant("GET" as const) }, { weight: 4, arbitrary: fc.constantFrom(...METHODS) }),
    url: fc.tuple(fc.constantFrom(...SHAPES[plane]).chain(fill), query).map(([path, q]) => `${path}${q}`),
    authorization: authorization(plane),
    contentType,
    body,
  });

/** Whether a refusal is in the listener's own error format. */
function speaksItsFormat(plane: Plane, url: string, response: LightMyRequestResponse): boolean {
  if (response.headers["content-type"]?.toString().startsWith("text/html")) return plane === "login" && /authorize/i.test(url);
  let json: any;
  try {
    json = response.json();
  } catch {
    return false;
  }
  // svcconn's own admin API answers `{error: {code, message}}`; a path or method it does not have is the service's 404.
  if (url.startsWith("/_admin/") && typeof json?.error?.code === "string" && typeof json.error.message === "string") return true;
  switch (plane) {
    case "login":
      return typeof json.error === "string" && /^AADSTS\d+: /.test(json.error_description) && Array.isArray(json.error_codes);
    case "graph":
      return typeof json.error?.code === "string" && typeof json.error?.message === "string" && typeof json.error?.innerError === "object";
    case "arm":
      return typeof json.error?.code === "string" && typeof json.error?.message === "string";
    case "devops":
      return typeof json.message === "string" && typeof json.typeKey === "string";
    case "imds":
      return typeof json.error === "string" && typeof json.error_description === "string";
    case "vault":
      return typeof json.error?.code === "string" && typeof json.error?.message === "string";
  }
}

/** Everything the store holds, but read caches and the clock: a refused request must leave it as it was. */
async function fingerprint(): Promise<string> {
  const db = runtime.store.db;
  const listed = isPostgres(db)
    ? sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public'`
    : sql<{ name: string }>`select name from sqlite_master where type = 'table'`;
  const tables = (await listed.execute(db)).rows.map((t) => t.name).filter((name) => !["meta", "subscription_caches"].includes(name) && !/^(?:sqlite|kysely)_/.test(name));
  const hash = createHash("sha256");
  // Rows in a stable order: PostgreSQL returns an updated row wherever it now sits.
  for (const name of tables.sort()) hash.update(name).update(JSON.stringify((await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows.map((r) => JSON.stringify(r)).sort()));
  return hash.digest("hex");
}

describe("fuzzing every listener", () => {
  for (const [index, plane] of (["login", "graph", "arm", "devops", "imds", "vault"] as const).entries()) {
    it(`${plane}: ${RUNS} generated requests, no 5xx, its own error format, nothing written when refused`, async () => {
      const listener = runtime.listeners[plane];
      let refused = 0;
      let stored = await fingerprint();
      await fc.assert(
        fc.asyncProperty(request(plane), async (r) => {
          const before = runtime.store.changes.version;
          const payload = r.body === undefined || r.method === "GET" || r.method === "HEAD" ? undefined : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
          const response = await listener.inject({
            method: r.method,
            url: r.url,
            headers: { host: plane === "vault" ? DEMO_VAULT_HOST : "127.0.0.1", ...(r.authorization ? { authorization: r.authorization } : {}), ...(r.contentType && payload !== undefined ? { "content-type": r.contentType } : {}) },
            ...(payload !== undefined ? { payload } : {}),
          });
          expect(response.statusCode, `${r.method} ${r.url}`).toBeLessThan(500);
          if (response.statusCode >= 400 && r.method !== "HEAD") {
            refused++;
            expect(speaksItsFormat(plane, r.url, response), `${r.method} ${r.url} → ${response.statusCode} ${response.body.slice(0, 300)}`).toBe(true);
          }
          // A statement ran (a DELETE of nothing counts): compare what the store holds.
          if (runtime.store.changes.version !== before) {
            const now = await fingerprint();
            if (response.statusCode >= 400) expect(now, `${r.method} ${r.url} → ${response.statusCode} changed the store`).toBe(stored);
            stored = now;
          }
        }),
        { numRuns: RUNS, seed: 20261201 + index, endOnFailure: true },
      );
      // The generator must mostly produce refusals, or it tests the happy path instead.
      expect(refused).toBeGreaterThan(RUNS / 2);
    }, 120_000);
  }
});
