import { DEMO } from "../../src/world/demo.js";
import { expect, manualConnection, screenshot, signIn, test } from "./fixtures.js";

// How fast (render and filter under 1 s each) is measured by `npm run bench:web`, not here: tests do not time.
test("the list stays usable at 1 000 connections: all of them show, and filters narrow them", async ({ page }) => {
  test.setTimeout(240_000);
  const names = Array.from({ length: 1000 }, (_, i) => `scale-${String(i).padStart(4, "0")}`);
  for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => manualConnection(n, DEMO.bootstrapAppId)));
  await signIn(page, "reader");
  const count = page.getByTestId("connection-count");
  await expect(count).toHaveText(/^\d+ service connections$/);
  const total = Number((await count.textContent())!.split(" ")[0]);
  expect(total).toBeGreaterThanOrEqual(1000);
  await expect(page.getByRole("table", { name: "Service connections" }).getByRole("link", { name: "scale-0999" })).toBeVisible();
  await screenshot(page, "list-1000", false);

  await page.getByRole("searchbox").fill("scale-09");
  await expect(count).toHaveText(`100 of ${total} service connections`);
  await expect(page.getByRole("table", { name: "Service connections" }).getByRole("link")).toHaveCount(100);
  await page.getByRole("searchbox").fill("scale-0042");
  await expect(count).toHaveText(`1 of ${total} service connections`);
  await page.getByRole("searchbox").fill("");
  await page.getByRole("combobox", { name: "Authentication" }).click();
  await page.getByRole("option", { name: "Service principal (secret or certificate)" }).click();
  await expect(page.getByRole("table", { name: "Service connections" }).getByRole("link", { name: /^scale-/ })).toHaveCount(0);
});
