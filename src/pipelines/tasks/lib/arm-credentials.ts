import { createHash, createPrivateKey, randomUUID, X509Certificate } from "node:crypto";
import { request as httpRequest } from "node:http";
import { getHandlerFromToken, WebApi } from "azure-devops-node-api";
import tl from "azure-pipelines-task-lib/task.js";
import { SignJWT } from "jose";

/**
 * An access token for a connection as `azure-pipelines-tasks-azure-arm-rest` gets one (its MSAL path;
 * docs/reference/pipelines.md §1.4): per scheme a client secret, a certificate assertion, the job's OIDC token, or
 * instance metadata; failures in that library's words, rejected as strings as the library rejects them.
 */
export class ConnectionCredentials {
  readonly scheme: string;
  readonly armUrl: string;
  readonly subscriptionId: string;
  private readonly authority: string;
  readonly tenantId: string;
  readonly clientId: string;

  constructor(private readonly connection: string) {
    this.scheme = tl.getEndpointAuthorizationScheme(connection, true) ?? "ServicePrincipal";
    this.armUrl = tl.getEndpointUrl(connection, false) ?? "";
    this.subscriptionId = tl.getEndpointDataParameter(connection, "subscriptionid", true) ?? "";
    this.authority = tl.getEndpointDataParameter(connection, "activeDirectoryAuthority", true) ?? "https://login.microsoftonline.com/";
    this.tenantId = tl.getEndpointAuthorizationParameter(connection, "tenantid", false) ?? "";
    this.clientId = tl.getEndpointAuthorizationParameter(connection, "serviceprincipalid", true) ?? "";
  }

  /** What a token is for: the connection's ARM URL unless another resource is named (`{url}/.default`). */
  private scopeFor(resource = this.armUrl) {
    return `${resource.replace(/\/+$/, "")}/.default`;
  }

  async getToken(resource?: string): Promise<string> {
    if (this.scheme.toLowerCase() === "managedserviceidentity") return this.managedIdentityToken(resource);
    const answer = await this.tokenResponse(undefined, resource);
    if ("token" in answer) return answer.token;
    const body = answer.error;
    // msal-node's ServerError (msal-common 14, which the library ships): code, then "codes - [timestamp]: description - Correlation ID - Trace ID".
    const codes = Array.isArray(body.error_codes) ? body.error_codes.join(",") : "";
    const message = `${codes} - [${body.timestamp ?? ""}]: ${body.error_description ?? ""} - Correlation ID: ${body.correlation_id ?? ""} - Trace ID: ${body.trace_id ?? ""}`;
    if (message.startsWith("7000222")) {
      const link = `${tl.getVariable("System.CollectionUri")}${tl.getVariable("System.TeamProject")}/_settings/adminservices?resourceId=${this.connection}`;
      throw `Secret expired, update service connection at ${link} See https://aka.ms/azdo-rm-workload-identity-conversion to learn more about conversion to secret-less service connections.`;
    }
    throw `Could not fetch access token for Azure. Status code: ${body.error ?? answer.status}, status message: ${message}`;
  }

