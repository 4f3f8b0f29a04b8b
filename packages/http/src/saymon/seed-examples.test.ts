/**
 * Seed 003 (SAYMON "Get Users' Sessions Log") against the admin app: the documented
 * requests with Basic auth, newest first, `skip` from the last record, and the bad inputs
 * in SAYMON's error body.
 */
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  type AdminApp,
  APP_NOW,
  APP_SPACE,
  startAdminApp,
} from "../test-support/admin-app.js";
import { NOT_LOGGED_IN } from "./errors.js";

const PATH = "/node/api/users/session/log";
// The seed's example record (values illustrative in the summary), stored as given.
const EXAMPLE = {
  id: "62725dc8bad91064e16e5910",
  userId: "5f5f420005a91e683e101ca7",
  login: "admin",
  startTime: 1700000100000,
  endTime: 1700003700000,
  expiredAt: 1700005500000,
};

let t: AdminApp;

beforeAll(async () => {
  t = await startAdminApp();
  await t.insert({
    id: EXAMPLE.id,
    tenantId: APP_SPACE,
    user: { id: EXAMPLE.userId, login: EXAMPLE.login, fullName: null, email: null },
    createdAt: EXAMPLE.startTime,
    lastActivityAt: EXAMPLE.expiredAt - 30 * 60_000,
    expiresAt: EXAMPLE.expiredAt,
    status: "LOGGED_OUT",
    endReason: "LOGOUT",
    endedAt: EXAMPLE.endTime,
  });
});
afterAll(() => t.close());

// curl -u $login:$password: the app takes its API key as the password.
const log = (query = "") =>
  request(t.app)
    .get(PATH + query)
    .auth("admin", ADMIN_KEY);

const record = (s: {
  id: string;
  user: { id: string; login: string };
  createdAt: number;
  endedAt: number | null;
  expiresAt: number;
}) => ({
  id: s.id,
  userId: s.user.id,
  login: s.user.login,
  startTime: s.createdAt,
  endTime: s.endedAt,
  expiredAt: s.expiresAt,
});

describe("seed 003: the session log", () => {
  it("should answer the documented request with the records of that window as a bare array", async () => {
    const res = await log("?from=1700000000000&to=1700600000000&limit=50&skip=0");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([EXAMPLE]);
  });

  it("should answer the plain request (curl -X GET $url -u $login:$password) with the 100 newest records", async () => {
    const res = await request(t.app)
      .get(PATH)
      .set("Authorization", `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString("base64")}`);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const all = await t.all(APP_SPACE);
    expect(res.body).toEqual(all.slice(0, 100).map(record));
    // Open sessions have no end yet: endTime is null, as in the seed's example response.
    const open = res.body.filter((r: { endTime: number | null }) => r.endTime === null);
    expect(open.length).toBeGreaterThan(0);
    for (const r of open) expect(r.expiredAt).toBeGreaterThan(APP_NOW);
  });

  it("should count skip from the newest record, and bound the start time inclusively by from and to", async () => {
    const all = await t.all(APP_SPACE);
    const skipped = await log("?limit=5&skip=10");
    expect(skipped.body).toEqual(all.slice(10, 15).map(record));
    const [newer, , older] = all.slice(20, 23);
    const window = await log(`?from=${older!.createdAt}&to=${newer!.createdAt}`);
    expect(window.body).toEqual(
      all
        .filter((s) => s.createdAt >= older!.createdAt && s.createdAt <= newer!.createdAt)
        .map(record),
    );
    expect(window.body.length).toBeGreaterThanOrEqual(3);
    expect((await log("?from=1700000100000&to=1700000100000")).body).toEqual([EXAMPLE]);
    expect((await log("?to=1700000099999")).body).toEqual([]);
  });

  it("should accept a key as X-API-KEY or Bearer as well", async () => {
    const bearer = await request(t.app)
      .get(`${PATH}?limit=1`)
      .set("Authorization", `Bearer ${ADMIN_KEY}`);
    expect(bearer.status).toBe(200);
    expect(bearer.body).toHaveLength(1);
  });
});

describe("seed 003: bad input", () => {
  it("should answer 401 Unauthorized with SAYMON's JSON message when nobody is logged in", async () => {
    const res = await request(t.app).get(PATH);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Basic/);
    expect(res.body).toEqual({ code: "Unauthorized", message: NOT_LOGGED_IN });
    expect(JSON.parse(res.body.message)).toEqual({ errorCode: 3, message: "Not logged in." });
  });

  it("should answer 401 InvalidCredentials for a wrong password, and Unauthorized for a wrong token", async () => {
    const basic = await request(t.app).get(PATH).auth("admin", "wrong");
    expect(basic.status).toBe(401);
    expect(basic.body).toEqual({
      code: "InvalidCredentials",
      message: "Invalid login or password.",
    });
    const token = await request(t.app).get(PATH).set("Authorization", "Bearer wrong");
    expect(token.status).toBe(401);
    expect(token.body).toEqual({ code: "Unauthorized", message: "Invalid API token." });
  });

  it("should answer 400 BadRequest for limits, skips and bounds that are not what SAYMON takes", async () => {
    const cases: [string, string][] = [
      ["?limit=0", "limit"],
      ["?limit=10001", "limit"],
      ["?limit=ten", "limit"],
      ["?skip=-1", "skip"],
      ["?from=yesterday", "from"],
      ["?to=1.5", "to"],
      ["?from=1700600000000&to=1700000000000", "from"],
      ["?limit=1&limit=2", "limit"],
    ];
    for (const [query, mention] of cases) {
      const res = await log(query);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toEqual({
        code: "BadRequest",
        message: expect.stringContaining(mention),
      });
    }
    expect((await log("?limit=10000")).status).toBe(200);
  });
});
