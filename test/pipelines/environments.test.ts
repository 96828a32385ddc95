import { beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { devops, type Member, ORG, PROJECT } from "../helpers/devops.js";
import { yamlRuns } from "../helpers/pipelines.js";

// Issue 28: pipeline environments — the REST surface (roles, names, pages, deployment records) and what a deployment
// job does with `environment:` (created on first use by a Creator, pipeline permission, Environment.* variables).

const suite = yamlRuns();
let runtime: Runtime;
beforeAll(() => {
  runtime = suite.runtime();
});

const environments = `/${ORG}/${PROJECT}/_apis/distributedtask/environments`;
const PREVIEW = { version: "7.1-preview.1" };

const create = (who: Member, name: string, description = "") => devops(runtime, who, "POST", environments, { name, description }, PREVIEW);
const byName = async (name: string) => (await devops(runtime, "admin", "GET", `${environments}?name=${encodeURIComponent(name)}`, undefined, PREVIEW)).body.value[0];

const deployment = (environment: string, job = "Deploy") => `stages:
  - stage: Release
    jobs:
      - deployment: ${job}
        environment: ${environment}
        strategy:
          runOnce:
            deploy:
              steps:
                - bash: echo "to $(Environment.Name) id $(Environment.Id) by $(Strategy.Name)"
`;

describe("environments over REST", () => {
  it("a Contributor creates one and administers it; a Reader cannot create; names are unique and checked", async () => {
    const made = await create("dev", "dev-env", "for tests");
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    expect(made.body).toMatchObject({ name: "dev-env", description: "for tests", project: { id: DEMO.project.id, name: PROJECT }, createdBy: { uniqueName: DEMO.users.dev.upn } });
    const renamed = await devops(runtime, "dev", "PATCH", `${environments}/${made.body.id}`, { description: "changed" }, PREVIEW);
    expect(renamed.body).toMatchObject({ name: "dev-env", description: "changed" });
    const refused = await create("reader", "reader-env");
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain("needs Create permissions");
    const twice = await create("admin", "DEV-ENV");
    expect(twice.status).toBe(409);
    expect(twice.body.message).toBe("Environment with name DEV-ENV already exists.");
    for (const name of ["a/b", "x".repeat(128), "semi;colon", ""]) {
      const bad = await create("admin", name);
      expect(bad.status, name).toBe(400);
    }
    // The admin may change what the Contributor made (Project Administrators administer every environment); the reader sees it only.
    expect((await devops(runtime, "reader", "PATCH", `${environments}/${made.body.id}`, { description: "no" }, PREVIEW)).status).toBe(403);
    expect((await devops(runtime, "reader", "GET", `${environments}/${made.body.id}`, undefined, PREVIEW)).body.description).toBe("changed");
    const roles = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.environmentreferencerole/roleassignments/resources/${DEMO.project.id}_${made.body.id}`, undefined, PREVIEW);
    expect(roles.body.value.find((r: any) => r.access === "assigned")).toMatchObject({ identity: { uniqueName: DEMO.users.dev.upn }, role: { name: "Administrator" } });
    const projectRoles = await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.globalenvironmentreferencerole/roleassignments/resources/${DEMO.project.id}`, undefined, PREVIEW);
    expect(Object.fromEntries(projectRoles.body.value.map((a: any) => [a.identity.displayName, a.role.name]))).toMatchObject({ "[web]\\Contributors": "Creator", "[web]\\Project Administrators": "Administrator", "[web]\\Project Valid Users": "Reader" });
    expect((await devops(runtime, "dev", "DELETE", `${environments}/${made.body.id}`, undefined, PREVIEW)).status).toBe(204);
    expect((await devops(runtime, "dev", "GET", `${environments}/${made.body.id}`, undefined, PREVIEW)).status).toBe(404);
  });

  it("lists in pages with a continuation token, filtered by name with wildcards", async () => {
    for (const n of ["page-a", "page-b", "page-c"]) expect((await create("admin", n)).status).toBe(200);
    const first = await devops(runtime, "admin", "GET", `${environments}?name=page-*&$top=2`, undefined, PREVIEW);
    expect(first.body.value.map((e: any) => e.name)).toEqual(["page-a", "page-b"]);
    const token = first.headers["x-ms-continuationtoken"];
    expect(token).toBeTruthy();
    const second = await devops(runtime, "admin", "GET", `${environments}?name=page-*&$top=2&continuationToken=${token}`, undefined, PREVIEW);
    expect(second.body.value.map((e: any) => e.name)).toEqual(["page-c"]);
    expect(second.headers["x-ms-continuationtoken"]).toBeUndefined();
  });
});

