import { expect, test } from "./fixtures";
import { PASSWORD, mailTo, signIn } from "./helpers";

/** Fills and sends the change-password form. */
async function changePassword(page: import("@playwright/test").Page, current: string, next: string) {
  await page.getByLabel("Current password").fill(current);
  await page.getByLabel("New password", { exact: true }).fill(next);
  await page.getByLabel("New password again").fill(next);
  await page.getByRole("button", { name: "Change password" }).click();
}

test("change my password and sign out my other sessions", async ({ page, browser }, info) => {
  const user = `account-${info.project.name}`;
  await signIn(page, user);
  // Only this browser to begin with (a run repeated leaves sessions behind).
  await page.getByRole("link", { name: "My account" }).click();
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByText("Signed out there.")).toBeVisible();
  // Another browser of mine.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signIn(otherPage, user);

  await page.goto("/");
  await page.getByRole("link", { name: "My account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My account" })).toBeVisible();
  const sessions = page.locator("table.sessions tbody tr");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: "this browser" })).toHaveCount(1);

  // A wrong current password is refused with its reason.
  await changePassword(page, "not my password", `${PASSWORD}-new`);
  await expect(page.locator("#password-error")).toHaveText("Your current password is not correct.");

  // The right one: changed, and the other browser is signed out.
  await changePassword(page, PASSWORD, `${PASSWORD}-new`);
  await expect(page.getByText("Password changed. Your other sessions were signed out.")).toBeVisible();
  await expect(sessions).toHaveCount(1);
  await otherPage.goto("/");
  await expect(otherPage).toHaveURL(/\/sign-in/);

  // Signed in elsewhere again, then signed out from here.
  await otherPage.getByLabel("User name").fill(user);
  await otherPage.getByLabel("Password").fill(`${PASSWORD}-new`);
  await otherPage.getByRole("button", { name: "Sign in" }).click();
  await expect(otherPage.getByRole("banner")).toContainText(`${user} Example`);
  await page.reload();
  await expect(sessions).toHaveCount(2);
  await page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await expect(page.getByText("Signed out there.")).toBeVisible();
  await expect(sessions).toHaveCount(1);
  await otherPage.goto("/");
  await expect(otherPage).toHaveURL(/\/sign-in/);
  await other.close();

  // Back to the password the other tests use.
  await changePassword(page, `${PASSWORD}-new`, PASSWORD);
  await expect(page.getByText("Password changed.", { exact: false })).toBeVisible();
});

test("an administrator adds a user, who signs in with the password shown once", async ({ page, browser }, info) => {
  const name = `added-${info.project.name}-${Date.now().toString(36)}`;
  await signIn(page, "admin");
  await page.goto("/admin/users");
  const form = page.getByRole("region", { name: "Add a user" });
  await form.getByLabel("User name").fill(`${name} !`);
  await form.getByLabel("Name", { exact: true }).fill("Added Example");
  await form.getByLabel("E-mail (optional)").fill(`${name}@example.com`);
  await form.getByRole("button", { name: "Add user" }).click();
  // What cannot be taken comes back next to its field, with what was typed.
  await expect(page.locator("#username-message")).toContainText("Use only letters, digits");
  await expect(page.getByLabel("User name")).toHaveValue(`${name} !`);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Added Example");

  await page.getByLabel("User name").fill(name);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Added Example" })).toBeVisible();
  const password = (await page.locator("#revealed-password").textContent())!.trim();
  expect(password.length).toBeGreaterThanOrEqual(10);
  await page.reload();
  await expect(page.locator("#revealed-password")).toHaveCount(0);

  const other = await browser.newContext();
  const theirs = await other.newPage();
  await theirs.goto("/sign-in");
  await theirs.getByLabel("User name").fill(name);
  await theirs.getByLabel("Password").fill(password);
  await theirs.getByRole("button", { name: "Sign in" }).click();
  await expect(theirs.getByRole("banner")).toContainText("Added Example");

  // A reset: a new password, shown once; their session ends with the old one.
  await page.getByRole("button", { name: "Reset password" }).click();
  await expect(page.getByText("Password reset; their sessions ended.")).toBeVisible();
  const second = (await page.locator("#revealed-password").textContent())!.trim();
  expect(second).not.toEqual(password);
  await theirs.goto("/");
  await expect(theirs).toHaveURL(/\/sign-in/);
  await theirs.getByLabel("User name").fill(name);
  await theirs.getByLabel("Password").fill(second);
  await theirs.getByRole("button", { name: "Sign in" }).click();
  await expect(theirs.getByRole("banner")).toContainText("Added Example");

  // Disabled: signed out at once.
  await page.getByRole("button", { name: "Disable user" }).click();
  await expect(page.getByRole("button", { name: "Enable user" })).toBeVisible();
  await theirs.goto("/");
  await expect(theirs).toHaveURL(/\/sign-in/);
  await other.close();
});

test("an administrator e-mails a new user a link, with which they set their password once", async ({ page, browser }, info) => {
  const name = `linked-${info.project.name}-${Date.now().toString(36)}`;
  const address = `${name}@example.com`;
  await signIn(page, "admin");
  await page.goto("/admin/users");
  const form = page.getByRole("region", { name: "Add a user" });
  await form.getByLabel("User name").fill(name);
  await form.getByLabel("Name", { exact: true }).fill("Linked Example");
  await form.getByLabel("E-mail (optional)").fill(address);
  await form.getByLabel("Mobile number (optional)").fill("+44 7700 900123");
  await form.getByLabel(/E-mail them a link/).check();
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Linked Example" })).toBeVisible();
  await expect(page.getByText("A link to set their password is on its way")).toBeVisible();
  await expect(page.locator("#revealed-password")).toHaveCount(0);

  const link = (await mailTo(address)).match(/https?:\/\/[^\s"<>]*\/set-password\/[A-Za-z0-9_-]+/)![0];
  const other = await browser.newContext();
  const theirs = await other.newPage();
  await theirs.goto(link);
  await expect(theirs.locator("#link-username")).toHaveText(name);
  // Two different passwords: said next to the second one.
  await theirs.getByLabel("New password", { exact: true }).fill(`${PASSWORD}-mine`);
  await theirs.getByLabel("New password again").fill(`${PASSWORD}-typo`);
  await theirs.getByRole("button", { name: "Set password" }).click();
  await expect(theirs.locator("#repeat-message")).toContainText("differ");
  await theirs.getByLabel("New password", { exact: true }).fill(`${PASSWORD}-mine`);
  await theirs.getByLabel("New password again").fill(`${PASSWORD}-mine`);
  await theirs.getByRole("button", { name: "Set password" }).click();
  await expect(theirs.getByText("Your password is set: sign in with it.")).toBeVisible();
  await expect(theirs.getByLabel("User name")).toHaveValue(name);
  await theirs.getByLabel("Password").fill(`${PASSWORD}-mine`);
  await theirs.getByRole("button", { name: "Sign in" }).click();
  await expect(theirs.getByRole("banner")).toContainText("Linked Example");
  // The link works once.
  await theirs.goto(link);
  await expect(theirs.getByText("This link has expired or has been used already.")).toBeVisible();
  await other.close();
});
