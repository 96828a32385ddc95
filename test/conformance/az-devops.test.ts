import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server/start.js";
import { DEMO } from "../../src/world/demo.js";
import { storedLogs } from "../helpers/pipelines.js";
import { runAz } from "../helpers/az.js";
import { testServer } from "../helpers/runtime.js";

const hasDevOpsExtension = spawnSync("sh", ["-c", "az devops -h >/dev/null 2>&1"]).status === 0;
if (!hasDevOpsExtension) console.log("skipping az devops conformance: install azure-cli and python3-azext-devops (scripts/install-system-deps.sh)");

// The Azure DevOps extension of the Debian Azure CLI (python3-azext-devops 0.26.0), unchanged, with a PAT.
let server: RunningServer;
let env: NodeJS.ProcessEnv;
let org: string;

const az = (...args: string[]) => runAz([...args, "--org", org, "--project", DEMO.project.name, "--only-show-errors"], env, 90_000);

/** `az devops service-endpoint azurerm create` for the bootstrap application (its secret comes from the environment). */
const createAzureRm = (name: string, ...extra: string[]) =>
  az(
    "devops", "service-endpoint", "azurerm", "create",
    "--name", name,
    "--azure-rm-service-principal-id", DEMO.bootstrapAppId,
    "--azure-rm-subscription-id", DEMO.subscriptionId,
    "--azure-rm-subscription-name", "Contoso Production",
    "--azure-rm-tenant-id", DEMO.tenantId,
    ...extra,
  );

