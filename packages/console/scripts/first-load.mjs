#!/usr/bin/env node
/**
 * Measures the console's first load on the demo (its 100,000 sessions a year, SQLite): the time
 * from navigation until the page shows the total, and until every facet count and the chart
 * are drawn, over several fresh browser contexts; and writes a screenshot. Needs `pnpm build`.
 *
 *   node packages/console/scripts/first-load.mjs [runs] [screenshot.png]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { chromium } from "playwright-core";
import { createDemo } from "../../../examples/demo/src/app.mjs";

const runs = Number(process.argv[2] ?? 15);
const screenshot = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), "console-first-load-"));
const demo = await createDemo({ dbPath: join(dir, "demo.db"), log: console.log });
const server = demo.app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
console.log(`Chromium ${browser.version()}, ${runs} runs per view`);

const delay = monitorEventLoopDelay({ resolution: 10 });
const views = { "last 24 hours (the default)": "/", "last 30 days": "/?range=30d" };
for (const [label, path] of Object.entries(views)) {
  const total = [];
  const complete = [];
  delay.reset();
  delay.enable();
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.addInitScript(() =>
      sessionStorage.setItem("session-ledger-console:api-key", "demo-admin-key"),
    );
    const page = await context.newPage();
    await page.goto(`${base}${path}`, { waitUntil: "commit" });
    await page.waitForFunction(() =>
      /of [\d,]+ sessions/.test(document.querySelector("[data-testid=total]")?.textContent ?? ""),
    );
    total.push(await page.evaluate(() => performance.now()));
    await page.waitForFunction(
      () =>
        document.querySelectorAll(".facet li").length > 0 &&
        [...document.querySelectorAll(".facet li")].every((li) => li.textContent !== "…") &&
        !document.querySelector(".charts .more")?.textContent?.startsWith("…"),
    );
    complete.push(await page.evaluate(() => performance.now()));
    if (screenshot && i === runs - 1 && path === "/") await page.screenshot({ path: screenshot });
    await context.close();
  }
  delay.disable();
  const stats = (list) => {
    const sorted = [...list].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return `median ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, worst ${sorted.at(-1).toFixed(0)} ms`;
  };
  console.log(`${label}: total shown ${stats(total)}; facets and chart drawn ${stats(complete)}`);
  console.log(
    `  server event-loop delay: p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
  );
}
await browser.close();
server.close();
await demo.close();
rmSync(dir, { recursive: true, force: true });