  /**
   * The token endpoint's answer for a service principal connection (secret, certificate or federation): the token,
   * or Entra's error body, which each client words in its own way. A federation connection's OIDC token is asked
   * for first (`assertion` when the caller already has it).
   */
  async tokenResponse(assertion?: string, resource?: string): Promise<{ token: string } | { status: number; error: Record<string, unknown> }> {
    const form: Record<string, string> = { grant_type: "client_credentials", client_id: this.clientId, scope: this.scopeFor(resource) };
    const tokenEndpoint = new URL(`${this.tenantId}/oauth2/v2.0/token`, this.authority).href;
    if (this.scheme.toLowerCase() === "workloadidentityfederation") {
      form.client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
      form.client_assertion = assertion ?? (await this.federatedToken());
    } else if (this.usesCertificate) {
      form.client_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
      form.client_assertion = await this.certificateAssertion(tokenEndpoint);
    } else {
      form.client_secret = tl.getEndpointAuthorizationParameter(this.connection, "serviceprincipalkey", false) ?? "";
    }
    const response = await fetch(tokenEndpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body: new URLSearchParams(form) });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok && typeof body.access_token === "string") return { token: body.access_token };
    return { status: response.status, error: body };
  }

  /** A service principal connection that signs in with a certificate rather than a secret. */
  get usesCertificate(): boolean {
    return tl.getEndpointAuthorizationParameter(this.connection, "authenticationType", true) === "spnCertificate";
  }

  /** The job's OIDC token for the connection, as `getFederatedToken` of the tasks' ARM library fetches it. */
  async federatedToken(): Promise<string> {
    const token = tl.getEndpointAuthorizationParameter("SYSTEMVSSCONNECTION", "AccessToken", false) ?? "";
    try {
      const api = await new WebApi(tl.getVariable("System.CollectionUri") ?? "", getHandlerFromToken(token)).getTaskApi();
      const response = await api.createOidcToken({}, tl.getVariable("System.TeamProjectId") ?? "", tl.getVariable("System.HostType") ?? "build", tl.getVariable("System.PlanId") ?? "", tl.getVariable("System.JobId") ?? "", this.connection);
      const oidcToken = response?.oidcToken;
      if (!oidcToken) throw new Error("the OIDC token response was empty");
      tl.setSecret(oidcToken);
      return oidcToken;
    } catch (error) {
      throw `Could not fetch access token for AAD. ${(error as Error).message ?? error}`;
    }
  }

  private async certificateAssertion(audience: string): Promise<string> {
    const pem = tl.getEndpointAuthorizationParameter(this.connection, "servicePrincipalCertificate", false) ?? "";
    try {
      const certificate = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? "");
      const key = createPrivateKey(/-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+?-----END (RSA )?PRIVATE KEY-----/.exec(pem)?.[0] ?? "");
      const x5t = createHash("sha1").update(certificate.raw).digest("base64url");
      const now = Math.floor(Date.now() / 1000);
      return await new SignJWT({ aud: audience, iss: this.clientId, sub: this.clientId, jti: randomUUID(), nbf: now, exp: now + 600 }).setProtectedHeader({ alg: "RS256", typ: "JWT", x5t }).sign(key);
    } catch (error) {
      throw `MSAL - ServicePrincipal - certificate error: ${(error as Error).message}`;
    }
  }

  /** `GET http://169.254.169.254/metadata/identity/oauth2/token`, through the agent's HTTP proxy when it has one. */
  private managedIdentityToken(resource = this.armUrl): Promise<string> {
    const target = `http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(resource)}`;
    const proxy = process.env.HTTP_PROXY ?? process.env.http_proxy;
    const via = proxy ? new URL(proxy) : undefined;
    const failed = (status: string | number, message: string) =>
      (`Could not fetch access token for Azure. Status code: ${status}, status message: Could not fetch access token for Managed Service Principal. Status code: ${status}, status message: ${message}`);
    return new Promise((resolve, reject) => {
      const proxyAuthorization = via?.username ? { "Proxy-Authorization": `Basic ${Buffer.from(`${decodeURIComponent(via.username)}:${decodeURIComponent(via.password)}`).toString("base64")}` } : {};
      const options = via
        ? { host: via.hostname, port: via.port, path: target, headers: { Metadata: "true", Host: "169.254.169.254", ...proxyAuthorization } }
        : { host: "169.254.169.254", path: target.slice("http://169.254.169.254".length), headers: { Metadata: "true" } };
      const req = httpRequest(options, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => {
            if (res.statusCode === 200) {
              try {
                resolve((JSON.parse(text) as { access_token: string }).access_token);
                return;
              } catch {
                // falls through to the failure below
              }
            }
            reject(failed(res.statusCode ?? 0, res.statusMessage ?? text));
          });
      });
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
      req.on("error", (error) => reject(failed(error.name, error.message)));
      req.end();
    });
  }
}
