/**
 * The demo's data stays alive: its clock runs forward here (the timer's steps, taken by hand)
 * and the README's first request, Octane's open sessions, keeps answering with open sessions;
 * a restart writes what the simulated users did while it was stopped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessionLedger, type Session } from "@session-ledger/core";
import { createLoginSimulation, generateSessions, SPACES } from "@session-ledger/fixtures";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { createDemo, type Demo } from "./app.mjs";

const MINUTE = 60_000;
const DAY = 86_400_000;
const KEY = "demo-admin-key-local";
const SESSIONS = 20_000;

const dir = mkdtempSync(join(tmpdir(), "session-ledger-demo-activity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `demo-${++files}.db`);

/** A demo whose clock the test moves. */
async function startDemo(at: number, dbPath = newFile()) {
  const clock = { now: at };
  const demo = await createDemo({
    dbPath,
    sessions: SESSIONS,
    seed: 5,
    stepEveryMs: 0,
    now: () => clock.now,
  });
  return { demo, clock, dbPath };
}

/**
 * Runs a demo at `stopped`, notes what `before` reads from it, stops it, and starts it again
 * over the same file at `restarted`.
 */
async function restartAfter<T>(stopped: number, restarted: number, before: (demo: Demo) => T) {
  const first = await startDemo(stopped);
  const noted = await before(first.demo);
  await first.demo.close();
  return { noted, ...(await startDemo(restarted, first.dbPath)) };
}

/** The README's first request: the open sessions of space 1001. */
async function openSessions(demo: Demo): Promise<{ total: number; ids: string[] }> {
  const res = await request(demo.app)
    .get("/api/shared_spaces/1001/sessions")
    .query({ query: '"(end_time=null)"', limit: 100 })
    .set("X-API-KEY", KEY);
  expect(res.status).toBe(200);
  return { total: res.body.total_count, ids: res.body.data.map((s: { id: string }) => s.id) };
}

/** Every session of a space as the ledger reports it now. */
async function all(demo: Demo, space = "1001"): Promise<Session[]> {
  const sessions: Session[] = [];
  for await (const session of demo.ledger.export(space)) sessions.push(session);
  return sessions;
}

/**
 * Runs the clock forward as the demo's timer does: to the moment the next simulated user acts,
 * or a second later at most.
 */
async function runFor(demo: Demo, clock: { now: number }, minutes: number) {
  const end = clock.now + minutes * MINUTE;
  while (clock.now < end) {
    const next = Math.min(demo.activity!.nextStep(), clock.now + 1000);
    clock.now = Math.min(end, Math.max(clock.now + 1, next));
    await demo.activity!.step();
  }
}

