/**
 * Seed 000 (Cognite "List login sessions" and "Revoke login sessions") against the admin app
 * server: the documented requests as written, a cursor walk under concurrent writes, and the
 * documented bad inputs in Cognite's error body.
 */
import type { Session } from "@session-ledger/core";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  type AdminApp,
  APP_NOW,
  READONLY_KEY,
  startAdminApp,
} from "../test-support/admin-app.js";

// The seed's examples: org `my-org`, principal `5yAF…`, session `aea91e72-…`.
const ORG = "my-org";
const PRINCIPAL = "5yAFQRAATb7vtWGp4gvbJD3wE7VS81CGuQ7EZT";
const SEED_SESSION = "aea91e72-a984-4a4c-ba06-a7f54e650825";
const MINUTE = 60_000;
const sessionsUrl = (org: string, principal: string) =>
  `/api/v1/orgs/${org}/principals/${principal}/sessions`;

let t: AdminApp;

beforeAll(async () => {
  t = await startAdminApp();
  const user = { id: PRINCIPAL, login: "jane@my-org.example", fullName: null, email: null };
  // Newest first: the seed's active session, then one logged out, then one revoked.
  await t.insert({ id: SEED_SESSION, tenantId: ORG, user, createdAt: APP_NOW - 10 * MINUTE });
  await t.insert({
    id: "b1d3c9e0-0000-4000-8000-000000000002",
    tenantId: ORG,
    user,
    createdAt: APP_NOW - 3 * 60 * MINUTE,
    status: "LOGGED_OUT",
    endReason: "LOGOUT",
    endedAt: APP_NOW - 2 * 60 * MINUTE,
  });
  await t.insert({
    id: "b1d3c9e0-0000-4000-8000-000000000003",
    tenantId: ORG,
    user,
    createdAt: APP_NOW - 5 * 60 * MINUTE,
    status: "REVOKED",
    endReason: "REVOKED",
    endedAt: APP_NOW - 4 * 60 * MINUTE,
  });
  // The same user id elsewhere, and another user in the org: neither may show up.
  await t.insert({ id: "elsewhere-1", tenantId: "1001", user, createdAt: APP_NOW - MINUTE });
  await t.insert({
    id: "other-user-1",
    tenantId: ORG,
    user: { ...user, id: "someone-else" },
    createdAt: APP_NOW - MINUTE,
  });
});
afterAll(() => t.close());

const get = (url: string, key: string | null = ADMIN_KEY) => {
  const call = request(t.app).get(url);
  return key === null ? call : call.set("Authorization", `Bearer ${key}`);
};
const revoke = (org: string, principal: string, body: unknown, key = ADMIN_KEY) =>
  request(t.app)
    .post(`${sessionsUrl(org, principal)}/revoke`)
    .set("Authorization", `Bearer ${key}`)
    .send(body as object);

