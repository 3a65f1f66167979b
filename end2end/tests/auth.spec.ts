import { expect, test } from "./fixtures";
import { PASSWORD, signIn } from "./helpers";

test("sign in, see the name in the header, sign out", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in\?next=%2F$/);
  await page.getByLabel("User name").fill("alice");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("banner")).toContainText("alice Example");
  await expect(page.getByRole("heading", { level: 1, name: "My devices" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in\?signed_out=1$/);
  await expect(page.getByRole("status")).toHaveText("You have signed out.");
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a wrong password says so next to the form and keeps the user name", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("User name").fill("alice");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("The user name or password is not correct.");
  await expect(page.getByLabel("User name")).toHaveValue("alice");
  await expect(page.getByLabel("Password")).toHaveValue("");
});

test("after sign-in the user lands on the page they asked for", async ({ page }) => {
  await page.goto("/admin/settings");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin%2Fsettings$/);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
});

test("an administrator grants a role and the user sees it take effect", async ({ browser }, info) => {
  const grantee = `grantee-${info.project.name}`;
  const user = await browser.newContext();
  const userPage = await user.newPage();
  await signIn(userPage, grantee);
  const roles = userPage.getByRole("region", { name: "What you can do" });
  await expect(roles).not.toContainText("Locate");
  await expect(userPage.getByRole("link", { name: "Admin" })).toHaveCount(0);

  const admin = await browser.newContext();
  const adminPage = await admin.newPage();
  await signIn(adminPage, "admin");
  await adminPage.getByRole("link", { name: "Admin" }).click();
  await adminPage.getByLabel("Find users").fill(grantee);
  await adminPage.getByRole("button", { name: "Search" }).click();
  await adminPage.getByRole("link", { name: grantee, exact: true }).click();
  await adminPage.getByRole("checkbox", { name: "Locate" }).check();
  await adminPage.getByRole("button", { name: "Save roles" }).click();
  await expect(adminPage.getByRole("status")).toHaveText("Roles saved.");
  await expect(adminPage.getByRole("checkbox", { name: "Locate" })).toBeChecked();

  await userPage.reload();
  await expect(roles).toContainText("Locate");

  // The change is in the audit log.
  await adminPage.goto(`/admin/audit?action=user.roles&target=${grantee}`);
  await expect(adminPage.getByRole("table")).toContainText("user.roles");
  await expect(adminPage.getByRole("table")).toContainText("locate");
  await user.close();
  await admin.close();
});

test("a user without the Administrator role gets 403 from the admin area", async ({ page }) => {
  await signIn(page, "alice");
  const response = await page.goto("/admin/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("alert")).toContainText("Administrator");
});