describe("the demo's simulated users", () => {
  it.each([
    ["on a Tuesday afternoon", "2026-03-10T14:00:00Z"],
    ["on a Sunday night", "2026-03-08T03:00:00Z"],
  ])("should keep open sessions open 40 minutes after the start, %s", async (_when, time) => {
    const start = Date.parse(time);
    const { demo, clock } = await startDemo(start);
    try {
      const before = await openSessions(demo);
      expect(before.total).toBeGreaterThan(0);

      await runFor(demo, clock, 40);

      const after = await openSessions(demo);
      expect(after.total).toBeGreaterThan(0);
      // Some of them are the same sessions, kept open by their users' requests: without them
      // every session open at the start would have lapsed after 30 minutes.
      expect(after.ids.filter((id) => before.ids.includes(id)).length).toBeGreaterThan(0);
      const touched = (await all(demo)).filter(
        (s) => before.ids.includes(s.id) && s.endedAt === null,
      );
      expect(touched.every((s) => s.lastActivityAt > start + 10 * MINUTE)).toBe(true);
    } finally {
      await demo.close();
    }
  });

  it("should log users in and out as the clock runs, each session at its own time", async () => {
    const start = Date.parse("2026-03-10T09:00:00Z");
    const { demo, clock } = await startDemo(start);
    try {
      await runFor(demo, clock, 120);
      const spaces = await Promise.all(SPACES.map((space) => all(demo, space)));
      const sessions = spaces.flat();
      const started = sessions.filter((s) => s.createdAt > start);
      expect(started.length).toBeGreaterThan(3);
      const loggedOut = sessions.filter((s) => s.status === "LOGGED_OUT" && s.endedAt! > start);
      expect(loggedOut.length).toBeGreaterThan(0);
      // The most recently active sessions were used at different moments.
      const recent = sessions
        .map((s) => s.lastActivityAt)
        .sort((a, b) => b - a)
        .slice(0, 5);
      expect(new Set(recent).size).toBe(5);
    } finally {
      await demo.close();
    }
  });

  it("should write, on a restart, the sessions started while the demo was stopped, each once", async () => {
    const stopped = Date.parse("2026-03-10T14:00:00Z");
    const restarted = stopped + 3 * DAY;
    const { noted, demo } = await restartAfter(stopped, restarted, all);
    try {
      const planned = [
        ...createLoginSimulation({ sessionsPerYear: SESSIONS, seed: 5 }).plansBetween(
          stopped + 1,
          restarted + 1,
        ),
      ].filter((plan) => plan.start.tenantId === "1001");
      expect(planned.length).toBeGreaterThan(20);
      const sessions = await all(demo);
      const since = sessions.filter((s) => s.createdAt > stopped);
      expect(since.map((s) => s.id).sort()).toEqual(planned.map((p) => p.start.id).sort());
      expect(sessions.length).toBe(noted.length + planned.length);
      expect((await openSessions(demo)).total).toBeGreaterThan(0);
    } finally {
      await demo.close();
    }
  });

  it("should sign users in again whose sessions lapsed while the demo was stopped", async () => {
    const stopped = Date.parse("2026-03-10T10:00:00Z");
    const { noted, demo, clock } = await restartAfter(stopped, stopped + 45 * MINUTE, openSessions);
    const openAtStop = noted.ids;
    try {
      await runFor(demo, clock, 5);
      const sessions = await all(demo);
      const lapsed = sessions.filter((s) => openAtStop.includes(s.id) && s.status === "EXPIRED");
      expect(lapsed.length).toBeGreaterThan(0);
      const userIds = new Set(lapsed.map((s) => s.user.id));
      const again = sessions.filter(
        (s) => userIds.has(s.user.id) && s.createdAt > stopped + 45 * MINUTE,
      );
      expect(again.length).toBeGreaterThan(0);
    } finally {
      await demo.close();
    }
  });

  it("should serve a database it did not fill as it is, without simulated users", async () => {
    const dbPath = newFile();
    const database = new Database(dbPath);
    const store = createSqliteStore({ database });
    await store.migrate();
    for (const record of generateSessions({ count: 50, now: Date.parse("2026-01-01T00:00:00Z") })) {
      await store.insertSession(record);
    }
    await store.close();
    database.close();

    const lines: string[] = [];
    const demo = await createDemo({ dbPath, stepEveryMs: 0, log: (line) => lines.push(line) });
    try {
      expect(demo.activity).toBeNull();
      expect(lines.join("\n")).toMatch(/did not simulate.*--fresh/s);
      const spaces = await Promise.all(SPACES.map((space) => all(demo, space)));
      expect(spaces.flat()).toHaveLength(50);
    } finally {
      await demo.close();
    }
    const refilled = await createDemo({ dbPath, fresh: true, sessions: 2000, stepEveryMs: 0 });
    try {
      expect(refilled.activity).not.toBeNull();
      expect((await all(refilled)).length).toBeGreaterThan(50);
    } finally {
      await refilled.close();
    }
  });
});

// The ledger the demo builds reads the same store: the sessions the activity writes are the
// ledger's own, with tokens it accepts.
it("should give every planned session a token the ledger accepts", async () => {
  const at = Date.parse("2026-03-10T14:00:00Z");
  const database = new Database(":memory:");
  const store = createSqliteStore({ database });
  await store.migrate();
  const ledger = createSessionLedger({ store, clock: () => at });
  const simulation = createLoginSimulation({ sessionsPerYear: SESSIONS, seed: 5 });
  const { recordAt } = await import("@session-ledger/fixtures");
  const open = [...simulation.plansBetween(at - 2 * 3_600_000, at)].filter(
    (plan) => plan.activeUntil > at,
  );
  expect(open.length).toBeGreaterThan(0);
  for (const plan of open) await store.insertSession(recordAt(plan, at));
  for (const plan of open) {
    expect((await ledger.validate(plan.start.tenantId, plan.token))?.id).toBe(plan.start.id);
  }
  await store.close();
  database.close();
});
