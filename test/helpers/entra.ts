import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT, exportJWK } from "jose";
import type { Runtime } from "../../src/server/runtime.js";
import { issueCertificate, type IssuedCertificate } from "../../src/core/x509.js";
import { DEMO } from "../../src/world/demo.js";

export const TENANT = DEMO.tenantId;

/** Posts a form to the login listener with inject(). */
export async function postToken(runtime: Runtime, form: Record<string, string>, path = `/${TENANT}/oauth2/v2.0/token`, headers: Record<string, string> = {}) {
  const response = await runtime.listeners.login.inject({
    method: "POST",
    url: path,
    headers: { "content-type": "application/x-www-form-urlencoded", host: "127.0.0.1:8443", ...headers },
    payload: new URLSearchParams(form).toString(),
  });
  return { status: response.statusCode, body: response.json() as Record<string, any> };
}

export interface TestApp {
  objectId: string;
  appId: string;
  servicePrincipalId?: string;
  secret?: string;
}

/** An application with a service principal and (optionally) a secret, in the demo tenant. */
export async function makeApp(
  runtime: Runtime,
  options: { name?: string; secret?: boolean | { endDateTime: string; startDateTime?: string }; servicePrincipal?: boolean; signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs"; tenantId?: string } = {},
): Promise<TestApp> {
  const directory = runtime.entra.directory;
  const tenantId = options.tenantId ?? TENANT;
  const app = await directory.createApplication({ tenantId, displayName: options.name ?? "test-app", signInAudience: options.signInAudience });
  let secret: string | undefined;
  if (options.secret !== false) {
    const spec = typeof options.secret === "object" ? options.secret : {};
    secret = (await directory.addPassword(app.id, spec)).secretText!;
  }
  let servicePrincipalId: string | undefined;
  if (options.servicePrincipal !== false) servicePrincipalId = (await directory.createServicePrincipal({ tenantId, appId: app.appId })).id;
  return { objectId: app.id, appId: app.appId, servicePrincipalId, secret };
}

export interface ClientCertificate extends IssuedCertificate {
  thumbprintSha1: Buffer;
  thumbprintSha256: Buffer;
}

export async function makeCertificate(notBefore = new Date(Date.now() - 86_400_000), notAfter = new Date(Date.now() + 365 * 86_400_000)): Promise<ClientCertificate> {
  const cert = await issueCertificate({ subject: "CN=svcconn-test-client", notBefore, notAfter });
  const der = Buffer.from(cert.derBase64, "base64");
  return { ...cert, thumbprintSha1: createHash("sha1").update(der).digest(), thumbprintSha256: createHash("sha256").update(der).digest() };
}

/** A certificate-signed client assertion as MSAL builds it. */
export async function certificateAssertion(
  cert: ClientCertificate,
  clientId: string,
  audience: string,
  options: { alg?: "RS256" | "PS256"; sha256?: boolean; iat?: number; exp?: number; iss?: string; sub?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header: Record<string, string> = { alg: options.alg ?? "RS256", typ: "JWT" };
  if (options.sha256) header["x5t#S256"] = cert.thumbprintSha256.toString("base64url");
  else header.x5t = cert.thumbprintSha1.toString("base64url");
  const { createPrivateKey } = await import("node:crypto");
  return new SignJWT({ aud: audience, iss: options.iss ?? clientId, sub: options.sub ?? clientId, jti: crypto.randomUUID(), nbf: options.iat ?? now, iat: options.iat ?? now, exp: options.exp ?? now + 600 })
    .setProtectedHeader(header as never)
    .sign(createPrivateKey(cert.keyPem));
}

export interface ExternalIssuer {
  issuer: string;
  privateKey: KeyObject;
  jwks: { keys: Array<Record<string, unknown>> };
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** An outside identity provider (like GitHub Actions) with an RSA key, to declare in the world. */
export async function makeIssuer(issuer = "https://token.actions.githubusercontent.com"): Promise<ExternalIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key-1", alg: "RS256", use: "sig" };
  return {
    issuer,
    privateKey,
    jwks: { keys: [jwk] },
    sign: (claims) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat: now, nbf: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: "RS256", kid: "test-key-1", typ: "JWT" }).sign(privateKey);
    },
  };
}
