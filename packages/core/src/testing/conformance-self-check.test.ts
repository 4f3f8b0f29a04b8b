/**
 * The conformance suite checking itself: the cases that guard the lifecycle's hardest
 * promises must fail on stores broken in exactly the way each promise forbids. A case that
 * passed on a broken store would guard nothing.
 */
import { tzOffset } from "@date-fns/tz";
import { describe, expect, it } from "vitest";
import { StorageError } from "../errors.js";
import { checkTimeBuckets } from "../listing/time-buckets.js";
import { createMemoryStore, createMemoryStoreWithRows } from "../memory/memory-store.js";
import type { SessionRecord } from "../model/session.js";
import type { SessionStore } from "../storage.js";
import { conformanceCases } from "./conformance.js";
import { createCaseContext, OTHER_TENANT, TENANT } from "./harness.js";

/** A blind write of a whole row, as a careless store would do it. */
const overwrite = (sessions: Map<string, Map<string, SessionRecord>>, row: SessionRecord) =>
  sessions.get(row.tenantId)?.set(row.id, structuredClone(row));

const tick = () => new Promise((resolve) => setImmediate(resolve));

interface Breakage {
  /** How the store is broken, as a sentence fragment. */
  what: string;
  store(): SessionStore;
  /** Cases that must fail on it. */
  caught: string[];
}

