import { expect, test } from "./fixtures";
import { signIn } from "./helpers";

// What a phone shows: no page scrolls sideways, and a table too wide for
// the screen scrolls inside its own box, which the keyboard can reach.

const LDAP_URL = process.env.SSP_TEST_LDAP_URL ?? "";

/** Fails when the page is wider than the screen. */
async function fitsTheScreen(page: import("@playwright/test").Page, path: string) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth, `${path} scrolls sideways`).toBeLessThanOrEqual(innerWidth);
}

test("admin pages fit a phone; their tables scroll in a box the keyboard reaches", async ({ page }, info) => {
  test.skip(info.project.name !== "js-phone", "a phone's screen");
  await signIn(page, "admin");
  // A listed LDAP server makes the widest table.
  await page.goto("/admin/ldap");
  if ((await page.locator("table").count()) === 0) {
    await page.getByRole("link", { name: "Add an LDAP server" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Layout directory");
    await page.getByLabel("Address", { exact: true }).fill(LDAP_URL || "ldap://127.0.0.1:389");
    await page.getByLabel("Bind DN").fill("cn=portal,ou=services,dc=example,dc=org");
    await page.getByLabel("Password", { exact: true }).fill("service-secret");
    await page.getByLabel("User search base").fill("ou=people,dc=example,dc=org");
    await page.getByLabel("Group search base").fill("ou=groups,dc=example,dc=org");
    await page.getByRole("button", { name: "Save LDAP server" }).click();
    await expect(page.getByText("LDAP server saved.")).toBeVisible();
    await page.goto("/admin/ldap");
  }
  const server = await page.locator("table a[href^='/admin/ldap/']").first().getAttribute("href");
  for (const path of [
    "/admin/ldap",
    server!,
    "/admin/users",
    "/admin/users/admin",
    "/admin/audit",
    "/admin/policies",
    "/admin/registration",
    "/admin/certificates",
    "/admin/settings",
    "/account",
  ]) {
    await page.goto(path);
    await fitsTheScreen(page, path);
    const boxes = page.locator(".table-wrap");
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      await expect(box, `${path}: a table's box is focusable`).toHaveAttribute("tabindex", "0");
      await expect(box, `${path}: and named`).toHaveAttribute("aria-label", /.+/);
    }
  }
});

test("on a phone the audit log shows each event as a card of labelled lines", async ({ page }, info) => {
  test.skip(info.project.name !== "js-phone", "a phone's screen");
  await signIn(page, "admin");
  await page.goto("/admin/audit");
  const rows = page.locator("table.audit tbody tr");
  await expect(rows.first()).toBeVisible();
  const screen = await page.evaluate(() => window.innerHeight);
  const heights: number[] = [];
  for (let i = 0; i < Math.min(20, await rows.count()); i++) {
    heights.push(Math.round((await rows.nth(i).boundingBox())!.height));
  }
  // (Half of them, at least: an event with long details stays longer.)
  const median = [...heights].sort((a, b) => a - b)[Math.floor(heights.length / 2)];
  expect(median, `events far less than a screen (${screen}) high: ${heights}`).toBeLessThan(screen / 3);
  await expect(rows.first().locator("td").first()).toHaveAttribute("data-label", "Time (UTC)");
});

test("registering a device fits a phone", async ({ page }, info) => {
  test.skip(info.project.name !== "js-phone", "a phone's screen");
  await signIn(page, `registrar-${info.project.name}`);
  await page.goto("/devices/register");
  await fitsTheScreen(page, "/devices/register");
  // Each invitation option's words wrap as lines beside its button, not
  // as squeezed columns ("E-" above "mail"): its first word is on one line.
  const labels = page.locator("label.choice");
  expect(await labels.count()).toBeGreaterThan(1);
  for (let i = 0; i < (await labels.count()); i++) {
    const lines = await labels.nth(i).evaluate((label) => {
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
      let text = walker.nextNode();
      while (text && !text.textContent!.trim()) text = walker.nextNode();
      const words = text!.textContent!;
      const first = words.trimStart().split(/\s/)[0];
      const start = words.indexOf(first);
      const range = document.createRange();
      range.setStart(text!, start);
      range.setEnd(text!, start + first.length);
      return range.getClientRects().length;
    });
    expect(lines, `${await labels.nth(i).textContent()}: its first word on one line`).toBe(1);
  }
});
