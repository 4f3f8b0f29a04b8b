/**
 * The demo as `pnpm demo` serves it, on its SQLite file filled by the fixtures' simulation: every
 * dialect answers the requests the express README shows for the demo, and Octane's flows run
 * with their filters, sorts, counts and groups compiled to SQL and their terminations persisted
 * as tasks in SQLite. (The dialects themselves are tested on the memory store, in the express
 * package; this is the SQLite store under them, on purpose.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session } from "@session-ledger/core";
import { parse as parseCsv } from "csv-parse/sync";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemo, type Demo } from "./app.mjs";

const NOW = Date.parse("2026-02-20T12:00:00.000Z");
const KEY = "demo-admin-key-local";
const FROM = Date.parse("2026-01-28T20:59:59.427Z");
const TO = Date.parse("2026-02-19T20:59:59.427Z");
const RANGE = `creation_time>^${new Date(FROM).toISOString()}^;creation_time<^${new Date(TO).toISOString()}^`;
const query = (text: string) => `query=${encodeURIComponent(`"(${text})"`)}`;

const dir = mkdtempSync(join(tmpdir(), "session-ledger-demo-"));
let demo: Demo;
let space1001: Session[];
beforeAll(async () => {
  demo = await createDemo({
    dbPath: join(dir, "demo.db"),
    sessions: 40_000,
    seed: 7,
    stepEveryMs: 0,
    now: () => NOW,
  });
  space1001 = await all("1001");
});
afterAll(async () => {
  await demo.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every session of a space, as the ledger reports it now, newest first. */
async function all(space: string): Promise<Session[]> {
  const sessions: Session[] = [];
  for await (const session of demo.ledger.export(space)) sessions.push(session);
  return sessions;
}

const octane = (path: string) =>
  request(demo.app).get(`/api/shared_spaces/1001/${path}`).set("X-API-KEY", KEY);
const ids = (items: { id: string }[]) => items.map((item) => item.id);

describe("the demo on SQLite: the README's request of each dialect", () => {
  it("Cognite: user 220001's login sessions in space 1001, two a page, then the next page", async () => {
    const url = "/api/v1/orgs/space-1001/principals/220001/sessions";
    const first = await request(demo.app)
      .get(`${url}?limit=2`)
      .set("Authorization", `Bearer ${KEY}`);
    expect(first.status).toBe(200);
    const theirs = space1001.filter((s) => s.user.id === "220001");
    expect(theirs.length).toBeGreaterThan(4);
    expect(ids(first.body.items)).toEqual(ids(theirs.slice(0, 2)));
    const next = await request(demo.app)
      .get(`${url}?limit=2&cursor=${encodeURIComponent(first.body.nextCursor.cursor)}`)
      .set("Authorization", `Bearer ${KEY}`);
    expect(ids(next.body.items)).toEqual(ids(theirs.slice(2, 4)));
  });

  it("LogScale: the five most recently active sessions of the organization, open or not", async () => {
    const res = await request(demo.app)
      .post("/graphql")
      .set("Authorization", `Bearer ${KEY}`)
      .send({
        query:
          "{ sessions(onlyActiveSessions: false, sortBy: LastActivityTime, orderBy: DESC, limit: 5) { totalResults results { id ip clientInfo user { username } lastActivityAt } } }",
      });
    expect(res.status).toBe(200);
    const recent = [...space1001].sort(
      (a, b) => b.lastActivityAt - a.lastActivityAt || (a.id < b.id ? -1 : 1),
    );
    expect(res.body.data.sessions.totalResults).toBe(space1001.length);
    expect(ids(res.body.data.sessions.results)).toEqual(ids(recent.slice(0, 5)));
  });

  it("Formal: the sessions that started on one day, 100 a page", async () => {
    const dayStart = Date.parse("2026-02-10T00:00:00Z");
    const res = await request(demo.app)
      .post("/core.v1.SessionsService/ListSessionsV2")
      .set("X-API-KEY", KEY)
      .send({
        limit: 100,
        startTimestamp: "2026-02-10T00:00:00Z",
        endTimestamp: "2026-02-11T00:00:00Z",
      });
    expect(res.status).toBe(200);
    const day = space1001.filter(
      (s) => s.createdAt >= dayStart && s.createdAt < dayStart + 86_400_000,
    );
    expect(day.length).toBeGreaterThan(0);
    expect(res.body.listMetadata.count).toBe(day.length);
    expect(ids(res.body.sessions)).toEqual(ids(day.slice(0, 100)));
  });

  it("SAYMON: the 50 newest records of the session log in a window", async () => {
    const [from, to] = [NOW - 30 * 86_400_000, NOW];
    const res = await request(demo.app)
      .get(`/node/api/users/session/log?from=${from}&to=${to}&limit=50&skip=0`)
      .auth("admin", KEY);
    expect(res.status).toBe(200);
    const window = space1001.filter((s) => s.createdAt >= from && s.createdAt <= to);
    expect(window.length).toBeGreaterThan(50);
    expect(ids(res.body)).toEqual(ids(window.slice(0, 50)));
  });

  it("Octane: the open sessions of space 1001", async () => {
    const res = await octane(`sessions?${query("end_time=null")}&limit=5`);
    expect(res.status).toBe(200);
    const open = space1001.filter((s) => s.endedAt === null);
    expect(res.body.total_count).toBe(open.length);
    expect(ids(res.body.data)).toEqual(ids(open.slice(0, 5)));
  });

  it("does not say it runs on Express", async () => {
    const res = await octane(`sessions?${query("end_time=null")}&limit=1`);
    expect(res.status).toBe(200);
    expect(res.headers["x-powered-by"]).toBeUndefined();
  });
});

