import { DEMO } from "../../src/world/demo.js";
import { expect, expectAccessible, manualConnection, screenshot, signIn, startCreation, test } from "./fixtures.js";

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

    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByTestId("action-outcome")).toHaveText("Verification succeeded.");

    await page.getByRole("button", { name: "Rotate secret" }).click();
    await expect(page.getByTestId("action-outcome")).toContainText("A new secret was made");

    await page.getByRole("button", { name: "Convert to workload identity federation" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Convert" }).click();
    await expect(page.getByTestId("action-outcome")).toHaveText("Converted to workload identity federation.");
    await expect(page.getByText("Subject identifier")).toBeVisible();
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page.getByTestId("action-outcome")).toHaveText("Verification succeeded.");
    await page.getByRole("button", { name: "Revert to secret" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revert" }).click();
    await expect(page.getByTestId("action-outcome")).toHaveText("Reverted to the secret.");

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

    await page.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("dialog");
    await expect(confirm.getByRole("checkbox", { name: /deep clean-up/ })).toBeChecked();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByTestId("flash")).toHaveText("Deleted web-dev-secret, its application registration and its role assignment.");
    await expect(page.getByRole("row", { name: /web-dev-secret/ })).toHaveCount(0);
  });

  test("a reader opens a connection and sees no administration actions", async ({ page }) => {
    await manualConnection("visible-to-readers", DEMO.bootstrapAppId);
    await signIn(page, "reader");
    await page.getByRole("link", { name: "visible-to-readers" }).click();
    await expect(page.getByRole("heading", { name: "visible-to-readers" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Verify" })).toBeVisible();
    for (const action of ["Edit", "Delete", "Revert to secret", "Rotate secret"]) await expect(page.getByRole("button", { name: action })).toHaveCount(0);
    await screenshot(page, "details-reader");
  });
});
