import { expect, test } from "./fixtures";
import { signIn } from "./helpers";

// carol has no device: the page shows its empty state.
test.beforeEach(async ({ page }) => {
  await signIn(page, "carol");
});

test("My devices shows its empty state inside the layout", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("My devices · SSP");
  await expect(page.getByRole("heading", { level: 1, name: "My devices" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "You have no devices yet" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My devices" }))
    .toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("contentinfo")).toContainText("SSP");
});

test("an unknown address shows a friendly page with status 404", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Go to My devices" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My devices" })).toBeVisible();
});
