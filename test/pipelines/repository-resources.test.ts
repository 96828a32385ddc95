import { beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, ORG, PROJECT } from "../helpers/devops.js";
import { yamlRuns } from "../helpers/pipelines.js";

// Issue 28: repository resources of every type. A GitHub repository of the world serves `template: x.yml@alias` and
// checkouts once its service connection exists and is permitted to the pipeline; otherwise the run fails with
// Azure Pipelines' sentence about the endpoint.

const suite = yamlRuns();
let runtime: Runtime;
let connectionId: string;
beforeAll(async () => {
  runtime = suite.runtime();
  await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "contoso/pipeline-templates", type: "github", files: { "/steps/hello.yml": "steps:\n  - bash: echo hello from github\n    displayName: From GitHub\n" } });
  // A connection the pipeline reaches GitHub through (its type does not matter to svcconn's check).
  const connection = await createEndpoint(runtime, "admin", azurerm({ name: "github-contoso", creationMode: "Manual", scheme: "ServicePrincipal", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret, authenticationType: "spnKey" } }));
  connectionId = connection.id;
});

const usingGitHub = (endpoint: string) => `resources:
  repositories:
    - repository: templates
      type: github
      name: contoso/pipeline-templates
      endpoint: ${endpoint}
steps:
  - checkout: none
  - template: steps/hello.yml@templates
`;

describe("repository resources outside Azure Repos", () => {
  it("a GitHub repository's endpoint must exist: otherwise Azure's sentence names the alias and the endpoint", async () => {
    const done = await suite.run(usingGitHub("no-such-endpoint"));
    expect(done.build.result).toBe("failed");
    expect(done.build.validationResults[0].message).toContain("Repository templates references endpoint no-such-endpoint which does not exist or is not authorized for use.");
  });

  it("an endpoint the pipeline may not use fails the same way; once permitted, the template from GitHub runs", async () => {
    const refused = await suite.run(usingGitHub("github-contoso"));
    expect(refused.build.validationResults[0].message).toContain("Repository templates references endpoint github-contoso which does not exist or is not authorized for use.");
    await devops(runtime, "admin", "PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${connectionId}`, { allPipelines: { authorized: true } }, { version: "7.1-preview.1" });
    const done = await suite.run(usingGitHub("github-contoso"));
    expect(done.build.result, JSON.stringify(done.build.validationResults)).toBe("succeeded");
    expect(await done.log("From GitHub")).toContain("hello from github");
  });

  it("a GitHub repository the world does not have is named in the refusal; an Azure Repos name does not stand in for it", async () => {
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "pipeline-templates", files: { "/steps/hello.yml": "steps:\n  - bash: echo from azure repos\n" } });
    const yaml = usingGitHub("github-contoso").replace("contoso/pipeline-templates", "fabrikam/pipeline-templates");
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "gh-missing", files: { "/azure-pipelines.yml": yaml } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "gh-missing", repository: "gh-missing", yamlPath: "/azure-pipelines.yml" });
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipeline.id}/runs`, {});
    expect(queued.status).toBe(400);
    expect(JSON.stringify(queued.body)).toMatch(/fabrikam\/pipeline-templates/);
  });
});
