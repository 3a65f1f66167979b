import { expect, test } from "./fixtures";
import { PASSWORD } from "./helpers";

// The portal in the browser's language, and the switch at the foot of
// every page (a plain form: with and without JavaScript).

test.use({ locale: "de-DE" });

test("a German browser gets German pages and can switch to English and back", async ({ page }, info) => {
  await page.goto("/sign-in");
  await expect(page.locator("html")).toHaveAttribute("lang", "de");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Anmelden");

  await page.getByRole("button", { name: "English" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("button", { name: "English" })).toBeDisabled();

  await page.getByRole("button", { name: "Deutsch" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Anmelden");

  const name = `speaker-${info.project.name}`;
  await page.getByLabel("Benutzername").fill(name);
  await page.getByLabel("Passwort").fill(PASSWORD);
  await page.getByRole("button", { name: "Anmelden" }).click();
  await expect(page.getByRole("banner")).toContainText(`${name} Example`);
  await expect(page.getByRole("link", { name: "Meine Geräte" })).toBeVisible();

  // The choice stays on the page it was made on.
  await page.goto("/account");
  await page.getByRole("button", { name: "English" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("link", { name: "My devices" })).toBeVisible();
});
