import { randomUUID } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO } from "../../src/world/demo.js";
import type { Page } from "@playwright/test";
import { admin, armAsAdmin, createConnectionInPage, devopsRest, expect, expectAccessible, screenshot, signIn, test, urls } from "./fixtures.js";

const TEMPLATE = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  resources: [{ type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-01-01", name: "stwebrun", location: "westeurope", sku: { name: "Standard_LRS" }, kind: "StorageV2" }],
};

/** A repository (a local folder) with a pipeline that deploys to Production through `connection`, and its definition. */
async function deployPipeline(name: string, connection: string): Promise<{ id: number }> {
  const folder = mkdtempSync(join(tmpdir(), "svcconn-web-repo-"));
  mkdirSync(join(folder, "infra"));
  writeFileSync(join(folder, "infra", "storage.json"), JSON.stringify(TEMPLATE));
  writeFileSync(
    join(folder, "azure-pipelines.yml"),
    [
      "steps:",
      "  - task: AzureResourceManagerTemplateDeployment@3",
      "    displayName: Deploy storage",
      "    inputs:",
      `      azureResourceManagerConnection: ${connection}`,
      `      subscriptionId: ${DEMO.subscriptionId}`,
      "      resourceGroupName: rg-prod-app",
      "      location: westeurope",
      "      csmFile: infra/storage.json",
      "",
    ].join("\n"),
  );
  await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/repositories/${name}`, { folder });
  return devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name, folder: "\\", configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name, type: "azureReposGit" } } });
}

const ORG = DEMO.organization.name;
const PROJECT = DEMO.project.name;
const queue = (pipelineId: number): Promise<{ id: number }> => devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines/${pipelineId}/runs`, {});

/**
 * The connection's principal may read Production's resource group but not deploy there (Reader, given by the demo
 * administrator through ARM): the run fails at the deployment with AuthorizationFailed (SPEC S13).
 */
async function readerOnProduction(connectionName: string): Promise<void> {
  const connection = (await devopsRest("GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints?endpointNames=${connectionName}`)).value[0];
  const scope = `/subscriptions/${DEMO.subscriptionId}/resourceGroups/rg-prod-app`;
  const assigned = await armAsAdmin("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
    properties: { roleDefinitionId: `/subscriptions/${DEMO.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`, principalId: connection.data.spnObjectId, principalType: "ServicePrincipal" },
  });
  expect(assigned.status).toBe(201);
}

/** The run fails at the deployment, and the issue comes with its diagnosis beside the step's log. */
async function expectAuthorizationFailedExplained(page: Page, shot: string) {
  const issue = page.getByTestId("run-issue").filter({ hasText: "AuthorizationFailed" }).first();
  await expect(issue).toBeVisible({ timeout: 60_000 });
  await expect(issue.getByTestId("explanation")).toContainText("rbac-authorization-failed");
  // The step's task and version from the timeline go with its errors to the doctor.
  await expect(issue.getByTestId("explanation")).toContainText(/Task: AzureResourceManagerTemplateDeployment@3\.\d+\.\d+/);
  // A pipeline without stages shows its job and steps, as Azure DevOps does: no `__default` stage, the job once.
  const outline = page.getByRole("navigation", { name: "Stages, jobs and steps" });
  await expect(outline.getByRole("button", { name: "__default" })).toHaveCount(0);
  await expect(outline.getByRole("button", { name: "Job", exact: true })).toHaveCount(1);
  await page.getByRole("button", { name: "Deploy storage" }).click();
  await expect(page.getByRole("region", { name: "Log" })).toContainText("AuthorizationFailed");
  await screenshot(page, shot);
  await expectAccessible(page);
}

test.describe("runs", () => {
  test("a run refused for an unauthorized connection is explained; Authorize resources runs it again", async ({ page }) => {
    await signIn(page, "admin");
    await createConnectionInPage(page, "web-run-deployer");
    await readerOnProduction("web-run-deployer");
    const pipeline = await deployPipeline("deploy-storage", "web-run-deployer");
    const run = await queue(pipeline.id);
    await page.goto(urls.run(run.id));
    await expect(page.getByText("There was a resource authorization issue")).toBeVisible();
    await expect(page.getByTestId("run-issue").first().getByTestId("explanation")).toContainText("pipeline-not-authorized");
    await screenshot(page, "run-not-authorized");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Authorize resources and run again" }).click();
    await expect(page).toHaveURL(new RegExp(`buildId=${run.id + 1}$`));
    await expectAuthorizationFailedExplained(page, "run-failed-explained");
    const connection = (await devopsRest("GET", `/${ORG}/${PROJECT}/_apis/serviceendpoint/endpoints?endpointNames=web-run-deployer`)).value[0];
    const permissions = await devopsRest("GET", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/endpoint/${connection.id}`, undefined, "7.1-preview.1");
    expect(permissions.pipelines.map((p: { id: number }) => p.id)).toContain(pipeline.id);

    // The connection's usage history lists the run, which links back to its page.
    await page.goto(urls.connection(connection.id));
    await page.getByRole("tab", { name: "Usage history" }).click();
    const usage = page.getByRole("table", { name: "Usage history" }).getByRole("row", { name: /deploy-storage/ });
    await expect(usage).toContainText("failed");
    await screenshot(page, "details-usage-history");
    await usage.getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`buildId=${run.id + 1}$`));
  });

  test("in waiting mode a run asks for permission: Permit lets it go on", async ({ page }) => {
    await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/pipelinesettings`, { resourceAuthorization: "wait" });
    try {
      await signIn(page, "admin");
      await createConnectionInPage(page, "web-run-waiting");
      await readerOnProduction("web-run-waiting");
      const pipeline = await deployPipeline("deploy-waiting", "web-run-waiting");
      const run = await queue(pipeline.id);
      await page.goto(urls.run(run.id));
      const prompt = page.getByText("This pipeline needs permission to access a resource before this run can continue");
      await expect(prompt).toBeVisible();
      await expect(page.getByText("Service connection: web-run-waiting")).toBeVisible();
      await screenshot(page, "run-waiting-for-permit");
      await expectAccessible(page);
      await page.getByRole("button", { name: "Permit" }).click();
      await expect(prompt).toHaveCount(0);
      await expectAuthorizationFailedExplained(page, "run-permitted-failed");
    } finally {
      await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/pipelinesettings`, { resourceAuthorization: "fail" });
    }
  });

  test("a run waiting for an agent says so, with its place in the queue", async ({ page }) => {
    const folder = mkdtempSync(join(tmpdir(), "svcconn-web-held-"));
    writeFileSync(join(folder, "azure-pipelines.yml"), `steps:\n  - checkout: none\n  - bash: while [ ! -f ${folder}/release ]; do sleep 0.1; done\n    displayName: Hold the agent\n`);
    await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/repositories/held`, { folder });
    const pipeline = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name: "held", folder: "\\", configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name: "held", type: "azureReposGit" } } });
    try {
      await queue(pipeline.id);
      const waiting = await queue(pipeline.id);
      await signIn(page, "admin");
      await page.goto(urls.run(waiting.id));
      await expect(page.getByText("waiting for an available agent")).toBeVisible({ timeout: 30_000 });
      await expect(page.getByText("parallelism type 'Microsoft-Hosted Private'. Current position in queue: 1")).toBeVisible();
      await screenshot(page, "run-waiting-for-agent");
      await expectAccessible(page);
    } finally {
      writeFileSync(join(folder, "release"), "");
    }
  });

  test("a run refused for a variable group it may not use: Authorize resources permits the group and runs again", async ({ page }) => {
    const folder = mkdtempSync(join(tmpdir(), "svcconn-web-group-"));
    writeFileSync(join(folder, "azure-pipelines.yml"), "variables:\n  - group: web-release-settings\nsteps:\n  - checkout: none\n  - bash: echo region=$(region)\n    displayName: Show region\n");
    await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/repositories/grouped`, { folder });
    const pipeline = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name: "grouped", folder: "\\", configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name: "grouped", type: "azureReposGit" } } });
    const group = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/distributedtask/variablegroups`, { name: "web-release-settings", variables: { region: { value: "westeurope" } } }, "5.0-preview.1");
    const run = await queue(pipeline.id);
    await signIn(page, "admin");
    await page.goto(urls.run(run.id));
    await expect(page.getByText("The pipeline may not use: Variable group: web-release-settings.")).toBeVisible();
    await expectAccessible(page);
    await page.getByRole("button", { name: "Authorize resources and run again" }).click();
    await expect(page).toHaveURL(new RegExp(`buildId=${run.id + 1}$`));
    await page.getByRole("button", { name: "Show region" }).click({ timeout: 30_000 });
    await expect(page.getByRole("region", { name: "Log" })).toContainText("region=westeurope");
    const permissions = await devopsRest("GET", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/variablegroup/${group.id}`, undefined, "7.1-preview.1");
    expect(permissions.pipelines.map((p: { id: number }) => p.id)).toContain(pipeline.id);
  });

  test("a deployment refused for an environment it may not use: Authorize resources permits the environment and deploys", async ({ page }) => {
    const folder = mkdtempSync(join(tmpdir(), "svcconn-web-environment-"));
    writeFileSync(join(folder, "azure-pipelines.yml"), "jobs:\n  - deployment: Ship\n    environment: web-production\n    strategy:\n      runOnce:\n        deploy:\n          steps:\n            - bash: echo shipped to $(Environment.Name)\n              displayName: Ship it\n");
    await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/repositories/deploying`, { folder });
    const pipeline = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name: "deploying", folder: "\\", configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name: "deploying", type: "azureReposGit" } } });
    const environment = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/distributedtask/environments`, { name: "web-production" }, "7.1-preview.1");
    const run = await queue(pipeline.id);
    await signIn(page, "admin");
    await page.goto(urls.run(run.id));
    await expect(page.getByText("The pipeline may not use: Environment: web-production.")).toBeVisible();
    await page.getByRole("button", { name: "Authorize resources and run again" }).click();
    await expect(page).toHaveURL(new RegExp(`buildId=${run.id + 1}$`));
    await page.getByRole("button", { name: "Ship it" }).click({ timeout: 30_000 });
    await expect(page.getByRole("region", { name: "Log" })).toContainText("shipped to web-production");
    const permissions = await devopsRest("GET", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/environment/${environment.id}`, undefined, "7.1-preview.1");
    expect(permissions.pipelines.map((p: { id: number }) => p.id)).toContain(pipeline.id);
  });

  test("a deployment waiting for approval: the approver reads the instructions, approves with a comment, and it deploys", async ({ page }) => {
    const folder = mkdtempSync(join(tmpdir(), "svcconn-web-approval-"));
    writeFileSync(join(folder, "azure-pipelines.yml"), "jobs:\n  - deployment: Release\n    environment: web-approved\n    strategy:\n      runOnce:\n        deploy:\n          steps:\n            - bash: echo released\n              displayName: Release it\n");
    await admin("PUT", `/_admin/organizations/${ORG}/projects/${PROJECT}/repositories/approved`, { folder });
    const pipeline = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines`, { name: "approved", folder: "\\", configuration: { type: "yaml", path: "/azure-pipelines.yml", repository: { name: "approved", type: "azureReposGit" } } });
    const environment = await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/distributedtask/environments`, { name: "web-approved" }, "7.1-preview.1");
    await devopsRest("PATCH", `/${ORG}/${PROJECT}/_apis/pipelines/pipelinePermissions/environment/${environment.id}`, { allPipelines: { authorized: true } }, "7.1-preview.1");
    const me = await devopsRest("GET", `/${ORG}/_apis/connectionData`);
    await devopsRest("POST", `/${ORG}/${PROJECT}/_apis/pipelines/checks/configurations`, { type: { id: "8c6f20a7-a545-4486-9777-f762fafe0d4d", name: "Approval" }, resource: { type: "environment", id: String(environment.id) }, settings: { approvers: [{ id: me.authenticatedUser.id }], instructions: "Check the change record first." } }, "7.1-preview.1");
    const run = await queue(pipeline.id);
    await signIn(page, "admin");
    await page.goto(urls.run(run.id));
    await expect(page.getByText("An approval needs review before this run can continue")).toBeVisible({ timeout: 15_000 });
    await expect(page.getByText("Check the change record first.")).toBeVisible();
    await expectAccessible(page);
    await page.getByLabel("Comment").fill("Change record checked");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByRole("button", { name: "Release it" }).click({ timeout: 30_000 });
    await expect(page.getByRole("region", { name: "Log" })).toContainText("released");
    const approvals = await devopsRest("GET", `/${ORG}/${PROJECT}/_apis/pipelines/approvals?state=approved&$expand=steps`, undefined, "7.1-preview.1");
    expect(approvals.value.find((a: { pipeline: { owner: { id: number } } }) => a.pipeline.owner.id === run.id).steps[0].comment).toBe("Change record checked");
  });
});
