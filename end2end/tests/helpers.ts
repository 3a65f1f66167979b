import { expect, Page, TestInfo } from "@playwright/test";

// Users created by scripts/test before the browser tests (see there).
export const PASSWORD = process.env.E2E_PASSWORD ?? "";
if (!PASSWORD) {
  throw new Error("E2E_PASSWORD is not set: run the browser tests through scripts/test");
}

export const jsEnabled = (info: TestInfo) => !info.project.name.startsWith("nojs");

/** Signs in through the sign-in page and waits for the name in the header. */
export async function signIn(page: Page, username: string, displayName = `${username} Example`) {
  await page.goto("/sign-in");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("banner")).toContainText(displayName);
}
