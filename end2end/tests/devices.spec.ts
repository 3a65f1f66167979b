import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { jsEnabled, signIn } from "./helpers";

type Device = { id: number; credential: string };
const devices: Record<string, Device> = JSON.parse(process.env.E2E_DEVICES ?? "{}");
const deviceOf = (owner: string, project: string): Device => {
  const device = devices[`${owner}/${project}`];
  if (!device) throw new Error(`no device for ${owner}/${project}: run through scripts/test`);
  return device;
};

/** Runs the device simulator once, as the device would check in. */
function checkIn(baseURL: string, device: Device): string {
  return execFileSync(process.env.SSP_DEVICE_BIN ?? "ssp-device", ["--url", baseURL, "--once"], {
    env: { ...process.env, SSP_DEVICE_CREDENTIAL: device.credential },
    encoding: "utf8",
  });
}

test("the device list shows the user's devices", async ({ page }, info) => {
  await signIn(page, "alice");
  const name = `Phone ${info.project.name}`;
  const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(card).toContainText("Active");
  await expect(card).toContainText("iOS");
  await card.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Phone ${info.project.name}` })).toBeVisible();
});

test("lock a device, the device checks in, the page shows it locked", async ({ page, baseURL }, info) => {
  const device = deviceOf("alice", info.project.name);
  await signIn(page, "alice");
  await page.goto(`/devices/${device.id}`);
  await page.locator("form#lock").getByRole("button", { name: "Lock" }).click();
  await expect(page.getByRole("status")).toHaveText("Lock requested. It happens when the device next checks in.");
  await expect(page.locator(".commands").first()).toContainText("waiting for the device to check in");

  const log = checkIn(baseURL!, device);
  expect(log).toContain("lock: screen locked");

  if (!jsEnabled(info)) await page.reload();
  // With JavaScript the page follows the command by itself.
  await expect(page.locator(".badge.lock")).toHaveText("Locked", { timeout: 15_000 });
  await expect(page.getByRole("region", { name: "History" })).toContainText("device.lock.result");
});

test("wipe asks for confirmation and names the device", async ({ page }, info) => {
  const device = deviceOf("alice", info.project.name);
  await signIn(page, "alice");
  await page.goto(`/devices/${device.id}`);
  if (jsEnabled(info)) {
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  }
  await page.getByRole("link", { name: "Wipe…" }).click();
  // Without JavaScript a confirmation page, with it a dialog: the same words.
  const where = jsEnabled(info) ? page.getByRole("dialog") : page.getByRole("main");
  await expect(where.getByRole("heading", { name: `Wipe “Phone ${info.project.name}”?` })).toBeVisible();
  await expect(where.getByText("It cannot be undone.", { exact: false })).toBeVisible();
  await expect(where.getByRole("button", { name: `Yes, wipe Phone ${info.project.name}` })).toBeVisible();
  if (jsEnabled(info)) {
    await where.getByRole("button", { name: "Cancel" }).click();
    await expect(page.getByRole("dialog")).toHaveCount(0);
  } else {
    await where.getByRole("link", { name: "Cancel" }).click();
  }
  await expect(page).toHaveURL(new RegExp(`/devices/${device.id}$`));
});

test("a user without the Wipe role is not offered Wipe", async ({ page }, info) => {
  const device = deviceOf(`grantee-${info.project.name}`, info.project.name);
  await signIn(page, `grantee-${info.project.name}`);
  await page.goto(`/devices/${device.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Phone ${info.project.name}`);
  await expect(page.getByRole("link", { name: "Wipe…" })).toHaveCount(0);
  await page.goto(`/devices/${device.id}/confirm/wipe`);
  await expect(page.getByRole("alert")).toHaveText("You do not have the role to wipe devices.");
  await expect(page.getByRole("button", { name: /Yes, wipe/ })).toHaveCount(0);
});
