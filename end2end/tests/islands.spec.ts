import { expect, test } from "./fixtures";
import { jsEnabled, signIn } from "./helpers";

type Device = { id: number; credential: string };
const devices: Record<string, Device> = JSON.parse(process.env.E2E_DEVICES ?? "{}");

/** The site's scripts and WASM that the page asked for. */
function scriptsOf(requested: string[]): string[] {
  return requested.filter((path) => /\.(js|wasm)$/.test(path));
}

test("a page without islands loads no script; a page with islands hydrates them", async ({ page }, info) => {
  const device = devices[`alice/${info.project.name}`];
  if (!device) throw new Error("no device for alice: run through scripts/test");
  const requested: string[] = [];
  page.on("request", (request) => requested.push(new URL(request.url()).pathname));

  await signIn(page, "alice");
  await page.goto("/");
  await page.waitForLoadState("networkidle");
  expect(scriptsOf(requested)).toEqual([]);

  requested.length = 0;
  await page.goto(`/devices/${device.id}`);
  if (jsEnabled(info)) {
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
    expect(scriptsOf(requested).some((path) => path.endsWith(".wasm"))).toBe(true);
  } else {
    // Not even preloaded: a browser without JavaScript fetches none of it.
    await page.waitForLoadState("networkidle");
    expect(scriptsOf(requested)).toEqual([]);
    await expect(page.locator("main")).toHaveAttribute("data-hydrated", "false");
  }
});

test("when the bundle cannot be loaded, the page works as it does without JavaScript", async ({ page }, info) => {
  test.skip(!jsEnabled(info), "only meaningful with JavaScript");
  const device = devices[`alice/${info.project.name}`];
  if (!device) throw new Error("no device for alice: run through scripts/test");
  await page.route("**/*.wasm", (route) => route.abort());
  await signIn(page, "alice");
  await page.goto(`/devices/${device.id}`);
  await page.waitForLoadState("networkidle");
  await expect(page.locator("main")).toHaveAttribute("data-hydrated", "false");
  await page.getByRole("link", { name: "Wipe…" }).click();
  await expect(page).toHaveURL(new RegExp(`/devices/${device.id}/confirm/wipe$`));
  await expect(
    page.getByRole("main").getByRole("heading", { name: `Wipe “Phone ${info.project.name}”?` }),
  ).toBeVisible();
});
