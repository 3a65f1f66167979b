import { join } from "node:path";
import { Browser, BrowserContextOptions, TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures";

// scripts/test starts a second portal over its own HTTPS with certificate
// sign-in allowed next to passwords, makes a demo CA with a smart-card
// style certificate (UPN card-PROJECT@example.com) per browser project,
// and a user with that e-mail address and one device.
const tlsURL = process.env.E2E_TLS_URL ?? "";
const pki = process.env.E2E_PKI ?? "";

/** A context on the HTTPS portal with the project's screen and JavaScript
 * setting, presenting `certificates`. */
function context(browser: Browser, info: TestInfo, certificates: BrowserContextOptions["clientCertificates"]) {
  const { viewport, userAgent, isMobile, hasTouch, deviceScaleFactor, javaScriptEnabled } = info.project.use;
  return browser.newContext({
    viewport,
    userAgent,
    isMobile,
    hasTouch,
    deviceScaleFactor,
    javaScriptEnabled,
    baseURL: tlsURL,
    // The demo CA is not one the browser knows.
    ignoreHTTPSErrors: true,
    clientCertificates: certificates,
  });
}

test.describe("smart card sign-in", () => {
  test.skip(!tlsURL || !pki, "run through scripts/test (E2E_TLS_URL, E2E_PKI)");

  test("a user signs in with their certificate and sees their devices", async ({ browser }, info) => {
    const user = `card-${info.project.name}`;
    const cards = await context(browser, info, [
      { origin: tlsURL, certPath: join(pki, `${user}.pem`), keyPath: join(pki, `${user}.key`) },
    ]);
    const page = await cards.newPage();
    await page.goto("/sign-in");
    await expect(page.locator("#certificate-presented")).toContainText(`CN=${user}`);
    // Both methods are allowed: the password form is there too.
    await expect(page.getByLabel("Password")).toBeVisible();
    await page.getByRole("button", { name: "Sign in with your certificate" }).click();
    await expect(page.getByRole("banner")).toContainText(`${user} Example`);
    await expect(page.getByRole("heading", { name: "My devices" })).toBeVisible();
    await expect(page.getByText(`Card phone ${info.project.name}`)).toBeVisible();
    await cards.close();
  });

  test("without a certificate the page explains how to sign in", async ({ browser }, info) => {
    const none = await context(browser, info, []);
    const page = await none.newPage();
    await page.goto("/sign-in");
    await expect(page.getByText("Your browser did not present a certificate.")).toBeVisible();
    await page.getByRole("button", { name: "Sign in with your certificate" }).click();
    await expect(page.getByRole("alert")).toContainText("Your browser did not present a certificate.");
    await expect(page).toHaveURL(/\/sign-in\?error=no-certificate/);
    await none.close();
  });
});
