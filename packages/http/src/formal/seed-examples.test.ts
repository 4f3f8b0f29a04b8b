/**
 * Seed 002 (Formal `SessionsService`) against the admin app: `ListSessionsV2` with the
 * documented body, a cursor walk under concurrent writes, `GetSession`,
 * `CreateSessionTermination`, and the bad inputs in Formal's error body.
 */
import type { Session } from "@session-ledger/core";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  type AdminApp,
  APP_NOW,
  APP_SPACE,
  READONLY_KEY,
  startAdminApp,
} from "../test-support/admin-app.js";
import { protobufDuration } from "./response.js";

const SERVICE = "/core.v1.SessionsService";
const DAY_START = Date.parse("2026-01-01T00:00:00Z");
const DAY_END = Date.parse("2026-01-02T00:00:00Z");

let t: AdminApp;

beforeAll(async () => {
  t = await startAdminApp();
  // Two sessions on the seed example's day, so its answer is not left to the generator.
  await t.insert({
    id: "formal-seed-1",
    tenantId: APP_SPACE,
    user: { id: "u-7", login: "alice", fullName: "Alice Adams", email: "alice@example.com" },
    clientIp: "203.0.113.7",
    serverIp: "10.244.0.3",
    createdAt: DAY_START + 3_600_000,
    status: "LOGGED_OUT",
    endReason: "LOGOUT",
    endedAt: DAY_START + 3_600_000 + 5_403_500,
  });
  await t.insert({
    id: "formal-seed-2",
    tenantId: APP_SPACE,
    user: { id: "u-8", login: "ci-bot", fullName: null, email: null },
    accessType: "API",
    createdAt: DAY_END - 1,
    status: "REVOKED",
    endReason: "REVOKED",
    endedAt: DAY_END + 60_000,
  });
});
afterAll(() => t.close());

const call = (method: string, body: unknown, key: string | null = ADMIN_KEY) => {
  const req = request(t.app).post(`${SERVICE}/${method}`).set("Content-Type", "application/json");
  if (key !== null) req.set("X-API-KEY", key);
  return req.send(typeof body === "string" ? body : JSON.stringify(body));
};

const inDay = (s: Session) => s.createdAt >= DAY_START && s.createdAt < DAY_END;

