import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { arm } from "../helpers/arm.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { postToken } from "../helpers/entra.js";
import { ADMIN_KEY, testRuntime } from "../helpers/runtime.js";

let runtime: Runtime;
beforeEach(async () => {
  runtime = await testRuntime();
});

const oidcPath = (org: string, project: string, endpointId: string) =>
  `/${org}/${project}/_apis/distributedtask/hubs/build/plans/${crypto.randomUUID()}/jobs/${crypto.randomUUID()}/oidctoken?serviceConnectionId=${endpointId}&api-version=7.1-preview.1`;

/**
 * The token a job gets for a connection (the DevOps plane's side of the job OIDC route, which the pipelines plane
 * serves to running jobs only; test/pipelines covers the route). `_project` names the project the job runs in.
 */
async function oidcToken(endpointId: string, _who: "admin" = "admin", org: string = ORG, _project: string = PROJECT) {
  const organization = await runtime.devops.findOrganization(org);
  if (!organization) return { status: 404, body: { message: `organization ${org} not found`, oidcToken: "" } };
  try {
    return { status: 200, body: { oidcToken: await runtime.devops.federationTokenForJob(organization!, endpointId) } };
  } catch (error) {
    return { status: (error as { status: number }).status, body: { message: (error as Error).message, oidcToken: "" } };
  }
}

/** Presents the job's token to Entra as a client assertion, as AzureCLI@2 / ClientAssertionCredential do. */
async function exchange(clientId: string, assertion: string) {
  return postToken(runtime, {
    grant_type: "client_credentials",
    client_id: clientId,
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: assertion,
    scope: "https://management.azure.com/.default",
  });
}

async function setOrganization(changes: Record<string, unknown>, org = ORG) {
  const response = await runtime.listeners.devops.inject({ method: "PATCH", url: `/_admin/organizations/${org}`, headers: { "x-svcconn-admin-key": ADMIN_KEY, "content-type": "application/json" }, payload: JSON.stringify(changes) });
  expect(response.statusCode).toBe(200);
}

/** The federated credentials of a connection's application, as Graph keeps them. */
async function credentials(endpoint: any) {
  const app = await runtime.store.applications.getByAppId(endpoint.authorization.parameters.serviceprincipalid);
  return runtime.store.applications.federated(app!.id);
}

async function rename(endpoint: any, name: string) {
  const updated = await devops(runtime, "admin", "PUT", `/${ORG}/_apis/serviceendpoint/endpoints/${endpoint.id}`, { ...endpoint, name });
  expect(updated.status).toBe(200);
  return updated.body;
}

describe("S19 workload identity federation, Entra issuer", () => {
  it("issues the job token Entra would, which exchanges for an ARM token that works; renames do not matter", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "wif-prod", subscriptionId: DEMO.subscriptionId }));
    runtime.clock.advance(301);
    const issued = await oidcToken(endpoint.id);
    expect(issued.status).toBe(200);
    const claims = decodeJwt(issued.body.oidcToken);
    expect(claims).toMatchObject({
      iss: endpoint.authorization.parameters.workloadIdentityFederationIssuer,
      sub: endpoint.authorization.parameters.workloadIdentityFederationSubject,
      aud: "fb60f99c-7a34-4190-8149-302f77469936",
      azp: "499b84ac-1321-427f-aa17-267ca6975798",
      azpacr: "2",
      idtyp: "app",
      oid: endpoint.id,
      tid: DEMO.tenantId,
      ver: "2.0",
    });
    expect(claims.exp! - claims.iat!).toBe(86_700);

    const clientId = endpoint.authorization.parameters.serviceprincipalid;
    const token = await exchange(clientId, issued.body.oidcToken);
    expect(token.status).toBe(200);
    const sub = await arm(runtime, token.body.access_token, "GET", `/subscriptions/${DEMO.subscriptionId}`);
    expect(sub.status).toBe(200);

    await rename(endpoint, "wif-prod-renamed");
    const after = await oidcToken(endpoint.id);
    expect(decodeJwt(after.body.oidcToken).sub).toBe(endpoint.authorization.parameters.workloadIdentityFederationSubject);
    expect((await exchange(clientId, after.body.oidcToken)).status).toBe(200);
  });

  it("refuses the job token route to anyone but a running job, and a token for a connection without federation", async () => {
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "wif-admin-only", subscriptionId: DEMO.subscriptionId }));
    const byPat = await devops(runtime, "admin", "POST", oidcPath(ORG, PROJECT, endpoint.id), {}, { version: null });
    expect(byPat.status).toBe(401);
    expect(byPat.body.typeKey).toBe("UnauthorizedRequestException");
    const secret = await createEndpoint(runtime, "admin", azurerm({ name: "secret-admin", scheme: "ServicePrincipal", subscriptionId: DEMO.subscriptionId }));
    expect((await oidcToken(secret.id)).status).toBe(400);
    expect((await oidcToken(crypto.randomUUID())).status).toBe(404);
  });
});

