import { expect, test } from "@playwright/test";
import { jsEnabled, signIn } from "./helpers";

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

test("the phone form answers next to the field and keeps what was typed", async ({ page }) => {
  await page.goto("/");
  const field = page.getByLabel("Mobile phone number");
  await field.fill("020 7946 0958");
  await page.getByRole("button", { name: "Check number" }).click();

  const message = page.locator("#phone-message");
  await expect(message).toHaveText("Start with + and the country code, for example +44 20 7946 0958.");
  await expect(field).toHaveValue("020 7946 0958");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\?phone=020\+7946\+0958/);

  await field.fill("+44 20 7946 0958");
  await page.getByRole("button", { name: "Check number" }).click();
  await expect(message).toHaveText("+442079460958 can receive SMS invitations.");
  await expect(field).toHaveAttribute("aria-invalid", "false");
});

test("with JavaScript, a hint follows each keystroke before any submit", async ({ page }, info) => {
  test.skip(!jsEnabled(info), "the live hint needs the WASM bundle");
  const messages: string[] = [];
  page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => messages.push(`pageerror: ${e.message}`));
  await page.goto("/");
  // The hint only exists once the page is hydrated; wait for the bundle.
  try {
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  } catch (error) {
    throw new Error(`${error}\nbrowser console:\n${messages.join("\n")}`);
  }
  const field = page.getByLabel("Mobile phone number");
  await field.pressSequentially("+44 20");
  const message = page.locator("#phone-message");
  await expect(message).toHaveText("That is too short for a phone number with its country code.");
  await field.pressSequentially(" 7946 0958");
  await expect(message).toHaveText("+442079460958 can receive SMS invitations.");
  // Nothing was posted: the address is unchanged.
  await expect(page).toHaveURL(/\/$/);
  // The Content-Security-Policy let everything the page needs run.
  expect(messages.filter((m) => m.startsWith("error") || m.startsWith("pageerror"))).toEqual([]);
});

test("without JavaScript, typing gives no hint until the form is sent", async ({ page }, info) => {
  test.skip(jsEnabled(info), "only meaningful without JavaScript");
  await page.goto("/");
  await page.getByLabel("Mobile phone number").pressSequentially("+44 20");
  await expect(page.locator("#phone-message")).toHaveText("");
});
