import { expect, test } from "./fixtures";
import { signIn } from "./helpers";

// The test directory that scripts/test starts (scripts/ldap-fixture.ldif):
// each browser project has its own directory user in its own OU, and a
// group with only that user in it.
const LDAP_URL = process.env.SSP_TEST_LDAP_URL ?? "";
const DIRECTORY_PASSWORD = "Dïrectory-pass-1";

test("an administrator adds a directory; its user signs in and registers up to the group's limit", async ({ page }, info) => {
  // Three pages of forms, a connection test and three registrations.
  test.setTimeout(120_000);
  expect(LDAP_URL, "SSP_TEST_LDAP_URL is set by scripts/test").not.toBe("");
  const project = info.project.name;
  const serverName = `Directory ${project}`;
  const group = `pilot-${project}`;

  // Admin → LDAP: add the server.
  await signIn(page, "admin");
  await page.goto("/admin/ldap");
  await page.getByRole("link", { name: "Add an LDAP server" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Add an LDAP server" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(serverName);
  await page.getByLabel("Address", { exact: true }).fill(LDAP_URL);
  await page.getByLabel("Bind DN").fill("cn=portal,ou=services,dc=example,dc=org");
  await page.getByLabel("User search base").fill(`ou=${project},ou=e2e,ou=people,dc=example,dc=org`);
  await page.getByLabel("Group search base").fill("ou=groups,dc=example,dc=org");
  // A mistake first: it comes back next to its field, with what was typed.
  await page.getByLabel("Timeout (seconds)").fill("0");
  await page.getByRole("button", { name: "Save LDAP server" }).click();
  await expect(page.locator("#timeout_seconds-message")).toHaveText("From 1 to 60 seconds.");
  await expect(page.locator("#bind_password-message")).toHaveText("Enter the password of that account.");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(serverName);
  await page.getByLabel("Timeout (seconds)").fill("5");
  await page.getByLabel("Password", { exact: true }).fill("service-secret");
  await page.getByRole("button", { name: "Save LDAP server" }).click();
  await expect(page.getByText("LDAP server saved.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: serverName })).toBeVisible();

  // Test connection: it finds the user and their group.
  await page.getByLabel("User name to look up (optional)").fill(`ldap-${project}`);
  await page.getByRole("button", { name: "Test connection" }).click();
  const steps = page.locator(".test-steps");
  await expect(steps).toContainText(`Found uid=ldap-${project},ou=${project},ou=e2e,ou=people,dc=example,dc=org.`);
  await expect(steps).toContainText(`Groups: ${group}.`);
  await expect(steps.locator("li.failed")).toHaveCount(0);

  // Its members may use the portal and register devices.
  await page.locator("#grant-group").selectOption({ label: group });
  await page.locator("#new-role-portal-access").check();
  await page.locator("#new-role-device-registration").check();
  await page.getByRole("button", { name: "Give these roles" }).click();
  await expect(page.getByText("Group roles saved.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 3, name: group })).toBeVisible();

  // Admin → Registration: the group may have 3 devices per member.
  await page.goto("/admin/registration");
  await page.locator("#limit-group").selectOption({ label: `${serverName}: ${group}` });
  await page.getByLabel("Devices per member").fill("3");
  await page.getByRole("button", { name: "Add group limit" }).click();
  await expect(page.getByText("Group limits saved.")).toBeVisible();
  await expect(page.locator("table.group-limits")).toContainText(group);

  // The directory user signs in with the directory password.
  await page.context().clearCookies();
  await page.goto("/sign-in");
  await page.getByLabel("User name").fill(`ldap-${project}`);
  await page.getByLabel("Password").fill(DIRECTORY_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("banner")).toContainText(`Directory ${project}`);

  for (let n = 1; n <= 3; n++) {
    await page.goto("/devices/register");
    await expect(page.locator("#slots-left")).toContainText(`${4 - n}`);
    await page.getByLabel("Kind of device").selectOption("android");
    await page.getByLabel("Don't send anything", { exact: false }).check();
    await page.getByRole("button", { name: "Register device" }).click();
    await expect(page.getByRole("heading", { name: "Scan this code with the device" })).toBeVisible();
  }
  await page.goto("/devices/register");
  await expect(page.getByRole("heading", { name: "You cannot register another device right now" })).toBeVisible();
  await expect(page.locator("#at-limit")).toContainText("You may have 3 devices registered at a time, and you have 3.");
});

test("a wrong directory password is refused like any other", async ({ page }, info) => {
  await page.goto("/sign-in");
  await page.getByLabel("User name").fill(`ldap-${info.project.name}`);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#sign-in-error")).toHaveText("The user name or password is not correct.");
  await expect(page.getByLabel("User name")).toHaveValue(`ldap-${info.project.name}`);
});