describe("S19 workload identity federation, Azure DevOps issuer (vstoken)", () => {
  it("serves discovery and keys, exchanges; a rename of the connection moves its credential, one of the project or organization breaks it until Edit and Save", async () => {
    await setOrganization({ federationIssuer: "devops" });
    const endpoint = await createEndpoint(runtime, "admin", azurerm({ name: "legacy", subscriptionId: DEMO.subscriptionId }));
    const issuer = `https://vstoken.dev.azure.com/${DEMO.organization.id}`;
    expect(endpoint.authorization.parameters).toMatchObject({ workloadIdentityFederationIssuer: issuer, workloadIdentityFederationSubject: `sc://${ORG}/${PROJECT}/legacy` });
    runtime.clock.advance(301);

    const discovery = await runtime.listeners.devops.inject({ method: "GET", url: `/${DEMO.organization.id}/.well-known/openid-configuration`, headers: { host: "127.0.0.1:8446" } });
    expect(discovery.json()).toMatchObject({ issuer, id_token_signing_alg_values_supported: ["RS256"] });
    const jwks = (await runtime.listeners.devops.inject({ method: "GET", url: `/${DEMO.organization.id}/.well-known/jwks` })).json();

    const issued = await oidcToken(endpoint.id);
    const header = decodeProtectedHeader(issued.body.oidcToken);
    const key = jwks.keys.find((k: any) => k.kid === header.kid);
    const verified = await jwtVerify(issued.body.oidcToken, await importJWK(key, "RS256"), { issuer, audience: "api://AzureADTokenExchange", currentDate: new Date(runtime.clock.nowMs()) });
    expect(verified.payload.sub).toBe(`sc://${ORG}/${PROJECT}/legacy`);
    expect(verified.payload.iat! - verified.payload.nbf!).toBe(600);
    expect(verified.payload.exp! - verified.payload.iat!).toBe(300);
    const clientId = endpoint.authorization.parameters.serviceprincipalid;
    expect((await exchange(clientId, issued.body.oidcToken)).status).toBe(200);

    // The token only lives five minutes (AADSTS700024 afterwards).
    runtime.clock.advance(600);
    const late = await exchange(clientId, issued.body.oidcToken);
    expect(late.body.error_codes).toEqual([700024]);

    // Renaming the connection saves it: Azure DevOps moves its own credential on the application to the new subject.
    const renamed = await rename(endpoint, "legacy-renamed");
    expect(renamed.authorization.parameters.workloadIdentityFederationSubject).toBe(`sc://${ORG}/${PROJECT}/legacy-renamed`);
    expect((await exchange(clientId, (await oidcToken(endpoint.id)).body.oidcToken)).status).toBe(200);
    expect((await credentials(endpoint)).map((c) => c.subject)).toEqual([`sc://${ORG}/${PROJECT}/legacy-renamed`]);
    const back = await rename(renamed, "legacy");
    expect((await exchange(clientId, (await oidcToken(endpoint.id)).body.oidcToken)).status).toBe(200);

    // A project's rename changes the subject without touching the connection: AADSTS700213 until Edit and Save.
    const project = await devops(runtime, "admin", "PATCH", `/${ORG}/_apis/projects/${DEMO.project.id}`, { name: "web2" });
    expect(project.status).toBe(202);
    const afterProject = decodeJwt((await oidcToken(endpoint.id, "admin", ORG, "web2")).body.oidcToken);
    expect(afterProject.sub).toBe(`sc://${ORG}/web2/legacy`);
    const broken = await exchange(clientId, (await oidcToken(endpoint.id, "admin", ORG, "web2")).body.oidcToken);
    expect(broken.status).toBe(401);
    expect(broken.body.error_codes).toEqual([700213]);
    expect(broken.body.error_description).toContain(`AADSTS700213: No matching federated identity record found for presented assertion subject 'sc://${ORG}/web2/legacy'.`);
    await rename(back, "legacy");
    expect((await exchange(clientId, (await oidcToken(endpoint.id, "admin", ORG, "web2")).body.oidcToken)).status).toBe(200);
    await devops(runtime, "admin", "PATCH", `/${ORG}/_apis/projects/${DEMO.project.id}`, { name: PROJECT });
    await rename(back, "legacy");

    await setOrganization({ name: "contoso-renamed" });
    const afterOrg = await oidcToken(endpoint.id, "admin", "contoso-renamed");
    expect(decodeJwt(afterOrg.body.oidcToken).sub).toBe(`sc://contoso-renamed/${PROJECT}/legacy`);
    expect((await exchange(clientId, afterOrg.body.oidcToken)).body.error_codes).toEqual([700213]);
    // The old organization URL is gone.
    expect((await oidcToken(endpoint.id)).status).toBe(404);
  });

  it("leaves a manual connection's credential to its owner: renaming one breaks it (AADSTS700213)", async () => {
    await setOrganization({ federationIssuer: "devops" });
    const automatic = await createEndpoint(runtime, "admin", azurerm({ name: "made-for-manual", subscriptionId: DEMO.subscriptionId }));
    const appId = automatic.authorization.parameters.serviceprincipalid;
    const manual = await createEndpoint(runtime, "admin", azurerm({ name: "manual-legacy", creationMode: "Manual", subscriptionId: DEMO.subscriptionId, parameters: { serviceprincipalid: appId } }));
    const app = await runtime.store.applications.getByAppId(appId);
    await runtime.entra.directory.addFederatedCredential(app!.id, { name: "manual", issuer: manual.authorization.parameters.workloadIdentityFederationIssuer, subject: `sc://${ORG}/${PROJECT}/manual-legacy`, audiences: ["api://AzureADTokenExchange"] });
    runtime.clock.advance(301);
    expect((await exchange(appId, (await oidcToken(manual.id)).body.oidcToken)).status).toBe(200);
    await rename(manual, "manual-renamed");
    expect((await exchange(appId, (await oidcToken(manual.id)).body.oidcToken)).body.error_codes).toEqual([700213]);
  });
});