const breakages: Breakage[] = [
  {
    what: "it keeps the absolute deadline where the idle deadline belongs",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        insertSession: (r, cap) =>
          inner.insertSession({ ...r, expiresAt: r.absoluteExpiresAt }, cap),
      };
    },
    caught: [
      "expiry - a session read after its idle deadline should be EXPIRED with endedAt at the deadline, before any sweep",
      "create - should set the idle and absolute deadlines from the tenant policy",
    ],
  },
  {
    what: "it adds an hour to every deadline",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        insertSession: (r, cap) =>
          inner.insertSession({ ...r, expiresAt: r.expiresAt + 3_600_000 }, cap),
      };
    },
    caught: [
      "expiry - a session read after its absolute lifetime should be EXPIRED with endedAt at the lifetime, before any sweep",
    ],
  },
  {
    what: "it drops activity writes",
    store() {
      const inner = createMemoryStore();
      return { ...inner, updateOpenSession: (tenantId, id) => inner.findSession(tenantId, id) };
    },
    caught: [
      "validate - should write activity and push the idle deadline once the window has passed",
    ],
  },
  {
    what: "it touches by reading the row and writing it all back later, reviving a session ended in between",
    store() {
      const { store: inner, sessions } = createMemoryStoreWithRows();
      return {
        ...inner,
        async updateOpenSession(tenantId, id, _now, patch) {
          const snapshot = await inner.findSession(tenantId, id);
          if (!snapshot) return null;
          await tick();
          const written = { ...snapshot, ...patch };
          overwrite(sessions, written);
          return written;
        },
      };
    },
    caught: ["race - a touch racing a terminate should never leave the session open (200 rounds)"],
  },
  {
    what: "it ends sessions whatever state they are in",
    store() {
      const { store: inner, sessions } = createMemoryStoreWithRows();
      return {
        ...inner,
        async endSessions(tenantId, target, change) {
          if (!("ids" in target)) return inner.endSessions(tenantId, target, change);
          const outcome = {
            ended: [] as { id: string; userId: string }[],
            alreadyEnded: [],
            notFound: [] as string[],
          };
          for (const id of target.ids) {
            const row = await inner.findSession(tenantId, id);
            if (!row) {
              outcome.notFound.push(id);
              continue;
            }
            overwrite(sessions, {
              ...row,
              status: change.status,
              endReason: change.endReason,
              endedAt: change.endedAt,
            });
            outcome.ended.push({ id, userId: row.user.id });
          }
          return outcome;
        },
      };
    },
    caught: [
      "terminate - terminating twice should be a no-op that keeps the first end",
      "terminate - should not turn an expired session into a revoked one",
    ],
  },
  {
    what: "it reports every id it was given as ended",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        async endSessions(tenantId, target, change) {
          const outcome = await inner.endSessions(tenantId, target, change);
          if (!("ids" in target)) return outcome;
          return {
            ended: target.ids.map((id) => ({ id, userId: "?" })),
            alreadyEnded: [],
            notFound: [],
          };
        },
      };
    },
    caught: [
      "terminate - a list of ids should report which ended, which had ended and which were not found",
    ],
  },
  {
    what: "it looks sessions up by id in every tenant",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        async findSession(tenantId, id) {
          for (const tenant of [tenantId, TENANT, OTHER_TENANT]) {
            const row = await inner.findSession(tenant, id);
            if (row) return row;
          }
          return null;
        },
      };
    },
    caught: [
      "tenancy - nothing done in tenant A should be visible in, or change, tenant B",
      "validate - should return null for a token presented to another tenant",
    ],
  },
  {
    what: "it answers an unknown id with some other session of the tenant",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        async findSession(tenantId, id) {
          const row = await inner.findSession(tenantId, id);
          if (row) return row;
          const [any] = await inner.listSessions(tenantId, {
            filter: null,
            sort: [],
            now: 0,
            limit: 1,
          });
          const other = any && (await inner.findSession(tenantId, any.id));
          return other ? { ...other, id } : null;
        },
      };
    },
    caught: ["validate - should return null for an unknown id"],
  },
  {
    what: "it runs a task's batch without checking the lease or the progress",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        async endTaskBatch(tenantId, taskId, batch, change) {
          const task = await inner.getTask(tenantId, taskId);
          if (!task) return null;
          // Makes the condition hold whoever asks, as a store that forgot to check would.
          await inner.updateTask(tenantId, taskId, {
            updatedAt: batch.updatedAt,
            status: "RUNNING",
            leaseOwner: batch.owner,
          });
          const forced = { ...batch, from: task.progress };
          return inner.endTaskBatch(tenantId, taskId, forced, change);
        },
      };
    },
    caught: [
      "tasks - endTaskBatch should change nothing without the lease, or for a batch already recorded",
    ],
  },
  {
    what: "it forgets who ended a session, so a retried batch calls its own ends someone else's",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        endSessions: (tenantId, target, { endedBy: _forgotten, ...change }) =>
          inner.endSessions(tenantId, target, change),
      };
    },
    caught: [
      "tasks - a batch cut short after its ends should, when retried, report the sessions it ended as ended",
      "terminate - a retry with the same endedBy should report its own earlier ends as ended, once",
    ],
  },
  {
    what: "it cuts time buckets at the offset its zone has where the range starts, as if there were no DST",
    store() {
      const inner = createMemoryStore();
      return {
        ...inner,
        groupSessionsByTime(tenantId, query) {
          const { interval, timeZone, from, to } = query.buckets;
          const minutes = tzOffset(timeZone, new Date(from));
          const hhmm = new Date(Math.abs(minutes) * 60_000).toISOString().slice(11, 16);
          const fixed = `${minutes < 0 ? "-" : "+"}${hhmm}`;
          const buckets = checkTimeBuckets({ interval, timeZone: fixed, from, to });
          return inner.groupSessionsByTime(tenantId, { ...query, buckets });
        },
      };
    },
    caught: [
      "buckets - should give Berlin's spring-forward day 23 hours, each day from its own midnight",
      "buckets - should start weeks on Monday at New York's midnight, across its fall-back",
    ],
  },
  {
    what: "its close stops the reads but lets writes through",
    store() {
      const inner = createMemoryStore();
      let closed = false;
      const read =
        <Args extends unknown[], R>(method: (...args: Args) => Promise<R>) =>
        (...args: Args) =>
          closed ? Promise.reject(new StorageError("closed")) : method(...args);
      return {
        ...inner,
        findSession: read(inner.findSession),
        listSessions: read(inner.listSessions),
        countSessions: read(inner.countSessions),
        getPolicy: read(inner.getPolicy),
        close: async () => {
          closed = true;
        },
      };
    },
    caught: ["close - should fail every read and write with StorageError once the store is closed"],
  },
];

describe("conformance suite self-check", () => {
  const byName = new Map(conformanceCases.map((c) => [c.name, c]));
  for (const breakage of breakages) {
    for (const name of breakage.caught) {
      it(`${name} - should fail when ${breakage.what}`, async () => {
        const testCase = byName.get(name);
        expect(testCase, `no conformance case named "${name}"`).toBeDefined();
        const context = createCaseContext(breakage.store(), () => breakage.store());
        await expect(testCase!.run(context)).rejects.toThrow();
      });
    }
  }

  it("should hold at least 40 lifecycle and 40 listing cases, each named as a sentence", () => {
    const names = conformanceCases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+ - [a-zA-Z]/);
    const listing = names.filter((n) =>
      /^(sort|filter|list|count|group|buckets|cursor|export) - /.test(n),
    );
    expect(names.length - listing.length).toBeGreaterThanOrEqual(40);
    expect(listing.length).toBeGreaterThanOrEqual(40);
  });
});