describe("the demo on SQLite: Octane's flows", () => {
  const inRange = (s: Session) => s.createdAt > FROM && s.createdAt < TO;

  it("should list a user's sessions in range, newest first, with the total", async () => {
    const res = await octane(
      `sessions?fields=id,creation_time,user&${query(`${RANGE};(user={id=220001})`)}&order_by=-creation_time&limit=5`,
    );
    expect(res.status).toBe(200);
    const expected = space1001.filter((s) => s.user.id === "220001" && inRange(s));
    expect(expected.length).toBeGreaterThan(5);
    expect(res.body.total_count).toBe(expected.length);
    expect(res.body.exceeds_total_count).toBe(true);
    expect(ids(res.body.data)).toEqual(ids(expected.slice(0, 5)));
  });

  it("should group by license edition, with counts that add up to the sessions in range", async () => {
    const res = await octane(`sessions/groups?group_by=license_edition&${query(RANGE)}`);
    expect(res.status).toBe(200);
    const counts = new Map<string | null, number>();
    for (const s of space1001.filter(inRange)) {
      counts.set(s.licenseEdition, (counts.get(s.licenseEdition) ?? 0) + 1);
    }
    expect(res.body.groupsTotalCount).toBe(counts.size);
    const groups = res.body.groups as { value: string | null; count: number }[];
    expect(new Map(groups.map((g) => [g.value, g.count]))).toEqual(counts);
    // Largest first.
    expect(groups.map((g) => g.count)).toEqual(
      [...groups.map((g) => g.count)].sort((a, b) => b - a),
    );
  });

  it("should stream the CSV export in the list's order", async () => {
    const [csv, list] = await Promise.all([
      octane(`sessions/csv_exports?fields=id,end_time&${query(RANGE)}`),
      octane(`sessions?fields=id,end_time&limit=2000&${query(RANGE)}`),
    ]);
    expect(csv.status).toBe(200);
    const rows = parseCsv(csv.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(list.body.total_count);
    expect(rows.map((r) => r.id!.replace(/^'/, ""))).toEqual(ids(list.body.data));
    expect(rows.map((r) => r.end_time || null)).toEqual(
      list.body.data.map((e: { end_time: string | null }) => e.end_time),
    );
  });

  it("should terminate through a background task persisted in SQLite", async () => {
    const open = space1001.filter((s) => s.endedAt === null).slice(0, 3);
    expect(open).toHaveLength(3);
    const put = await request(demo.app)
      .put(
        `/api/shared_spaces/1001/sessions?${query([...ids(open), "missing"].map((id) => `id='${id}'`).join(";"))}`,
      )
      .set("X-API-KEY", KEY)
      .send({ data: [{ is_closed: true }] });
    expect(put.status).toBe(202);
    let task: { status: string; result: { ended: string[]; not_found: string[] } } | undefined;
    for (let i = 0; i < 300 && task?.status !== "SUCCESS"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const res = await octane(
        `background_tasks?fields=status,result&query="id=${put.body.data[0].id}"`,
      );
      task = res.body.data[0];
    }
    expect(task?.status).toBe("SUCCESS");
    expect(task?.result.ended).toEqual(ids(open));
    expect(task?.result.not_found).toEqual(["missing"]);
    for (const session of open) {
      expect((await demo.ledger.get("1001", session.id))?.status).toBe("REVOKED");
    }
  });
});

describe("the demo's login tracking", () => {
  it("should sign a user in, show the session, and sign it out", async () => {
    const agent = request.agent(demo.app);
    const login = await agent.post("/login").send({ login: "ann" });
    expect(login.status).toBe(201);
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    const me = await request(demo.app).get("/me").set("Cookie", cookie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: login.body.id, tenantId: "1001", status: "ACTIVE" });
    const logout = await request(demo.app).post("/logout").set("Cookie", cookie);
    expect(logout.status).toBe(204);
    expect((await request(demo.app).get("/me").set("Cookie", cookie)).status).toBe(401);
    expect((await demo.ledger.get("1001", login.body.id))?.status).toBe("LOGGED_OUT");
  });
});

describe("the demo's own routes answer bad input with a JSON 4xx", () => {
  const login = (body: string, type = "application/json") =>
    request(demo.app).post("/login").set("Content-Type", type).send(body);
  const refused = async (res: request.Response, status: number, says: RegExp) => {
    expect(res.status, res.text).toBe(status);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ message: expect.stringMatching(says) });
    // No stack trace, no install path.
    expect(res.text).not.toMatch(/node_modules|at .*\.m?js:\d+/);
  };

  it.each([
    ["bad JSON", "{", /not valid JSON/],
    ["a number", "42", /non-empty string login/],
    ["an array", '["ann"]', /non-empty string login/],
    ["login missing", "{}", /non-empty string login/],
    ["login a number", '{"login":5}', /non-empty string login/],
    ["login an object", '{"login":{"a":1}}', /non-empty string login/],
    ["login blank", '{"login":"  "}', /non-empty string login/],
    ["a NUL in the login", '{"login":"a\\u0000b"}', /^user\.id: control character U\+0000 at 7$/],
    ["a lone surrogate", '{"login":"a\\ud800"}', /lone surrogate U\+D800/],
  ])("POST /login with %s", async (_name, body, says) => {
    await refused(await login(body), 400, says);
  });

  it("POST /login with a body over 16 KiB, or not JSON", async () => {
    await refused(await login(JSON.stringify({ login: "x".repeat(20_000) })), 413, /16 KiB/);
    await refused(await login('{"login":"ann"}', "text/plain"), 400, /non-empty string login/);
  });

  it("POST /logout and an unknown route", async () => {
    const logout = await request(demo.app)
      .post("/logout")
      .set("Content-Type", "application/json")
      .send("{");
    expect(logout.status).toBe(204);
    await refused(await request(demo.app).get("/nowhere"), 404, /^no route GET \/nowhere$/);
    await refused(await request(demo.app).get("/me"), 401, /./);
  });
});

describe("the demo's console", () => {
  it("serves the console page at /, asking for an API key, under its strict CSP", async () => {
    const res = await request(demo.app).get("/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.text).toContain("&quot;auth&quot;:&quot;api-key&quot;");
    const script = /src="\.\/(assets\/console-[^"]+\.js)"/.exec(res.text)?.[1];
    expect((await request(demo.app).get(`/${script}`)).status).toBe(200);
  });
});