describe("a connection's issuer form", () => {
  it("belongs to the connection: switching the organization's setting changes new connections, not existing ones", async () => {
    const entra = await createEndpoint(runtime, "admin", azurerm({ name: "entra-form", subscriptionId: DEMO.subscriptionId }));
    const entraIssuer = `https://login.microsoftonline.com/${DEMO.tenantId}/v2.0`;
    expect(entra.authorization.parameters).toMatchObject({ workloadIdentityFederationIssuer: entraIssuer, workloadIdentityFederationIssuerType: "EntraID" });
    await setOrganization({ federationIssuer: "devops" });

    const after = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${entra.id}`)).body;
    expect(after.authorization.parameters.workloadIdentityFederationIssuer).toBe(entraIssuer);
    const token = await oidcToken(entra.id);
    expect(decodeJwt(token.body.oidcToken).iss).toBe(entraIssuer);
    expect((await exchange(entra.authorization.parameters.serviceprincipalid, token.body.oidcToken)).status).toBe(200);
    // An edit keeps it too.
    await rename(after, "entra-form-renamed");
    expect((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints/${entra.id}`)).body.authorization.parameters.workloadIdentityFederationIssuer).toBe(entraIssuer);

    const legacy = await createEndpoint(runtime, "admin", azurerm({ name: "devops-form", subscriptionId: DEMO.subscriptionId }));
    expect(legacy.authorization.parameters).toMatchObject({ workloadIdentityFederationIssuer: `https://vstoken.dev.azure.com/${DEMO.organization.id}`, workloadIdentityFederationIssuerType: "AzureDevOps" });
  });
});
