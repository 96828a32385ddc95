import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { EntraService } from "../../service.js";

type ImdsQuery = { "api-version"?: string; resource?: string; client_id?: string; object_id?: string; msi_res_id?: string; mi_res_id?: string };

const METADATA_HOST = /^http:\/\/169\.254\.169\.254(:80)?(?=\/|$)/i;

/**
 * Requests that reach the listener as an HTTP proxy for `169.254.169.254` (absolute-form targets, as clients send
 * through `HTTP_PROXY`), as a pipeline agent on a VM routes its steps' calls: the proxy user name names the VM
 * (`http://{vm}:agent@127.0.0.1:{imds}`), and without one (or with a name no VM has) the caller is on no VM. Other destinations are not served.
 */
export function imdsProxyRequest(url: string, headers: Record<string, string | string[] | undefined>): string {
  if (!/^[a-z]+:\/\//i.test(url)) return url;
  if (!METADATA_HOST.test(url)) return "/_svcconn/not-a-metadata-request";
  const path = url.replace(METADATA_HOST, "") || "/";
  const credentials = String(headers["proxy-authorization"] ?? "");
  const basic = /^basic\s+(\S+)/i.exec(credentials);
  const vm = basic ? Buffer.from(basic[1]!, "base64").toString("utf8").split(":")[0] : "";
  return vm && /^[\w.-]{1,80}$/.test(vm) ? `/vms/${encodeURIComponent(vm)}${path}` : path;
}

/**
 * The managed-identity endpoint of the instance metadata service. A caller is bound to a VM of the world by the
 * path prefix `/vms/{vmName}`: point `AZURE_POD_IDENTITY_AUTHORITY_HOST` at `http://127.0.0.1:{imds}/vms/{vm}`.
 * Without the prefix the caller is on no VM of yours, like a Microsoft-hosted agent.
 */
export function imdsRoutes(app: FastifyInstance, entra: EntraService, loginBase: () => string): void {
  const handler = async (request: FastifyRequest<{ Params: { vm?: string }; Querystring: ImdsQuery }>, reply: FastifyReply) => {
    const q = request.query;
    const result = await entra.managedIdentities.token({
      vmName: request.params.vm,
      metadataHeader: String(request.headers.metadata ?? "").toLowerCase() === "true",
      apiVersion: q["api-version"],
      resource: q.resource,
      clientId: q.client_id,
      objectId: q.object_id,
      msiResId: q.msi_res_id ?? q.mi_res_id,
      issuerBase: loginBase(),
    });
    void reply.send({
      access_token: result.accessToken,
      client_id: result.clientId,
      expires_in: String(result.expiresIn),
      expires_on: String(result.expiresOn),
      ext_expires_in: String(result.expiresIn),
      not_before: String(result.notBefore),
      resource: result.resource,
      token_type: "Bearer",
    });
  };
  app.get("/metadata/identity/oauth2/token", handler);
  app.get("/vms/:vm/metadata/identity/oauth2/token", handler);
}
