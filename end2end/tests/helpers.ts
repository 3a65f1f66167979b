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

/** The newest message the test mail server got for `address`, waiting up to
 * ten seconds; long lines joined again (quoted-printable). */
export async function mailTo(address: string): Promise<string> {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const dir = process.env.E2E_MAIL_DIR;
  if (!dir) throw new Error("E2E_MAIL_DIR is not set: run the browser tests through scripts/test");
  for (let i = 0; i < 100; i++) {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".eml")).sort().reverse() : [];
    for (const name of names) {
      const text = fs.readFileSync(path.join(dir, name), "utf8").replace(/=\r?\n/g, "");
      if (text.includes(`To: ${address}`) || text.includes(`<${address}>`)) return text;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no mail for ${address}`);
}
