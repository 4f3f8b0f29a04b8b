/**
 * `GET …/sessions/groups?group_by=creation_time&interval=…&timezone=…`: a continuous series of
 * creation-time buckets whose counts agree with the list route for each bucket's own range, and
 * a 400 naming the parameter for every way to ask it wrongly.
 */
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";

const BASE = "/api/shared_spaces/1001/sessions";
const range = (from: string, to: string) =>
  `query=${encodeURIComponent(`"(creation_time>=^${from}^;creation_time<^${to}^)"`)}`;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const get = (path: string) => request(t.app).get(path).set("X-API-KEY", KEYS.admin);

interface Series {
  groupsTotalCount: number;
  groups: { value: string; count: number }[];
}

describe("Octane groups by creation time", () => {
  it("should count each Berlin day as the list counts that day's range, empty days as 0", async () => {
    // Midnight in Berlin (+01:00 in winter) to midnight, nine days.
    const from = "2026-01-25T23:00:00Z";
    const to = "2026-02-03T23:00:00Z";
    const res = await get(
      `${BASE}/groups?group_by=creation_time&interval=day&timezone=Europe/Berlin&${range(from, to)}`,
    );
    expect(res.status, res.text).toBe(200);
    const body = res.body as Series;
    expect(body.groupsTotalCount).toBe(9);
    expect(body.groups.map((g) => g.value)).toEqual(
      Array.from({ length: 9 }, (_, i) =>
        new Date(Date.parse(from) + i * 86_400_000).toISOString(),
      ),
    );
    for (const [i, group] of body.groups.entries()) {
      const end = body.groups[i + 1]?.value ?? to;
      const list = await get(`${BASE}?limit=1&${range(group.value, end)}`);
      expect(group.count, `${group.value}`).toBe(list.body.total_count);
    }
    const total = body.groups.reduce((sum, g) => sum + g.count, 0);
    expect(total).toBe((await get(`${BASE}?limit=1&${range(from, to)}`)).body.total_count);
    expect(total).toBeGreaterThan(0);
  });

  it("should fill hours without logins with 0 and page through the series", async () => {
    const query = range("2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z");
    const all = (await get(`${BASE}/groups?group_by=creation_time&interval=hour&${query}`))
      .body as Series;
    expect(all.groupsTotalCount).toBe(24);
    expect(all.groups).toHaveLength(24);
    expect(all.groups[0]?.value).toBe("2026-02-01T00:00:00.000Z");
    expect(all.groups.some((g) => g.count === 0)).toBe(true);
    expect(all.groups.some((g) => g.count > 0)).toBe(true);
    const page = await get(
      `${BASE}/groups?group_by=creation_time&interval=hour&limit=5&offset=20&${query}`,
    );
    expect(page.body).toEqual({ groupsTotalCount: 24, groups: all.groups.slice(20) });
  });

  it("should read a fixed offset as the exports do, and ISO weeks from Monday", async () => {
    const res = await get(
      `${BASE}/groups?group_by=start_time&interval=week&timezone=UTC+03:00&${range("2026-02-01T00:00:00Z", "2026-02-20T00:00:00Z")}`,
    );
    expect(res.status, res.text).toBe(200);
    // 2026-01-26 and the Mondays after, at 00:00 in UTC+03:00.
    expect((res.body as Series).groups.map((g) => g.value)).toEqual([
      "2026-01-25T21:00:00.000Z",
      "2026-02-01T21:00:00.000Z",
      "2026-02-08T21:00:00.000Z",
      "2026-02-15T21:00:00.000Z",
    ]);
  });

  const refused = async (path: string) => {
    const res = await get(path);
    expect(res.status, res.text).toBe(400);
    return { parameter: res.body.properties?.parameter, description: res.body.description };
  };
  const week = range("2026-02-01T00:00:00Z", "2026-02-08T00:00:00Z");

  it("should refuse an unknown or missing interval, naming interval", async () => {
    expect(await refused(`${BASE}/groups?group_by=creation_time&interval=minute&${week}`)).toEqual({
      parameter: "interval",
      description:
        "interval must be one of hour, day, week with group_by=creation_time, got 'minute'",
    });
    expect((await refused(`${BASE}/groups?group_by=creation_time&${week}`)).parameter).toBe(
      "interval",
    );
  });

  it("should refuse an invalid time zone, naming timezone", async () => {
    const fault = await refused(
      `${BASE}/groups?group_by=creation_time&interval=day&timezone=Mars/Olympus&${week}`,
    );
    expect(fault.parameter).toBe("timezone");
    expect(fault.description).toMatch(/Mars\/Olympus/);
  });

  it("should refuse interval and timezone with another group_by", async () => {
    expect((await refused(`${BASE}/groups?group_by=status&interval=day&${week}`)).parameter).toBe(
      "interval",
    );
    expect((await refused(`${BASE}/groups?group_by=status&timezone=UTC&${week}`)).parameter).toBe(
      "timezone",
    );
  });

  it("should refuse a query without a creation range, naming query", async () => {
    const open = `query=${encodeURIComponent('"end_time=null"')}`;
    const fault = await refused(`${BASE}/groups?group_by=creation_time&interval=day&${open}`);
    expect(fault.parameter).toBe("query");
    expect(fault.description).toMatch(/needs the creation range/);
  });

  it("should hold the buckets against the router's limits.maxTimeBuckets", async () => {
    const narrow = await createTestApp({ seed: false, router: { limits: { maxTimeBuckets: 24 } } });
    try {
      const ask = (to: string) =>
        request(narrow.app)
          .get(
            `${BASE}/groups?group_by=creation_time&interval=hour&${range("2026-02-01T00:00:00Z", to)}`,
          )
          .set("X-API-KEY", KEYS.admin);
      expect((await ask("2026-02-02T00:00:00Z")).body.groupsTotalCount).toBe(24);
      const res = await ask("2026-02-02T01:00:00Z");
      expect(res.status, res.text).toBe(400);
      expect(res.body.properties?.parameter).toBe("interval");
      expect(res.body.description).toMatch(/more than 24/);
    } finally {
      await narrow.close();
    }
  });

  it("should refuse a range of more buckets than the ledger allows, naming interval", async () => {
    const wide = await createTestApp({ seed: false, router: { requireCreationRangeDays: null } });
    try {
      const res = await request(wide.app)
        .get(
          `${BASE}/groups?group_by=creation_time&interval=hour&${range("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")}`,
        )
        .set("X-API-KEY", KEYS.admin);
      expect(res.status, res.text).toBe(400);
      expect(res.body.properties?.parameter).toBe("interval");
      expect(res.body.description).toMatch(/more than 1000/);
      const days = await request(wide.app)
        .get(
          `${BASE}/groups?group_by=creation_time&interval=day&${range("2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z")}`,
        )
        .set("X-API-KEY", KEYS.admin);
      expect(days.status, days.text).toBe(200);
      expect(days.body.groupsTotalCount).toBe(59);
      // An open end runs through the ledger's clock, 2026-02-20T12:00Z.
      const open = await request(wide.app)
        .get(
          `${BASE}/groups?group_by=creation_time&interval=day&query=${encodeURIComponent('"creation_time>=^2026-01-01T00:00:00Z^"')}`,
        )
        .set("X-API-KEY", KEYS.admin);
      expect(open.body.groupsTotalCount).toBe(51);
      expect(open.body.groups.at(-1).value).toBe("2026-02-20T00:00:00.000Z");
    } finally {
      await wide.close();
    }
  });
});
