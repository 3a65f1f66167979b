import { expect, test } from "./fixtures";
import { signIn } from "./helpers";

// Assigned to Windows 10 Mobile only: no device of the other tests has that
// platform, so what they see does not change.
test("an administrator adds an app for a label, fixing a mistake on the way", async ({ page }, info) => {
  const name = `Field service ${info.project.name}`;
  await signIn(page, "admin");
  await page.goto("/admin/policies");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Policies & apps");
  await page.getByRole("link", { name: "Add a policy, configuration, app or book" }).click();

  await page.getByLabel("What it is").selectOption("app");
  await page.getByLabel("Details").fill("com.example.field");
  await page.getByLabel("Windows 10 Mobile").check();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  // The reason next to the field, and nothing typed is lost.
  await expect(page.locator("#name-message")).toHaveText("Enter a name.");
  await expect(page.getByLabel("Details")).toHaveValue("com.example.field");
  await expect(page.getByLabel("Windows 10 Mobile")).toBeChecked();

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Saved. Devices get the change at their next check-in.");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(name);

  await page.goto("/admin/policies");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row).toContainText("Windows 10 Mobile");
  await expect(row).toContainText("com.example.field");

  await row.getByRole("link", { name, exact: true }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(page.getByRole("status")).toHaveText("Deleted. Devices lose it at their next check-in.");
  await expect(page.getByRole("link", { name, exact: true })).toHaveCount(0);
});