describe("seed 002: ListSessionsV2", () => {
  it("should answer the documented request with the day's sessions as SessionObjects", async () => {
    const res = await call(
      "ListSessionsV2",
      '{"limit":100,"startTimestamp":"2026-01-01T00:00:00Z","endTimestamp":"2026-01-02T00:00:00Z"}',
    );
    expect(res.status).toBe(200);
    const expected = (await t.all(APP_SPACE)).filter(inDay);
    expect(Object.keys(res.body)).toEqual(["sessions", "listMetadata"]);
    expect(res.body.listMetadata).toEqual({ after: "", before: "", count: expected.length });
    expect(res.body.sessions.map((s: { id: string }) => s.id)).toEqual(expected.map((s) => s.id));
    const byId = new Map(res.body.sessions.map((s: { id: string }) => [s.id, s]));
    expect(byId.get("formal-seed-1")).toEqual({
      id: "formal-seed-1",
      startTime: "2026-01-01T01:00:00.000Z",
      endTime: "2026-01-01T02:30:03.500Z",
      duration: "5403.500s",
      sessionStatus: "completed",
      network: { clientIpAddress: "203.0.113.7", serverIpAddress: "10.244.0.3" },
      user: {
        type: "formal",
        username: "alice",
        formal: {
          user: { id: "u-7", name: "Alice Adams", email: "alice@example.com", type: "human" },
        },
      },
    });
    // Half-open: a session that started just before the end is in; its fields without values
    // are left out, as protobuf's JSON form does.
    expect(byId.get("formal-seed-2")).toEqual({
      id: "formal-seed-2",
      startTime: "2026-01-01T23:59:59.999Z",
      endTime: "2026-01-02T00:01:00.000Z",
      duration: "60.001s",
      sessionStatus: "completed",
      user: {
        type: "formal",
        username: "ci-bot",
        formal: { user: { id: "u-8", type: "machine" } },
      },
    });
  });

  it('should reject the seed\'s placeholder body {"example": "value"}: the request allows no other fields', async () => {
    // curl … -d '{ "example": "value" }'
    const res = await call("ListSessionsV2", '{\n    "example": "value"\n  }');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: "invalid_request",
      message: expect.stringContaining("unknown field 'example'"),
    });
  });

  it("should list open sessions as active, newest first by default, with a running duration", async () => {
    const res = await call("ListSessionsV2", { query: "status='ACTIVE'" });
    expect(res.status).toBe(200);
    const open = (await t.all(APP_SPACE)).filter((s) => s.status === "ACTIVE");
    expect(open.length).toBeGreaterThan(0);
    expect(res.body.listMetadata.count).toBe(open.length);
    expect(res.body.sessions.map((s: { id: string }) => s.id)).toEqual(open.map((s) => s.id));
    for (const [i, session] of res.body.sessions.entries()) {
      expect(session.sessionStatus).toBe("active");
      expect(session).not.toHaveProperty("endTime");
      expect(session.duration).toBe(protobufDuration(APP_NOW - open[i]!.createdAt));
    }
  });

  it("should sort by the documented sortBy keys, '-' first for descending", async () => {
    const all = await t.all(APP_SPACE);
    const res = await call("ListSessionsV2", {
      query: "client_ip=null",
      sortBy: "-endTime,startTime",
      limit: 1000,
    });
    expect(res.status).toBe(200);
    expect(res.body.sessions.map((s: { id: string }) => s.id)).toEqual(
      all
        .filter((s) => s.clientIp === null)
        .sort(
          (a, b) =>
            (b.endedAt ?? -1) - (a.endedAt ?? -1) ||
            a.createdAt - b.createdAt ||
            (a.id < b.id ? -1 : 1),
        )
        .map((s) => s.id),
    );
  });

  it("should walk every session of the scope exactly once with the cursor while sessions come and go", async () => {
    const before = await t.all(APP_SPACE);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await call("ListSessionsV2", { limit: 50, ...(cursor && { cursor }) });
      expect(res.status).toBe(200);
      seen.push(...res.body.sessions.map((s: { id: string }) => s.id));
      cursor = res.body.listMetadata.nextCursor;
      pages++;
      t.setNow(APP_NOW + pages * 1000);
      await t.ledger.create({ tenantId: APP_SPACE, user: { id: "u-walk", login: "walker" } });
      const ahead = before.find((s) => s.status === "ACTIVE" && !seen.includes(s.id));
      if (ahead) await t.ledger.terminate(APP_SPACE, ahead.id);
      const behind = before.find((s) => s.status === "ACTIVE" && seen.includes(s.id));
      if (behind) await t.ledger.terminate(APP_SPACE, behind.id);
    } while (cursor !== undefined);
    t.setNow(APP_NOW);
    expect(pages).toBeGreaterThan(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(before.map((s) => s.id).sort());
  });

  it("should read null and empty fields as unset, and limit as a number or a string", async () => {
    const res = await call("ListSessionsV2", {
      limit: "2",
      query: "",
      sortBy: null,
      cursor: "",
      startTimestamp: "",
    });
    expect(res.status).toBe(200);
    expect(res.body.sessions).toHaveLength(2);
    expect(typeof res.body.listMetadata.nextCursor).toBe("string");
    expect(res.body.listMetadata.after).toBe(res.body.listMetadata.nextCursor);
    expect(res.body.listMetadata.before).toBe("");
  });
});

