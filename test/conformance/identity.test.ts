import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  EnvironmentCredential,
} from "@azure/identity";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { createRemoteJWKSet, jwtVerify, decodeJwt } from "jose";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { clientModes } from "../helpers/client-modes.js";
import { ADMIN_KEY, testServer } from "../helpers/runtime.js";
import { makeApp, makeCertificate, makeIssuer } from "../helpers/entra.js";

const execFileAsync = promisify(execFile);

// Official clients, unchanged, over HTTPS against a listening svcconn (NODE_EXTRA_CA_CERTS trusts its CA): once told
// svcconn's URLs, once configured as for real Azure through svcconn's proxy (real-host mode).
let server: RunningServer;
const ARM = "https://management.azure.com/.default";

beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => server?.close());

async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await work();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe.each(clientModes(() => server))("with $name", (mode) => {
beforeAll(() => mode.enter());
afterAll(() => mode.leave());
const options = () => mode.identity();

describe("@azure/identity", () => {
  it("ClientSecretCredential gets a token that verifies against the served JWKS", async () => {
    const credential = new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, DEMO.bootstrapSecret, options());
    const token = await credential.getToken(ARM);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const jwks = createRemoteJWKSet(new URL(`${mode.login}/${DEMO.tenantId}/discovery/v2.0/keys`));
    const { payload } = await jwtVerify(token.token, jwks, { issuer: `https://sts.windows.net/${DEMO.tenantId}/`, audience: "https://management.azure.com", currentDate: new Date(server.runtime.clock.nowMs()) });
    expect(payload.appid).toBe(DEMO.bootstrapAppId);
  });

  it("surfaces AADSTS7000215, 700016 and 7000112 from the token endpoint", async () => {
    await expect(new ClientSecretCredential(DEMO.tenantId, DEMO.bootstrapAppId, "wrong", options()).getToken(ARM)).rejects.toThrow(/AADSTS7000215/);
    await expect(new ClientSecretCredential(DEMO.tenantId, "9a9a9a9a-0000-4000-8000-000000000000", "x", options()).getToken(ARM)).rejects.toThrow(/AADSTS700016/);
    const app = await makeApp(server.runtime, { name: "disabled" });
    await server.runtime.store.servicePrincipals.update(app.servicePrincipalId!, { accountEnabled: false });
    await expect(new ClientSecretCredential(DEMO.tenantId, app.appId, app.secret!, options()).getToken(ARM)).rejects.toThrow(/AADSTS7000112/);
    // With svcconn's URL MSAL reads the tenant's discovery document first: AADSTS90002 there is an endpoint
    // resolution failure. For login.microsoftonline.com it knows the endpoints and the token endpoint says
    // AADSTS90002 itself — both as against Entra.
    await expect(new ClientSecretCredential("0b0b0b0b-0000-4000-8000-000000000000", DEMO.bootstrapAppId, "x", options()).getToken(ARM)).rejects.toThrow(
      mode.realHosts ? /AADSTS90002/ : /endpoints_resolution_error/,
    );
  });

  it("ClientCertificateCredential signs an assertion svcconn accepts", async () => {
    const app = await makeApp(server.runtime, { secret: false, name: "cert" });
    const cert = await makeCertificate();
    await server.runtime.entra.directory.addCertificate(app.objectId, { certificate: cert.certPem });
    const credential = new ClientCertificateCredential(DEMO.tenantId, app.appId, { certificate: `${cert.certPem}${cert.keyPem}` }, options());
    const token = await credential.getToken(ARM);
    expect(decodeJwt(token.token)).toMatchObject({ appid: app.appId, appidacr: "2" });
    const chain = new ClientCertificateCredential(DEMO.tenantId, app.appId, { certificate: `${cert.certPem}${cert.keyPem}` }, { ...options(), sendCertificateChain: true });
    expect((await chain.getToken(ARM)).token).toBeTruthy();
  });

  it("ClientAssertionCredential exchanges a federated token, and reports a subject mismatch", async () => {
    const issuer = await makeIssuer("https://issuer.conformance.example");
    await server.runtime.store.keys.upsertIssuer({ issuer: issuer.issuer, jwks: issuer.jwks });
    const app = await makeApp(server.runtime, { secret: false, name: "wif" });
    await server.runtime.entra.directory.addFederatedCredential(app.objectId, { name: "fic", issuer: issuer.issuer, subject: "system:job", audiences: ["api://AzureADTokenExchange"] });
    const good = new ClientAssertionCredential(DEMO.tenantId, app.appId, () => issuer.sign({ sub: "system:job", aud: "api://AzureADTokenExchange" }), options());
    expect(decodeJwt((await good.getToken(ARM)).token).oid).toBe(app.servicePrincipalId);
    const bad = new ClientAssertionCredential(DEMO.tenantId, app.appId, () => issuer.sign({ sub: "system:other", aud: "api://AzureADTokenExchange" }), options());
    await expect(bad.getToken(ARM)).rejects.toThrow(/AADSTS700213/);
  });

  it("EnvironmentCredential reads AZURE_* and the authority host", async () => {
    await withEnv(
      { AZURE_TENANT_ID: DEMO.tenantId, AZURE_CLIENT_ID: DEMO.bootstrapAppId, AZURE_CLIENT_SECRET: DEMO.bootstrapSecret, AZURE_AUTHORITY_HOST: mode.realHosts ? undefined : server.login },
      async () => {
        const token = await new EnvironmentCredential(mode.realHosts ? {} : { disableInstanceDiscovery: true }).getToken(ARM);
        expect(decodeJwt(token.token).tid).toBe(DEMO.tenantId);
      },
    );
  });

  it("ManagedIdentityCredential gets the VM's identities through IMDS", async () => {
    // MSAL fixes the IMDS endpoint once per process: each caller runs in a process of its own (the server lives in
    // this one, so the children run asynchronously).
    const script = `import { ManagedIdentityCredential } from "@azure/identity";
      const claims = async (options) => JSON.parse(Buffer.from((await new ManagedIdentityCredential(options).getToken("${ARM}")).token.split(".")[1], "base64url").toString());
      try { console.log(JSON.stringify({ system: (await claims()).oid, user: (await claims({ clientId: "${DEMO.managedIdentity.clientId}" })).oid })); }
      catch (e) { console.log(String(e.message)); }`;
    // On the VM: svcconn's /vms/{vm} prefix, or in real-host mode the proxy's user name naming the VM.
    const vmProxy = server.proxy.replace("://", `://${DEMO.vm.name}:vm@`);
    const onVm: Record<string, string> = mode.realHosts ? { HTTPS_PROXY: vmProxy, HTTP_PROXY: vmProxy } : { AZURE_POD_IDENTITY_AUTHORITY_HOST: `${server.imds}/vms/${DEMO.vm.name}` };
    const offVm: Record<string, string> = mode.realHosts ? { HTTPS_PROXY: server.proxy, HTTP_PROXY: server.proxy } : { AZURE_POD_IDENTITY_AUTHORITY_HOST: server.imds };
    const run = async (env: Record<string, string>) => (await execFileAsync(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, ...env }, timeout: 20_000 })).stdout;
    expect(JSON.parse(await run(onVm))).toEqual({ system: DEMO.vm.systemPrincipalId, user: DEMO.managedIdentity.principalId });
    // The unbound caller (no VM: a Microsoft-hosted agent).
    expect(await run(offVm)).toMatch(/Identity not found/);
  });

  it("AADSTS7000222 after the secret's end date passes on the clock", async () => {
    const app = await makeApp(server.runtime, { secret: { endDateTime: new Date(server.runtime.clock.nowMs() + 90 * 86_400_000).toISOString() } });
    expect((await new ClientSecretCredential(DEMO.tenantId, app.appId, app.secret!, options()).getToken(ARM)).token).toBeTruthy();
    const moved = await fetch(`${mode.login}/_admin/clock`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-svcconn-admin-key": ADMIN_KEY },
      body: JSON.stringify({ advanceSeconds: 91 * 86_400 }),
    });
    expect(moved.status).toBe(200);
    await expect(new ClientSecretCredential(DEMO.tenantId, app.appId, app.secret!, options()).getToken(ARM)).rejects.toThrow(/AADSTS7000222/);
  });
});

describe("@azure/msal-node", () => {
  it("ConfidentialClientApplication gets a client-credentials token (svcconn's URL as a known authority, or the default authority)", async () => {
    const known = mode.realHosts ? {} : { knownAuthorities: [new URL(server.login).host] };
    const app = new ConfidentialClientApplication({
      auth: { clientId: DEMO.bootstrapAppId, clientSecret: DEMO.bootstrapSecret, authority: `${mode.login}/${DEMO.tenantId}`, ...known },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    expect(result?.accessToken).toBeTruthy();
    expect(decodeJwt(result!.accessToken).aud).toBe("https://graph.microsoft.com");
    const wrong = new ConfidentialClientApplication({
      auth: { clientId: DEMO.bootstrapAppId, clientSecret: "bad", authority: `${mode.login}/${DEMO.tenantId}`, ...known },
    });
    await expect(wrong.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] })).rejects.toMatchObject({ errorCode: "invalid_client" });
  });
});
});