describe("deployment jobs and their environments", () => {
  it("the first run creates a missing environment for a Creator, opens it to that pipeline, runs and records the deployment", async () => {
    const done = await suite.run(deployment("first-use"), {}, undefined, "dev");
    expect(done.build.result, JSON.stringify(done.build.validationResults)).toBe("succeeded");
    const environment = await byName("first-use");
    expect(environment).toMatchObject({ name: "first-use", createdBy: { uniqueName: DEMO.users.dev.upn } });
    expect(await done.logs()).toContain(`to first-use id ${environment.id} by runOnce`);
    const permissions = await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/environment/${environment.id}`, undefined, PREVIEW);
    expect(permissions.body.pipelines.map((p: any) => p.id)).toEqual([done.pipeline.id]);
    const records = await devops(runtime, "admin", "GET", `${environments}/${environment.id}/environmentdeploymentrecords`, undefined, PREVIEW);
    expect(records.body.value).toHaveLength(1);
    expect(records.body.value[0]).toMatchObject({
      environmentId: environment.id,
      stageName: "Release",
      jobName: "Deploy",
      planType: "Build",
      result: "succeeded",
      definition: { id: done.pipeline.id, name: done.pipeline.name },
      owner: { id: done.build.id, name: done.build.buildNumber },
    });
  });

  it("an environment the pipeline may not use stops the run with Azure's text; a permit lets the next run deploy", async () => {
    const made = await create("admin", "guarded");
    const refused = await suite.run(deployment("guarded", "Ship"));
    expect(refused.build.result).toBe("failed");
    const message = refused.build.validationResults.map((v: any) => v.message).join("\n");
    expect(message).toContain("Job Ship: Environment guarded could not be found. The environment does not exist or has not been authorized for use. For authorization details, refer to https://aka.ms/yamlauthz.");
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/environment/${made.body.id}`, { pipelines: [{ id: refused.pipeline.id, authorized: true }] }, PREVIEW);
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${refused.pipeline.id}/runs`, {});
    await runtime.pipelines.settled();
    const again = (await devops(runtime, "admin", "GET", `/${ORG}/${PROJECT}/_apis/build/builds/${queued.body.id}`)).body;
    expect(again.result).toBe("succeeded");
  });

  it("without the Creator role a missing environment is not created: the run fails, nothing is made", async () => {
    const contributors = (await devops(runtime, "admin", "GET", `/${ORG}/_apis/securityroles/scopes/distributedtask.globalenvironmentreferencerole/roleassignments/resources/${DEMO.project.id}`, undefined, PREVIEW)).body.value.find(
      (a: any) => a.identity.displayName === "[web]\\Contributors",
    );
    const removed = await devops(runtime, "admin", "PATCH", `/${ORG}/_apis/securityroles/scopes/distributedtask.globalenvironmentreferencerole/roleassignments/resources/${DEMO.project.id}`, [contributors.identity.id], PREVIEW);
    expect(removed.status).toBeLessThan(300);
    try {
      const done = await suite.run(deployment("never-made"), {}, undefined, "dev");
      expect(done.build.result).toBe("failed");
      expect(done.build.validationResults[0].message).toContain("Job Deploy: Environment never-made could not be found.");
      expect(await byName("never-made")).toBeUndefined();
    } finally {
      await devops(runtime, "admin", "PUT", `/${ORG}/_apis/securityroles/scopes/distributedtask.globalenvironmentreferencerole/roleassignments/resources/${DEMO.project.id}`, [{ roleName: "Creator", userId: contributors.identity.id }], PREVIEW);
    }
  });

  it("an environment named by a resource (env.resource) is refused: svcconn's environments have no resources", async () => {
    const made = await create("admin", "with-vms");
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/environment/${made.body.id}`, { allPipelines: { authorized: true } }, PREVIEW);
    const done = await suite.run(deployment("with-vms.web01"));
    expect(done.build.validationResults[0].message).toContain("Environment with-vms does not have a resource named web01");
  });
});