describe("seed 002: GetSession and CreateSessionTermination", () => {
  it("should get one session, and not one of another tenant", async () => {
    const res = await call("GetSession", { sessionId: "formal-seed-1" });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["session"]);
    expect(res.body.session.id).toBe("formal-seed-1");
    const [foreign] = await t.all("2001");
    for (const sessionId of ["no-such-session", foreign!.id]) {
      const missing = await call("GetSession", { sessionId });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        code: "not_found",
        message: expect.stringContaining(sessionId),
      });
    }
  });

  it("should terminate a session through the ledger and echo the connector", async () => {
    const { session } = await t.ledger.create({
      tenantId: APP_SPACE,
      user: { id: "u-9", login: "eve" },
    });
    const body = { sessionId: session.id, connectorId: "conn-1" };
    const res = await call("CreateSessionTermination", body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      sessionShutdown: {
        sessionId: session.id,
        connectorId: "conn-1",
        createdAt: new Date(APP_NOW).toISOString(),
      },
    });
    expect((await t.ledger.get(APP_SPACE, session.id))?.status).toBe("REVOKED");
    expect((await call("CreateSessionTermination", body)).status).toBe(200);
    const got = await call("GetSession", { sessionId: session.id });
    expect(got.body.session).toMatchObject({ sessionStatus: "completed", duration: "0s" });
  });

  it("should require both ids of a termination and the terminate permission", async () => {
    const { session } = await t.ledger.create({
      tenantId: APP_SPACE,
      user: { id: "u-9", login: "eve" },
    });
    for (const body of [
      { sessionId: session.id },
      { sessionId: session.id, connectorId: "" },
      { connectorId: "c" },
    ]) {
      const res = await call("CreateSessionTermination", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("invalid_request");
    }
    const denied = await call(
      "CreateSessionTermination",
      { sessionId: session.id, connectorId: "c" },
      READONLY_KEY,
    );
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({
      code: "forbidden",
      message: expect.stringContaining("sessions:terminate"),
    });
    expect((await t.ledger.get(APP_SPACE, session.id))?.status).toBe("ACTIVE");
  });
});

describe("seed 002: bad input", () => {
  const rejects = async (body: unknown, mention: string) => {
    const res = await call("ListSessionsV2", body);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(res.body, JSON.stringify(body)).toEqual({
      code: "invalid_request",
      message: expect.stringContaining(mention),
    });
  };

  it("should reject a limit outside 1..100000", async () => {
    for (const limit of [0, -1, 100_001, 2.5, "ten", true]) await rejects({ limit }, "limit");
    expect((await call("ListSessionsV2", { limit: 100_000 })).status).toBe(200);
  });

  it("should reject unknown fields, unknown sort keys, and bad timestamps", async () => {
    await rejects({ limit: 10, start_timestamp: "2026-01-01T00:00:00Z" }, "unknown field");
    await rejects({ sortBy: "risk" }, "sortBy");
    await rejects({ sortBy: "startTime,-startTime" }, "sortBy");
    for (const startTimestamp of [
      "2026-02-30T00:00:00Z",
      "2026-01-01",
      "2026-01-01T00:00:00",
      "yesterday",
      "2026-01-01T25:00:00Z",
    ]) {
      await rejects({ startTimestamp }, "startTimestamp");
    }
    await rejects(
      { startTimestamp: "2026-01-02T00:00:00Z", endTimestamp: "2026-01-01T00:00:00+01:00" },
      "endTimestamp",
    );
    expect(
      (await call("ListSessionsV2", { startTimestamp: "2026-01-01t01:00:00.123456+01:00" })).status,
    ).toBe(200);
  });

  it("should reject a query that does not parse, naming the position, and a malformed cursor", async () => {
    await rejects({ query: "creation_time>" }, "query: expected a value after 'creation_time>'");
    await rejects({ query: "risk_level=4" }, "risk_level");
    // Longer than the query limit: bounded by the parser, as in Octane (INVALID_QUERY).
    await rejects(
      { query: `status='ACTIVE';city='${"x".repeat(4100)}'` },
      "query: longer than the limit of 4096 characters",
    );
    await rejects({ cursor: "4zj0Vy2fo0NtNMb229mI9r1V3YG5NBL752kQz1cKtwo" }, "cursor");
    const page = await call("ListSessionsV2", { limit: 1 });
    await rejects(
      { limit: 1, cursor: page.body.listMetadata.nextCursor, sortBy: "clientIp" },
      "cursor",
    );
  });

  it("should reject bodies that are not JSON objects", async () => {
    await rejects("[]", "JSON object");
    await rejects('{"limit":', "JSON");
    await rejects("", "body");
    const text = await request(t.app)
      .post(`${SERVICE}/ListSessionsV2`)
      .set("X-API-KEY", ADMIN_KEY)
      .set("Content-Type", "text/plain")
      .send("limit=1");
    expect(text.status).toBe(415);
    expect(text.body.code).toBe("invalid_request");
  });

  it("should answer 401 unauthorized without a key", async () => {
    for (const key of [null, "wrong-key"]) {
      const res = await call("ListSessionsV2", { limit: 1 }, key);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: "unauthorized", message: expect.any(String) });
    }
  });
});
