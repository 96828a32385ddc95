import { DEMO } from "../../src/world/demo.js";
import { createConnectionInPage, expect, expectAccessible, screenshot, signIn, test, urls, connectionAction } from "./fixtures.js";

test.describe("emulator panel", () => {
  test("an organization administrator moves svcconn's clock: a secret expires, and Verify says so with the diagnosis", async ({ page }) => {
    await signIn(page, "admin");
    await createConnectionInPage(page, "expires-soon", "Secret");
    await page.getByRole("link", { name: "Emulator" }).click();
    await expect(page.getByRole("heading", { name: "Emulator: clock" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Members" }).getByRole("row", { name: /Contoso Admin/ })).toContainText("Signed in");
    await screenshot(page, "emulator");
    await expectAccessible(page);

    await page.getByRole("button", { name: "+91 days" }).click();
    await expect(page.getByTestId("emulator-now")).toContainText(/9[01]\.\d days ahead/);
    // 91 days without use end the sign-in session too (90 days' inactivity): the page asks for the password again.
    await page.getByRole("link", { name: "Service connections" }).click();
    await page.getByLabel("Password").fill(DEMO.userPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    const row = page.getByRole("row", { name: /expires-soon/ });
    await expect(row).toContainText(/Secret expired \d+ days ago/);
    await row.getByRole("link", { name: "expires-soon" }).click();
    await connectionAction(page, "Verify");
    const outcome = page.getByTestId("action-outcome");
    await expect(outcome).toContainText("AADSTS7000222");
    await expect(outcome.getByTestId("explanation")).toContainText("secret-expired");
    await screenshot(page, "verify-expired-secret");
    // The doctor's fix is right there: Rotate secret, and Verify passes again.
    await connectionAction(page, "Rotate secret");
    await expect(outcome).toContainText("A new secret was made");
    await connectionAction(page, "Verify");
    await expect(outcome).toHaveText("Verification succeeded.");
  });

  test("the panel is for the organization's administrators only", async ({ page }) => {
    await signIn(page, "dev");
    await expect(page.getByRole("link", { name: "Doctor" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Emulator" })).toHaveCount(0);
    await page.goto(urls.connections().replace(/\/[^/]+\/_settings\/adminservices$/, "/_svcconn/emulator"));
    await expect(page.getByRole("alert")).toContainText("only members of Project Collection Administrators");
  });
});
