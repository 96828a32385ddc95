import { DEMO } from "../../src/world/demo.js";
import { devopsRest, expect, expectAccessible, manualConnection, screenshot, signIn, test, urls } from "./fixtures.js";

test.describe("doctor", () => {
  test("the Explain box diagnoses a pasted error", async ({ page }) => {
    await signIn(page, "dev", urls.doctor());
    await page.getByRole("textbox", { name: "Error text" }).fill(
      "##[error]AADSTS7000222: The provided client secret keys for app '8c4f3e2a-1b2c-4d5e-9f00-123456789abc' are expired. Visit the Azure portal to create new keys for your app.",
    );
    await page.getByRole("button", { name: "Explain" }).click();
    const explanation = page.getByTestId("explanation");
    await expect(explanation).toContainText("secret-expired");
    await expect(explanation.getByRole("listitem").first()).toBeVisible();
    await screenshot(page, "doctor-explain");
    await expectAccessible(page);
  });

  test("a scan finds what will break; a fix shows its plan, applies, and the finding is gone", async ({ page }) => {
    await manualConnection("points-at-nothing", "0b0b0b0b-0000-4000-8000-00000000dead", "ServicePrincipal");
    const open = await manualConnection("open-to-all", DEMO.bootstrapAppId);
    await devopsRest("PATCH", `/${DEMO.organization.name}/${DEMO.project.name}/_apis/pipelines/pipelinePermissions/endpoint/${open.id}`, { allPipelines: { authorized: true }, pipelines: [] }, "7.1-preview.1");
    await signIn(page, "admin", urls.doctor());
    await page.getByRole("button", { name: "Scan" }).click();
    const findings = page.getByRole("table", { name: "Findings" });
    await expect(findings.getByRole("row", { name: /points-at-nothing/ })).toContainText("does not exist in the directory", { timeout: 60_000 });
    const openRow = findings.getByRole("row", { name: /open-to-all/ }).filter({ hasText: "Every pipeline of the project may use the connection" });
    await expect(openRow).toBeVisible();
    await screenshot(page, "doctor-scan");
    await expectAccessible(page);

    // No automatic fix for a missing application: the dialog says why.
    await findings.getByRole("row", { name: /points-at-nothing/ }).getByRole("button", { name: /^Fix/ }).first().click();
    await expect(page.getByRole("dialog").getByText(/No automatic fix/)).toBeVisible();
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

    await openRow.getByRole("button", { name: /^Fix/ }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.getByTestId("fix-plan")).toContainText("pipelinePermissions");
    await screenshot(page, "doctor-fix-plan");
    await dialog.getByRole("button", { name: "Apply" }).click();
    await expect(dialog.getByTestId("fix-outcome")).toHaveText("Fixed: a new scan no longer finds it.");
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect(findings.getByRole("row", { name: /open-to-all/ }).filter({ hasText: "Every pipeline of the project may use the connection" })).toHaveCount(0);
    await findings.getByRole("link", { name: "points-at-nothing" }).first().click();
    await expect(page.getByRole("heading", { name: "points-at-nothing" })).toBeVisible();
  });
});
