import { USERS, expect, expectAccessible, screenshot, signIn, test } from "./fixtures.js";

/** Who each demo user is in the directory, and whether the project lets them create connections. */
const EXPECTED: Record<keyof typeof USERS, { name: string; creates: boolean }> = {
  admin: { name: "Contoso Admin", creates: true },
  dev: { name: "Dana Developer", creates: true },
  appdev: { name: "Avery App Developer", creates: true },
  guest: { name: "Alex (Fabrikam)", creates: true },
  reader: { name: "Riley Reader", creates: false },
};

test.describe("sign-in", () => {
  for (const who of Object.keys(USERS) as Array<keyof typeof USERS>) {
    test(`${who} signs in with PKCE and sees the project's service connections`, async ({ page }) => {
      await signIn(page, who);
      await expect(page.getByTestId("signed-in-user")).toHaveText(EXPECTED[who].name);
      await expect(page.getByRole("heading", { name: "Service connections" })).toBeVisible();
      await expect(page.getByTestId("connection-count")).toBeVisible();
      await expect(page.getByRole("button", { name: "New service connection" })).toHaveCount(EXPECTED[who].creates ? 1 : 0);
      await screenshot(page, `list-${who}`, false);
    });
  }

  test("signing out ends the page's session: the next visit asks for the password again", async ({ page }) => {
    await signIn(page, "dev");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByLabel("Password")).toBeVisible();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await screenshot(page, "sign-in", false);
    await expectAccessible(page);
  });
});
