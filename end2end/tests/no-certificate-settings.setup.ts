import { expect, test } from "./fixtures";
import { signIn } from "./helpers";

// Runs before every browser project (playwright.config.ts), while the
// portal has no certificate setting yet: upload is disabled and the page
// says why, with and without JavaScript.
for (const javaScriptEnabled of [true, false]) {
  test(`with no certificate setting, upload is disabled and explained (JavaScript ${javaScriptEnabled ? "on" : "off"})`, async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await signIn(page, "alice");
    await page.goto("/certificates");
    await expect(page.getByRole("heading", { level: 1, name: "My certificates" })).toBeVisible();
    await expect(page.locator("#upload-unavailable")).toContainText(
      "your administrator has not set up any kind of certificate to upload",
    );
    await expect(page.getByRole("button", { name: "Upload", exact: true })).toBeDisabled();
    await expect(page.getByText("You have not uploaded any certificate yet.")).toBeVisible();
    await context.close();
  });
}
