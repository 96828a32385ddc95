import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { postToken } from "../helpers/entra.js";
import { holdJob } from "../helpers/pipelines.js";
import { testRuntime } from "../helpers/runtime.js";
import { explain } from "../../src/doctor/explain.js";

let runtime: Runtime;
const route = (planId: string, jobId: string, connectionId: string, version = "api-version=7.1") =>
  `/${ORG}/${DEMO.project.id}/_apis/distributedtask/hubs/build/plans/${planId}/jobs/${jobId}/oidctoken?serviceConnectionId=${connectionId}&${version}`;

describe("the job OIDC token route is bound to running jobs (S19)", () => {
  beforeAll(async () => {
    runtime = await testRuntime();
  });
  afterAll(async () => runtime?.close());

  it("answers a running job for a permitted connection, in every form clients send, and nobody else", async () => {
    const wif = await createEndpoint(runtime, "admin", azurerm({ name: "job-wif", subscriptionId: DEMO.subscriptionId }));
    const other = await createEndpoint(runtime, "admin", azurerm({ name: "job-wif-unpermitted", subscriptionId: DEMO.subscriptionId }));
    const job = await holdJob(runtime, [wif.id]);
    try {
      const bearer = { authorization: `Bearer ${job.token}` };
      const issued = await devops(runtime, bearer, "POST", route(job.planId, job.jobId, wif.id), undefined, { version: null });
      expect(issued.status, JSON.stringify(issued.body)).toBe(200);
      expect(decodeJwt(issued.body.oidcToken).sub).toBe(wif.authorization.parameters.workloadIdentityFederationSubject);
      // The PowerShell helper sends Basic with the token; node-api sends the version in Accept.
      const basicAuth = { authorization: `Basic ${Buffer.from(`:${job.token}`).toString("base64")}` };
      expect((await devops(runtime, basicAuth, "POST", route(job.planId, job.jobId, wif.id, "api-version=7.1-preview.1"), {}, { version: null })).status).toBe(200);
      expect((await devops(runtime, bearer, "POST", route(job.planId, job.jobId, wif.id, "x=1"), {}, { version: null, headers: { accept: "application/json;api-version=7.2-preview.1" } })).status).toBe(200);
      // Another plan or job, a connection the pipeline may not use, a PAT: refused.
      expect((await devops(runtime, bearer, "POST", route(crypto.randomUUID(), job.jobId, wif.id), undefined, { version: null })).status).toBe(403);
      expect((await devops(runtime, bearer, "POST", route(job.planId, job.jobId, other.id), undefined, { version: null })).status).toBe(400);
      // Permitted to the pipeline but named by no step of this job: refused as the route's own text says.
      const unreferenced = await createEndpoint(runtime, "admin", azurerm({ name: "job-wif-unreferenced", subscriptionId: DEMO.subscriptionId }));
      await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${unreferenced.id}`, { pipelines: [{ id: job.pipelineId, authorized: true }] }, { version: "7.1-preview.1" });
      const notNamed = await devops(runtime, bearer, "POST", route(job.planId, job.jobId, unreferenced.id), undefined, { version: null });
      expect(notNamed.status).toBe(400);
      expect(notNamed.body.message).toBe(`The service connection ${unreferenced.id} is not authorized for this job: it was not referenced by a step of the job, or the pipeline may not use it.`);
      expect((await devops(runtime, "admin", "POST", route(job.planId, job.jobId, wif.id), undefined, { version: null })).status).toBe(401);
    } finally {
      await job.release();
    }
    // Once the job is over, its token gets nothing more, from any API: it cannot queue a pipeline either.
    const over = await devops(runtime, { authorization: `Bearer ${job.token}` }, "POST", route(job.planId, job.jobId, wif.id), undefined, { version: null });
    expect(over.status).toBe(401);
    expect((await devops(runtime, { authorization: `Bearer ${job.token}` }, "GET", `/${ORG}/_apis/projects/${PROJECT}`)).status).toBe(401);
    expect((await devops(runtime, { authorization: `Bearer ${job.token}` }, "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${job.pipelineId}/runs`, {})).status).toBe(401);
  }, 60_000);

  it("AADSTS700024 when the clock passes the OIDC token's lifetime mid-job", async () => {
    const wif = await createEndpoint(runtime, "admin", azurerm({ name: "job-wif-late", subscriptionId: DEMO.subscriptionId }));
    const job = await holdJob(runtime, [wif.id]);
    try {
      const issued = await devops(runtime, { authorization: `Bearer ${job.token}` }, "POST", route(job.planId, job.jobId, wif.id), undefined, { version: null });
      const assertion = issued.body.oidcToken as string;
      const exchange = () =>
        postToken(runtime, {
          grant_type: "client_credentials",
          client_id: wif.authorization.parameters.serviceprincipalid,
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
          scope: "https://management.azure.com/.default",
        });
      expect((await exchange()).status).toBe(200);
      const lifetime = (decodeJwt(assertion).exp as number) - Math.floor(runtime.clock.nowMs() / 1000);
      await runtime.clock.advance(lifetime + 60);
      const late = await exchange();
      expect(late.body.error_codes, JSON.stringify(late.body)).toEqual([700024]);
      expect(late.status).toBe(401);
      expect(late.body.error_description).toMatch(/^AADSTS700024: Client assertion is not within its valid time range\./);
      expect(explain(JSON.stringify(late.body)).id).toBe("wif-assertion-expired");
    } finally {
      await job.release();
    }
  }, 60_000);

  it("a job token reads its own project and its run", async () => {
    const job = await holdJob(runtime, []);
    try {
      const bearer = { authorization: `Bearer ${job.token}` };
      expect((await devops(runtime, bearer, "GET", `/${ORG}/${PROJECT}/_apis/pipelines/${job.pipelineId}/runs/${job.runId}`)).status).toBe(200);
      expect((await devops(runtime, bearer, "GET", `/${ORG}/_apis/projects/${PROJECT}`)).status).toBe(200);
    } finally {
      await job.release();
    }
  }, 60_000);
});
