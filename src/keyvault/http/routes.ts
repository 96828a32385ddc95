import type { FastifyInstance, FastifyRequest } from "fastify";
import { vaultErrors } from "../errors.js";
import { readSetSecret, readUpdateSecret } from "../input.js";
import type { NetworkOrigin } from "../model.js";
import { MAX_PAGE, type KeyVaultService, type VaultRequest } from "../service.js";
import { deletedSecret, secretBundle, secretItem } from "./views.js";

export interface VaultRouteDeps {
  keyVault: KeyVaultService;
  /** The vault a request reached: by the port it came in on (svcconn's URLs) or its host (`{name}.vault.azure.net`). */
  vaultOf(request: FastifyRequest): string | undefined;
  /** Where the request came from, as the vault firewall sees it. */
  originOf(request: FastifyRequest): NetworkOrigin;
}

type Params = { name: string; version?: string };
type Query = { "api-version"?: string; maxresults?: string; $skiptoken?: string };
/** `7.4`, `7.6-preview.2`, and the dated versions newer SDKs send (`2016-10-01`, `2025-07-01`). */
const API_VERSION = /^(\d+\.\d+(-preview(\.\d+)?)?|\d{4}-\d{2}-\d{2}(-preview)?)$/;

/** Identifiers name the vault as the client addressed it; Key Vault is HTTPS only. */
const vaultBase = (request: FastifyRequest): string => `https://${String(request.headers.host ?? "").replace(/:443$/, "")}`;

/** Key Vault's secrets API on the vault listener (paths are case-insensitive; names compare case-insensitively). */
export function vaultRoutes(app: FastifyInstance, deps: VaultRouteDeps): void {
  const context = (request: FastifyRequest): VaultRequest => {
    const query = request.query as Query;
    const vaultName = deps.vaultOf(request);
    if (!vaultName) throw vaultErrors.vaultNotFound(String(request.headers.host ?? ""));
    if (!API_VERSION.test(query["api-version"] ?? "")) throw vaultErrors.missingApiVersion();
    const origin = deps.originOf(request);
    return { vaultName, authorization: request.headers.authorization, origin };
  };
  // Key Vault tells every caller the address it saw (what a firewall rule must allow).
  const reply = (_request: FastifyRequest, origin: NetworkOrigin): Record<string, string> => ({ "x-ms-keyvault-network-info": `conn_type=Ipv4;addr=${origin.address};act_addr_fam=InterNetwork;` });
  const page = (request: FastifyRequest): { after: string | null; size: number } => {
    const query = request.query as Query;
    const size = query.maxresults === undefined ? MAX_PAGE : Number(query.maxresults);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw vaultErrors.badParameter(`invalid maxresults: ${query.maxresults}. It must be between 1 and ${MAX_PAGE}.`);
    const token = query.$skiptoken;
    return { after: token ? Buffer.from(token, "base64url").toString("utf8") : null, size };
  };
  const nextLink = (request: FastifyRequest, path: string, next: string | null, size: number) =>
    next === null ? null : `${vaultBase(request)}${path}?api-version=${(request.query as Query)["api-version"]}&$skiptoken=${Buffer.from(next).toString("base64url")}&maxresults=${size}`;

  app.get("/secrets", async (request, r) => {
    const ctx = context(request);
    const { after, size } = page(request);
    const { vault, page: result } = await deps.keyVault.listSecrets(ctx, after, size);
    void r.headers(reply(request, ctx.origin));
    return { value: result.items.map((s) => secretItem(vaultBase(request), vault, s, false)), nextLink: nextLink(request, "/secrets", result.next, size) };
  });
  app.get<{ Params: Params }>("/secrets/:name/versions", async (request, r) => {
    const ctx = context(request);
    const { after, size } = page(request);
    const { vault, page: result } = await deps.keyVault.listVersions(ctx, request.params.name, after, size);
    void r.headers(reply(request, ctx.origin));
    return { value: result.items.map((s) => secretItem(vaultBase(request), vault, s, true)), nextLink: nextLink(request, `/secrets/${request.params.name}/versions`, result.next, size) };
  });
  const get = async (request: FastifyRequest<{ Params: Params }>, r: { headers(h: Record<string, string>): unknown }) => {
    const ctx = context(request);
    const { vault, secret } = await deps.keyVault.getSecret(ctx, request.params.name, request.params.version || undefined);
    r.headers(reply(request, ctx.origin));
    return secretBundle(vaultBase(request), vault, secret, true);
  };
  app.get<{ Params: Params }>("/secrets/:name", get);
  app.get<{ Params: Params }>("/secrets/:name/:version", get);
  app.put<{ Params: Params }>("/secrets/:name", async (request, r) => {
    const ctx = context(request);
    const { vault, secret } = await deps.keyVault.setSecret(ctx, request.params.name, () => readSetSecret(request.body));
    void r.headers(reply(request, ctx.origin));
    return secretBundle(vaultBase(request), vault, secret, true);
  });
  const update = async (request: FastifyRequest<{ Params: Params }>, r: { headers(h: Record<string, string>): unknown }) => {
    const ctx = context(request);
    const { vault, secret } = await deps.keyVault.updateSecret(ctx, request.params.name, request.params.version ?? "", () => readUpdateSecret(request.body));
    r.headers(reply(request, ctx.origin));
    return secretBundle(vaultBase(request), vault, secret, false);
  };
  app.patch<{ Params: Params }>("/secrets/:name", update);
  app.patch<{ Params: Params }>("/secrets/:name/:version", update);
  app.delete<{ Params: Params }>("/secrets/:name", async (request, r) => {
    const ctx = context(request);
    const { vault, secret, deleted } = await deps.keyVault.deleteSecret(ctx, request.params.name);
    void r.headers(reply(request, ctx.origin));
    return deletedSecret(vaultBase(request), vault, secret, deleted, false);
  });
  app.get("/deletedsecrets", async (request, r) => {
    const ctx = context(request);
    const { after, size } = page(request);
    const { vault, entries, next } = await deps.keyVault.listDeletedSecrets(ctx, after, size);
    void r.headers(reply(request, ctx.origin));
    return { value: entries.map((e) => deletedSecret(vaultBase(request), vault, e.secret, e.deleted, true)), nextLink: nextLink(request, "/deletedsecrets", next, size) };
  });
  app.get<{ Params: Params }>("/deletedsecrets/:name", async (request, r) => {
    const ctx = context(request);
    const { vault, secret, deleted } = await deps.keyVault.getDeletedSecret(ctx, request.params.name);
    void r.headers(reply(request, ctx.origin));
    return deletedSecret(vaultBase(request), vault, secret, deleted, false);
  });
  app.delete<{ Params: Params }>("/deletedsecrets/:name", async (request, r) => {
    const ctx = context(request);
    await deps.keyVault.purgeSecret(ctx, request.params.name);
    void r.headers(reply(request, ctx.origin)).status(204);
    return null;
  });
  app.post<{ Params: Params }>("/deletedsecrets/:name/recover", async (request, r) => {
    const ctx = context(request);
    const { vault, secret } = await deps.keyVault.recoverSecret(ctx, request.params.name);
    void r.headers(reply(request, ctx.origin));
    return secretBundle(vaultBase(request), vault, secret, false);
  });
}
