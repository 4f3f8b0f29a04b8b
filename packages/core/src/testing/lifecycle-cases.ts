import { expect } from "vitest";
import { SessionLedgerError, StorageError, ValidationError } from "../errors.js";
import { type CreateSessionInput, createSessionLedger } from "../lifecycle/ledger.js";
import { hashSecret } from "../lifecycle/token.js";
import { DEFAULT_POLICY, MIN_LIFETIME_MS } from "../model/policy.js";
import type { BackgroundTask } from "../model/task.js";
import { checkFilter } from "../query/check-filter.js";
import type { EndTarget } from "../storage.js";
import { type CaseContext, type ConformanceCase, OTHER_TENANT, T0, TENANT } from "./harness.js";

const MINUTE = 60_000;
const IDLE = DEFAULT_POLICY.idleTimeoutMs;
const LIFETIME = DEFAULT_POLICY.maxLifetimeMs;

export function login(overrides: Partial<CreateSessionInput> = {}): CreateSessionInput {
  return {
    tenantId: TENANT,
    user: { id: "u-1", login: "alice", fullName: "Alice Example", email: "alice@example.com" },
    clientType: "UI",
    accessType: "UI",
    clientIp: "10.0.0.1",
    userAgent: "Mozilla/5.0",
    ...overrides,
  };
}

const open = (ctx: CaseContext, overrides?: Partial<CreateSessionInput>) =>
  ctx.ledger.create(login(overrides));

const stored = async (ctx: CaseContext, id: string, tenantId = TENANT) => {
  const record = await ctx.store.findSession(tenantId, id);
  expect(record, `session ${id} should be stored`).not.toBeNull();
  return record!;
};

const task = (overrides: Partial<BackgroundTask> = {}): BackgroundTask => ({
  id: "task-1",
  tenantId: TENANT,
  kind: "terminate_sessions",
  status: "QUEUED",
  payload: { ids: ["a", "b"] },
  progress: 0,
  error: null,
  createdAt: T0,
  updatedAt: T0,
  leaseOwner: null,
  leaseExpiresAt: null,
  ...overrides,
});

const rejects = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SessionLedgerError);
  expect((error as SessionLedgerError).code).toBe(code);
};

