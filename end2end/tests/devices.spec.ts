import { execFileSync } from "node:child_process";
import { expect, test } from "./fixtures";
import { jsEnabled, mailTo, signIn } from "./helpers";

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
  await expect(page.getByRole("region", { name: "History" })).toContainText("Device reported: locked");
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

test("remove a lost device from the portal: it can no longer check in", async ({ page, baseURL }, info) => {
  const owner = `remover-${info.project.name}`;
  const device = deviceOf(owner, info.project.name);
  expect(checkIn(baseURL!, device)).toContain("checked in");
  await signIn(page, owner);
  await page.goto(`/devices/${device.id}`);
  const card = page.getByRole("region", { name: "Remove from the portal" });
  // The box must be ticked: said next to it.
  await card.getByRole("button", { name: "Remove this device" }).click();
  await expect(page.locator("#remove-confirm-message")).toHaveText("Tick the box to confirm.");
  await page.getByLabel("I understand that this device can no longer be managed").check();
  await page.getByRole("button", { name: "Remove this device" }).click();
  await expect(page.getByRole("status")).toContainText("The device is removed from the portal");
  await expect(page.locator(".device-head")).toContainText("Removed");
  await expect(page.getByRole("region", { name: "Remove from the portal" })).toHaveCount(0);
  expect(() => checkIn(baseURL!, device)).toThrow(/401/);
});

test("a wipe waits before it goes out, counted down, and is cancelled meanwhile", async ({ page, baseURL }, info) => {
  const owner = `waiter-${info.project.name}`;
  const device = deviceOf(owner, info.project.name);
  const name = `Phone ${info.project.name}`;
  await signIn(page, owner);
  await page.goto(`/devices/${device.id}`);
  if (jsEnabled(info)) {
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  }
  await page.getByRole("link", { name: "Wipe…" }).click();
  const where = jsEnabled(info) ? page.getByRole("dialog") : page.getByRole("main");
  await where.getByRole("button", { name: `Yes, wipe ${name}` }).click();
  await expect(page.locator("p.notice.ok")).toContainText("Wipe requested. It goes out to the device when the wait below is over");
  // Two minutes by default: said on the page, counted down with JavaScript.
  await expect(page.locator("ul.commands")).toContainText("it goes out to the device at");
  if (jsEnabled(info)) {
    await expect(page.locator(".countdown")).toHaveText(/Goes out to the device in [0-2]:\d\d unless you cancel it\./);
  }
  // The device checks in meanwhile and gets nothing; the owner was told.
  expect(checkIn(baseURL!, device)).not.toContain("wipe");
  const mail = await mailTo(`${owner}@example.com`);
  expect(mail).toContain(`was asked for by ${owner}`);
  expect(mail).toContain(`/devices/${device.id}`);

  await page.getByRole("button", { name: "Cancel wipe" }).click();
  await expect(page.getByRole("status")).toHaveText("Cancelled before the device got it.");
  await expect(page.locator(".countdown")).toHaveText("");
  expect(checkIn(baseURL!, device)).not.toContain("wipe");
  await expect(page.locator(".device-head")).toContainText("Active");
});

test("a device locked as lost is found, then unlocked", async ({ page, baseURL }, info) => {
  const owner = `finder-${info.project.name}`;
  const device = deviceOf(owner, info.project.name);
  await signIn(page, owner);
  await page.goto(`/devices/${device.id}`);
  const lock = page.locator("form#lock");
  await lock.getByText("Lost? Show a message on the lock screen").click();
  await lock.getByLabel("Lock-screen message").fill("Found me? Please call.");
  await lock.getByLabel("Call-back number").fill("+44 20 7946 0958");
  await lock.getByRole("button", { name: "Lock" }).click();
  await expect(page.getByRole("status")).toHaveText("Lock requested. It happens when the device next checks in.");
  expect(checkIn(baseURL!, device)).toContain("lost mode");
  if (!jsEnabled(info)) await page.reload();
  await expect(page.locator(".badge.lock")).toHaveText("Locked (lost)", { timeout: 15_000 });
  await expect(page.locator(".action.unavailable").filter({ hasText: "Unlock" })).toContainText("found");

  await page.locator("form#found").getByRole("button", { name: "Found it" }).click();
  await expect(page.getByRole("status")).toContainText("Found it requested.");
  expect(checkIn(baseURL!, device)).toContain("found: lost mode ended");
  if (!jsEnabled(info)) await page.reload();
  await expect(page.locator(".badge.lock")).toHaveText("Locked", { timeout: 15_000 });

  await page.locator("form#unlock").getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("status")).toContainText("Unlock requested.");
  expect(checkIn(baseURL!, device)).toContain("unlock: passcode cleared");
  if (!jsEnabled(info)) await page.reload();
  await expect(page.locator(".badge.lock")).toHaveCount(0, { timeout: 15_000 });
});

test("reset a PIN: the device makes one, the owner sees it once", async ({ page, baseURL }, info) => {
  const owner = `pinned-${info.project.name}`;
  const device = deviceOf(owner, info.project.name);
  await signIn(page, owner);
  await page.goto(`/devices/${device.id}`);
  await page.locator("form#reset-pin").getByRole("button", { name: "Reset PIN" }).click();
  await expect(page.getByRole("status")).toContainText("Reset PIN requested.");
  const log = checkIn(baseURL!, device);
  const pin = log.match(/new PIN is (\d+)/)![1];
  if (!jsEnabled(info)) await page.reload();
  await expect(page.locator("#new-pin")).toHaveText(pin, { timeout: 15_000 });
  await page.reload();
  await expect(page.locator("#new-pin")).toHaveCount(0);
  await expect(page.getByRole("region", { name: "History" })).toContainText("Device reported: PIN reset");
});