describe("seed 000: list login sessions", () => {
  it("should list the principal's sessions in the org, newest first, as the seed's curl asks", async () => {
    // curl --request GET --url https://auth.cognite.com/api/v1/orgs/{org}/principals/{principal}/sessions
    const res = await get(sessionsUrl(ORG, PRINCIPAL));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { id: SEED_SESSION, createdTime: APP_NOW - 10 * MINUTE, status: "ACTIVE" },
        {
          id: "b1d3c9e0-0000-4000-8000-000000000002",
          createdTime: APP_NOW - 3 * 60 * MINUTE,
          status: "LOGGED_OUT",
          deactivatedTime: APP_NOW - 2 * 60 * MINUTE,
        },
        {
          id: "b1d3c9e0-0000-4000-8000-000000000003",
          createdTime: APP_NOW - 5 * 60 * MINUTE,
          status: "REVOKED",
          deactivatedTime: APP_NOW - 4 * 60 * MINUTE,
        },
      ],
    });
  });

  it("should page with ?limit=2 and answer nextCursor as an object {cursor} while more remain", async () => {
    const first = await get(`${sessionsUrl(ORG, PRINCIPAL)}?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual([
      SEED_SESSION,
      "b1d3c9e0-0000-4000-8000-000000000002",
    ]);
    expect(Object.keys(first.body.nextCursor)).toEqual(["cursor"]);
    expect(typeof first.body.nextCursor.cursor).toBe("string");
    const cursor = encodeURIComponent(first.body.nextCursor.cursor);
    const second = await get(`${sessionsUrl(ORG, PRINCIPAL)}?cursor=${cursor}&limit=2`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((item: { id: string }) => item.id)).toEqual([
      "b1d3c9e0-0000-4000-8000-000000000003",
    ]);
    expect(second.body).not.toHaveProperty("nextCursor");
  });

  it("should map the org to its tenant: space-1001 lists user 220001's sessions of space 1001", async () => {
    const res = await get(`${sessionsUrl("space-1001", "220001")}?limit=1000`);
    expect(res.status).toBe(200);
    const expected = (await t.all("1001")).filter((s) => s.user.id === "220001");
    expect(expected.length).toBeGreaterThan(20);
    expect(res.body.items).toHaveLength(expected.length);
    expect(res.body.items).toEqual(
      expected.map((s) => ({
        id: s.id,
        createdTime: s.createdAt,
        status: s.status,
        ...(s.endedAt !== null && { deactivatedTime: s.endedAt }),
      })),
    );
    // A lapsed session reads as EXPIRED even if no sweep has stored it so.
    expect(res.body.items.some((item: { status: string }) => item.status === "EXPIRED")).toBe(true);
  });

  it("should answer an empty list for a principal without sessions in the org", async () => {
    const res = await get(sessionsUrl(ORG, "nobody"));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });
});

describe("seed 000: revoke login sessions", () => {
  it('should revoke with the seed body {"items":[{"id":"aea91e72-…"}]} and answer the sessions as they now stand', async () => {
    const res = await request(t.app)
      .post(`${sessionsUrl(ORG, PRINCIPAL)}/revoke`)
      .set("Authorization", `Bearer ${ADMIN_KEY}`)
      .set("Content-Type", "application/json")
      .send(`{"items":[{"id":"${SEED_SESSION}"}]}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        {
          id: SEED_SESSION,
          createdTime: APP_NOW - 10 * MINUTE,
          status: "REVOKED",
          deactivatedTime: APP_NOW,
        },
      ],
    });
    expect((await t.ledger.get(ORG, SEED_SESSION))?.status).toBe("REVOKED");
    // Revoking again is not an error, and an ended session keeps how it ended.
    const again = await revoke(ORG, PRINCIPAL, {
      items: [{ id: SEED_SESSION }, { id: "b1d3c9e0-0000-4000-8000-000000000002" }],
    });
    expect(again.status).toBe(200);
    expect(again.body.items.map((item: Session) => item.status)).toEqual(["REVOKED", "LOGGED_OUT"]);
  });

  it("should revoke nothing when one id is not a session of this principal in this org", async () => {
    const { session } = await t.ledger.create({
      tenantId: ORG,
      user: { id: PRINCIPAL, login: "jane@my-org.example" },
    });
    for (const stranger of ["no-such-session", "other-user-1", "elsewhere-1"]) {
      const res = await revoke(ORG, PRINCIPAL, { items: [{ id: session.id }, { id: stranger }] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 404, message: expect.stringContaining(`'${stranger}'`) });
    }
    expect((await t.ledger.get(ORG, session.id))?.status).toBe("ACTIVE");
    expect((await t.ledger.get(ORG, "other-user-1"))?.status).toBe("ACTIVE");
  });
});

describe("seed 000: a cursor walk while sessions come and go", () => {
  it("should return every session that existed throughout exactly once", async () => {
    const url = sessionsUrl("space-1001", "220001");
    const before = (await t.all("1001")).filter((s) => s.user.id === "220001");
    const open = before.filter((s) => s.status === "ACTIVE");
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query =
        cursor === undefined ? "?limit=7" : `?limit=7&cursor=${encodeURIComponent(cursor)}`;
      const res = await get(url + query);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((item: { id: string }) => item.id));
      cursor = res.body.nextCursor?.cursor;
      pages++;
      // Meanwhile: the clock moves, the user signs in again, and sessions end on both sides
      // of the cursor.
      t.setNow(APP_NOW + pages * 1000);
      await t.ledger.create({ tenantId: "1001", user: { id: "220001", login: "walker" } });
      const unseen = before.find((s) => !seen.includes(s.id) && s.status !== "REVOKED");
      if (unseen) await t.ledger.terminate("1001", unseen.id);
      const passed = open.find((s) => seen.includes(s.id));
      if (passed) await t.ledger.terminate("1001", passed.id);
    } while (cursor !== undefined);
    t.setNow(APP_NOW);
    expect(pages).toBeGreaterThan(5);
    expect(new Set(seen).size).toBe(seen.length);
    const seenSet = new Set(seen);
    expect(before.filter((s) => !seenSet.has(s.id))).toEqual([]);
    // Sessions created during the walk are newer than every page read, so none appear.
    expect(seen).toHaveLength(before.length);
  });
});

