import { DEMO } from "../../src/world/demo.js";
import { devopsRest, expect, expectAccessible, screenshot, signIn, test } from "./fixtures.js";

const PROJECT_ROLES = `/${DEMO.organization.name}/_apis/securityroles/scopes/distributedtask.project.serviceendpointrole/roleassignments/resources/${DEMO.project.id}`;

test.describe("security for all of a project's service connections", () => {
  test("S2: a Reader cannot create a connection; an administrator gives them Creator (Security, + Add), and then they can", async ({ page, browser }) => {
    const readerPage = await browser.newPage();
    try {
      await signIn(readerPage, "reader");
      await expect(readerPage.getByTestId("connection-count")).toBeVisible();
      await expect(readerPage.getByRole("button", { name: "New service connection" })).toHaveCount(0);
      // A reader reads the project's roles but changes nothing.
      await readerPage.getByRole("button", { name: "Security" }).click();
      await expect(readerPage.getByRole("dialog").getByRole("table", { name: "Role assignments" })).toBeVisible();
      await expect(readerPage.getByRole("dialog").getByRole("button", { name: "+ Add" })).toHaveCount(0);

      await signIn(page, "admin");
      await page.getByRole("button", { name: "Security" }).click();
      const security = page.getByRole("dialog", { name: "Security for all service connections" });
      await expect(security.getByRole("table", { name: "Role assignments" })).toContainText("Endpoint Creators");
      await security.getByRole("button", { name: "+ Add" }).click();
      const add = page.getByRole("dialog", { name: "Add user or group" });
      await add.getByRole("combobox", { name: "User or group" }).pressSequentially("riley");
      await page.getByRole("option", { name: /Riley Reader \(reader@contoso\.onmicrosoft\.com\)/ }).click();
      await add.getByRole("combobox", { name: "Role" }).click();
      await page.getByRole("option", { name: "Creator" }).click();
      await screenshot(page, "security-add");
      await expectAccessible(page);
      await add.getByRole("button", { name: "Add" }).click();
      await expect(security.getByRole("row", { name: /Riley Reader/ })).toContainText("Creator");
      await screenshot(page, "security-project");

      await readerPage.reload();
      await expect(readerPage.getByRole("button", { name: "New service connection" })).toBeVisible();
    } finally {
      await readerPage.close();
      const riley = (await devopsRest("GET", PROJECT_ROLES, undefined, "7.1-preview.1")).value.find((a: { identity: { displayName: string } }) => a.identity.displayName === "Riley Reader");
      if (riley) await devopsRest("DELETE", `${PROJECT_ROLES}/${riley.identity.id}`, undefined, "7.1-preview.1");
    }
  });
});