describe.skipIf(!hasDevOpsExtension)("az devops service-endpoint (python3-azext-devops)", () => {
  beforeAll(async () => {
    server = await testServer();
    org = `${server.devops}/${DEMO.organization.name}`;
    env = {
      ...process.env,
      // Not logged in to az: the extension uses the PAT (real-clients.md §6.1); fresh caches of locations.
      AZURE_CONFIG_DIR: mkdtempSync(join(tmpdir(), "svcconn-az-devops-")),
      AZURE_DEVOPS_CACHE_DIR: mkdtempSync(join(tmpdir(), "svcconn-az-devops-cache-")),
      AZURE_DEVOPS_EXT_PAT: DEMO.pats.admin,
      AZURE_DEVOPS_EXT_AZURE_RM_SERVICE_PRINCIPAL_KEY: DEMO.bootstrapSecret,
      AZURE_CORE_COLLECT_TELEMETRY: "false",
      AZURE_CORE_NO_COLOR: "true",
    };
  });
  afterAll(async () => server?.close());

  it("creates, lists, shows, opens to all pipelines and deletes an azurerm connection", async () => {
    const create = await createAzureRm("az-sp", "-o", "json");
    expect(create.stderr).toBe("");
    expect(create.code).toBe(0);
    const created = JSON.parse(create.stdout);
    expect(created).toMatchObject({ name: "az-sp", type: "azurerm", isReady: true, authorization: { scheme: "ServicePrincipal", parameters: { serviceprincipalkey: null } } });
    expect(create.stdout).not.toContain(DEMO.bootstrapSecret);

    const list = await az("devops", "service-endpoint", "list", "-o", "json");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((e: any) => e.name)).toEqual(["az-sp"]);

    const show = await az("devops", "service-endpoint", "show", "--id", created.id, "-o", "json");
    expect(JSON.parse(show.stdout)).toMatchObject({ id: created.id, data: { subscriptionId: DEMO.subscriptionId, creationMode: "Manual" } });

    const update = await az("devops", "service-endpoint", "update", "--id", created.id, "--enable-for-all", "true", "-o", "json");
    expect(update.code).toBe(0);
    const permissions = await fetch(`${org}/${DEMO.project.name}/_apis/pipelines/pipelinePermissions/endpoint/${created.id}?api-version=7.1-preview.1`, {
      headers: { authorization: `Basic ${Buffer.from(`:${DEMO.pats.admin}`).toString("base64")}` },
    });
    expect((await permissions.json()).allPipelines).toMatchObject({ authorized: true });

    const duplicate = await createAzureRm("az-sp");
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain("ERROR: Service connection with name az-sp already exists.");

    const remove = await az("devops", "service-endpoint", "delete", "--id", created.id, "--yes");
    expect(remove.stderr).toBe("");
    expect(remove.code).toBe(0);
    expect(JSON.parse((await az("devops", "service-endpoint", "list", "-o", "json")).stdout)).toEqual([]);
  });

  it("az pipelines: lists pipelines, runs one (the build queue), shows the run and lists runs", async () => {
    const runtime = server.runtime;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "az-repo", files: { "/ci.yml": "steps:\n  - script: echo from az $(who)\n" } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "az-ci", repository: "az-repo", yamlPath: "/ci.yml" });
    const list = await az("pipelines", "list", "-o", "json");
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toContain("az-ci");
    // The project limits queue-time variables: refused until the pipeline marks `who` settable.
    const refused = await az("pipelines", "run", "--id", String(pipeline.id), "--variables", "who=az", "-o", "json");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Could not queue the build because there were validation errors or warnings.");
    const settable = await az("pipelines", "variable", "create", "--pipeline-id", String(pipeline.id), "--name", "who", "--allow-override", "true", "-o", "json");
    expect(settable.code, settable.stderr).toBe(0);
    expect(JSON.parse(settable.stdout)).toEqual({ who: { allowOverride: true, isSecret: null, value: "" } });
    const run = await az("pipelines", "run", "--id", String(pipeline.id), "--variables", "who=az", "-o", "json");
    expect(run.code, run.stderr).toBe(0);
    const queued = JSON.parse(run.stdout);
    expect(queued).toMatchObject({ definition: { id: pipeline.id, name: "az-ci" }, status: "inProgress" });
    await runtime.pipelines.settled();
    const shown = await az("pipelines", "runs", "show", "--id", String(queued.id), "-o", "json");
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: queued.id, status: "completed", result: "succeeded" });
    // The variables az sends (Python's str() of a dict, which Json.NET reads) reached the step.
    expect(await storedLogs(runtime, queued.id)).toContain("from az az");
    const runs = await az("pipelines", "runs", "list", "-o", "json");
    expect(JSON.parse(runs.stdout).map((r: { id: number }) => r.id)).toContain(queued.id);
  });

  it("az pipelines variable-group: create authorized, add a secret, update, list, show, delete; a run reads it", async () => {
    const created = await az("pipelines", "variable-group", "create", "--name", "az-vars", "--variables", "region=westeurope", "tier=gold", "--authorize", "true", "--description", "from az", "-o", "json");
    expect(created.code, created.stderr).toBe(0);
    const group = JSON.parse(created.stdout);
    expect(group).toMatchObject({ name: "az-vars", description: "from az", authorized: true, variables: { region: { value: "westeurope" }, tier: { value: "gold" } } });
    const id = String(group.id);
    const secret = await az("pipelines", "variable-group", "variable", "create", "--group-id", id, "--name", "apiKey", "--value", "az-s3cret", "--secret", "true", "-o", "json");
    expect(secret.code, secret.stderr).toBe(0);
    expect(JSON.parse(secret.stdout)).toEqual({ apiKey: { isSecret: true, value: null } });
    expect(secret.stdout).not.toContain("az-s3cret");
    // Updating another variable sends the secret back without its value: it is kept.
    const changed = await az("pipelines", "variable-group", "variable", "update", "--group-id", id, "--name", "tier", "--value", "platinum", "-o", "json");
    expect(changed.code, changed.stderr).toBe(0);
    expect((await server.runtime.devops.variableGroups.load(Number(id)))!.secrets).toEqual({ apiKey: "az-s3cret" });
    const renamed = await az("pipelines", "variable-group", "update", "--group-id", id, "--name", "az-vars-2", "-o", "json");
    expect(renamed.code, renamed.stderr).toBe(0);
    const list = await az("pipelines", "variable-group", "list", "-o", "json");
    expect(JSON.parse(list.stdout).map((g: { name: string }) => g.name)).toEqual(["az-vars-2"]);
    const shown = JSON.parse((await az("pipelines", "variable-group", "show", "--group-id", id, "-o", "json")).stdout);
    expect(shown).toMatchObject({ name: "az-vars-2", authorized: true, variables: { region: { value: "westeurope" }, tier: { value: "platinum" }, apiKey: { isSecret: true, value: null } } });

    const runtime = server.runtime;
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "az-vars-repo", files: { "/ci.yml": "variables:\n  - group: az-vars-2\nsteps:\n  - checkout: none\n  - script: echo \"tier $(tier) key $(apiKey)\"\n" } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "az-vars-ci", repository: "az-vars-repo", yamlPath: "/ci.yml" });
    const run = JSON.parse((await az("pipelines", "run", "--id", String(pipeline.id), "-o", "json")).stdout);
    await runtime.pipelines.settled();
    const logs = await storedLogs(runtime, run.id);
    expect(logs).toContain("tier platinum key ***");
    expect(logs).not.toContain("az-s3cret");

    const removed = await az("pipelines", "variable-group", "delete", "--group-id", id, "--yes");
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse((await az("pipelines", "variable-group", "list", "-o", "json")).stdout)).toEqual([]);
  });
});
