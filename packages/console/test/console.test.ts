/**
 * The console in a real browser (Chromium), against a seeded SQLite server: mounted at `/`
 * with API-key sign-in (as in the demo) and again under `/admin/` with the host's cookie, both
 * under the handler's strict CSP. Every test fails on a page error, a console error or a CSP
 * violation it did not provoke on purpose.
 */
import { readFileSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launch, openPage, unexpected, type WatchedPage } from "./browser.js";
import { ADMIN_KEY, type ConsoleServer, READER_KEY, startConsoleServer } from "./server.js";

const DAY = 86_400_000;
let server: ConsoleServer;
let browser: Browser;
let from: string;
let to: string;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  server = await startConsoleServer({
    mounts: [
      { basePath: "/", auth: "api-key" },
      { basePath: "/admin", auth: "cookie" },
    ],
  });
  browser = await launch();
  const now = Date.now();
  from = new Date(now - 29 * DAY).toISOString();
  to = new Date(now + DAY).toISOString();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  for (const { page } of pages.splice(0)) await page.context().close();
});

/** The API's answer for a request, with the admin key. */
async function api<T>(path: string, params: Record<string, string>): Promise<T> {
  const url = new URL(path, server.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const res = await fetch(url, { headers: { "X-API-KEY": ADMIN_KEY } });
  return (await res.json()) as T;
}
const inRange = (...conditions: string[]) =>
  `"(${[`creation_time>=^${from}^`, `creation_time<=^${to}^`, ...conditions].join(";")})"`;
async function apiTotal(space: string, ...conditions: string[]): Promise<number> {
  const answer = await api<{ total_count: number }>(`/api/shared_spaces/${space}/sessions`, {
    fields: "id",
    limit: "1",
    query: inRange(...conditions),
  });
  return answer.total_count;
}

const viewUrl = (base: string, params: Record<string, string>) =>
  `${server.url}${base}?${new URLSearchParams({ range: "custom", from, to, ...params })}`;

async function open(url: string, key: string | null, options: Parameters<typeof openPage>[1] = {}) {
  const watched = await openPage(browser, options);
  pages.push(watched);
  await watched.page.goto(url);
  if (key !== null) {
    await watched.page.getByLabel("API key").fill(key);
    await watched.page.getByRole("button", { name: "Open the console" }).click();
  }
  await shownTotal(watched.page);
  return watched;
}

/** The total the page shows, once it shows one. */
async function shownTotal(page: Page): Promise<number> {
  const total = page.getByTestId("total");
  await expect.poll(() => total.textContent()).toMatch(/of [\d,]+ sessions|No sessions match/);
  const text = (await total.textContent()) ?? "";
  return Number(/of ([\d,]+) sessions/.exec(text)?.[1]?.replace(/,/g, "") ?? 0);
}

const firstIds = (page: Page, n = 5) =>
  page
    .locator("table.sessions tbody tr[data-id]")
    .evaluateAll((rows, n) => rows.slice(0, n).map((row) => row.getAttribute("data-id")), n);

/** Presses Tab until the focused element matches `selector` (at most 300 times). */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

describe("the console at / with an API key", () => {
  it("shows the API's total for a filter typed in the URL", async () => {
    const { page, problems } = await open(
      viewUrl("/", { space: "1001", q: "client_type='UI'" }),
      ADMIN_KEY,
    );
    const expected = await apiTotal("1001", "client_type='UI'");
    expect(expected).toBeGreaterThan(50);
    expect(await shownTotal(page)).toBe(expected);
    expect(await page.locator("#query").inputValue()).toBe("client_type='UI'");
    expect(unexpected(problems)).toEqual([]);
  });

  it("sorts by a column when its heading is clicked, and keeps the sort in the URL", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    const newest = await firstIds(page);
    await page.getByRole("button", { name: /^Started/ }).click();
    await expect.poll(() => page.url()).toContain("sort=creation_time");
    const heading = page.locator("th", { has: page.locator("button[data-column=creation_time]") });
    await expect.poll(() => heading.getAttribute("aria-sort")).toBe("ascending");
    const oldest = await api<{ data: { id: string }[] }>("/api/shared_spaces/1001/sessions", {
      fields: "id",
      limit: "5",
      order_by: "creation_time",
      query: inRange(),
    });
    await expect.poll(() => firstIds(page)).toEqual(oldest.data.map((s) => s.id));
    expect(oldest.data.map((s) => s.id)).not.toEqual(newest);
    expect(unexpected(problems)).toEqual([]);
  });

  it("narrows the table and the total to a facet's count when it is clicked", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    const all = await shownTotal(page);
    const facet = page.locator("button.facet-value[data-field=client_type]").first();
    await facet.waitFor();
    const value = (await facet.getAttribute("data-value")) as string;
    const counted = Number(((await facet.locator(".count").textContent()) ?? "").replace(/,/g, ""));
    expect(counted).toBeLessThan(all);
    await facet.click();
    await expect.poll(() => decodeURIComponent(page.url())).toContain(`f=client_type:"${value}"`);
    await expect.poll(() => shownTotal(page)).toBe(counted);
    expect(counted).toBe(await apiTotal("1001", `client_type='${value}'`));
    const column = page.locator("td[data-column=client_type]");
    expect(new Set(await column.allTextContents())).toEqual(new Set([value]));
    expect(unexpected(problems)).toEqual([]);
  });

  it("shows the API's error for a bad raw query at its position in the query box", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    const raw = "client_type=='UI'";
    const error = await api<{ description: string; properties: { position: number } }>(
      "/api/shared_spaces/1001/sessions",
      { query: `"${raw}"` },
    );
    const position = error.properties.position - 1; // the API's offset counts the opening quote
    expect(position).toBeGreaterThan(0);
    await page.locator("#query").fill(raw);
    await page.getByRole("button", { name: "Apply" }).click();
    const where = page.locator("#query-error pre.where");
    await where.waitFor();
    expect(Number(await where.getAttribute("data-position"))).toBe(position);
    expect(await page.locator("#query-error mark").textContent()).toBe(raw[position]);
    expect(await page.locator("#query-error .message").textContent()).toBe(
      `${error.description.replace(/ at \d+$/, "")} (at character ${position + 1})`,
    );
    expect(await page.locator("#query").getAttribute("aria-invalid")).toBe("true");
    expect(unexpected(problems, [/status of 400/])).toEqual([]);
  });

  it("shows a read-only key no terminate or settings control", async () => {
    const admin = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    await expect.poll(() => admin.page.locator("button[data-action=end-matching]").count()).toBe(1);
    expect(await admin.page.locator("table.sessions input[type=checkbox]").count()).toBeGreaterThan(
      0,
    );
    const reader = await open(viewUrl("/", { space: "1001" }), READER_KEY);
    await reader.page.locator("table.sessions tbody tr").first().waitFor();
    expect(await reader.page.locator("button.danger, [data-action^=end]").count()).toBe(0);
    expect(await reader.page.locator("table.sessions input[type=checkbox]").count()).toBe(0);
    expect(await reader.page.getByRole("button", { name: "Space settings" }).count()).toBe(0);
    expect(await reader.page.getByRole("button", { name: "Export CSV" }).count()).toBe(1);
    expect(unexpected([...admin.problems, ...reader.problems])).toEqual([]);
  });

  it("downloads the view as CSV with its rows, and as XLSX that opens", async () => {
    const { page, problems } = await open(
      viewUrl("/", {
        space: "1001",
        f: 'client_type:"CI"',
        cols: "user,client_type,creation_time",
      }),
      ADMIN_KEY,
    );
    const total = await shownTotal(page);
    expect(total).toBe(await apiTotal("1001", "client_type='CI'"));
    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    const rows = parseCsv(readFileSync((await csv.path()) as string), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toHaveLength(total);
    expect(Object.keys(rows[0] ?? {})).toContain("client_type");
    expect(new Set(rows.map((row) => row.client_type))).toEqual(new Set(["CI"]));
    const [xlsx] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export XLSX" }).click(),
    ]);
    const bytes = readFileSync((await xlsx.path()) as string);
    expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(book.worksheets[0]?.actualRowCount).toBe(total + 1);
    expect(unexpected(problems)).toEqual([]);
  });

  it("counts logins over time when the server has time buckets, and says so when it has not", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    const me = await api<{ features: string[] }>("/api/session_ledger/whoami", {});
    if (me.features.includes("time_buckets")) {
      const chart = page.locator("svg.chart");
      await chart.waitFor();
      const counts = await chart
        .locator("rect.bar title")
        .allTextContents()
        .then((titles) =>
          titles.map((t) => Number(t.slice(t.lastIndexOf(": ") + 2).replace(/,/g, ""))),
        );
      expect(counts.reduce((a, b) => a + b, 0)).toBe(await shownTotal(page));
    } else {
      await expect
        .poll(() => page.getByTestId("chart-unavailable").textContent())
        .toContain("group_by=creation_time");
    }
    expect(unexpected(problems)).toEqual([]);
  });

  it("ends every open session matching the filter, following the task to 100%", async () => {
    const open1002 = await api<{ data: { user: { id: string } }[] }>(
      "/api/shared_spaces/1002/sessions",
      {
        fields: "user",
        limit: "1",
        query: inRange("end_time=null"),
      },
    );
    const user = open1002.data[0]?.user.id as string;
    const openCount = await apiTotal("1002", `user={id='${user}'}`, "end_time=null");
    expect(openCount).toBeGreaterThan(0);
    const { page, problems } = await open(
      viewUrl("/", { space: "1002", f: `user:"${user}"`, cols: "user,status,creation_time" }),
      ADMIN_KEY,
    );
    await page.getByRole("button", { name: "End all of this user's sessions…" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.getByLabel("Reason").fill("account compromised");
    await dialog.getByLabel(`Type ${openCount} to confirm`).fill(String(openCount));
    await dialog.getByRole("button", { name: /^End \d+ session/ }).click();
    await expect.poll(() => dialog.getByTestId("progress-text").textContent()).toContain("(100%)");
    await expect
      .poll(() => dialog.getByTestId("outcome").textContent())
      .toContain(`Ended: ${openCount}`);
    expect(await dialog.locator("progress").evaluate((p) => (p as HTMLProgressElement).value)).toBe(
      100,
    );
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect
      .poll(() => page.locator("td[data-column=status]").allTextContents())
      .not.toContain("ACTIVE");
    const statuses = await page.locator("td[data-column=status]").allTextContents();
    expect(statuses.filter((s) => s === "REVOKED").length).toBeGreaterThanOrEqual(openCount);
    expect(await apiTotal("1002", `user={id='${user}'}`, "end_time=null")).toBe(0);
    expect(server.terminations.at(-1)).toMatchObject({
      tenantId: "1002",
      reason: "account compromised",
      sessions: openCount,
    });
    expect(unexpected(problems)).toEqual([]);
  });

  it("filters, selects and ends a session by keyboard alone", async () => {
    const { page, problems } = await open(
      viewUrl("/", { space: "1001", cols: "status,client_type" }),
      ADMIN_KEY,
    );
    await tabTo(page, "#query");
    await page.keyboard.type("end_time=null;client_type='UI'");
    await page.keyboard.press("Control+Enter");
    await expect
      .poll(() => shownTotal(page))
      .toBe(await apiTotal("1001", "end_time=null", "client_type='UI'"));
    await tabTo(page, "table.sessions input[data-id]");
    const id = (await page.evaluate(
      () => (document.activeElement as HTMLInputElement).dataset.id,
    )) as string;
    await page.keyboard.press("Space");
    await tabTo(page, "button[data-action=end-selected]");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("end-reason");
    await page.keyboard.type("keyboard test");
    await tabTo(page, "dialog button[type=submit]");
    await page.keyboard.press("Enter");
    const dialog = page.locator("dialog[open]");
    await expect.poll(() => dialog.getByTestId("outcome").textContent()).toContain("Ended: 1");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Close");
    await page.keyboard.press("Enter");
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await server.ledger.get("1001", id))?.status).toBe("REVOKED");
    expect(unexpected(problems)).toEqual([]);
  });

  it("drills down to a user from a row's details", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    const row = page.locator("table.sessions tbody tr[data-id]").first();
    await row.getByRole("button", { name: /^Details of session/ }).click();
    const details = page.locator("tr.details");
    await expect.poll(() => details.textContent()).toContain("User agent");
    const drill = details.getByRole("button", { name: /^All sessions of / });
    await drill.click();
    await expect.poll(() => decodeURIComponent(page.url())).toMatch(/f=user:"[^"]+"/);
    const user = /f=user:"([^"]+)"/.exec(decodeURIComponent(page.url()))?.[1] as string;
    await expect.poll(() => shownTotal(page)).toBe(await apiTotal("1001", `user={id='${user}'}`));
    expect(
      await page.getByRole("button", { name: "End all of this user's sessions…" }).count(),
    ).toBe(1);
    expect(unexpected(problems)).toEqual([]);
  });

  it("changes the space's session policy from its settings", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1002" }), ADMIN_KEY);
    await page.getByRole("button", { name: "Space settings" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.getByLabel("Idle timeout (minutes)").fill("45");
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => dialog.getByRole("status").textContent()).toContain("Saved");
    expect((await server.ledger.getPolicy("1002")).idleTimeoutMs).toBe(45 * 60_000);
    expect(unexpected(problems)).toEqual([]);
  });

  it("gives every control an accessible name", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY);
    await page.locator("button.facet-value").first().waitFor();
    await page.locator("table.sessions tbody tr button").first().click();
    await expect.poll(() => page.locator("tr.details").textContent()).toContain("User agent");
    const nameless = await page.evaluate(() =>
      [...document.querySelectorAll("button, input, select, textarea, summary, a[href]")]
        .filter((element) => {
          const labelled =
            element.getAttribute("aria-label")?.trim() ||
            ("labels" in element && (element as HTMLInputElement).labels?.length) ||
            element.closest("label") ||
            element.textContent?.trim();
          return !labelled;
        })
        .map((element) => element.outerHTML.slice(0, 120)),
    );
    expect(nameless).toEqual([]);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(unexpected(problems)).toEqual([]);
  });

  it("draws in dark mode when the system asks for it", async () => {
    const { page, problems } = await open(viewUrl("/", { space: "1001" }), ADMIN_KEY, {
      colorScheme: "dark",
    });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(20, 23, 27)");
    const shot = await page.screenshot({ fullPage: false });
    expect(shot.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(unexpected(problems)).toEqual([]);
  });
});

