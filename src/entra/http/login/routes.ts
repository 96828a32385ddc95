
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baseUrl, } from "../../../http/wire.js";
import { authorizeRoutes } from "./authorize.js";
import { adfsConfiguration, instanceDiscovery, v1Configuration, v2Configuration } from "./oidc.js";
import type { EntraService } from "../../service.js";
import type { TokenEndpointFlavor, TokenResult } from "../../token/token-service.js";
import { v2Issuer } from "../../token/access-tokens.js";

/** Form bodies are read by hand: Entra treats a body it cannot read as one without parameters. */
function readForm(request: FastifyRequest): Record<string, string> {
  const type = String(request.headers["content-type"] ?? "").toLowerCase();
  const body = request.body;
  if (typeof body !== "string" || !type.startsWith("application/x-www-form-urlencoded")) return {};
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) if (!(key in form)) form[key] = value;
  return form;
}

function readBasic(request: FastifyRequest): { clientId: string; clientSecret: string } | undefined {
  const header = request.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
  }
}

function renderToken(result: TokenResult): Record<string, unknown> {
  if (result.flavor === "v1") {
    // The v1 endpoint answers with strings, and names the resource.
    return {
      token_type: "Bearer",
      expires_in: String(result.expiresIn),
      ext_expires_in: String(result.expiresIn),
      expires_on: String(result.expiresOn),
      not_before: String(result.notBefore),
      resource: result.resource,
      access_token: result.accessToken,
      ...(result.refreshToken ? { refresh_token: result.refreshToken } : {}),
      ...(result.idToken ? { id_token: result.idToken } : {}),
    };
  }
  const delegated = result.scope === undefined ? {} : { scope: result.scope };
  const extras = {
    ...(result.refreshToken ? { refresh_token: result.refreshToken } : {}),
    ...(result.idToken ? { id_token: result.idToken } : {}),
    ...(result.clientInfo ? { client_info: result.clientInfo } : {}),
  };
  return { token_type: "Bearer", ...delegated, expires_in: result.expiresIn, ext_expires_in: result.expiresIn, access_token: result.accessToken, ...extras };
}

/** Token endpoints (v2.0, v1, ADFS-style), OIDC discovery, JWKS and instance discovery. */
export function loginRoutes(app: FastifyInstance, entra: EntraService): void {

  // Keep the raw body: token requests are form-encoded, and anything else must still get Entra's own error.
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));

  const token = (flavorOf: (tenant: string) => TokenEndpointFlavor) => async (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    const form = readForm(request);
    (request as FastifyRequest & { form?: Record<string, string> }).form = form;
    const base = baseUrl(request);
    const flavor = flavorOf(request.params.tenant);
    const result = await entra.tokens.token({
      flavor,
      tenant: request.params.tenant,
      form,
      basic: readBasic(request),
      issuerBase: base,
      tokenEndpoint: `${base}${request.url.split("?")[0]}`,
      origin: typeof request.headers.origin === "string" ? request.headers.origin : undefined,
    });
    void reply.headers({ "cache-control": "no-store, no-cache", pragma: "no-cache" }).send(renderToken(result));
  };
  // Browsers call the token endpoint cross-origin (single-page apps): every answer, errors included, names the
  // caller's origin so the page can read it; whether that origin may redeem is the grant's decision (AADSTS9002326).
  const corsHeaders = (request: FastifyRequest) => ({ "access-control-allow-origin": String(request.headers.origin), vary: "Origin" });
  app.addHook("onSend", async (request, reply) => {
    if (request.headers.origin && /\/oauth2\/(?:v2\.0\/)?token$/i.test(request.url.split("?")[0]!)) void reply.headers(corsHeaders(request));
  });
  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    const requested = request.headers["access-control-request-headers"];
    void reply
      .status(204)
      .headers({
        ...(request.headers.origin ? corsHeaders(request) : {}),
        "access-control-allow-methods": "POST, OPTIONS",
        ...(typeof requested === "string" ? { "access-control-allow-headers": requested } : {}),
        "access-control-max-age": "86400",
      })
      .send();
  };
  for (const [path, flavor] of [["/:tenant/oauth2/v2.0/token", "v2"], ["/:tenant/oauth2/token", "v1"]] as const) {
    app.post(path, token((t) => (t.toLowerCase() === "adfs" ? "adfs" : flavor)));
    app.options(path, preflight);
  }

  const tenantIdFor = async (segment: string): Promise<string | "multi"> => {
    const tenant = await entra.directory.resolveTenant(segment);
    return tenant === "multi" ? "multi" : tenant.id;
  };
  const discoveryHeaders = { "cache-control": "max-age=86400, private", "access-control-allow-origin": "*" };

  app.get("/adfs/.well-known/openid-configuration", async (request, reply) => {
    void reply.headers(discoveryHeaders).send(adfsConfiguration(baseUrl(request)));
  });
  app.get<{ Params: { tenant: string } }>("/:tenant/v2.0/.well-known/openid-configuration", async (request, reply) => {
    const base = baseUrl(request);
    const tenantId = await tenantIdFor(request.params.tenant);
    const document =
      tenantId === "multi"
        ? { ...v2Configuration(base, request.params.tenant.toLowerCase()), issuer: v2Issuer(base, "{tenantid}") }
        : v2Configuration(base, tenantId);
    void reply.headers(discoveryHeaders).send(document);
  });
  app.get<{ Params: { tenant: string } }>("/:tenant/.well-known/openid-configuration", async (request, reply) => {
    const base = baseUrl(request);
    const tenantId = await tenantIdFor(request.params.tenant);
    const document =
      tenantId === "multi"
        ? { ...v1Configuration(base, request.params.tenant.toLowerCase()), issuer: "https://sts.windows.net/{tenantid}/" }
        : v1Configuration(base, tenantId);
    void reply.headers(discoveryHeaders).send(document);
  });

  const keys = (version: "v1" | "v2") => async (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    const base = baseUrl(request);
    const segment = request.params.tenant;
    const tenantId = segment.toLowerCase() === "adfs" ? "multi" : await tenantIdFor(segment);
    const issuer = (tid: string) => (version === "v2" ? v2Issuer(base, tid) : `https://sts.windows.net/${tid}/`);
    const all = await entra.keys.jwks(tenantId === "multi" ? undefined : tenantId, issuer);
    void reply.headers(discoveryHeaders).send({ keys: all });
  };
  app.get("/:tenant/discovery/v2.0/keys", keys("v2"));
  app.get("/:tenant/discovery/keys", keys("v1"));

  authorizeRoutes(app, entra);

  app.get<{ Querystring: { authorization_endpoint?: string } }>("/common/discovery/instance", async (request, reply) => {
    void reply.headers(discoveryHeaders).send(instanceDiscovery(baseUrl(request), request.query.authorization_endpoint));
  });
}
