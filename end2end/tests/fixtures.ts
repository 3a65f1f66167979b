import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, Page, TestInfo } from "@playwright/test";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";

export { expect };

// Every page a browser test reaches is checked with axe-core against WCAG
// 2.1 A and AA as it loads, in every project (with and without JavaScript,
// desktop and phone): a test fails on any violation it came across. Pages
// of one kind (the same path with its numbers and query values left out)
// are checked once per project and run, whichever test reaches them first.

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Where the page kinds already checked in this run are noted (one file each). */
const SEEN = process.env.E2E_AXE_DIR ?? join(process.env.TMPDIR ?? "/tmp", "ssp-axe");
mkdirSync(SEEN, { recursive: true });

/** The page's kind: its path with numbers as N, and its query's keys. */
export function pageKind(url: string): string {
  const address = new URL(url);
  const path = address.pathname.replace(/\d+/g, "N");
  const keys = [...address.searchParams.keys()].sort().join("&");
  return keys ? `${path}?${keys}` : path;
}

function claimFile(project: string, kind: string): string {
  return join(SEEN, createHash("sha256").update(`${project} ${kind}`).digest("hex").slice(0, 32));
}

/** True the first time `kind` is claimed in `project` in this run. */
function firstVisit(project: string, kind: string): boolean {
  try {
    closeSync(openSync(claimFile(project, kind), "wx"));
    return true;
  } catch {
    return false;
  }
}

/** One check at a time on a page: axe cannot run twice at once. */
const turns = new WeakMap<Page, Promise<unknown>>();
function inTurn<T>(page: Page, work: () => Promise<T>): Promise<T> {
  const next = (turns.get(page) ?? Promise.resolve()).then(work, work);
  turns.set(
    page,
    next.catch(() => undefined),
  );
  return next;
}

async function analyze(page: Page, kind: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return result.violations.map(
    (v) =>
      `${kind}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(" "))
        .join(", ")}`,
  );
}

/** A page shown without JavaScript cannot run axe: its HTML (scripts left
 * out) is shown again, with the same stylesheet and screen, in a page that
 * can. */
async function analyzeWithoutScripts(page: Page, kind: string): Promise<string[]> {
  const url = page.url();
  // What the server sends is what such a browser shows (nothing changes it).
  const answer = await page.context().request.get(url, { maxRedirects: 0 });
  const html = (await answer.text()).replace(/<script\b[\s\S]*?<\/script>/gi, "");
  const browser = page.context().browser();
  if (!browser) throw new Error("no browser to check the page in");
  // Test contexts take the project's options: this one must run scripts.
  const context = await browser.newContext({
    javaScriptEnabled: true,
    viewport: page.viewportSize() ?? undefined,
  });
  try {
    const copy = await context.newPage();
    await copy.route("**/*", (route) => {
      const request = route.request();
      if (request.resourceType() === "document") {
        return route.fulfill({ body: html, contentType: "text/html; charset=utf-8" });
      }
      if (request.resourceType() === "script" || request.url().endsWith(".wasm")) return route.abort();
      return route.continue();
    });
    await copy.goto(url);
    return await analyze(copy, kind);
  } finally {
    await context.close();
  }
}

/** The violations on the page as it is now, one line each. */
export function violations(page: Page): Promise<string[]> {
  const withoutScripts = test.info().project.use.javaScriptEnabled === false;
  return inTurn(page, () => {
    const kind = pageKind(page.url());
    return withoutScripts ? analyzeWithoutScripts(page, kind) : analyze(page, kind);
  });
}

/** Pages whose test checks each page itself. */
const byHand = new WeakSet<Page>();

/** The test checks this page's pages itself (with `violations`). */
export function checkByHand(page: Page) {
  byHand.add(page);
}

async function checkEachPage(page: Page, info: TestInfo, use: () => Promise<void>) {
  const found: string[] = [];
  const checks: Promise<void>[] = [];
  const project = info.project.name;
  page.on("load", () => {
    const url = page.url();
    if (!url.startsWith("http") || byHand.has(page)) return;
    const kind = pageKind(url);
    if (!firstVisit(project, kind)) return;
    const release = () => rmSync(claimFile(project, kind), { force: true });
    checks.push(
      violations(page).then(
        (lines) => {
          // Another page by now: checked when it is reached again.
          if (pageKind(page.url()) !== kind) return release();
          found.push(...lines);
          // Checked again when a retry of the test reaches it.
          if (lines.length > 0) release();
        },
        // The test went on to another page before the check ended.
        release,
      ),
    );
  });
  await use();
  await Promise.all(checks);
  expect(found, "accessibility violations (WCAG 2.1 A and AA, axe-core)").toEqual([]);
}

export const test = base.extend<{ accessible: void }>({
  accessible: [
    async ({ page }, use, info) => {
      await checkEachPage(page, info, use);
    },
    // Time for the checks still running when the test ends.
    { auto: true, timeout: 60_000 },
  ],
});