describe("the console under /admin/ with the host's cookie", () => {
  const cookie = () => ({ url: server.url, name: "host_session", value: ADMIN_KEY });

  it("follows the redirect to /admin/ and shows the API's total", async () => {
    const { page, problems } = await open(
      `${server.url}/admin?${new URLSearchParams({ range: "custom", from, to, space: "1001" })}`,
      null,
      { cookie: cookie() },
    );
    expect(new URL(page.url()).pathname).toBe("/admin/");
    expect(await shownTotal(page)).toBe(await apiTotal("1001"));
    expect(unexpected(problems)).toEqual([]);
  });

  it("ends a selected session, its request carrying the console's header", async () => {
    const { page, problems } = await open(
      viewUrl("/admin/", { space: "1001", f: 'status:"ACTIVE"', cols: "status,creation_time" }),
      null,
      {
        cookie: cookie(),
      },
    );
    const row = page.locator("table.sessions tbody tr[data-id]").first();
    const id = (await row.getAttribute("data-id")) as string;
    const requests: Record<string, string>[] = [];
    page.on("request", (request) => {
      if (request.method() === "PUT") requests.push(request.headers());
    });
    await row.getByRole("checkbox").check();
    await page.getByRole("button", { name: "End selected (1)" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.getByLabel("Reason").fill("left the company");
    await dialog.getByRole("button", { name: "End 1 session" }).click();
    await expect.poll(() => dialog.getByTestId("outcome").textContent()).toContain("Ended: 1");
    expect(requests).toHaveLength(1);
    expect(requests[0]?.["x-session-ledger-request"]).toBe("console");
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect.poll(() => page.locator(`tr[data-id="${id}"]`).count()).toBe(0);
    expect((await server.ledger.get("1001", id))?.status).toBe("REVOKED");
    expect(unexpected(problems)).toEqual([]);
  });
});
