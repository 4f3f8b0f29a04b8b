/**
 * The routes and rules the console relies on beyond the seed API: whoami, a tenant's session
 * policy, a terminate's `reason`, and the request header that cookie-authenticated writes need.
 */
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, KEYS, type TestApp } from "../test-support/octane-app.js";
import type { OctaneTerminationEvent } from "./router.js";

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
async function app(options: Parameters<typeof createTestApp>[0] = {}) {
  const created = await createTestApp({ seed: false, ...options });
  apps.push(created);
  return created;
}

describe("whoami", () => {
  it("reports the caller's id, tenants, sorted permissions, features and limits", async () => {
    const t = await app();
    const res = await request(t.app)
      .get("/api/session_ledger/whoami")
      .set("X-API-KEY", KEYS.reader);
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.body).toMatchObject({
      id: "auditor",
      tenants: "*",
      permissions: ["sessions:export", "sessions:read"],
      limits: { max_page_size: 2000, max_terminate_ids: 100_000, creation_range_days: 30 },
    });
    expect(res.body.features).toEqual(
      expect.arrayContaining(["session_policy", "terminate_reason"]),
    );
    const scoped = await request(t.app)
      .get("/api/session_ledger/whoami")
      .set("X-API-KEY", KEYS.space1002);
    expect(scoped.body.tenants).toEqual(["1002"]);
  });

  it("answers 401 in Octane's envelope without credentials", async () => {
    const t = await app();
    const res = await request(t.app).get("/api/session_ledger/whoami");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toContain("Bearer");
    expect(res.body.error_code).toBe("platform.unauthorized");
  });
});

describe("session_policy", () => {
  const url = "/api/shared_spaces/1001/session_policy";

  it("reads the defaults, writes a change and reads it back", async () => {
    const t = await app();
    const before = await request(t.app).get(url).set("X-API-KEY", KEYS.reader);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ idle_timeout_ms: 1_800_000, max_lifetime_ms: 36_000_000 });
    const put = await request(t.app)
      .put(url)
      .set("X-API-KEY", KEYS.admin)
      .send({ idle_timeout_ms: 900_000 });
    expect(put.status).toBe(200);
    expect(put.body.idle_timeout_ms).toBe(900_000);
    expect((await t.ledger.getPolicy("1001")).idleTimeoutMs).toBe(900_000);
    expect((await t.ledger.getPolicy("1002")).idleTimeoutMs).toBe(1_800_000);
  });

  it("refuses an unknown setting, a bad value and a caller without sessions:settings", async () => {
    const t = await app();
    const unknown = await request(t.app)
      .put(url)
      .set("X-API-KEY", KEYS.admin)
      .send({ idle_timeout: 900_000 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.description).toContain("unknown setting 'idle_timeout'");
    const bad = await request(t.app)
      .put(url)
      .set("X-API-KEY", KEYS.admin)
      .send({ max_lifetime_ms: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.description).toContain("maxLifetimeMs");
    const reader = await request(t.app)
      .put(url)
      .set("X-API-KEY", KEYS.reader)
      .send({ idle_timeout_ms: 900_000 });
    expect(reader.status).toBe(403);
    expect((await t.ledger.getPolicy("1001")).idleTimeoutMs).toBe(1_800_000);
  });
});

describe("terminate: reason and the request header", () => {
  async function open(t: TestApp): Promise<string> {
    const { session } = await t.ledger.create({
      tenantId: "1001",
      user: { id: "u1", login: "u1" },
    });
    return session.id;
  }

  it("hands the body's reason to onTerminate", async () => {
    const events: OctaneTerminationEvent[] = [];
    const t = await app({ router: { onTerminate: (event) => void events.push(event) } });
    const id = await open(t);
    const res = await request(t.app)
      .put("/api/shared_spaces/1001/sessions")
      .set("X-API-KEY", KEYS.admin)
      .send({ data: [{ id, is_closed: true }], reason: "  laptop stolen " });
    expect(res.status).toBe(202);
    expect(events).toEqual([
      {
        principal: expect.objectContaining({ id: "admin" }),
        tenantId: "1001",
        taskId: res.body.background_task_id,
        sessions: 1,
        reason: "laptop stolen",
      },
    ]);
  });

  it("refuses a reason that is not text of 1 to 500 characters", async () => {
    const t = await app();
    const id = await open(t);
    for (const reason of ["", 7, "x".repeat(501), "a\u0000b"]) {
      const res = await request(t.app)
        .put("/api/shared_spaces/1001/sessions")
        .set("X-API-KEY", KEYS.admin)
        .send({ data: [{ id, is_closed: true }], reason });
      expect(res.status, JSON.stringify(reason)).toBe(400);
      expect(res.body.description).toContain("reason");
    }
    expect((await t.ledger.get("1001", id))?.status).toBe("ACTIVE");
  });

  it("refuses a write sent with cookies but without X-Session-Ledger-Request", async () => {
    const t = await app();
    const id = await open(t);
    const put = () =>
      request(t.app)
        .put("/api/shared_spaces/1001/sessions")
        .set("X-API-KEY", KEYS.admin)
        .set("Cookie", "host_session=abc")
        .send({ data: [{ id, is_closed: true }] });
    const forged = await put();
    expect(forged.status).toBe(403);
    expect(forged.body.description).toContain("X-Session-Ledger-Request");
    const policy = await request(t.app)
      .put("/api/shared_spaces/1001/session_policy")
      .set("X-API-KEY", KEYS.admin)
      .set("Cookie", "host_session=abc")
      .send({ idle_timeout_ms: 900_000 });
    expect(policy.status).toBe(403);
    expect((await t.ledger.get("1001", id))?.status).toBe("ACTIVE");
    const console = await put().set("X-Session-Ledger-Request", "console");
    expect(console.status).toBe(202);
  });
});
