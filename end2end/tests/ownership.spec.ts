import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "./fixtures";
import { signIn } from "./helpers";

type Device = { id: number; credential: string };
const devices: Record<string, Device> = JSON.parse(process.env.E2E_DEVICES ?? "{}");

/** Runs the device simulator once, keeping what it applied in `state`. */
function checkIn(baseURL: string, device: Device, state: string): string {
  return execFileSync(
    process.env.SSP_DEVICE_BIN ?? "ssp-device",
    ["--url", baseURL, "--once", "--state", state],
    { env: { ...process.env, SSP_DEVICE_CREDENTIAL: device.credential }, encoding: "utf8" },
  );
}

// The samples (`ssp samples`, run by scripts/test) put an expense app, a VPN
// and a guide on company-owned devices and swap the passcode and privacy
// policies for employee-owned ones.
test("make a device employee-owned after reading what changes", async ({ page, baseURL }, info) => {
  const owner = `owner-${info.project.name}`;
  const device = devices[`${owner}/${info.project.name}`];
  if (!device) throw new Error(`no device for ${owner}: run through scripts/test`);
  const state = join(mkdtempSync(join(tmpdir(), "ssp-device-")), "state.json");
  const name = `Phone ${info.project.name}`;

  // The device applies what it has now.
  expect(checkIn(baseURL!, device, state)).toContain("added: app “Expense reports”");
  await signIn(page, owner);
  await page.goto(`/devices/${device.id}`);
  const configuration = page.getByRole("region", { name: "Configuration" });
  await expect(configuration).toContainText("Configuration applied by the device");
  await expect(configuration).toContainText("Company-Owned");

  await configuration.getByRole("link", { name: "Change ownership…" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Change the ownership of “${name}”`);
  await expect(page.getByLabel("Employee-owned")).toBeChecked();
  await page.getByRole("button", { name: "Show what changes" }).click();

  const impact = page.getByRole("region", { name: "What changes when it becomes employee-owned" });
  await expect(impact.locator("ul.lost")).toContainText("App “Expense reports”");
  await expect(impact.locator("ul.replaced")).toContainText(
    "Passcode policy: “Company passcode” is replaced by “Personal passcode”",
  );
  await expect(impact).toContainText("You will no longer be able to: Locate.");
  await expect(impact).toContainText("This happens on the device at its next check-in.");
  await impact.getByRole("button", { name: "Yes, make it employee-owned" }).click();

  await expect(page.getByRole("status")).toHaveText(
    "The device is employee-owned now. It gets its new configuration at its next check-in.",
  );
  await expect(page.locator("#configuration-state")).toContainText("Configuration pending");

  const log = checkIn(baseURL!, device, state);
  expect(log).toContain("employee-owned");
  expect(log).toContain("removed: app “Expense reports”");
  expect(log).toContain("added: passcode-policy “Personal passcode”");

  await page.reload();
  await expect(page.locator("#configuration-state")).toContainText("Configuration applied by the device");
  await expect(page.getByRole("region", { name: "Details" })).toContainText("Employee-owned");
  await expect(page.getByRole("region", { name: "Configuration" })).toContainText("Employee-Owned");
});
