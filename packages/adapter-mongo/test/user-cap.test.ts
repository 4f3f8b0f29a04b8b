import { checkFilter } from "@session-ledger/core";
/**
 * The per-user cap with `evict-oldest` must never evict the caller's own new session in favour
 * of an older one: not when the node that takes the login has a clock that lags another node's,
 * and not when two logins fall in the same millisecond on different processes (whose ObjectIds
 * do not say which came first).
 */
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import { type Collection, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { toSessionDocument } from "../src/documents.js";
import { createMongoStore } from "../src/index.js";
import { createMingoDb, seedMingoCollection } from "./mingo-db.js";

const NOW = Date.UTC(2026, 0, 15, 12);
const cap = { maxOpen: 1, policy: "evict-oldest", now: NOW } as const;

const session = (id: string, createdAt: number): SessionRecord =>
  sessionRecord({
    id,
    tenantId: "t",
    user: { id: "u", login: "user", fullName: null, email: null },
    createdAt,
    lastActivityAt: createdAt,
    expiresAt: NOW + 60_000,
    absoluteExpiresAt: NOW + 3_600_000,
  });

describe("cap - evict-oldest keeps the caller's own session (mingo-evaluated in-process collection)", () => {
  it("a login on a node whose clock lags should evict the older session, not itself", async () => {
    const store = createMongoStore({ db: createMingoDb() });
    await store.ensureIndexes();
    await store.insertSession(session("first", NOW), cap);
    // The second login happens later, but its node's clock is five seconds behind.
    const outcome = await store.insertSession(session("second", NOW - 5000), cap);
    expect(outcome).toMatchObject({ inserted: true, evicted: [{ id: "first" }] });
    expect((await store.findSession("t", "second"))?.status).toBe("ACTIVE");
  });

  it("a login in the same millisecond as another process's should evict that one, not itself", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    await store.ensureIndexes();
    // Another process's earlier login in the same millisecond, whose ObjectId sorts higher (an
    // ObjectId's leading bytes are its process's clock, in seconds; here the latest there is).
    seedMingoCollection(db, store.collectionNames.sessions, [
      {
        ...toSessionDocument(session("other", NOW)),
        _id: ObjectId.createFromTime(2 ** 32 - 1),
      },
    ]);
    const outcome = await store.insertSession(session("mine", NOW), cap);
    expect(outcome).toMatchObject({ inserted: true, evicted: [{ id: "other" }] });
    expect((await store.findSession("t", "mine"))?.status).toBe("ACTIVE");
  });

  for (const [lost, lose] of [
    ["deleted", (counters: Collection) => counters.deleteMany({})],
    ["reset", (counters: Collection) => counters.updateMany({}, { $set: { seq: 0 } })],
  ] as const) {
    it(`a login after its user's login counter was ${lost} should evict the oldest, not itself`, async () => {
      const db = createMingoDb();
      const store = createMongoStore({ db });
      await store.ensureIndexes();
      const cap2 = { ...cap, maxOpen: 2 };
      for (const [i, id] of ["a", "b", "c"].entries()) {
        await store.insertSession(session(id, NOW + i), cap2);
      }
      await lose(db.collection(store.collectionNames.loginSequences));
      const outcome = await store.insertSession(session("d", NOW + 3), cap2);
      expect(outcome).toMatchObject({ inserted: true, evicted: [{ id: "b" }] });
      expect((await store.findSession("t", "d"))?.status).toBe("ACTIVE");
      expect((await store.findSession("t", "c"))?.status).toBe("ACTIVE");
      // The counter continues from the highest number in use, so the next login ranks newest.
      const next = await store.insertSession(session("e", NOW + 4), cap2);
      expect(next).toMatchObject({ inserted: true, evicted: [{ id: "c" }] });
    });
  }

  it("racing logins with scattered clocks should converge on exactly the cap", async () => {
    const store = createMongoStore({ db: createMingoDb() });
    await store.ensureIndexes();
    const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
    // Clocks all over the place: creation times do not follow the order of the logins.
    await Promise.all(
      ids.map((id, i) =>
        store.insertSession(session(id, NOW - ((i * 7) % 5) * 1000), { ...cap, maxOpen: 3 }),
      ),
    );
    const open = await store.countSessions(
      "t",
      checkFilter({
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "ACTIVE" },
      }),
      NOW,
    );
    expect(open).toBe(3);
  });
});