export const lifecycleCases: ConformanceCase[] = [
  {
    name: "create - should return an ACTIVE session and a token of the form id.secret",
    async run(ctx) {
      const { session, token } = await open(ctx);
      expect(token).toMatch(/^[A-Za-z0-9_-]{21}\.[A-Za-z0-9_-]{43}$/);
      expect(token.startsWith(`${session.id}.`)).toBe(true);
      expect(session).toMatchObject({
        status: "ACTIVE",
        endedAt: null,
        endReason: null,
        tenantId: TENANT,
      });
      expect(ctx.events.map((e) => e.type)).toEqual(["created"]);
    },
  },
  {
    name: "create - should store only the SHA-256 of the secret, and list it nowhere",
    async run(ctx) {
      const { session, token } = await open(ctx);
      const secret = token.split(".")[1]!;
      const record = await stored(ctx, session.id);
      expect(record.secretHash).toBe(hashSecret(secret));
      expect(JSON.stringify(record)).not.toContain(secret);
      const query = { filter: null, sort: [], now: T0 };
      const listed = await ctx.store.listSessions(TENANT, { ...query, limit: 10 });
      expect(JSON.stringify(listed)).not.toContain(secret);
      // Admin reads carry no credential at all, not even its hash.
      expect(listed.length).toBeGreaterThan(0);
      for (const row of listed) expect(row).not.toHaveProperty("secretHash");
      const streamed = [];
      for await (const row of ctx.store.streamSessions(TENANT, query)) {
        streamed.push(row);
      }
      expect(streamed.map((row) => row.id)).toEqual(listed.map((row) => row.id));
      for (const row of streamed) expect(row).not.toHaveProperty("secretHash");
    },
  },
  {
    name: "create - should set the idle and absolute deadlines from the tenant policy",
    async run(ctx) {
      const { session } = await open(ctx);
      expect(session.createdAt).toBe(T0);
      expect(session.lastActivityAt).toBe(T0);
      expect(session.expiresAt).toBe(T0 + IDLE);
      expect(session.absoluteExpiresAt).toBe(T0 + LIFETIME);
      expect(await stored(ctx, session.id)).toMatchObject({
        expiresAt: T0 + IDLE,
        absoluteExpiresAt: T0 + LIFETIME,
      });
    },
  },
  {
    name: "create - should store every descriptive field as given and read it back unchanged",
    async run(ctx) {
      const input = login({
        sessionIdentifier: "idp-42",
        clientType: "Integration",
        accessType: "API",
        serverIp: "192.168.1.5",
        clientInfo: { browser: "Firefox", os: "Linux", device: null },
        city: "Lisbon",
        country: "PT",
        licenseEdition: "Enterprise",
        attributes: { plan: "gold", seats: 3, tags: ["a", "b"] },
      });
      const { session } = await ctx.ledger.create(input);
      const read = await ctx.ledger.get(TENANT, session.id);
      expect(read).toEqual(session);
      expect(read).toMatchObject({
        sessionIdentifier: "idp-42",
        clientType: "Integration",
        accessType: "API",
        serverIp: "192.168.1.5",
        clientInfo: { browser: "Firefox", os: "Linux", device: null },
        city: "Lisbon",
        country: "PT",
        licenseEdition: "Enterprise",
        attributes: { plan: "gold", seats: 3, tags: ["a", "b"] },
        user: { id: "u-1", login: "alice", fullName: "Alice Example", email: "alice@example.com" },
      });
    },
  },
  {
    name: "create - should fold an IPv4-mapped IPv6 client address to IPv4 and compress IPv6",
    async run(ctx) {
      const mapped = await open(ctx, { clientIp: "::ffff:10.1.2.3" });
      const v6 = await open(ctx, { clientIp: "2001:DB8:0:0:0:0:0:1" });
      expect(mapped.session.clientIp).toBe("10.1.2.3");
      expect(v6.session.clientIp).toBe("2001:db8::1");
      expect((await stored(ctx, v6.session.id)).clientIp).toBe("2001:db8::1");
    },
  },
  {
    name: "create - should reject a second session with the same session identifier in a tenant",
    async run(ctx) {
      await open(ctx, { sessionIdentifier: "sid-1" });
      await rejects(open(ctx, { sessionIdentifier: "sid-1" }), "CONFLICT");
      expect(await ctx.ledger.count(TENANT)).toBe(1);
    },
  },
  {
    name: "create - should allow the same session identifier in two tenants",
    async run(ctx) {
      const a = await open(ctx, { sessionIdentifier: "sid-1" });
      const b = await open(ctx, { sessionIdentifier: "sid-1", tenantId: OTHER_TENANT });
      expect((await ctx.ledger.getByIdentifier(TENANT, "sid-1"))?.id).toBe(a.session.id);
      expect((await ctx.ledger.getByIdentifier(OTHER_TENANT, "sid-1"))?.id).toBe(b.session.id);
    },
  },
  {
    name: "create - should raise a typed error for bad arguments and store nothing",
    async run(ctx) {
      await rejects(open(ctx, { tenantId: "" }), "INVALID_ARGUMENT");
      await rejects(open(ctx, { user: { id: "", login: "x" } }), "INVALID_ARGUMENT");
      await rejects(open(ctx, { clientIp: "not-an-ip" }), "INVALID_ARGUMENT");
      await rejects(open(ctx, { user: { id: "u", login: "" } }), "INVALID_ARGUMENT");
      expect(await ctx.ledger.count(TENANT)).toBe(0);
    },
  },
  {
    name: "cap - evict-oldest should end the oldest open session as REPLACED when the cap is reached",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { maxSessionsPerUser: 2, onSessionLimit: "evict-oldest" });
      const first = await open(ctx);
      ctx.clock.advance(1000);
      const second = await open(ctx);
      ctx.clock.advance(1000);
      const third = await open(ctx);
      const oldest = await ctx.ledger.get(TENANT, first.session.id);
      expect(oldest).toMatchObject({
        status: "REVOKED",
        endReason: "REPLACED",
        endedAt: T0 + 2000,
      });
      expect((await ctx.ledger.get(TENANT, second.session.id))?.status).toBe("ACTIVE");
      expect((await ctx.ledger.get(TENANT, third.session.id))?.status).toBe("ACTIVE");
      expect(ctx.events.filter((e) => e.type === "replaced").map((e) => e.sessionId)).toEqual([
        first.session.id,
      ]);
    },
  },
  {
    name: "cap - reject should refuse a new session once the cap is reached and store nothing",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { maxSessionsPerUser: 1, onSessionLimit: "reject" });
      const first = await open(ctx);
      await rejects(open(ctx), "SESSION_LIMIT_REACHED");
      expect(await ctx.ledger.count(TENANT)).toBe(1);
      expect((await ctx.ledger.get(TENANT, first.session.id))?.status).toBe("ACTIVE");
      await open(ctx, { user: { id: "u-2", login: "bob" } });
    },
  },
  {
    name: "cap - should not count ended or lapsed sessions toward the cap",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { maxSessionsPerUser: 1, onSessionLimit: "reject" });
      const first = await open(ctx);
      await ctx.ledger.logout(TENANT, first.session.id);
      const second = await open(ctx);
      ctx.clock.advance(IDLE);
      const third = await open(ctx);
      expect((await ctx.ledger.get(TENANT, second.session.id))?.status).toBe("EXPIRED");
      expect((await ctx.ledger.get(TENANT, third.session.id))?.status).toBe("ACTIVE");
    },
  },
  {
    name: "cap - concurrent logins should never leave more open sessions than the cap",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { maxSessionsPerUser: 3, onSessionLimit: "evict-oldest" });
      await Promise.all(Array.from({ length: 12 }, () => open(ctx)));
      const active = await ctx.ledger.count(TENANT, {
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "ACTIVE" },
      });
      expect(active).toBe(3);
      expect(await ctx.ledger.count(TENANT)).toBe(12);
    },
  },
  {
    name: "validate - should return the open session for its token",
    async run(ctx) {
      const { session, token } = await open(ctx);
      ctx.clock.advance(10);
      expect(await ctx.ledger.validate(TENANT, token)).toEqual(session);
    },
  },
  {
    name: "validate - should return null for a wrong secret",
    async run(ctx) {
      const { session } = await open(ctx);
      expect(await ctx.ledger.validate(TENANT, `${session.id}.${"A".repeat(43)}`)).toBeNull();
    },
  },
  {
    name: "validate - should return null for malformed tokens",
    async run(ctx) {
      const { token } = await open(ctx);
      for (const bad of [
        "",
        "abc",
        token.replace(".", ""),
        `${token}x`,
        `${token}.x`,
        " ",
        "a.b",
      ]) {
        expect(await ctx.ledger.validate(TENANT, bad)).toBeNull();
      }
      expect(await ctx.ledger.validate(TENANT, undefined as unknown as string)).toBeNull();
    },
  },
  {
    name: "validate - should return null for an unknown id",
    async run(ctx) {
      const { token } = await open(ctx);
      const unknown = `ZZZZZZZZZZZZZZZZZZZZZ${token.slice(21)}`;
      expect(await ctx.ledger.validate(TENANT, unknown)).toBeNull();
    },
  },
  {
    name: "validate - should return null for a token presented to another tenant",
    async run(ctx) {
      const { token } = await open(ctx);
      expect(await ctx.ledger.validate(OTHER_TENANT, token)).toBeNull();
    },
  },
  {
    name: "validate - should not write to the store when touched inside the resolution window",
    async run(ctx) {
      const { session, token } = await open(ctx);
      for (let i = 0; i < 5; i++) {
        ctx.clock.advance(10_000);
        expect(await ctx.ledger.validate(TENANT, token)).not.toBeNull();
      }
      expect(ctx.calls.get("updateOpenSession") ?? 0).toBe(0);
      expect((await stored(ctx, session.id)).lastActivityAt).toBe(T0);
    },
  },
  {
    name: "validate - should write activity and push the idle deadline once the window has passed",
    async run(ctx) {
      const { session, token } = await open(ctx);
      ctx.clock.advance(MINUTE);
      const touched = await ctx.ledger.validate(TENANT, token);
      expect(ctx.calls.get("updateOpenSession")).toBe(1);
      expect(touched).toMatchObject({ lastActivityAt: T0 + MINUTE, expiresAt: T0 + MINUTE + IDLE });
      expect(await stored(ctx, session.id)).toMatchObject({
        lastActivityAt: T0 + MINUTE,
        expiresAt: T0 + MINUTE + IDLE,
      });
    },
  },
  {
    name: "validate - should never push the idle deadline past the absolute deadline",
    async run(ctx) {
      const { token } = await open(ctx);
      for (let elapsed = 0; elapsed < LIFETIME - IDLE / 2; elapsed += IDLE / 2) {
        ctx.clock.advance(IDLE / 2);
        expect(await ctx.ledger.validate(TENANT, token)).not.toBeNull();
      }
      const last = await ctx.ledger.validate(TENANT, token);
      expect(last?.expiresAt).toBe(T0 + LIFETIME);
      ctx.clock.advance(T0 + LIFETIME - ctx.clock.now());
      expect(await ctx.ledger.validate(TENANT, token)).toBeNull();
    },
  },
  {
    name: "validate - should return null for a logged-out or revoked session",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx);
      await ctx.ledger.logout(TENANT, a.session.id);
      await ctx.ledger.terminate(TENANT, b.session.id);
      ctx.clock.advance(MINUTE);
      expect(await ctx.ledger.validate(TENANT, a.token)).toBeNull();
      expect(await ctx.ledger.validate(TENANT, b.token)).toBeNull();
    },
  },
  {
    name: "expiry - a session read after its idle deadline should be EXPIRED with endedAt at the deadline, before any sweep",
    async run(ctx) {
      const { session, token } = await open(ctx);
      ctx.clock.advance(IDLE + 5 * MINUTE);
      const read = await ctx.ledger.get(TENANT, session.id);
      expect(read).toMatchObject({
        status: "EXPIRED",
        endedAt: T0 + IDLE,
        endReason: "IDLE_TIMEOUT",
      });
      expect(await ctx.ledger.validate(TENANT, token)).toBeNull();
      const [listed] = (await ctx.ledger.list(TENANT)).items;
      expect(listed).toMatchObject({ status: "EXPIRED", endedAt: T0 + IDLE });
    },
  },
  {
    name: "expiry - a session read after its absolute lifetime should be EXPIRED with endedAt at the lifetime, before any sweep",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { idleTimeoutMs: LIFETIME * 2 });
      const { session } = await open(ctx);
      ctx.clock.advance(LIFETIME + MINUTE);
      expect(await ctx.ledger.get(TENANT, session.id)).toMatchObject({
        status: "EXPIRED",
        endedAt: T0 + LIFETIME,
        endReason: "MAX_LIFETIME",
      });
    },
  },
  {
    name: "expiry - a session should read as open one millisecond before its deadline and expired at it",
    async run(ctx) {
      const { session } = await open(ctx);
      ctx.clock.advance(IDLE - 1);
      expect((await ctx.ledger.get(TENANT, session.id))?.status).toBe("ACTIVE");
      ctx.clock.advance(1);
      expect((await ctx.ledger.get(TENANT, session.id))?.status).toBe("EXPIRED");
    },
  },
  {
    name: "sweep - expireDue should store lapsed sessions as EXPIRED at their deadline and emit one event each",
    async run(ctx) {
      const a = await open(ctx);
      ctx.clock.advance(MINUTE);
      const b = await open(ctx);
      ctx.clock.advance(IDLE);
      const c = await open(ctx);
      expect(await ctx.ledger.expireDue()).toBe(2);
      expect(await stored(ctx, a.session.id)).toMatchObject({
        status: "EXPIRED",
        endedAt: T0 + IDLE,
        endReason: "IDLE_TIMEOUT",
      });
      expect(await stored(ctx, b.session.id)).toMatchObject({
        status: "EXPIRED",
        endedAt: T0 + MINUTE + IDLE,
      });
      expect((await stored(ctx, c.session.id)).status).toBe("ACTIVE");
      const expired = ctx.events.filter((e) => e.type === "expired");
      expect(expired.map((e) => e.sessionId).sort()).toEqual([a.session.id, b.session.id].sort());
      expect(await ctx.ledger.expireDue()).toBe(0);
    },
  },
  {
    name: "sweep - expireDue should sweep every tenant and more than one batch",
    async run(ctx) {
      for (let i = 0; i < 1005; i++) {
        await open(ctx, {
          tenantId: i % 2 ? TENANT : OTHER_TENANT,
          user: { id: `u-${i}`, login: `user${i}` },
        });
      }
      ctx.clock.advance(IDLE);
      expect(await ctx.ledger.expireDue()).toBe(1005);
      expect(ctx.events.filter((e) => e.type === "expired")).toHaveLength(1005);
    },
  },
  {
    name: "touch - should not revive a session whose deadline has passed",
    async run(ctx) {
      const { session } = await open(ctx);
      ctx.clock.advance(IDLE);
      const now = ctx.clock.now();
      expect(
        await ctx.store.updateOpenSession(TENANT, session.id, now, {
          lastActivityAt: now,
          expiresAt: now + IDLE,
        }),
      ).toBeNull();
      expect((await stored(ctx, session.id)).expiresAt).toBe(T0 + IDLE);
    },
  },
  {
    name: "logout - should end the session as LOGGED_OUT with reason LOGOUT and emit logged_out",
    async run(ctx) {
      const { session } = await open(ctx);
      ctx.clock.advance(MINUTE);
      expect(await ctx.ledger.logout(TENANT, session.id)).toBe(true);
      expect(await ctx.ledger.get(TENANT, session.id)).toMatchObject({
        status: "LOGGED_OUT",
        endReason: "LOGOUT",
        endedAt: T0 + MINUTE,
      });
      expect(ctx.events.at(-1)).toMatchObject({
        type: "logged_out",
        sessionId: session.id,
        userId: "u-1",
      });
    },
  },
  {
    name: "terminate - should end the session as REVOKED and emit revoked once",
    async run(ctx) {
      const { session } = await open(ctx);
      expect(await ctx.ledger.terminate(TENANT, session.id)).toBe(true);
      expect(await ctx.ledger.get(TENANT, session.id)).toMatchObject({
        status: "REVOKED",
        endReason: "REVOKED",
        endedAt: T0,
      });
      expect(ctx.events.filter((e) => e.type === "revoked")).toHaveLength(1);
    },
  },
  {
    name: "terminate - terminating twice should be a no-op that keeps the first end",
    async run(ctx) {
      const { session } = await open(ctx);
      await ctx.ledger.terminate(TENANT, session.id);
      ctx.clock.advance(MINUTE);
      expect(await ctx.ledger.terminate(TENANT, session.id)).toBe(false);
      expect(await ctx.ledger.logout(TENANT, session.id)).toBe(false);
      expect(await ctx.ledger.get(TENANT, session.id)).toMatchObject({
        status: "REVOKED",
        endedAt: T0,
      });
      expect(ctx.events.filter((e) => e.type === "revoked")).toHaveLength(1);
    },
  },
  {
    name: "terminate - should not turn an expired session into a revoked one",
    async run(ctx) {
      const { session } = await open(ctx);
      ctx.clock.advance(IDLE + MINUTE);
      expect(await ctx.ledger.terminate(TENANT, session.id)).toBe(false);
      expect(await ctx.ledger.get(TENANT, session.id)).toMatchObject({
        status: "EXPIRED",
        endedAt: T0 + IDLE,
      });
    },
  },
  {
    name: "terminate - a list of ids should report which ended, which had ended and which were not found",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx);
      const c = await open(ctx);
      await ctx.ledger.logout(TENANT, c.session.id);
      const outcome = await ctx.ledger.terminateSessions(TENANT, [
        a.session.id,
        "missing-1",
        b.session.id,
        c.session.id,
        "missing-2",
      ]);
      expect(outcome.ended.sort()).toEqual([a.session.id, b.session.id].sort());
      expect(outcome.alreadyEnded).toEqual([c.session.id]);
      expect(outcome.notFound).toEqual(["missing-1", "missing-2"]);
      expect((await ctx.ledger.get(TENANT, c.session.id))?.status).toBe("LOGGED_OUT");
    },
  },
  {
    name: "terminate - a list of ids should count repeated ids once",
    async run(ctx) {
      const a = await open(ctx);
      const outcome = await ctx.ledger.terminateSessions(TENANT, [a.session.id, a.session.id]);
      expect(outcome).toEqual({ ended: [a.session.id], alreadyEnded: [], notFound: [] });
      expect(ctx.events.filter((e) => e.type === "revoked")).toHaveLength(1);
    },
  },
  {
    name: "terminate - ids of another tenant should be reported not found and stay open",
    async run(ctx) {
      const mine = await open(ctx);
      const theirs = await open(ctx, { tenantId: OTHER_TENANT });
      const outcome = await ctx.ledger.terminateSessions(TENANT, [
        mine.session.id,
        theirs.session.id,
      ]);
      expect(outcome.notFound).toEqual([theirs.session.id]);
      expect((await ctx.ledger.get(OTHER_TENANT, theirs.session.id))?.status).toBe("ACTIVE");
    },
  },
  {
    name: "terminate - by user should end all of that user's open sessions and no one else's",
    async run(ctx) {
      await open(ctx);
      await open(ctx);
      const bob = await open(ctx, { user: { id: "u-2", login: "bob" } });
      expect(await ctx.ledger.terminateUserSessions(TENANT, "u-1")).toBe(2);
      expect((await ctx.ledger.get(TENANT, bob.session.id))?.status).toBe("ACTIVE");
      expect(await ctx.ledger.terminateUserSessions(TENANT, "u-1")).toBe(0);
    },
  },
  {
    name: "terminate - by user except one should keep that session open",
    async run(ctx) {
      const keep = await open(ctx);
      const other = await open(ctx);
      expect(
        await ctx.ledger.terminateUserSessions(TENANT, "u-1", { exceptSessionId: keep.session.id }),
      ).toBe(1);
      expect((await ctx.ledger.get(TENANT, keep.session.id))?.status).toBe("ACTIVE");
      expect((await ctx.ledger.get(TENANT, other.session.id))?.status).toBe("REVOKED");
    },
  },
  {
    name: "terminate - by tenant should end every open session of that tenant and none of another",
    async run(ctx) {
      await open(ctx);
      await open(ctx, { user: { id: "u-2", login: "bob" } });
      const theirs = await open(ctx, { tenantId: OTHER_TENANT });
      expect(await ctx.ledger.terminateTenantSessions(TENANT)).toBe(2);
      expect((await ctx.ledger.get(OTHER_TENANT, theirs.session.id))?.status).toBe("ACTIVE");
      expect(ctx.events.filter((e) => e.type === "revoked")).toHaveLength(2);
    },
  },
  {
    name: "terminate - by filter should end only the open sessions that match",
    async run(ctx) {
      const api = await open(ctx, { accessType: "API" });
      const ui = await open(ctx, { accessType: "UI" });
      const ended = await ctx.ledger.terminateMatching(TENANT, {
        kind: "compare",
        field: "access_type",
        op: "EQ",
        value: { kind: "text", value: "api" },
      });
      expect(ended).toBe(1);
      expect((await ctx.ledger.get(TENANT, api.session.id))?.status).toBe("REVOKED");
      expect((await ctx.ledger.get(TENANT, ui.session.id))?.status).toBe("ACTIVE");
    },
  },
  {
    name: "race - a touch racing a terminate should never leave the session open (200 rounds)",
    async run(ctx) {
      const later = async <T>(ticks: number, work: () => Promise<T>) => {
        for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
        return work();
      };
      for (let round = 0; round < 200; round++) {
        const { session, token } = await open(ctx);
        ctx.clock.advance(MINUTE);
        const now = ctx.clock.now();
        // Stagger the terminate by 0-3 event-loop turns so every interleaving gets its turn.
        const [, ended] = await Promise.all([
          ctx.store.updateOpenSession(TENANT, session.id, now, {
            lastActivityAt: now,
            expiresAt: now + IDLE,
          }),
          later(round % 4, () => ctx.ledger.terminate(TENANT, session.id)),
          ctx.ledger.validate(TENANT, token),
        ]);
        expect(ended).toBe(true);
        const after = await stored(ctx, session.id);
        expect(after.status).toBe("REVOKED");
        expect(after.endedAt).not.toBeNull();
        expect(await ctx.ledger.validate(TENANT, token)).toBeNull();
      }
    },
  },
  {
    name: "race - concurrent terminates of one session should end it exactly once",
    async run(ctx) {
      const { session } = await open(ctx);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => ctx.ledger.terminate(TENANT, session.id)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(ctx.events.filter((e) => e.type === "revoked")).toHaveLength(1);
    },
  },
  {
    name: "extend - should renew the absolute lifetime and idle deadline and emit extended",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { idleTimeoutMs: 9 * 60 * MINUTE });
      const { session } = await open(ctx);
      ctx.clock.advance(9 * 60 * MINUTE - 1);
      const extended = await ctx.ledger.extend(TENANT, session.id);
      const now = ctx.clock.now();
      expect(extended).toMatchObject({
        absoluteExpiresAt: now + LIFETIME,
        expiresAt: now + 9 * 60 * MINUTE,
        lastActivityAt: now,
        status: "ACTIVE",
      });
      expect(await stored(ctx, session.id)).toMatchObject({ absoluteExpiresAt: now + LIFETIME });
      expect(ctx.events.at(-1)).toMatchObject({ type: "extended", sessionId: session.id });
    },
  },
  {
    name: "extend - should not revive an ended or expired session",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx);
      await ctx.ledger.terminate(TENANT, a.session.id);
      ctx.clock.advance(IDLE);
      expect(await ctx.ledger.extend(TENANT, a.session.id)).toBeNull();
      expect(await ctx.ledger.extend(TENANT, b.session.id)).toBeNull();
      expect((await ctx.ledger.get(TENANT, b.session.id))?.status).toBe("EXPIRED");
    },
  },
  {
    name: "purge - should delete sessions that ended before the cutoff and keep open and recent ones",
    async run(ctx) {
      const old = await open(ctx);
      await ctx.ledger.terminate(TENANT, old.session.id);
      ctx.clock.advance(10 * MINUTE);
      const recent = await open(ctx);
      await ctx.ledger.logout(TENANT, recent.session.id);
      const live = await open(ctx);
      ctx.clock.advance(MINUTE);
      expect(await ctx.ledger.purge({ endedBefore: T0 + 5 * MINUTE })).toBe(1);
      expect(await ctx.ledger.get(TENANT, old.session.id)).toBeNull();
      expect(await ctx.ledger.get(TENANT, recent.session.id)).not.toBeNull();
      expect(await ctx.ledger.get(TENANT, live.session.id)).not.toBeNull();
    },
  },
  {
    name: "purge - should delete lapsed sessions whose deadline is before the cutoff, in one tenant only when asked",
    async run(ctx) {
      const mine = await open(ctx);
      const theirs = await open(ctx, { tenantId: OTHER_TENANT });
      ctx.clock.advance(IDLE + 10 * MINUTE);
      expect(await ctx.ledger.purge({ endedBefore: T0 + IDLE + MINUTE, tenantId: TENANT })).toBe(1);
      expect(await ctx.ledger.get(TENANT, mine.session.id)).toBeNull();
      expect(await ctx.ledger.get(OTHER_TENANT, theirs.session.id)).not.toBeNull();
    },
  },
  {
    name: "purge - should reject a cutoff in the future",
    async run(ctx) {
      await rejects(ctx.ledger.purge({ endedBefore: T0 + MINUTE }), "INVALID_ARGUMENT");
    },
  },
  {
    name: "policy - should read the defaults when a tenant has none stored",
    async run(ctx) {
      expect(await ctx.ledger.getPolicy(TENANT)).toEqual(DEFAULT_POLICY);
      expect(await ctx.store.getPolicy(TENANT)).toBeNull();
    },
  },
  {
    name: "policy - should persist a change and apply it to new sessions",
    async run(ctx) {
      const policy = await ctx.ledger.setPolicy(TENANT, {
        idleTimeoutMs: 5 * MINUTE,
        maxLifetimeMs: 60 * MINUTE,
      });
      expect(await ctx.store.getPolicy(TENANT)).toEqual(policy);
      const { session } = await open(ctx);
      expect(session.expiresAt).toBe(T0 + 5 * MINUTE);
      expect(session.absoluteExpiresAt).toBe(T0 + 60 * MINUTE);
    },
  },
  {
    name: "policy - should reject unknown settings, timeouts under a minute and bad cap values with ValidationError",
    async run(ctx) {
      const bad = [
        { idleTimeoutMs: -1 },
        { maxLifetimeMs: 0 },
        // Below the one-minute minimums: 30 ms, 15 ms, and half an hour given in seconds.
        { idleTimeoutMs: 30 },
        { maxLifetimeMs: 15 },
        { idleTimeoutMs: 1800 },
        { maxLifetimeMs: MIN_LIFETIME_MS - 1 },
        { touchResolutionMs: 1.5 },
        { maxSessionsPerUser: 0 },
        { onSessionLimit: "drop" },
        { idelTimeoutMs: 1000 },
      ];
      for (const patch of bad) {
        const error = await ctx.ledger.setPolicy(TENANT, patch as never).catch((e: unknown) => e);
        expect(error, JSON.stringify(patch)).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).code).toBe("INVALID_ARGUMENT");
      }
      expect(await ctx.store.getPolicy(TENANT)).toBeNull();
      const minimums = await ctx.ledger.setPolicy(TENANT, {
        idleTimeoutMs: 60_000,
        maxLifetimeMs: MIN_LIFETIME_MS,
      });
      expect(minimums).toMatchObject({ idleTimeoutMs: 60_000, maxLifetimeMs: 60_000 });
    },
  },
  {
    name: "policy - should keep each tenant's policy apart",
    async run(ctx) {
      await ctx.ledger.setPolicy(TENANT, { idleTimeoutMs: 2 * MINUTE });
      expect((await ctx.ledger.getPolicy(OTHER_TENANT)).idleTimeoutMs).toBe(IDLE);
      const theirs = await open(ctx, { tenantId: OTHER_TENANT });
      expect(theirs.session.expiresAt).toBe(T0 + IDLE);
    },
  },
  {
    name: "tenancy - nothing done in tenant A should be visible in, or change, tenant B",
    async run(ctx) {
      const theirs = await open(ctx, { tenantId: OTHER_TENANT, sessionIdentifier: "shared" });
      const mine = await open(ctx, { sessionIdentifier: "shared" });
      expect(await ctx.ledger.get(TENANT, theirs.session.id)).toBeNull();
      expect(await ctx.store.findSession(OTHER_TENANT, mine.session.id)).toBeNull();
      expect(await ctx.ledger.count(OTHER_TENANT)).toBe(1);
      expect((await ctx.ledger.list(OTHER_TENANT)).items.map((s) => s.id)).toEqual([
        theirs.session.id,
      ]);
      expect(await ctx.ledger.terminate(TENANT, theirs.session.id)).toBe(false);
      expect(await ctx.ledger.extend(TENANT, theirs.session.id)).toBeNull();
      const before = await ctx.store.findSession(OTHER_TENANT, theirs.session.id);
      await ctx.ledger.terminateTenantSessions(TENANT);
      await ctx.ledger.terminateUserSessions(TENANT, "u-1");
      await ctx.ledger.setPolicy(TENANT, { idleTimeoutMs: MINUTE });
      ctx.clock.advance(2 * MINUTE);
      expect(await ctx.store.findSession(OTHER_TENANT, theirs.session.id)).toEqual(before);
      expect((await ctx.ledger.get(OTHER_TENANT, theirs.session.id))?.status).toBe("ACTIVE");
      expect((await ctx.ledger.group(OTHER_TENANT, { field: "user" })).groups).toEqual([
        { value: "u-1", count: 1, user: { id: "u-1", login: "alice", fullName: "Alice Example" } },
      ]);
    },
  },
  {
    name: "arguments - empty ids and id lists should raise SessionLedgerError with a code, not crash",
    async run(ctx) {
      await rejects(ctx.ledger.terminate(TENANT, ""), "INVALID_ARGUMENT");
      await rejects(ctx.ledger.terminateSessions(TENANT, []), "INVALID_ARGUMENT");
      await rejects(ctx.ledger.terminateSessions(TENANT, ["ok", ""]), "INVALID_ARGUMENT");
      await rejects(ctx.ledger.get("", "x"), "INVALID_ARGUMENT");
      await rejects(ctx.ledger.validate("", "x"), "INVALID_ARGUMENT");
      await rejects(ctx.ledger.terminateUserSessions(TENANT, ""), "INVALID_ARGUMENT");
    },
  },
  {
    name: "events - a hook that throws should not undo the change or stop the others",
    async run(ctx) {
      const seen: string[] = [];
      const failures: unknown[] = [];
      const { createSessionLedger } = await import("../lifecycle/ledger.js");
      const ledger = createSessionLedger({
        store: ctx.store,
        clock: ctx.clock.now,
        hooks: {
          onEvent(event) {
            seen.push(event.type);
            if (event.type === "created") throw new Error("hook down");
          },
          onHookError: (error) => void failures.push(error),
        },
      });
      const { session } = await ledger.create(login());
      expect(await ledger.terminate(TENANT, session.id)).toBe(true);
      expect(seen).toEqual(["created", "revoked"]);
      expect(failures).toHaveLength(1);
      expect((await ledger.get(TENANT, session.id))?.status).toBe("REVOKED");
    },
  },
  {
    name: "tasks - should persist a task and read it back only in its tenant",
    async run(ctx) {
      await ctx.store.insertTask(task());
      expect(await ctx.store.getTask(TENANT, "task-1")).toEqual(task());
      expect(await ctx.store.getTask(OTHER_TENANT, "task-1")).toBeNull();
      expect(await ctx.store.getTask(TENANT, "task-2")).toBeNull();
      // Its state is the task without the payload, in its tenant only.
      const { payload: _payload, ...state } = task();
      const read = await ctx.store.getTaskState(TENANT, "task-1");
      expect(read).toEqual(state);
      expect(read).not.toHaveProperty("payload");
      expect(await ctx.store.getTaskState(OTHER_TENANT, "task-1")).toBeNull();
      expect(await ctx.store.getTaskState(TENANT, "task-2")).toBeNull();
    },
  },
  {
    name: "tasks - inserting a task id that exists should conflict and keep the first",
    async run(ctx) {
      await ctx.store.insertTask(task());
      const error = await ctx.store.insertTask(task({ status: "FAILED" })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionLedgerError);
      expect((error as SessionLedgerError).code).toBe("CONFLICT");
      expect((await ctx.store.getTask(TENANT, "task-1"))?.status).toBe("QUEUED");
      await ctx.store.insertTask(task({ tenantId: OTHER_TENANT }));
    },
  },
  {
    name: "terminate - by a time-dependent filter should end only sessions open now and leave lapsed ones expired",
    async run(ctx) {
      const early = await open(ctx);
      ctx.clock.advance(IDLE - MINUTE);
      const late = await open(ctx);
      ctx.clock.advance(2 * MINUTE);
      // `early` has lapsed; an open-looking filter must neither match nor revoke it.
      const ended = await ctx.ledger.terminateMatching(TENANT, {
        kind: "compare",
        field: "end_time",
        op: "EQ",
        value: { kind: "null" },
      });
      expect(ended).toBe(1);
      expect(await ctx.ledger.get(TENANT, early.session.id)).toMatchObject({
        status: "EXPIRED",
        endedAt: T0 + IDLE,
      });
      expect((await ctx.ledger.get(TENANT, late.session.id))?.status).toBe("REVOKED");
    },
  },
  {
    name: "tasks - a conditional update should apply only while the condition holds",
    async run(ctx) {
      await ctx.store.insertTask(task());
      const claimed = await ctx.store.updateTask(
        TENANT,
        "task-1",
        { status: "RUNNING", updatedAt: T0 + 1, leaseOwner: "node-a", leaseExpiresAt: T0 + 30_000 },
        { statuses: ["QUEUED"] },
      );
      expect(claimed).toMatchObject({ status: "RUNNING", leaseOwner: "node-a" });
      const stolen = await ctx.store.updateTask(
        TENANT,
        "task-1",
        { status: "RUNNING", updatedAt: T0 + 2, leaseOwner: "node-b" },
        { statuses: ["QUEUED"] },
      );
      expect(stolen).toBeNull();
      const wrongOwner = await ctx.store.updateTask(
        TENANT,
        "task-1",
        { updatedAt: T0 + 3, status: "SUCCESS" },
        { leaseOwner: "node-b" },
      );
      expect(wrongOwner).toBeNull();
      const done = await ctx.store.updateTask(
        TENANT,
        "task-1",
        { status: "SUCCESS", updatedAt: T0 + 4, error: null, leaseOwner: null },
        { leaseOwner: "node-a", statuses: ["RUNNING"] },
      );
      expect(done).toMatchObject({
        status: "SUCCESS",
        progress: 0,
        leaseOwner: null,
        updatedAt: T0 + 4,
      });
      // Updates answer without the payload; getTask has it.
      expect(done).not.toHaveProperty("payload");
      expect(await ctx.store.getTask(TENANT, "task-1")).toEqual({
        ...done,
        payload: task().payload,
      });
      expect(await ctx.store.getTaskState(TENANT, "task-1")).toEqual(done);
      expect(await ctx.store.updateTask(OTHER_TENANT, "task-1", { updatedAt: T0 + 5 })).toBeNull();
    },
  },
  {
    name: "tasks - taking over a lease should succeed only once it has run out",
    async run(ctx) {
      await ctx.store.insertTask(
        task({ status: "RUNNING", leaseOwner: "node-a", leaseExpiresAt: T0 + 30_000 }),
      );
      const takeover = (at: number, by: string) =>
        ctx.store.updateTask(
          TENANT,
          "task-1",
          { updatedAt: at, leaseOwner: by, leaseExpiresAt: at + 30_000 },
          { statuses: ["RUNNING"], leaseExpiredAt: at },
        );
      // node-a renews; node-b, acting on what it read before the renewal, must not win.
      await ctx.store.updateTask(
        TENANT,
        "task-1",
        { updatedAt: T0 + 29_000, leaseExpiresAt: T0 + 59_000 },
        { leaseOwner: "node-a" },
      );
      expect(await takeover(T0 + 31_000, "node-b")).toBeNull();
      expect((await ctx.store.getTask(TENANT, "task-1"))?.leaseOwner).toBe("node-a");
      expect(await takeover(T0 + 59_000, "node-b")).toMatchObject({
        leaseOwner: "node-b",
        leaseExpiresAt: T0 + 89_000,
      });
    },
  },
  {
    name: "tasks - findClaimableTasks should return queued tasks and running ones whose lease ran out, oldest first",
    async run(ctx) {
      const lease = (owner: string, until: number) => ({
        status: "RUNNING" as const,
        leaseOwner: owner,
        leaseExpiresAt: until,
      });
      await ctx.store.insertTask(task({ id: "t-4", createdAt: T0 + 4, ...lease("a", T0 + 10) }));
      await ctx.store.insertTask(task({ id: "t-3", createdAt: T0 + 3, ...lease("b", T0 + 99) }));
      await ctx.store.insertTask(task({ id: "t-1", createdAt: T0 + 1, tenantId: OTHER_TENANT }));
      await ctx.store.insertTask(task({ id: "t-2", createdAt: T0 + 2, status: "SUCCESS" }));
      const found = await ctx.store.findClaimableTasks(T0 + 10, 10);
      expect(found.map((t) => t.id)).toEqual(["t-1", "t-4"]);
      const { payload: _payload, ...first } = task({
        id: "t-1",
        createdAt: T0 + 1,
        tenantId: OTHER_TENANT,
      });
      expect(found[0]).toEqual(first);
      expect(await ctx.store.findClaimableTasks(T0 + 10, 1)).toHaveLength(1);
      expect((await ctx.store.findClaimableTasks(T0 + 99, 10)).map((t) => t.id)).toEqual([
        "t-1",
        "t-3",
        "t-4",
      ]);
    },
  },
  {
    name: "tasks - endTaskBatch should end a batch, record its outcome and advance the task as one step",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx, { user: { id: "u-2", login: "bob" } });
      await ctx.ledger.terminate(TENANT, b.session.id);
      const foreign = await open(ctx, { tenantId: OTHER_TENANT });
      const ids = [a.session.id, b.session.id, foreign.session.id, "missing"];
      await ctx.store.insertTask(
        task({ payload: { ids }, status: "RUNNING", leaseOwner: "node-a", leaseExpiresAt: T0 + 1 }),
      );
      const change = { status: "REVOKED", endReason: "REVOKED", endedAt: T0, now: T0 } as const;
      const batch = { owner: "node-a", leaseExpiresAt: T0 + 50, updatedAt: T0 + 7 };
      const first = await ctx.store.endTaskBatch(
        TENANT,
        "task-1",
        { ...batch, from: 0, ids: ids.slice(0, 3) },
        change,
      );
      expect(first).toEqual({
        ended: [{ id: a.session.id, userId: "u-1" }],
        alreadyEnded: [b.session.id],
        notFound: [foreign.session.id],
      });
      expect(await ctx.store.getTask(TENANT, "task-1")).toMatchObject({
        progress: 3,
        leaseExpiresAt: T0 + 50,
        updatedAt: T0 + 7,
        status: "RUNNING",
      });
      const second = await ctx.store.endTaskBatch(
        TENANT,
        "task-1",
        { ...batch, from: 3, ids: ids.slice(3) },
        change,
      );
      expect(second).toEqual({ ended: [], alreadyEnded: [], notFound: ["missing"] });
      expect(await ctx.store.getTaskOutcome(TENANT, "task-1")).toEqual({
        ended: [a.session.id],
        alreadyEnded: [b.session.id],
        notFound: [foreign.session.id, "missing"],
      });
      expect((await ctx.store.findSession(OTHER_TENANT, foreign.session.id))?.status).toBe(
        "ACTIVE",
      );
      expect(await ctx.store.getTaskOutcome(OTHER_TENANT, "task-1")).toEqual({
        ended: [],
        alreadyEnded: [],
        notFound: [],
      });
    },
  },
  {
    name: "tasks - endTaskBatch should change nothing without the lease, or for a batch already recorded",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx, { user: { id: "u-2", login: "bob" } });
      const ids = [a.session.id, b.session.id];
      await ctx.store.insertTask(
        task({ payload: { ids }, status: "RUNNING", leaseOwner: "node-a", leaseExpiresAt: T0 + 1 }),
      );
      const change = { status: "REVOKED", endReason: "REVOKED", endedAt: T0, now: T0 } as const;
      const batch = (owner: string, from: number, batchIds: string[]) => ({
        owner,
        from,
        ids: batchIds,
        leaseExpiresAt: T0 + 50,
        updatedAt: T0 + 9,
      });
      expect(
        await ctx.store.endTaskBatch(TENANT, "task-1", batch("node-b", 0, ids), change),
      ).toBeNull();
      expect(
        await ctx.store.endTaskBatch(TENANT, "task-1", batch("node-a", 1, [b.session.id]), change),
      ).toBeNull();
      expect(
        await ctx.store.endTaskBatch(OTHER_TENANT, "task-1", batch("node-a", 0, ids), change),
      ).toBeNull();
      expect((await ctx.store.findSession(TENANT, a.session.id))?.status).toBe("ACTIVE");
      expect((await ctx.store.findSession(TENANT, b.session.id))?.status).toBe("ACTIVE");
      expect(await ctx.store.getTask(TENANT, "task-1")).toMatchObject({ progress: 0 });
      expect(
        await ctx.store.endTaskBatch(TENANT, "task-1", batch("node-a", 0, [a.session.id]), change),
      ).not.toBeNull();
      // The same batch again (a runner that did not see its first write land) is refused.
      expect(
        await ctx.store.endTaskBatch(TENANT, "task-1", batch("node-a", 0, [a.session.id]), change),
      ).toBeNull();
      expect(await ctx.store.getTaskOutcome(TENANT, "task-1")).toEqual({
        ended: [a.session.id],
        alreadyEnded: [],
        notFound: [],
      });
    },
  },
  {
    name: "tasks - a batch cut short after its ends should, when retried, report the sessions it ended as ended",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx, { user: { id: "u-2", login: "bob" } });
      const c = await open(ctx, { user: { id: "u-3", login: "carol" } });
      await ctx.ledger.terminate(TENANT, c.session.id);
      const ids = [a.session.id, b.session.id, c.session.id];
      await ctx.store.insertTask(
        task({ payload: { ids }, status: "RUNNING", leaseOwner: "node-a", leaseExpiresAt: T0 + 1 }),
      );
      const change = { status: "REVOKED", endReason: "REVOKED", endedAt: T0, now: T0 } as const;
      // The first try ended `a` and then its process died before anything else was written.
      await ctx.store.endSessions(
        TENANT,
        { ids: [a.session.id] },
        { ...change, endedBy: "task-1" },
      );
      const retried = await ctx.store.endTaskBatch(
        TENANT,
        "task-1",
        { owner: "node-a", from: 0, ids, leaseExpiresAt: T0 + 50, updatedAt: T0 + 1 },
        change,
      );
      expect(retried).toEqual({
        ended: [
          { id: a.session.id, userId: "u-1" },
          { id: b.session.id, userId: "u-2" },
        ],
        alreadyEnded: [c.session.id],
        notFound: [],
      });
    },
  },
  {
    name: "terminate - a retry with the same endedBy should report its own earlier ends as ended, once",
    async run(ctx) {
      const a = await open(ctx);
      const b = await open(ctx, { user: { id: "u-2", login: "bob" } });
      const change = { status: "REVOKED", endReason: "REVOKED", endedAt: T0, now: T0 } as const;
      await ctx.store.endSessions(TENANT, { ids: [a.session.id] }, { ...change, endedBy: "op-1" });
      await ctx.store.endSessions(TENANT, { ids: [b.session.id] }, { ...change, endedBy: "op-2" });
      const retry = await ctx.store.endSessions(
        TENANT,
        { ids: [a.session.id, b.session.id, a.session.id] },
        { ...change, endedBy: "op-1" },
      );
      expect(retry).toEqual({
        ended: [{ id: a.session.id, userId: "u-1" }],
        alreadyEnded: [b.session.id, a.session.id],
        notFound: [],
      });
      const plain = await ctx.store.endSessions(TENANT, { ids: [a.session.id] }, change);
      expect(plain).toEqual({ ended: [], alreadyEnded: [a.session.id], notFound: [] });
    },
  },
  {
    name: "terminate - a user, filter or tenant target should not end a session created after the call's now",
    async run(ctx) {
      const early = await open(ctx);
      ctx.clock.advance(MINUTE);
      const late = await open(ctx);
      const change = {
        status: "REVOKED",
        endReason: "REVOKED",
        endedAt: T0 + 1,
        now: T0 + 1,
      } as const;
      const uiClients = checkFilter({
        kind: "compare",
        field: "client_type",
        op: "EQ",
        value: { kind: "text", value: "UI" },
      });
      const targets: EndTarget[] = [{ all: true }, { userId: "u-1" }, { filter: uiClients! }];
      for (const target of targets) {
        const outcome = await ctx.store.endSessions(TENANT, target, change);
        expect(outcome.ended.map((ended) => ended.id)).toEqual(
          target === targets[0] ? [early.session.id] : [],
        );
      }
      expect((await ctx.store.findSession(TENANT, late.session.id))?.status).toBe("ACTIVE");
    },
  },
  {
    name: "close - should fail every read and write with StorageError once the store is closed",
    async run(ctx) {
      const store = await ctx.another();
      expect(store.close, "a store must have close()").toBeTypeOf("function");
      const ledger = createSessionLedger({
        store,
        clock: ctx.clock.now,
        cursorSecret: "conformance-cursor-secret-0123456789",
        policyCacheMs: 0,
      });
      const user = { id: "u-closed", login: "closed" };
      const { session, token } = await ledger.create({ tenantId: TENANT, user });
      await store.close?.();
      const queued = task({ id: "task-closed", payload: { ids: [session.id] } });
      const calls: [string, () => Promise<unknown>][] = [
        ["create", () => ledger.create({ tenantId: TENANT, user })],
        ["validate", () => ledger.validate(TENANT, token)],
        ["get", () => ledger.get(TENANT, session.id)],
        ["list", () => ledger.list(TENANT)],
        ["count", () => ledger.count(TENANT)],
        ["group", () => ledger.group(TENANT, { field: "status" })],
        [
          "export",
          async () => {
            for await (const _ of ledger.export(TENANT)) break;
          },
        ],
        ["terminate", () => ledger.terminate(TENANT, session.id)],
        ["logout", () => ledger.logout(TENANT, session.id)],
        ["setPolicy", () => ledger.setPolicy(TENANT, { maxSessionsPerUser: 2 })],
        ["getPolicy", () => ledger.getPolicy(TENANT)],
        ["expireDue", () => ledger.expireDue()],
        ["purge", () => ledger.purge({ endedBefore: T0 - MINUTE })],
        ["insertTask", () => store.insertTask(queued)],
        ["getTask", () => store.getTask(TENANT, queued.id)],
        ["findClaimableTasks", () => store.findClaimableTasks(T0, 10)],
      ];
      for (const [name, call] of calls) {
        const error = await call().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, `${name} after close()`).toBeInstanceOf(StorageError);
        expect((error as StorageError).code).toBe("STORAGE_ERROR");
      }
      // Closing twice is harmless.
      await store.close?.();
    },
  },
];
