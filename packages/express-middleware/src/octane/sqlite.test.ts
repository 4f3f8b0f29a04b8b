/**
 * The Octane router over the SQLite store (a file-less better-sqlite3 database): the seed's
 * listing, grouping, export and terminate flows, with filters, sorts and counts compiled to
 * SQL instead of evaluated in memory.
 */
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import { parse as parseCsv } from "csv-parse/sync";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";

const RANGE = "creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^";

let t: TestApp;
let database: Database.Database;
beforeAll(async () => {
  database = new Database(":memory:");
  const store = createSqliteStore({ database });
  await store.migrate();
  t = await createTestApp({ store });
});
afterAll(async () => {
  await t.close();
  database.close();
});

const get = (path: string) => request(t.app).get(path).set("X-API-KEY", KEYS.admin);

describe("Octane over SQLite", () => {
  it("should list a user's sessions in range, newest first, with the total", async () => {
    const res = await get(
      `/api/shared_spaces/1001/sessions?fields=id,creation_time,user&query="(${RANGE};(user={id=220001}))"&order_by=-creation_time&limit=5`,
    );
    expect(res.status).toBe(200);
    const expected = (await t.all("1001"))
      .filter(
        (s) =>
          s.user.id === "220001" &&
          s.createdAt > Date.parse("2026-01-28T20:59:59.427Z") &&
          s.createdAt < Date.parse("2026-02-26T20:59:59.427Z"),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    expect(res.body.total_count).toBe(expected.length);
    expect(res.body.exceeds_total_count).toBe(true);
    expect(res.body.data.map((e: { id: string }) => e.id)).toEqual(
      expected.slice(0, 5).map((s) => s.id),
    );
  });

  it("should group, with counts that add up to the total", async () => {
    const [groups, list] = await Promise.all([
      get(`/api/shared_spaces/1001/sessions/groups?group_by=license_edition&query="(${RANGE})"`),
      get(`/api/shared_spaces/1001/sessions?fields=id&limit=1&query="(${RANGE})"`),
    ]);
    expect(groups.status).toBe(200);
    const sum = groups.body.groups.reduce((n: number, g: { count: number }) => n + g.count, 0);
    expect(sum).toBe(list.body.total_count);
  });

  it("should stream the CSV export in the list's order", async () => {
    const [csv, list] = await Promise.all([
      get(`/api/shared_spaces/1001/sessions/csv_exports?fields=id,end_time&query="(${RANGE})"`),
      get(`/api/shared_spaces/1001/sessions?fields=id,end_time&limit=2000&query="(${RANGE})"`),
    ]);
    const rows = parseCsv(csv.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.id!.replace(/^'/, ""))).toEqual(
      list.body.data.map((e: { id: string }) => e.id),
    );
    expect(rows.map((r) => r.end_time || null)).toEqual(
      list.body.data.map((e: { end_time: string | null }) => e.end_time),
    );
  });

  it("should terminate through a background task persisted in SQLite", async () => {
    const open = await get(`/api/shared_spaces/1001/sessions?fields=id&query="(end_time=null)"`);
    const ids = open.body.data.map((e: { id: string }) => e.id) as string[];
    expect(ids.length).toBeGreaterThan(1);
    const put = await request(t.app)
      .put("/api/shared_spaces/1001/sessions")
      .query({ query: `"(${[...ids, "missing"].map((id) => `id='${id}'`).join(";")})"` })
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [{ is_closed: true }] });
    expect(put.status).toBe(202);
    let task: { status: string; result: { ended: string[]; not_found: string[] } } | undefined;
    for (let i = 0; i < 300 && task?.status !== "SUCCESS"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const res = await get(
        `/api/shared_spaces/1001/background_tasks?fields=status,result&query="id=${put.body.data[0].id}"`,
      );
      task = res.body.data[0];
    }
    expect(task?.status).toBe("SUCCESS");
    expect(new Set(task?.result.ended)).toEqual(new Set(ids));
    expect(task?.result.not_found).toEqual(["missing"]);
    const after = await get(`/api/shared_spaces/1001/sessions?fields=id&query="(end_time=null)"`);
    expect(after.body.total_count).toBe(0);
  });
});
