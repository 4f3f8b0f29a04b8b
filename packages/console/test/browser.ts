/**
 * Chromium for the browser tests: Debian's `chromium` driven by playwright-core (whose own
 * browser download cannot work here), headless, with the background networking off so it
 * does not flood a closed network. Every page records page errors, console errors and CSP
 * violations, which the tests fail on.
 */
import { type Browser, chromium, type Page } from "playwright-core";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launch(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  console.log(`browser: Chromium ${browser.version()} (${CHROMIUM})`);
  return browser;
}

export interface WatchedPage {
  page: Page;
  /** Page errors, console errors and CSP violations, as text. */
  problems: string[];
}

/** A new page in a fresh context that records its problems. */
export async function openPage(
  browser: Browser,
  options: {
    colorScheme?: "light" | "dark";
    cookie?: { url: string; name: string; value: string };
  } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    acceptDownloads: true,
  });
  if (options.cookie) await context.addCookies([options.cookie]);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { page, problems };
}

/** The problems but the failed requests a test provoked on purpose (a 400 for a bad query). */
export const unexpected = (problems: readonly string[], allowed: RegExp[] = []) =>
  problems.filter((problem) => !allowed.some((pattern) => pattern.test(problem)));
