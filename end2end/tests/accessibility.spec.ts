import { Locator, Page } from "@playwright/test";
import { checkByHand, expect, test, violations } from "./fixtures";
import { jsEnabled, PASSWORD, signIn } from "./helpers";

// Every kind of page, checked with axe-core (WCAG 2.1 A and AA) in each
// project, whatever the other tests happen to reach; and the main flows done
// with the keyboard alone.

const DEVICES: Record<string, { id: number }> = JSON.parse(process.env.E2E_DEVICES ?? "{}");

async function expectAccessible(page: Page, path: string) {
  await page.goto(path);
  expect(await violations(page), `${path}: accessibility violations`).toEqual([]);
}

test("every page a person sees passes the accessibility check", async ({ page }, info) => {
  test.setTimeout(120_000);
  checkByHand(page);
  await expectAccessible(page, "/sign-in");
  await expectAccessible(page, "/sign-in?error=invalid&username=nobody");
  await expectAccessible(page, "/no-such-page");
  await signIn(page, "alice");
  const device = DEVICES[`alice/${info.project.name}`]?.id;
  for (const path of ["/", "/certificates", "/account", "/no-such-page"]) {
    await expectAccessible(page, path);
  }
  if (device) {
    for (const path of [`/devices/${device}`, `/devices/${device}/confirm/wipe`, `/devices/${device}/ownership`]) {
      await expectAccessible(page, path);
    }
  }
});

test("every administrator's page passes the accessibility check", async ({ page }) => {
  test.setTimeout(120_000);
  checkByHand(page);
  await signIn(page, "admin");
  for (const path of [
    "/admin/users",
    "/admin/users/alice",
    "/admin/audit",
    "/admin/settings",
    "/admin/sign-in",
    "/admin/registration",
    "/admin/ldap",
    "/admin/certificates",
    "/admin/policies",
    "/admin/policies/new",
    "/admin/labels/new",
  ]) {
    await expectAccessible(page, path);
  }
});

/** Presses Tab until `target` has the focus (at most `max` times). */
async function tabTo(page: Page, target: Locator, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`${target} cannot be reached with Tab`);
}

test("signing in and out with the keyboard alone", async ({ page }) => {
  await page.goto("/sign-in");
  await tabTo(page, page.getByLabel("User name"));
  await page.keyboard.type("alice");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("banner")).toContainText("alice Example");
  await tabTo(page, page.getByRole("button", { name: "Sign out" }));
  await page.keyboard.press("Enter");
  await expect(page.getByLabel("User name")).toBeVisible();
});

test("finding a device and asking where it is, with the keyboard alone", async ({ page }, info) => {
  await signIn(page, "owner-" + info.project.name);
  const name = `Phone ${info.project.name}`;
  await tabTo(page, page.getByRole("link", { name, exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await tabTo(page, page.locator("form#locate").getByRole("button", { name: "Locate" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toContainText("Locate requested.");
});

test("a wipe's confirmation is reached and left with the keyboard alone", async ({ page }, info) => {
  const device = DEVICES[`alice/${info.project.name}`]?.id;
  test.skip(!device, "alice's device of this project");
  await signIn(page, "alice");
  await page.goto(`/devices/${device}`);
  if (jsEnabled(info)) {
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
  }
  await tabTo(page, page.getByRole("link", { name: "Wipe…" }));
  await page.keyboard.press("Enter");
  const yes = page.getByRole("button", { name: `Yes, wipe Phone ${info.project.name}` });
  await expect(yes).toBeVisible();
  if (jsEnabled(info)) {
    // The dialog holds the focus; Escape closes it and nothing is asked.
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
  } else {
    await tabTo(page, page.getByRole("link", { name: "Cancel" }));
    await page.keyboard.press("Enter");
  }
  await expect(page.getByRole("heading", { level: 1, name: `Phone ${info.project.name}` })).toBeVisible();
  await expect(page.getByRole("status")).toHaveCount(0);
});
