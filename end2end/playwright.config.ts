import { defineConfig, devices } from "@playwright/test";

// The portal under test is started by the test script (scripts/test), which
// passes its address in BASE_URL; no port is fixed here.
const baseURL = process.env.BASE_URL;
if (!baseURL) {
  throw new Error("BASE_URL is not set: run the browser tests through scripts/test");
}

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // On CI a test that fails once runs once more: one that then passes is
  // reported as flaky (scripts/test prints which), one that fails again fails.
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  reporter: [["list"]],
  use: {
    baseURL,
    launchOptions: chromium,
    trace: "retain-on-failure",
  },
  projects: [
    // What must be seen before anything is set up (e.g. no certificate setting).
    {
      name: "before-setup",
      testMatch: /.*\.setup\.ts/,
      use: { ...devices["Desktop Chrome"], launchOptions: chromium },
    },
    {
      name: "js",
      dependencies: ["before-setup"],
      use: { ...devices["Desktop Chrome"], launchOptions: chromium },
    },
    {
      name: "nojs",
      dependencies: ["before-setup"],
      use: { ...devices["Desktop Chrome"], launchOptions: chromium, javaScriptEnabled: false },
    },
    {
      name: "js-phone",
      dependencies: ["before-setup"],
      use: { ...devices["Pixel 7"], launchOptions: chromium },
    },
  ],
});
