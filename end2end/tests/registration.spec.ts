import { execFileSync } from "node:child_process";
import { expect, test } from "./fixtures";
import { jsEnabled, signIn } from "./helpers";

/** Enrolls the device simulator with a link and PIN, then checks in once. */
function enroll(url: string, pin: string): string {
  return execFileSync(
    process.env.SSP_DEVICE_BIN ?? "ssp-device",
    ["enroll", "--url", url, "--once"],
    { env: { ...process.env, SSP_DEVICE_PIN: pin }, encoding: "utf8" },
  );
}

test("register a device, see its QR code and PIN, enroll it, see it active", async ({ page }, info) => {
  const user = `registrar-${info.project.name}`;
  await signIn(page, user);
  await page.getByRole("link", { name: "Register a device" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Register a device" })).toBeVisible();
  await expect(page.locator("#slots-left")).toBeVisible();
  await page.getByLabel("Kind of device").selectOption("ios");
  await page.getByLabel("Don't send anything", { exact: false }).check();
  await page.getByRole("button", { name: "Register device" }).click();

  await expect(page.getByRole("heading", { name: "Scan this code with the device" })).toBeVisible();
  await expect(page.locator(".qr svg")).toBeVisible();
  const url = (await page.locator("#enrollment-url").textContent())!.trim();
  const pin = (await page.locator("#registration-pin").textContent())!.trim();
  expect(url).toContain("/enroll/");
  expect(pin).toMatch(/^\d{8}$/);

  const log = enroll(url, pin);
  expect(log).toContain("enrolled as device");
  expect(log).toContain("checked in");

  // The PIN was shown once: a reload no longer has it, and says the device enrolled.
  await page.reload();
  await expect(page.locator("#registration-pin")).toHaveCount(0);
  await expect(page.locator("#enrolled")).toContainText("This device has enrolled.");
  await page.getByRole("link", { name: "Go to the device" }).click();
  await expect(page.locator(".badge.status")).toHaveText("Active");
});

test("at the device limit the page explains instead of showing the form", async ({ page }, info) => {
  await signIn(page, "admin");
  await page.goto("/admin/registration");
  await page.getByLabel("Devices per person").fill("2");
  await page.getByRole("button", { name: "Save registration settings" }).click();
  await expect(page.getByText("Registration settings saved.")).toBeVisible();
  await expect(page.getByLabel("Devices per person")).toHaveValue("2");

  await page.context().clearCookies();
  await signIn(page, `full-${info.project.name}`);
  await page.goto("/devices/register");
  await expect(page.getByRole("heading", { name: "You cannot register another device right now" })).toBeVisible();
  await expect(page.locator("#at-limit")).toContainText("You may have 2 devices registered at a time, and you have 2.");
  await expect(page.locator("#register-form")).toHaveCount(0);
});

test("the registration settings say what is wrong next to the field", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/admin/registration");
  await page.getByLabel("PIN length (digits)").fill("4");
  await page.getByRole("button", { name: "Save registration settings" }).click();
  await expect(page.locator("#pin_length-message")).toHaveText("A PIN has between 6 and 12 digits.");
  await expect(page.getByLabel("PIN length (digits)")).toHaveValue("4");
});

test("the registration form answers next to the field and keeps what was typed", async ({ page }, info) => {
  await signIn(page, `registrar-${info.project.name}`);
  await page.goto("/devices/register");
  const field = page.getByLabel("Phone number of the device", { exact: false });
  await page.getByLabel("Kind of device").selectOption("android");
  await field.fill("020 7946 0958");
  await page.getByLabel("Don't send anything", { exact: false }).check();
  await page.getByRole("button", { name: "Register device" }).click();

  const message = page.locator("#phone-message");
  await expect(message).toHaveText("Start with + and the country code, for example +44 20 7946 0958.");
  await expect(field).toHaveValue("020 7946 0958");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Kind of device")).toHaveValue("android");
  await expect(page).toHaveURL(/\/devices\/register\?platform=android&phone=020\+7946\+0958/);
});

test("with JavaScript, a hint follows each keystroke before any submit", async ({ page }, info) => {
  test.skip(!jsEnabled(info), "the live hint needs the WASM bundle");
  const messages: string[] = [];
  page.on("console", (m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => messages.push(`pageerror: ${e.message}`));
  await signIn(page, `registrar-${info.project.name}`);
  await page.goto("/devices/register");
  // The hint only exists once the page is hydrated; wait for the bundle.
  try {
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  } catch (error) {
    throw new Error(`${error}\nbrowser console:\n${messages.join("\n")}`);
  }
  const field = page.getByLabel("Phone number of the device", { exact: false });
  await field.pressSequentially("+44 20");
  const message = page.locator("#phone-message");
  await expect(message).toHaveText("That is too short for a phone number with its country code.");
  await field.pressSequentially(" 7946 0958");
  await expect(message).toHaveText("+442079460958 can receive text messages.");
  // Nothing was posted: the address is unchanged.
  await expect(page).toHaveURL(/\/devices\/register$/);
  // The Content-Security-Policy let everything the page needs run.
  expect(messages.filter((m) => m.startsWith("error") || m.startsWith("pageerror"))).toEqual([]);
});

test("without JavaScript, typing gives no hint until the form is sent", async ({ page }, info) => {
  test.skip(jsEnabled(info), "only meaningful without JavaScript");
  await signIn(page, `registrar-${info.project.name}`);
  await page.goto("/devices/register");
  await page.getByLabel("Phone number of the device", { exact: false }).pressSequentially("+44 20");
  await expect(page.locator("#phone-message")).toHaveText("");
});
