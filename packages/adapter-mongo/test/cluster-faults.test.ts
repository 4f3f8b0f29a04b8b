/**
 * What a replica set or a sharded cluster does that one mongod does not, each as a fault rule of
 * the in-process collection (`ClusterFaults`), and the store surviving it: every answer the
 * store gives is still the reference's.
 */
import {
  checkFilter,
  DEFAULT_QUERY_LIMITS,
  parseQuery,
  ValidationError,
} from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import type { Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { createMongoStore, type MongoSessionStore, StorageTimeoutError } from "../src/index.js";
import { SESSIONS_SHARD_KEY } from "./fixture.js";
import { HOT_PATHS, seedSessions } from "./hot-paths.js";
import { type ClusterFaults, createMingoDb } from "./mingo-db.js";

const NOW = Date.UTC(2026, 0, 15, 12);
const end = { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW } as const;

const session = (i: number, userId = "u"): SessionRecord =>
  sessionRecord({
    id: `s${String(i).padStart(3, "0")}`,
    tenantId: "t",
    user: { id: userId, login: userId, fullName: null, email: null },
    createdAt: NOW - 60_000 + i,
    lastActivityAt: NOW - 60_000 + i,
    expiresAt: NOW + 60_000,
    absoluteExpiresAt: NOW + 3_600_000,
  });

interface Faulted {
  store: MongoSessionStore;
  faults: ClusterFaults;
  calls: string[];
}

async function faultedStore(count: number): Promise<Faulted> {
  const faults: ClusterFaults = {};
  const calls: string[] = [];
  const sessions = "session_ledger_sessions";
  const store = createMongoStore({
    db: createMingoDb({
      faults,
      shardKeys: { [sessions]: SESSIONS_SHARD_KEY },
      observe: (collection, method) => {
        if (collection === sessions) calls.push(method);
      },
    }),
    sharded: true,
  });
  await store.ensureIndexes();
  for (let i = 0; i < count; i++) await store.insertSession(session(i, i % 2 ? "u" : "other"));
  calls.length = 0;
  return { store, faults, calls };
}

const openOf = async (store: MongoSessionStore, ids: string[]) => {
  const found = await Promise.all(ids.map((id) => store.findSession("t", id)));
  return found.filter((record) => record?.status === "ACTIVE").map((record) => record!.id);
};

const idsOf = (count: number, userId: string) =>
  Array.from({ length: count }, (_, i) => session(i, i % 2 ? "u" : "other"))
    .filter((record) => record.user.id === userId)
    .map((record) => record.id);

describe("cluster faults: ends by user, tenant and filter", () => {
  it("should end every session of the user while a chunk migration makes multi-writes skip some", async () => {
    const { store, faults, calls } = await faultedStore(12);
    const mine = idsOf(12, "u");
    faults.migratingChunk = (doc: Document) => mine.slice(0, 3).includes(doc.id);
    const outcome = await store.endSessions("t", { userId: "u" }, end);
    expect(outcome.ended.map((s) => s.id).sort()).toEqual(mine);
    expect(await openOf(store, mine)).toEqual([]);
    expect(calls).not.toContain("updateMany");
  });

  it("should end every session of the tenant, and report each once, when a stepdown cuts a write short", async () => {
    const { store, faults } = await faultedStore(12);
    faults.stepDowns = 1;
    const outcome = await store.endSessions("t", { all: true }, end);
    const all = [...idsOf(12, "u"), ...idsOf(12, "other")].sort();
    expect(outcome.ended.map((s) => s.id).sort()).toEqual(all);
    expect(await openOf(store, all)).toEqual([]);
  });

  it("should end by a filter through the id path, in batches of bounded size", async () => {
    const { store, faults, calls } = await faultedStore(12);
    faults.migratingChunk = () => true;
    faults.stepDowns = 1;
    const filter = {
      kind: "compare",
      field: "user.id",
      op: "EQ",
      value: { kind: "text", value: "other" },
    } as const;
    const outcome = await store.endSessions(
      "t",
      { filter: checkFilter({ kind: "user", filter })! },
      end,
    );
    expect(outcome.ended.map((s) => s.id).sort()).toEqual(idsOf(12, "other"));
    expect(await openOf(store, idsOf(12, "u"))).toEqual(idsOf(12, "u"));
    expect(calls.filter((method) => method.endsWith("Many"))).toEqual([]);
  });
});

describe("cluster faults: the sweep and the purge", () => {
  it("should report every session the sweep expired when a stepdown cuts its write short", async () => {
    const { store, faults } = await faultedStore(12);
    faults.stepDowns = 1;
    const later = NOW + 120_000;
    const expired = await store.expireDue(later, 100);
    const all = [...idsOf(12, "u"), ...idsOf(12, "other")].sort();
    expect(expired.map((row) => row.id).sort()).toEqual(all);
    expect(await store.expireDue(later, 100)).toEqual([]);
  });

  it("should count every session a purge deleted when a stepdown cuts a batch short", async () => {
    const { store, faults } = await faultedStore(12);
    await store.endSessions("t", { all: true }, end);
    faults.stepDowns = 1;
    expect(await store.purgeEnded(NOW + 1, "t")).toBe(12);
    expect(await store.purgeEnded(NOW + 1, "t")).toBe(0);
  });
});

describe("wildcards: bounded by core's query limits, under mongod's pattern cap", () => {
  it("should refuse a query of 1,900 wildcards as a ValidationError naming maxWildcards, not reach the server", async () => {
    const { store } = await faultedStore(2);
    const query = `client_type='${"a*".repeat(1900)}a'`;
    expect(query.length).toBeLessThan(4096);
    const listed = Promise.resolve().then(() =>
      store.listSessions("t", { filter: parseQuery(query), sort: [], now: NOW, limit: 10 }),
    );
    await expect(listed).rejects.toThrow(ValidationError);
    await expect(listed).rejects.toThrow("maxWildcards");
  });

  it("should run the largest pattern the default limits let through", async () => {
    const { store } = await faultedStore(2);
    // The raw path spells each letter as a class (`[aA]`): the most bytes per character.
    const query = `client_ip='${"a*".repeat(DEFAULT_QUERY_LIMITS.maxWildcards)}${"a".repeat(3800)}'`;
    expect(query.length).toBeLessThanOrEqual(DEFAULT_QUERY_LIMITS.maxLength);
    const page = await store.listSessions("t", {
      filter: parseQuery(query),
      sort: [],
      now: NOW,
      limit: 10,
    });
    expect(page).toEqual([]);
  });
});

describe("timeouts: budgets per operation kind", () => {
  const timedStore = async (timeouts: Record<string, number>) => {
    const faults: ClusterFaults = {};
    const store = createMongoStore({ db: createMingoDb({ faults }), timeouts });
    await store.ensureIndexes();
    await store.insertSession(session(1));
    return { store, faults };
  };

  it("should fail a login whose majority never acknowledges within the write budget", async () => {
    const { store, faults } = await timedStore({ writeMs: 20 });
    faults.unacknowledged = true;
    await expect(store.insertSession(session(2))).rejects.toThrow(StorageTimeoutError);
    await expect(
      store.updateOpenSession("t", "s001", NOW, { lastActivityAt: NOW }),
    ).rejects.toThrow("within its time budget");
  });

  it("should fail a touch that matches nothing when its majority never acknowledges (a no-op write waits too)", async () => {
    const { store, faults } = await timedStore({ writeMs: 20 });
    faults.unacknowledged = true;
    await expect(
      store.updateOpenSession("t", "no-such-session", NOW, { lastActivityAt: NOW }),
    ).rejects.toThrow(StorageTimeoutError);
  });

  it("should stop an admin read on the server past the read budget, and a lookup past the write budget", async () => {
    const { store, faults } = await timedStore({ readMs: 20, writeMs: 30 });
    faults.stalledReads = true;
    await expect(store.countSessions("t", null, NOW)).rejects.toThrow(StorageTimeoutError);
    await expect(
      store.listSessions("t", { filter: null, sort: [], now: NOW, limit: 10 }),
    ).rejects.toThrow(StorageTimeoutError);
    await expect(store.findSession("t", "s001")).rejects.toThrow(StorageTimeoutError);
  });

  it("should refuse budgets that are unknown, not whole or out of range", () => {
    const db = createMingoDb();
    for (const timeouts of [
      { writesMs: 5 },
      { readMs: 0 },
      { bulkMs: 1.5 },
      { writeMs: 2 ** 31 },
      5,
    ]) {
      expect(() =>
        createMongoStore({ db, timeouts: timeouts as unknown as Record<string, number> }),
      ).toThrow(ValidationError);
    }
  });
});

describe("a task batch's advance", () => {
  it("should ask for no more than whether the task advanced (its inline payload stays on the server)", async () => {
    const advances: Document[] = [];
    const store = createMongoStore({
      db: createMingoDb({
        observe: (collection, method, args) => {
          if (collection === "session_ledger_tasks" && method === "findOneAndUpdate")
            advances.push(args[2] as Document);
        },
      }),
    });
    await store.ensureIndexes();
    await seedSessions(store, 40);
    const taskRunner = HOT_PATHS.find((path) => path.name.startsWith("task runner"))!;
    await taskRunner.run(store);
    // The lease takeover, then the batch's advance.
    expect(advances.at(-1)?.projection).toEqual({ _id: 1 });
  });
});
