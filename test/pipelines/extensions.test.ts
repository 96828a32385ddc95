import { beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../src/server/runtime.js";
import { DEMO } from "../../src/world/demo.js";
import { azurerm, createEndpoint, devops, ORG } from "../helpers/devops.js";
import { yamlRuns } from "../helpers/pipelines.js";
import { ADMIN_KEY } from "../helpers/runtime.js";

// Issue 28: Marketplace tasks. Without its extension a task is missing, in Azure DevOps' words; once the organization
// installs the extension (one svcconn knows by id, or one a world declares with its tasks), the task compiles and its
// connection inputs resolve and authorize like a built-in task's. svcconn runs TerraformTaskV4@4 and says it does not run the others.

const suite = yamlRuns();
let runtime: Runtime;
beforeAll(async () => {
  runtime = suite.runtime();
  const connection = await createEndpoint(runtime, "admin", azurerm({ name: "tf-conn", creationMode: "Manual", scheme: "ServicePrincipal", parameters: { serviceprincipalid: DEMO.bootstrapAppId, serviceprincipalkey: DEMO.bootstrapSecret, authenticationType: "spnKey" } }));
  await devops(runtime, "admin", "PATCH", `/${ORG}/${DEMO.project.name}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, { allPipelines: { authorized: true } }, { version: "7.1-preview.1" });
});

const terraform = (task: string, connection: string) => `steps:
  - checkout: none
  - task: ${task}
    displayName: Terraform init
    inputs:
      provider: azurerm
      command: init
      backendServiceArm: ${connection}
      backendAzureRmResourceGroupName: tfstate
      backendAzureRmStorageAccountName: tfstate
      backendAzureRmContainerName: tfstate
      backendAzureRmKey: app.tfstate
`;

describe("Marketplace extensions", () => {
  it("a task of an extension the organization has not installed is missing, in Azure DevOps' words", async () => {
    await runtime.pipelines.catalog.createRepository({ organizationId: DEMO.organization.id, projectId: DEMO.project.id, name: "tf-missing", files: { "/azure-pipelines.yml": terraform("TerraformTaskV4@4", "tf-conn") } });
    const pipeline = await runtime.pipelines.catalog.definePipeline(DEMO.project.id, DEMO.organization.id, { name: "tf-missing", repository: "tf-missing", yamlPath: "/azure-pipelines.yml" });
    const queued = await devops(runtime, "admin", "POST", `/${ORG}/${DEMO.project.name}/_apis/pipelines/${pipeline.id}/runs`, {});
    expect(queued.status).toBe(400);
    expect(queued.body.customProperties.ValidationResults[0].message).toContain(
      "A task is missing. The pipeline references a task called 'TerraformTaskV4'. This usually indicates the task isn't installed, and you may be able to install it from the Marketplace: https://marketplace.visualstudio.com.",
    );
  });

  it("once installed, its connection inputs resolve like a built-in task's, by short and full name; svcconn runs TerraformTaskV4 and V3 and says it does not run V2", async () => {
    await runtime.pipelines.catalog.installExtension(ORG, { id: "ms-devlabs.custom-terraform-tasks" });
    const missing = await suite.run(terraform("TerraformTaskV4@4", "no-such-connection"));
    expect(missing.build.validationResults[0].message).toContain("Step input backendServiceArm references service connection no-such-connection which could not be found.");
    for (const task of ["TerraformTaskV4@4", "ms-devlabs.custom-terraform-tasks.custom-terraform-release-task.TerraformTaskV4@4"]) {
      const done = await suite.run(terraform(task, "tf-conn"));
      expect(done.build.validationResults, task).toEqual([]);
      // svcconn runs this one (azure-tasks.test.ts checks what it hands Terraform).
      expect(await done.log("Terraform init")).toContain("Task         : Terraform");
      expect(await done.log("Terraform init")).not.toContain("svcconn does not run");
    }
    const v3 = await suite.run(terraform("TerraformTaskV3@3", "tf-conn"));
    expect(await v3.log("Terraform init")).not.toContain("svcconn does not run");
    const older = await suite.run(terraform("TerraformTaskV2@2", "tf-conn"));
    expect(await older.log("Terraform init")).toContain("svcconn does not run the task TerraformTaskV2");
  });

  it("the admin route installs an extension svcconn knows and refuses others", async () => {
    const put = (id: string) => runtime.listeners.devops.inject({ method: "PUT", url: `/_admin/organizations/${ORG}/extensions/${id}`, headers: { host: "127.0.0.1:8446", "x-svcconn-admin-key": ADMIN_KEY } });
    expect((await put("JasonBJohnson.azure-pipelines-tasks-terraform")).statusCode).toBe(204);
    const unknown = await put("contoso.unknown-tools");
    expect(unknown.statusCode).toBe(400);
    expect(JSON.stringify(unknown.json())).toContain("svcconn does not know the extension 'contoso.unknown-tools'");
    expect((await put("not-an-extension-id")).statusCode).toBe(400);
  });

  it("an extension svcconn does not know is installed with the tasks a world declares, and refused without them", async () => {
    await expect(runtime.pipelines.catalog.installExtension(ORG, { id: "contoso.deploy-tools" })).rejects.toThrow("svcconn does not know the extension 'contoso.deploy-tools'");
    await runtime.pipelines.catalog.installExtension(ORG, {
      id: "contoso.deploy-tools",
      tasks: [
        {
          id: "5b3b3a5e-1b4e-4a39-8d9a-6a1f1f0d2a11",
          name: "ContosoDeploy",
          friendlyName: "Contoso deploy",
          description: "",
          author: "contoso",
          helpUrl: "",
          version: { major: 1, minor: 0, patch: 0 },
          inputs: [{ name: "azureConnection", aliases: ["azureSubscription"], type: "connectedService:AzureRM", required: true }],
          handlers: ["Node20_1"],
        },
      ],
    });
    const done = await suite.run("steps:\n  - checkout: none\n  - task: ContosoDeploy@1\n    inputs:\n      azureSubscription: nowhere\n");
    // The input is named as the YAML writes it (its alias), as Azure DevOps does.
    expect(done.build.validationResults[0].message).toContain("Step input azureSubscription references service connection nowhere which could not be found.");
  });
});
