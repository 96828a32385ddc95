import { DEMO } from "../../src/world/demo.js";
import { createConnectionInPage, devopsRest, expect, expectAccessible, graphAsAdmin, manualConnection, screenshot, signIn, startCreation, test, connectionAction, connectionActions } from "./fixtures.js";

test.describe("service connection details", () => {
  test("an administrator verifies, rotates, converts and reverts, manages security and pipeline permissions, and deletes deep", async ({ page }) => {
    await signIn(page, "admin");
    const dialog = await startCreation(page, "web-dev-secret", "Secret");
    await dialog.getByRole("link", { name: "Open it" }).click();
    await expect(page.getByRole("heading", { name: "web-dev-secret" })).toBeVisible();
    // Secret connections show their secret's expiry, read from Microsoft Graph: three months from creation.
    await expect(page.getByText(/Secret · (8[89]|9[0-2]) days left/)).toBeVisible();
    await screenshot(page, "details-overview");
    await expectAccessible(page);

    await connectionAction(page, "Verify");
    await expect(page.getByTestId("action-outcome")).toHaveText("Verification succeeded.");

    await connectionAction(page, "Rotate secret");
    await expect(page.getByTestId("action-outcome")).toContainText("A new secret was made");

    await connectionAction(page, "Convert to workload identity federation");
    await page.getByRole("dialog").getByRole("button", { name: "Convert" }).click();
    await expect(page.getByTestId("action-outcome")).toHaveText("Converted to workload identity federation.");
    await expect(page.getByText("Subject identifier")).toBeVisible();
    await connectionAction(page, "Verify");
    await expect(page.getByTestId("action-outcome")).toHaveText("Verification succeeded.");
    await connectionAction(page, "Revert to secret");
    await page.getByRole("dialog").getByRole("button", { name: "Revert" }).click();
    await expect(page.getByTestId("action-outcome")).toHaveText("Reverted to the secret.");

    // A workload identity connection made as such has no secret to go back to: no "Revert to secret".
    await page.getByRole("link", { name: "Service connections" }).first().click();
    await createConnectionInPage(page, "details-made-wif");
    await page.getByRole("link", { name: "details-made-wif" }).click();
    await expect(page.getByRole("heading", { name: "details-made-wif" })).toBeVisible();
    expect(await connectionActions(page)).toEqual(["Verify", "Security", "Delete"]);
    await page.getByRole("link", { name: "Service connections" }).first().click();
    await page.getByRole("link", { name: "web-dev-secret" }).click();

    await page.getByRole("tab", { name: "Security" }).click();
    const roles = page.getByRole("table", { name: "Role assignments" });
    await expect(roles.getByRole("row", { name: /Contoso Admin/ })).toContainText("Administrator");
    await expect(roles).toContainText("Inherited");
    await screenshot(page, "details-security");
    await expectAccessible(page);
    // Inheritance off: only the assigned roles remain.
    await page.getByRole("switch", { name: "Inherit permissions from the project" }).click();
    await expect(roles).not.toContainText("Inherited");
    await page.getByRole("switch", { name: "Inherit permissions from the project" }).click();
    await expect(roles).toContainText("Inherited");

    await page.getByRole("tab", { name: "Pipeline permissions" }).click();
    const open = page.getByRole("switch", { name: /Open access/ });
    await expect(open).not.toBeChecked();
    await open.click();
    await expect(open).toBeChecked();
    await screenshot(page, "details-pipeline-permissions");
    await page.getByRole("link", { name: "Service connections" }).first().click();
    const row = page.getByRole("row", { name: /web-dev-secret/ });
    await expect(row).toContainText("All pipelines");
    await expect(row).toContainText(/Secret · \d+ days left/);
    await screenshot(page, "list", false);
    await page.getByRole("link", { name: "web-dev-secret" }).click();

    await connectionAction(page, "Delete");
    const confirm = page.getByRole("dialog");
    await expect(confirm.getByRole("checkbox", { name: /deep clean-up/ })).toBeChecked();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId("flash")).toHaveText("Deleted web-dev-secret, its application registration and its role assignment.");
    await expect(page.getByRole("row", { name: /web-dev-secret/ })).toHaveCount(0);
  });

  test("S10: a connection whose application was deleted fails Verify with AADSTS700016, explained; restoring the application fixes it", async ({ page }) => {
    await signIn(page, "admin");
    await createConnectionInPage(page, "web-doomed");
    const connection = (await devopsRest("GET", `/${DEMO.organization.name}/${DEMO.project.name}/_apis/serviceendpoint/endpoints?endpointNames=web-doomed`)).value[0];
    expect((await graphAsAdmin("DELETE", `/v1.0/applications/${connection.data.appObjectId}`)).status).toBe(204);
    await page.getByRole("link", { name: "web-doomed" }).click();
    await connectionAction(page, "Verify");
    const outcome = page.getByTestId("action-outcome");
    await expect(outcome).toContainText("AADSTS700016");
    await expect(outcome.getByTestId("explanation")).toContainText("app-not-found");
    await screenshot(page, "verify-application-deleted");
    // The documented fix within 30 days: restore the application (Graph's deleted items).
    expect((await graphAsAdmin("POST", `/v1.0/directory/deletedItems/${connection.data.appObjectId}/restore`, {})).status).toBe(200);
    await connectionAction(page, "Verify");
    await expect(outcome).toHaveText("Verification succeeded.");
  });

  test("S16: deep delete of a connection whose application is gone shows why, explained; deleting without the clean-up removes it", async ({ page }) => {
    await signIn(page, "admin");
    await createConnectionInPage(page, "web-orphan");
    const connection = (await devopsRest("GET", `/${DEMO.organization.name}/${DEMO.project.name}/_apis/serviceendpoint/endpoints?endpointNames=web-orphan`)).value[0];
    expect((await graphAsAdmin("DELETE", `/v1.0/applications/${connection.data.appObjectId}`)).status).toBe(204);
    await page.getByRole("link", { name: "web-orphan" }).click();
    await connectionAction(page, "Delete");
    const confirm = page.getByRole("dialog");
    await expect(confirm.getByRole("checkbox", { name: /deep clean-up/ })).toBeChecked();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect(confirm.getByRole("alert")).toContainText("Failed to remove the service principal from Microsoft Entra ID");
    await expect(confirm.getByTestId("explanation")).toContainText("delete-cleanup-failed");
    await screenshot(page, "s16-delete-cleanup-failed");
    // The guide's way out: delete it without the clean-up; nothing is left in Azure to remove.
    await confirm.getByRole("checkbox", { name: /deep clean-up/ }).uncheck();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId("flash")).toContainText("Deleted web-orphan.");
    await expect(page.getByRole("row", { name: /web-orphan/ })).toHaveCount(0);
  });

  test("S9 by hand: a manual secret connection whose key is wrong takes a new one in Edit, verified before it is saved", async ({ page }) => {
    await manualConnection("manual-wrong-key", DEMO.bootstrapAppId, "ServicePrincipal");
    await signIn(page, "admin");
    await page.getByRole("link", { name: "manual-wrong-key" }).click();
    await connectionAction(page, "Verify");
    await expect(page.getByTestId("action-outcome")).toContainText("AADSTS7000215");

    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog");
    await expect(edit.getByText("Service principal (secret or certificate) (manual)")).toBeVisible();
    await expect(edit.getByText(DEMO.bootstrapAppId)).toBeVisible();
    // The stored key is wrong: Verify and save refuses and saves nothing.
    await edit.getByRole("button", { name: "Verify and save" }).click();
    await expect(edit).toContainText("AADSTS7000215");
    await edit.getByLabel("Service principal key").fill(DEMO.bootstrapSecret);
    await screenshot(page, "details-edit");
    await expectAccessible(page);
    await edit.getByRole("button", { name: "Verify and save" }).click();
    await expect(edit).toHaveCount(0);
    await connectionAction(page, "Verify");
    await expect(page.getByTestId("action-outcome")).toHaveText("Verification succeeded.");
  });

  test("a reader opens a connection and sees no administration actions", async ({ page }) => {
    await manualConnection("visible-to-readers", DEMO.bootstrapAppId);
    // Nothing a reader's pages ask for is refused (the console stays clean): e.g. no emulator panel probe.
    const refused: string[] = [];
    page.on("response", (r) => void (r.status() === 403 && refused.push(r.url())));
    await signIn(page, "reader");
    await page.getByRole("link", { name: "visible-to-readers" }).click();
    await expect(page.getByRole("heading", { name: "visible-to-readers" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Edit" })).toHaveCount(0);
    expect(await connectionActions(page)).toEqual(["Verify", "Security"]);
    await screenshot(page, "details-reader");
    await expect(page.getByRole("link", { name: /emulator/i })).toHaveCount(0);
    expect(refused).toEqual([]);
  });
});
