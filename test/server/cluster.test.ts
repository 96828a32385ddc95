import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResourceManagementClient } from "@azure/arm-resources";
import { ClientSecretCredential } from "@azure/identity";
import * as azdev from "azure-devops-node-api";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO } from "../../src/world/demo.js";
import { TEST_CA_DIR } from "../helpers/runtime.js";
import { type Api, completedRun, expectLostThenAfter, killServed, LONG_THEN_AFTER, pipelineIdOf, pipelineWorld, projectApi, type Served, serve, timelineOf, until } from "../helpers/processes.js";

// Three svcconn processes on one PostgreSQL database and one key folder (SPEC B7): they serve one world, and when
// one is killed another takes its work over within the lease. Runs in the suite's PostgreSQL pass.
const cluster = process.env.SVCCONN_TEST_POSTGRES;
const LEASE_SECONDS = 2;

let database: string;
/** A file whose existence lets the locked pipeline's deployment finish. */
const gate = join(mkdtempSync(join(tmpdir(), "svcconn-gate-")), "go");
let keys: string;
let processes: Served[];
let apis: Api[];

async function sql(text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

const LOCKED = `jobs:
  - deployment: Ship
    environment: locked-env
    strategy:
      runOnce:
        deploy:
          steps:
            - bash: for i in $(seq 1 600); do [ -f ${gate} ] && exit 0; sleep 0.05; done; exit 1
`;

const nodeArgs = (extra: string[] = []) => ["--database", database, "--keys", keys, "--data", mkdtempSync(join(tmpdir(), "svcconn-node-")), "--lease-seconds", String(LEASE_SECONDS), ...extra];

describe.skipIf(!cluster)("three processes on one PostgreSQL database", () => {
  beforeAll(async () => {
    const name = `svcconn_cluster_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: cluster });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(cluster!);
    url.pathname = `/${name}`;
    database = url.href;
    keys = mkdtempSync(join(tmpdir(), "svcconn-keys-"));
    // Two start at once on the empty database: one loads the world while the other waits; a third joins them.
    const world = pipelineWorld({ long: LONG_THEN_AFTER, quick: "steps:\n  - script: echo quick\n", grouped: "variables:\n  - group: release-settings\nsteps:\n  - script: echo $(region)\n", locked: LOCKED });
    const firstTwo = await Promise.all([serve(nodeArgs(["--world", world])), serve(nodeArgs(["--world", world]))]);
    processes = [...firstTwo, await serve(nodeArgs(["--join"]))];
    apis = processes.map(projectApi);
  }, 120_000);
  afterAll(killServed);

  it("share one key folder (made once: keys and CA) and one world, loaded once", async () => {
    expect(existsSync(join(keys, "keys.json")) && existsSync(join(keys, "tls", "ca.crt"))).toBe(true);
    expect(new Set(processes.map((p) => p.adminKey)).size).toBe(1);
    expect(JSON.parse(readFileSync(join(keys, "keys.json"), "utf8")).adminKey).toBe(processes[0]!.adminKey);
    expect(await sql("select count(*)::int as n from organizations")).toEqual([{ n: 1 }]);
    const lists = await Promise.all(apis.map(async (api) => ((await api("GET", "serviceendpoint/endpoints")).value as Array<{ id: string }>).map((e) => e.id).sort()));
    expect(lists[1]).toEqual(lists[0]);
    expect(lists[2]).toEqual(lists[0]);
  });

  it("a token one process signs is accepted by another's ARM; a secret one seals another opens", async () => {
    const { tenantId, clientId, clientSecret } = processes[0]!.bootstrap;
    const token = await fetch(`${processes[0]!.login}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope: "https://management.azure.com/.default" }),
    }).then((r) => r.json());
    const subscriptions = await fetch(`${processes[2]!.arm}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(subscriptions.status).toBe(200);
    // A connection saved with a secret on one process is read with its secret on another (the shared key seals it).
    const made = await apis[0]!("POST", "/_apis/serviceendpoint/endpoints", manual(`sealed-${randomUUID().slice(0, 8)}`));
    const seen = await apis[1]!("GET", `serviceendpoint/endpoints/${made.id}`);
    expect(seen.authorization.parameters.serviceprincipalid).toBe(DEMO.bootstrapAppId);
  });

  it("official clients spread over the three processes get one process's results: create, read, rotate, delete; sign in, list", async () => {
    const endpoints = await Promise.all(processes.map((p) => new azdev.WebApi(p.organization, azdev.getPersonalAccessTokenHandler(p.pat), { cert: { caFile: `${TEST_CA_DIR}/ca.crt` } }).getServiceEndpointApi()));
    const name = `spread-${randomUUID().slice(0, 8)}`;
    const created = await endpoints[0]!.createServiceEndpoint(manual(name) as never);
    const read = await endpoints[1]!.getServiceEndpointDetails(DEMO.project.name, created.id!);
    expect(read).toMatchObject({ name, isReady: true, authorization: { scheme: "ServicePrincipal" } });
    // Rotate its secret on a third process; the second reads the change.
    const rotated = { ...read, authorization: { ...read.authorization, parameters: { ...read.authorization!.parameters, serviceprincipalkey: "rotated-secret-value" } } };
    await endpoints[2]!.updateServiceEndpoint(rotated, created.id!);
    expect((await endpoints[1]!.getServiceEndpointDetails(DEMO.project.name, created.id!)).modifiedBy).toBeDefined();
    await endpoints[1]!.deleteServiceEndpoint(created.id!, [DEMO.project.id]);
    expect(await endpoints[0]!.getServiceEndpointDetails(DEMO.project.name, created.id!)).toBeNull();
    // @azure/identity signs in on one process; the ARM SDK lists on another with that token. It asks for ARM's own
    // audience: a process knows only its own listeners' URLs as audiences, not another process's.
    const { tenantId, clientId, clientSecret } = processes[0]!.bootstrap;
    const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost: processes[0]!.login, disableInstanceDiscovery: true });
    const groups = [];
    for await (const group of new ResourceManagementClient(credential, DEMO.subscriptionId, { endpoint: processes[2]!.arm, credentialScopes: ["https://management.azure.com/.default"] }).resourceGroups.list()) groups.push(group.name);
    expect(groups).toContain("rg-prod-app");
  }, 60_000);

  it("a run waiting for Permit on one process goes on when another process permits it", async () => {
    const pipelines = await new azdev.WebApi(processes[0]!.organization, azdev.getPersonalAccessTokenHandler(processes[0]!.pat), { cert: { caFile: `${TEST_CA_DIR}/ca.crt` } }).getPipelinesApi();
    const id = await pipelineIdOf(apis[0]!, "grouped");
    const run = await pipelines.runPipeline({}, DEMO.project.name, id);
    const group = ((await apis[1]!("GET", "distributedtask/variablegroups")).value as Array<{ id: number; name: string }>).find((g) => g.name === "release-settings")!;
    await apis[1]!("PATCH", `pipelines/pipelinePermissions/variablegroup/${group.id}`, { pipelines: [{ id, authorized: true }] });
    expect((await completedRun(apis[2]!, id, run.id!, 30_000)).result).toBe("succeeded");
  }, 60_000);

  it("50 creations of one name spread over the three processes: exactly one wins, the others get Azure DevOps' duplicate error", async () => {
    const name = `same-${randomUUID().slice(0, 8)}`;
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => rawPost(i % 3, "/_apis/serviceendpoint/endpoints", manual(name))));
    expect(statuses.filter((s) => s.status === 200)).toHaveLength(1);
    const refused = statuses.filter((s) => s.status !== 200);
    expect(new Set(refused.map((s) => s.status))).toEqual(new Set([409]));
    expect(refused.every((s) => s.body.includes("DuplicateServiceConnectionException"))).toBe(true);
    expect(refused.every((s) => s.body.includes(name))).toBe(true);
  }, 60_000);

  it("runs queued on three processes at once take distinct build numbers", async () => {
    const id = await pipelineIdOf(apis[0]!, "quick");
    const runs = await Promise.all(Array.from({ length: 9 }, (_, i) => apis[i % 3]!("POST", `pipelines/${id}/runs`, {})));
    expect(new Set(runs.map((r) => r.name)).size).toBe(9);
    for (const run of runs) expect((await completedRun(apis[0]!, id, run.id)).result).toBe("succeeded");
  }, 120_000);

  it("a clock moved on one process moves on the others, and moves made on two processes both count", async () => {
    const admin = (i: number, body?: unknown) =>
      fetch(`${processes[i]!.devops}/_admin/clock`, { method: body ? "POST" : "GET", headers: { "x-svcconn-admin-key": processes[i]!.adminKey, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined }).then((r) => r.json());
    const before = (await admin(2)).offsetSeconds as number;
    await Promise.all([admin(0, { advanceSeconds: 3600 }), admin(1, { advanceSeconds: 60 })]);
    await until("every process to follow the moved clock", async () => {
      const offsets = await Promise.all([0, 1, 2].map(async (i) => (await admin(i)).offsetSeconds as number));
      return offsets.every((o) => o === before + 3660) ? true : undefined;
    }, 5_000);
  });

  it("an automatic creation whose process stopped is undone by another process once its lease lapses", async () => {
    const created = await apis[0]!("POST", "/_apis/serviceendpoint/endpoints", automatic(`lapsed-${randomUUID().slice(0, 8)}`));
    const ready = await until("the creation", async () => {
      const e = await apis[0]!("GET", `serviceendpoint/endpoints/${created.id}`);
      return e.operationStatus.state === "InProgress" ? undefined : e;
    });
    expect(ready.operationStatus.state).toBe("Ready");
    // As a process killed between steps leaves it: InProgress, held by an owner that no longer renews.
    await sql(`update service_endpoints set body = jsonb_set(jsonb_set(body::jsonb, '{operationStatus}', '{"state":"InProgress","statusMessage":""}'), '{isReady}', 'false')::text where id = $1`, [created.id]);
    await sql("insert into operation_leases (kind, id, owner, lease_until, body) values ('creation', $1, 'a-process-that-died', $2, '{}')", [created.id, Date.now() - 1]);
    const undone = await until("another process to take the creation over", async () => {
      const e = await apis[2]!("GET", `serviceendpoint/endpoints/${created.id}?includeFailed=true`);
      return e.operationStatus.state === "Failed" ? e : undefined;
    }, LEASE_SECONDS * 2000 + 5_000);
    expect(undone.operationStatus.statusMessage).toBe("The service connection was not created: svcconn stopped while it was being created. What the creation had made in Azure was removed. Save the service connection again to retry.");
    expect(undone.data.appObjectId).toBeUndefined();
    expect(await sql("select count(*)::int as n from operation_leases where id = $1", [created.id])).toEqual([{ n: 0 }]);
  }, 60_000);

  it("a run canceled on another process than the one running it stops within a lease", async () => {
    const id = await pipelineIdOf(apis[2]!, "long");
    const run = await apis[2]!("POST", `pipelines/${id}/runs`, {});
    await until("the long job to run", async () => ((await timelineOf(apis[2]!, run.id)).find((r) => r.type === "Job" && r.name === "Long")?.state === "inProgress" ? true : undefined));
    const asked = Date.now();
    // Azure DevOps cancels a build by PATCHing its status.
    await apis[1]!("PATCH", `build/builds/${run.id}`, { status: "cancelling" });
    expect((await completedRun(apis[0]!, id, run.id, 20_000)).result).toBe("canceled");
    expect(Date.now() - asked).toBeLessThan(LEASE_SECONDS * 1000 + 3000);
  }, 60_000);

  it("an organization's parallel jobs are counted over every process: a job queued on another process waits its turn", async () => {
    const admin = (i: number, path: string, body: unknown) =>
      fetch(`${processes[i]!.devops}${path}`, { method: "PUT", headers: { "x-svcconn-admin-key": processes[i]!.adminKey, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await admin(0, `/_admin/organizations/${DEMO.organization.name}/parallelism`, { microsoftHosted: 1, selfHosted: 1 })).status).toBe(200);
    const long = await apis[1]!("POST", `pipelines/${await pipelineIdOf(apis[1]!, "long")}/runs`, {});
    await until("the long job to run", async () => ((await timelineOf(apis[1]!, long.id)).find((r) => r.type === "Job")?.state === "inProgress" ? true : undefined));
    const quickId = await pipelineIdOf(apis[2]!, "quick");
    const quick = await apis[2]!("POST", `pipelines/${quickId}/runs`, {});
    const waiting = await until("the quick job to wait for the parallel job", async () => {
      const job = (await apis[2]!("GET", `build/builds/${quick.id}/timeline`)).records.find((r: { type: string }) => r.type === "Job");
      return job?.currentOperation ? job : undefined;
    });
    expect(waiting).toMatchObject({ state: "pending", currentOperation: "The agent request is not running because you have reached the maximum number of requests that can run for parallelism type 'Microsoft-Hosted Private'. Current position in queue: 1" });
    await apis[1]!("PATCH", `build/builds/${long.id}`, { status: "cancelling" });
    expect((await completedRun(apis[2]!, quickId, quick.id, 20_000)).result).toBe("succeeded");
  }, 60_000);

  it("an Exclusive Lock check holds over every process: a stage queued on another process waits until the holder's stage ends", async () => {
    const preview = "api-version=7.1-preview.1";
    const env = await apis[0]!("POST", `distributedtask/environments?${preview}`, { name: "locked-env" });
    await apis[0]!("PATCH", `pipelines/pipelinePermissions/environment/${env.id}?${preview}`, { allPipelines: { authorized: true } });
    await apis[0]!("POST", `pipelines/checks/configurations?${preview}`, { type: { id: "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563", name: "ExclusiveLock" }, resource: { type: "environment", id: String(env.id) }, settings: {} });
    const id = await pipelineIdOf(apis[0]!, "locked");
    const lockOf = async (api: Api, runId: number) => (await timelineOf(api, runId)).find((r) => r.type === "Checkpoint.ExclusiveLock");
    const first = await apis[0]!("POST", `pipelines/${id}/runs`, {});
    await until("the first run to hold the lock", async () => ((await lockOf(apis[0]!, first.id))?.result === "succeeded" ? true : undefined));
    const second = await apis[1]!("POST", `pipelines/${id}/runs`, {});
    await until("the second run to wait at its lock", async () => ((await lockOf(apis[1]!, second.id))?.state === "inProgress" ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect((await lockOf(apis[1]!, second.id))?.state).toBe("inProgress");
    writeFileSync(gate, "");
    expect((await completedRun(apis[0]!, id, first.id, 30_000)).result).toBe("succeeded");
    expect((await completedRun(apis[1]!, id, second.id, 30_000)).result).toBe("succeeded");
    const phase = async (runId: number) => (await timelineOf(apis[0]!, runId)).find((r) => r.type === "Phase") as unknown as { startTime: string; finishTime: string };
    expect(Date.parse((await phase(second.id)).startTime)).toBeGreaterThanOrEqual(Date.parse((await phase(first.id)).finishTime));
  }, 90_000);

  // Last: they kill the third process, then the first.
  it("kill -9 during an automatic creation: another process finds it completed or undoes it, within the lease", async () => {
    const created = await apis[2]!("POST", "/_apis/serviceendpoint/endpoints", automatic(`killed-${randomUUID().slice(0, 8)}`));
    processes[2]!.child.kill("SIGKILL");
    const settled = await until("the creation to settle on another process", async () => {
      const e = await apis[0]!("GET", `serviceendpoint/endpoints/${created.id}?includeFailed=true`);
      return e.operationStatus.state === "InProgress" ? undefined : e;
    }, LEASE_SECONDS * 2000 + 5_000);
    if (settled.operationStatus.state === "Ready") {
      expect(settled.data.appObjectId).toMatch(/^[0-9a-f-]{36}$/);
    } else {
      expect(settled.operationStatus.statusMessage).toMatch(/^The service connection was not created: svcconn stopped while it was being created\./);
      expect(settled.data.appObjectId).toBeUndefined();
    }
    expect(await sql("select count(*)::int as n from operation_leases where kind = 'creation' and id = $1", [created.id])).toEqual([{ n: 0 }]);
  }, 60_000);

  it("a process stopped gracefully (SIGTERM) hands its run over: another process takes it at once and the run goes on", async () => {
    const leaving = await serve(nodeArgs(["--join"]));
    const api = projectApi(leaving);
    const id = await pipelineIdOf(api, "long");
    const run = await api("POST", `pipelines/${id}/runs`, {});
    await until("the long job to run", async () => ((await timelineOf(api, run.id)).find((r) => r.type === "Job" && r.name === "Long")?.state === "inProgress" ? true : undefined));
    const exited = new Promise((resolve) => leaving.child.once("exit", resolve));
    leaving.child.kill("SIGTERM");
    await exited;
    const stoppedAt = Date.now();
    const survivor = apis[1]!;
    await until("the stopped job to end", async () => ((await timelineOf(survivor, run.id)).find((r) => r.name === "Long" && r.type === "Job")?.state === "completed" ? true : undefined), 30_000);
    // Given up rather than left to lapse: taken at the next look (every half lease), not after the lease.
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_SECONDS * 1000 + 1500);
    expect((await completedRun(survivor, id, run.id)).result).toBe("failed");
    expectLostThenAfter(await timelineOf(survivor, run.id));
  }, 120_000);

  it("kill -9 of the process running a job: another process ends it with the lost-agent text within the lease, and the run goes on", async () => {
    const api = apis[0]!;
    const id = await pipelineIdOf(api, "long");
    const run = await api("POST", `pipelines/${id}/runs`, {});
    await until("the long job to run", async () => ((await timelineOf(api, run.id)).find((r) => r.type === "Job" && r.name === "Long")?.state === "inProgress" ? true : undefined));
    processes[0]!.child.kill("SIGKILL");
    const killedAt = Date.now();
    const survivor = apis[1]!;
    await until("the lost job to end", async () => ((await timelineOf(survivor, run.id)).find((r) => r.name === "Long" && r.type === "Job")?.state === "completed" ? true : undefined), 30_000);
    // The lease lapses after LEASE_SECONDS; a process looks every half lease: taken over within twice the lease.
    expect(Date.now() - killedAt).toBeLessThan(LEASE_SECONDS * 2000 + 1500);
    expect((await completedRun(survivor, id, run.id)).result).toBe("failed");
    expectLostThenAfter(await timelineOf(apis[1]!, run.id));
  }, 120_000);
});

function manual(name: string) {
  return {
    name,
    type: "azurerm",
    url: "https://management.azure.com/",
    authorization: { scheme: "ServicePrincipal", parameters: { tenantid: DEMO.tenantId, serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret, authenticationType: "spnKey" } },
    data: { environment: "AzureCloud", scopeLevel: "Subscription", subscriptionId: DEMO.subscriptionId, subscriptionName: "Contoso Production", creationMode: "Manual" },
    serviceEndpointProjectReferences: [{ projectReference: { id: DEMO.project.id, name: DEMO.project.name }, name, description: "" }],
  };
}

function automatic(name: string) {
  const body = manual(name);
  return { ...body, authorization: { scheme: "WorkloadIdentityFederation", parameters: { tenantid: DEMO.tenantId } }, data: { ...body.data, creationMode: "Automatic" } };
}

async function rawPost(i: number, path: string, body: unknown): Promise<{ status: number; body: string }> {
  const p = processes[i]!;
  const response = await fetch(`${p.organization}${path}?api-version=7.1`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`:${p.pat}`).toString("base64")}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}
