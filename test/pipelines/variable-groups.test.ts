import { beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, type Member, ORG, PROJECT } from "../helpers/devops.js";
import { storedLogs, yamlRuns } from "../helpers/pipelines.js";

// Issue 28: library variable groups — the REST surface's rules (roles, secrets, names) and what a run does with
// `- group:` (order with the list's own variables, masking, resource authorization, Key Vault-linked groups).

const suite = yamlRuns();
let runtime: Runtime;
beforeAll(() => {
  runtime = suite.runtime();
});

const groups = `/${ORG}/${PROJECT}/_apis/distributedtask/variablegroups`;

async function createGroup(who: Member, name: string, variables: Record<string, { value?: string; isSecret?: boolean }>, extra: Record<string, unknown> = {}) {
  return devops(runtime, who, "POST", groups, { name, type: "Vsts", variables, ...extra }, { version: "5.0-preview.1" });
}

async function openToAll(id: number | string) {
  const patched = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/variablegroup/${id}`, { allPipelines: { authorized: true } }, { version: "7.1-preview.1" });
  expect(patched.status).toBe(200);
}

async function run(yaml: string) {
  const done = await suite.run(yaml);
  return { ...done, logs: await done.logs() };
}

describe("variable groups over REST", () => {
  it("roles: a Contributor creates one and administers it; a Reader only reads; others' groups are read-only to a Contributor", async () => {
    const mine = await createGroup("dev", "dev-group", { a: { value: "1" } });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    const byReader = await createGroup("reader", "reader-group", {});
    expect(byReader.status).toBe(403);
    expect(byReader.body.message).toContain("needs Create permissions");
    const changed = await devops(runtime, "dev", "PUT", `${groups}/${mine.body.id}`, { name: "dev-group", variables: { a: { value: "2" } } }, { version: "5.0-preview.1" });
    expect(changed.status).toBe(200);
    expect(changed.body.variables).toEqual({ a: { value: "2" } });
    const adminGroup = await createGroup("admin", "admin-group", { b: { value: "x" } });
    const notMine = await devops(runtime, "dev", "PUT", `${groups}/${adminGroup.body.id}`, { name: "admin-group", variables: {} }, { version: "5.0-preview.1" });
    expect(notMine.status).toBe(403);
    expect((await devops(runtime, "reader", "GET", `${groups}/${adminGroup.body.id}`)).body).toMatchObject({ name: "admin-group", variables: { b: { value: "x" } } });
    // The creator's role shows on the group's own scope; the Library's defaults at the project's.
    const roles = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.variablegroup/roleassignments/resources/${DEMO.project.id}$${mine.body.id}`, undefined, { version: "7.1-preview.1" });
    expect(roles.body.value.find((r: any) => r.access === "assigned")).toMatchObject({ identity: { uniqueName: DEMO.users.dev.upn }, role: { name: "Administrator" } });
    const library = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.library/roleassignments/resources/${DEMO.project.id}$0`, undefined, { version: "7.1-preview.1" });
    expect(Object.fromEntries(library.body.value.map((a: any) => [a.identity.displayName, a.role.name]))).toMatchObject({ "[web]\\Contributors": "Creator", "[web]\\Project Administrators": "Administrator", "[web]\\Project Valid Users": "Reader" });
  });

  it("names are unique in a project (case-insensitive); bad bodies are refused and change nothing", async () => {
    expect((await createGroup("admin", "Unique-Name", {})).status).toBe(200);
    const again = await createGroup("admin", "unique-name", {});
    expect(again.status).toBe(409);
    expect(again.body.message).toBe("Variable group with name unique-name already exists.");
    const before = (await devops(runtime, "admin", "GET", groups, undefined, { version: "5.0-preview.1" })).body.count;
    for (const body of [null, [], { name: "" }, { name: "x", type: "Nope" }, { name: "x", variables: [] }, { name: "x", variables: { "": { value: "1" } } }, { name: "x", variables: { A: {}, a: {} } }, { name: "x", type: "AzureKeyVault", providerData: { vault: "v" } }]) {
      const refused = await devops(runtime, "admin", "POST", groups, body, { version: "5.0-preview.1" });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.typeKey).toMatch(/Argument/);
    }
    const orgLevel = await devops(runtime, "admin", "POST", `/${ORG}/_apis/distributedtask/variablegroups`, { name: "no-projects", variables: {} });
    expect(orgLevel.status).toBe(400);
    expect(orgLevel.body.message).toBe("Value cannot be null.\r\nParameter name: variableGroupProjectReferences");
    expect((await devops(runtime, "admin", "GET", groups, undefined, { version: "5.0-preview.1" })).body.count).toBe(before);
  });

  it("secrets are sealed: never read back, kept when sent back without a value, replaced when sent with one", async () => {
    const created = await createGroup("admin", "sealed", { token: { value: "first-s3cret", isSecret: true } });
    expect(created.body.variables).toEqual({ token: { value: null, isSecret: true } });
    const row = await runtime.store.db.selectFrom("variableGroups").select(["body", "secrets"]).where("id", "=", created.body.id).executeTakeFirstOrThrow();
    expect(`${row.body}${row.secrets}`).not.toContain("first-s3cret");
    await devops(runtime, "admin", "PUT", `${groups}/${created.body.id}`, { name: "sealed", variables: { token: { value: null, isSecret: true } } }, { version: "5.0-preview.1" });
    expect((await runtime.devops.variableGroups.load(created.body.id))!.secrets).toEqual({ token: "first-s3cret" });
    await devops(runtime, "admin", "PUT", `${groups}/${created.body.id}`, { name: "sealed", variables: { token: { value: "second", isSecret: true } } }, { version: "5.0-preview.1" });
    expect((await runtime.devops.variableGroups.load(created.body.id))!.secrets).toEqual({ token: "second" });
  });

  it("lists with the filters clients send: name wildcard, actionFilter, $top, order", async () => {
    for (const n of ["flt-a", "flt-b", "flt-c"]) await createGroup("admin", n, {});
    const names = async (query: string, who: Member = "admin") => (await devops(runtime, who, "GET", `${groups}?${query}`)).body.value.map((g: any) => g.name);
    expect(await names("groupName=flt-*")).toEqual(["flt-c", "flt-b", "flt-a"]);
    expect(await names("groupName=flt-*&queryOrder=IdAscending&$top=2")).toEqual(["flt-a", "flt-b"]);
    expect(await names("groupName=flt-*&actionFilter=2", "reader")).toEqual([]);
    expect(await names("groupName=flt-*&actionFilter=manage")).toHaveLength(3);
    expect((await devops(runtime, "admin", "GET", `${groups}?actionFilter=sideways`)).status).toBe(400);
  });
});

describe("variable groups in runs", () => {
  it("a group's variables take its place in the list: later names override it, it overrides earlier ones; secrets are masked", async () => {
    const g = await createGroup("admin", "run-vars", { color: { value: "from-group" }, size: { value: "L" }, apiKey: { value: "k3y-value-1234", isSecret: true } });
    await openToAll(g.body.id);
    const { build, logs } = await run(`variables:
  - name: color
    value: from-yaml-before
  - group: run-vars
  - name: size
    value: from-yaml-after
