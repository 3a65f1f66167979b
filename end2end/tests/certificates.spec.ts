import { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import * as path from "path";
import { signIn } from "./helpers";

// Made by scripts/test-certificates (scripts/test passes the folder).
const FILES = process.env.E2E_CERTIFICATES ?? "";
const file = (name: string) => path.join(FILES, name);

/** As the administrator: Admin → Certificates → add a setting. */
async function addSetting(page: Page, name: string) {
  await signIn(page, "admin");
  await page.goto("/admin/certificates");
  await page.getByRole("link", { name: "Add a certificate setting" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Add a certificate setting" })).toBeVisible();
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Purpose").selectOption("signing");
  await expect(page.getByLabel("A private key is required", { exact: false })).toBeChecked();
  await expect(page.getByLabel("Allow upload from phones", { exact: false })).not.toBeChecked();
  await page.getByRole("button", { name: "Save certificate setting" }).click();
  await expect(page.getByText("Certificate setting saved.")).toBeVisible();
  await page.goto("/admin/certificates");
  await expect(page.getByRole("link", { name })).toBeVisible();
  await page.context().clearCookies();
}

async function upload(page: Page, setting: string, name: string, password: string) {
  await page.getByLabel("For").selectOption({ label: setting });
  await page.getByLabel("Certificate file").setInputFiles(file(name));
  await page.getByLabel("File password").fill(password);
  await page.getByRole("button", { name: "Upload", exact: true }).click();
}

test("a person uploads a file with two keys, picks one, replaces and deletes it", async ({ page }, info) => {
  test.skip(info.project.name === "js-phone", "phones are refused by a desktop-only setting (next test)");
  test.setTimeout(90_000);
  expect(FILES, "E2E_CERTIFICATES is set by scripts/test").not.toBe("");
  const project = info.project.name;
  const setting = `S/MIME ${project}`;
  await addSetting(page, setting);

  await signIn(page, `registrar-${project}`);
  await page.getByRole("link", { name: "My certificates" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My certificates" })).toBeVisible();

  // A wrong password is named next to its field.
  await upload(page, `${setting} (with private key)`, "openssl3-default.p12", "not the password");
  await expect(page.locator("#password-message")).toHaveText(
    "The password does not open this file. Check it and try again.",
  );
  await expect(page.getByLabel("File password")).toHaveAttribute("aria-invalid", "true");

  // Two keys in the file: pick the encryption one.
  await upload(page, `${setting} (with private key)`, "keytool-two-keys.p12", "two-keys-pass");
  await expect(page.getByRole("heading", { name: "Which key should be used?" })).toBeVisible();
  await page.getByRole("button", { name: "Use this key" }).click();
  await expect(page.locator("#key-message")).toHaveText("Choose which key to use.");
  await page.getByLabel("encryption", { exact: false }).check();
  await page.getByRole("button", { name: "Use this key" }).click();
  await expect(page.getByText("Certificate uploaded.")).toBeVisible();
  const card = page.locator("li.certificate", { hasText: setting });
  await expect(card).toHaveCount(1);
  await expect(card).toContainText("CN=Alice Encryption");
  await expect(card).toContainText("ECDSA P-256 with private key");
  await expect(card).toContainText("encryption");

  // Replace it with another file.
  await card.getByRole("link", { name: `Replace ${setting} certificate` }).click();
  await expect(page.locator("#setting option:checked")).toContainText("replaces your current one");
  await page.getByLabel("Certificate file").setInputFiles(file("openssl3-default.p12"));
  await page.getByLabel("File password").fill("Pässwörd-1");
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  await expect(page.getByText("Certificate replaced.")).toBeVisible();
  await expect(card).toHaveCount(1);
  await expect(card).toContainText("CN=Alice Example");
  await expect(card).toContainText("2 issuer certificate(s)");
  await expect(card).toContainText("RSA 2048 with private key");

  // Delete it, after confirming.
  await card.getByText(`Delete ${setting} certificate…`).click();
  await card.getByRole("button", { name: `Delete ${setting} certificate`, exact: true }).click();
  await expect(page.getByText("Certificate deleted.")).toBeVisible();
  await expect(page.locator("li.certificate", { hasText: setting })).toHaveCount(0);
});

test("on a phone, a desktop-only setting says to use a computer", async ({ page }, info) => {
  test.skip(info.project.name !== "js-phone", "a phone's browser only");
  const setting = `Desktop only ${info.project.name}`;
  await addSetting(page, setting);
  await signIn(page, `registrar-${info.project.name}`);
  await page.goto("/certificates");
  await expect(page.locator("#upload-unavailable")).toContainText("can only be uploaded from a computer's browser");
  await expect(page.getByRole("button", { name: "Upload", exact: true })).toBeDisabled();
});
