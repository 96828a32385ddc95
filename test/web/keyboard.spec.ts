import { expect, signIn, tabTo, test } from "./fixtures.js";

test("every action is reachable by keyboard: create, open, verify, switch tabs", async ({ page }) => {
  await signIn(page, "admin");
  await page.locator("body").focus();
  await tabTo(page, page.getByRole("button", { name: "New service connection" }));
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();

  // The type first: arrows pick Azure Resource Manager, Next goes on.
  const arm = dialog.getByRole("radio", { name: "Azure Resource Manager" });
  await tabTo(page, dialog.getByRole("radio").first());
  await page.keyboard.press("Space");
  for (let i = 0; i < 5 && !(await arm.isChecked()); i++) await page.keyboard.press("ArrowDown");
  await expect(arm).toBeChecked();
  await tabTo(page, dialog.getByRole("button", { name: "Next" }));
  await page.keyboard.press("Enter");

  // Credential: the radio group moves with the arrow keys.
  await tabTo(page, dialog.getByRole("radio", { name: "Workload identity federation" }));
  await page.keyboard.press("ArrowRight");
  await expect(dialog.getByRole("radio", { name: "Secret" })).toBeChecked();
  await page.keyboard.press("ArrowLeft");
  await expect(dialog.getByRole("radio", { name: "Workload identity federation" })).toBeChecked();

  const subscription = dialog.getByRole("combobox", { name: "Subscription" });
  await tabTo(page, subscription);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("option", { name: /Contoso Development/ })).toBeVisible();
  // Down the list until Development is the active option, then Enter picks it.
  const development = page.getByRole("option", { name: /Contoso Development/ });
  const developmentId = await development.getAttribute("id");
  for (let i = 0; i < 5 && (await subscription.getAttribute("aria-activedescendant")) !== developmentId; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(subscription).toHaveText(/Contoso Development/);

  await tabTo(page, dialog.getByRole("textbox", { name: "Service connection name" }));
  await page.keyboard.type("keyboard-made");
  await tabTo(page, dialog.getByRole("button", { name: "Save" }));
  await page.keyboard.press("Enter");
  await expect(dialog.getByText("The service connection is ready.")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);

  const link = page.getByRole("link", { name: "keyboard-made" });
  await tabTo(page, link);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "keyboard-made" })).toBeVisible();
  // The toolbar is one tab stop (Edit); its "⋯" is the next item by arrow key, as in a toolbar.
  await tabTo(page, page.getByRole("button", { name: "Edit" }));
  await tabTo(page, page.getByRole("button", { name: "More actions" }), 3, "ArrowRight");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Verify" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("action-outcome")).toHaveText("Verification succeeded.");

  await tabTo(page, page.getByRole("tab", { name: "Overview" }));
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("table", { name: "Role assignments" })).toBeVisible();
});