steps:
  - checkout: none
  - bash: |
      echo "color=$(color) size=$(size) key=$(apiKey) env=[$APIKEY]"
      echo "mapped=$MAPPED"
    env:
      MAPPED: $(apiKey)
`);
    expect(build.result).toBe("succeeded");
    expect(logs).toContain("color=from-group size=from-yaml-after key=*** env=[]");
    expect(logs).toContain("mapped=***");
    expect(logs).not.toContain("k3y-value-1234");
  });

  it("stage and job groups; compile-time expressions do not see a group (templates expand first)", async () => {
    const g = await createGroup("admin", "scoped", { where: { value: "group" } });
    await openToAll(g.body.id);
    const { build, logs } = await run(`stages:
  - stage: S
    variables:
      - group: scoped
    jobs:
      - job: J
        steps:
          - checkout: none
          - bash: echo "runtime=$(where) compile=[\${{ variables.where }}]"
`);
    expect(build.result).toBe("succeeded");
    expect(logs).toContain("runtime=group compile=[]");
  });

  it("a group that does not exist, or that the pipeline may not use, fails the run with Azure's text; a permit lets the next run go", async () => {
    const missing = await run("variables:\n  - group: no-such-group\nsteps:\n  - script: echo never\n");
    expect(missing.build.result).toBe("failed");
    expect(missing.build.validationResults[0].message).toBe(
      "The pipeline is not valid. Variable group no-such-group could not be found. The variable group does not exist or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.",
    );
    const g = await createGroup("admin", "not-permitted", { x: { value: "1" } });
    const refused = await run("variables:\n  - group: not-permitted\nsteps:\n  - checkout: none\n  - script: echo x=$(x)\n");
    expect(refused.build.validationResults[0].message).toContain("Variable group not-permitted could not be found.");
    const permit = await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/variablegroup/${g.body.id}`, { pipelines: [{ id: refused.pipeline.id, authorized: true }] }, { version: "7.1-preview.1" });
    expect(permit.status).toBe(200);
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${refused.pipeline.id}/runs`, {});
    await runtime.pipelines.settled();
    expect((await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`)).body.result).toBe("succeeded");
    expect(await storedLogs(runtime, queued.body.id)).toContain("x=1");
  });

  it("in waiting mode a run waits for the group's permit, naming it", async () => {
    await runtime.pipelines.catalog.putSettings(ORG, DEMO.project.id, { resourceAuthorization: "wait" });
    try {
      const g = await createGroup("admin", "waits", { w: { value: "went-on" } });
      const name = `vg-wait-${Date.now()}`;
      await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name, files: { "/p.yml": "variables:\n  - group: waits\nsteps:\n  - checkout: none\n  - script: echo $(w)\n" } });
      const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name, repository: name, yamlPath: "/p.yml" });
      const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
      const timeline = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}/timeline`)).body.records;
      expect(timeline.find((r: any) => r.type === "Checkpoint.Authorization").issues[0].message).toBe("This pipeline needs permission to access a resource before this run can continue. Variable group: waits.");
      await openToAll(g.body.id);
      for (let i = 0; i < 100 && (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`)).body.status !== "completed"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await runtime.pipelines.settled();
      }
      expect(await storedLogs(runtime, queued.body.id)).toContain("went-on");
    } finally {
      await runtime.pipelines.catalog.putSettings(ORG, DEMO.project.id, { resourceAuthorization: "fail" });
    }
  });

  it("a connection named by a group's variable resolves like any other", async () => {
    const g = await createGroup("admin", "conn-vars", { conn: { value: "nowhere-conn" } });
    await openToAll(g.body.id);
    const { build } = await run("variables:\n  - group: conn-vars\nsteps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: $(conn)\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: az account show\n");
    expect(build.validationResults[0].message).toContain("references service connection nowhere-conn which could not be found");
  });

  it("a Key Vault-linked group: its connection is checked and must be authorized for the pipeline", async () => {
    const connection = await createEndpoint(runtime, "admin", azurerm({ name: "kv-conn", creationMode: "Manual", scheme: "ServicePrincipal", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret, authenticationType: "spnKey" } }));
    const g = await createGroup("admin", "vault-group", { dbPassword: { isSecret: true } }, { type: "AzureKeyVault", providerData: { serviceEndpointId: connection.id, vault: "contoso-kv" } });
    expect(g.status, JSON.stringify(g.body)).toBe(200);
    expect(g.body.providerData).toEqual({ serviceEndpointId: connection.id, vault: "contoso-kv" });
    await openToAll(g.body.id);
    const refused = await run("variables:\n  - group: vault-group\nsteps:\n  - script: echo\n");
    expect(refused.build.validationResults[0].message).toBe("The pipeline is not valid. Service connection : kv-conn used in variable group : vault-group is not valid. Either service connection does not exist or has not been authorized for use.");
    // The job's download of the vault's secrets runs against a listening svcconn: test/pipelines/key-vault-task.test.ts.
  });
});