describe("seed 000: bad input", () => {
  it("should reject an org id outside the documented pattern with 400", async () => {
    for (const org of ["My-Org", "my_org", "1001", "ab", "my-org-", `a${"b".repeat(64)}`]) {
      const res = await get(sessionsUrl(org, PRINCIPAL));
      expect(res.status, org).toBe(400);
      expect(res.body, org).toEqual({ code: 400, message: expect.stringContaining("org") });
    }
  });

  it("should reject a limit outside 1..1000 or not an integer with 400", async () => {
    for (const limit of ["0", "1001", "-1", "abc", "1e3", "2.5", ""]) {
      const res = await get(`${sessionsUrl(ORG, PRINCIPAL)}?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.body, limit).toEqual({ code: 400, message: expect.stringContaining("limit") });
    }
    expect((await get(`${sessionsUrl(ORG, PRINCIPAL)}?limit=1000`)).status).toBe(200);
    expect((await get(`${sessionsUrl(ORG, PRINCIPAL)}?limit=1`)).status).toBe(200);
  });

  it("should reject the seed's example cursor, a forged one, and one made for another principal", async () => {
    const other = await get(`${sessionsUrl("space-1001", "220001")}?limit=1`);
    const cursors = [
      "4zj0Vy2fo0NtNMb229mI9r1V3YG5NBL752kQz1cKtwo",
      `${other.body.nextCursor.cursor}x`,
      other.body.nextCursor.cursor,
    ];
    for (const cursor of cursors) {
      const res = await get(`${sessionsUrl(ORG, PRINCIPAL)}?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body, cursor).toEqual({ code: 400, message: expect.stringContaining("cursor") });
    }
  });

  it("should reject 11 revoke items, none, and malformed bodies with 400, revoking nothing", async () => {
    const { session } = await t.ledger.create({
      tenantId: ORG,
      user: { id: PRINCIPAL, login: "jane@my-org.example" },
    });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ id: i === 0 ? session.id : `id-${i}` }));
    const bodies: unknown[] = [
      { items: eleven },
      { items: [] },
      {},
      { items: [{ id: session.id }], ignoreUnknownIds: true },
      { items: [{ id: session.id, extra: 1 }] },
      { items: [{ id: 42 }] },
      { items: [session.id] },
      [{ id: session.id }],
    ];
    for (const body of bodies) {
      const res = await revoke(ORG, PRINCIPAL, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe(400);
      expect(typeof res.body.message).toBe("string");
    }
    const malformed = await request(t.app)
      .post(`${sessionsUrl(ORG, PRINCIPAL)}/revoke`)
      .set("Authorization", `Bearer ${ADMIN_KEY}`)
      .set("Content-Type", "application/json")
      .send('{"items":[{"id":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ code: 400, message: expect.stringContaining("JSON") });
    const notJson = await request(t.app)
      .post(`${sessionsUrl(ORG, PRINCIPAL)}/revoke`)
      .set("Authorization", `Bearer ${ADMIN_KEY}`)
      .set("Content-Type", "text/plain")
      .send("items=1");
    expect(notJson.status).toBe(415);
    expect(notJson.body.code).toBe(415);
    expect((await t.ledger.get(ORG, session.id))?.status).toBe("ACTIVE");
  });

  it("should answer 401 without a key and 403 without the permission, in Cognite's body", async () => {
    const anonymous = await get(sessionsUrl(ORG, PRINCIPAL), null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ code: 401, message: expect.any(String) });
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Bearer/);
    const wrong = await get(sessionsUrl(ORG, PRINCIPAL), "not-a-key");
    expect(wrong.status).toBe(401);
    const readOnly = await revoke(ORG, PRINCIPAL, { items: [{ id: SEED_SESSION }] }, READONLY_KEY);
    expect(readOnly.status).toBe(403);
    expect(readOnly.body).toEqual({
      code: 403,
      message: expect.stringContaining("sessions:terminate"),
    });
    expect((await get(sessionsUrl(ORG, PRINCIPAL), READONLY_KEY)).status).toBe(200);
  });
});
