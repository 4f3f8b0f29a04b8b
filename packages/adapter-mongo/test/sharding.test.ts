/**
 * The sessions collection sharded as the README recommends (`{ tenantId: 1, id: 1 }`), on the
 * in-process collection, which refuses single-document writes that do not name the whole key.
 * The conformance suite also runs in this mode (`conformance-sharded.test.ts`).
 */
import { ConflictError, checkFilter, StorageError } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import { describe, expect, it } from "vitest";
import { createMongoStore } from "../src/index.js";
import { SESSIONS_SHARD_KEY } from "./fixture.js";
import { createMingoDb } from "./mingo-db.js";

const NOW = Date.UTC(2026, 0, 15);
const SESSIONS = "session_ledger_sessions";

const session = (id: string, more: Partial<SessionRecord> = {}): SessionRecord =>
  sessionRecord({
    id,
    tenantId: "t",
    user: { id: "u", login: "user", fullName: null, email: null },
    createdAt: NOW - 1000,
    expiresAt: NOW + 60_000,
    absoluteExpiresAt: NOW + 3_600_000,
    ...more,
  });

describe("sessions sharded on { tenantId: 1, id: 1 } (mingo-evaluated in-process collection)", () => {
  it("ensureIndexes - without `sharded` it should fail as the server does on the unique identifier index", async () => {
    const db = createMingoDb({ shardKeys: { [SESSIONS]: SESSIONS_SHARD_KEY } });
    const error = await createMongoStore({ db })
      .ensureIndexes()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StorageError);
    await createMongoStore({ db, sharded: true }).ensureIndexes();
  });

  it("create - racing inserts with one session identifier should never both stay", async () => {
    const db = createMingoDb({ shardKeys: { [SESSIONS]: SESSIONS_SHARD_KEY } });
    const store = createMongoStore({ db, sharded: true });
    await store.ensureIndexes();
    for (let round = 0; round < 20; round++) {
      const identifier = `corr-${round}`;
      const results = await Promise.allSettled(
        ["a", "b", "c"].map((id) =>
          store.insertSession(session(`${id}${round}`, { sessionIdentifier: identifier })),
        ),
      );
      for (const result of results) {
        if (result.status === "rejected") expect(result.reason).toBeInstanceOf(ConflictError);
      }
      const kept = await store.countSessions(
        "t",
        checkFilter({
          kind: "compare",
          field: "session_identifier",
          op: "EQ",
          value: { kind: "text", value: identifier },
        }),
        NOW,
      );
      expect(kept).toBeLessThanOrEqual(1);
      expect(kept).toBe(results.filter((result) => result.status === "fulfilled").length);
    }
  });

  it("cap - evictions and withdrawals should name the user too, so a key with user.id would target them", async () => {
    // Sharded on { tenantId, user.id, id }: the cap's writes must name all three. (No indexes:
    // tenant_id could not be unique under this key; the cap does not need them to run.)
    const db = createMingoDb({ shardKeys: { [SESSIONS]: { tenantId: 1, "user.id": 1, id: 1 } } });
    const store = createMongoStore({ db, sharded: true });
    await store.insertSession(session("old", { createdAt: NOW - 5000 }));
    const evicting = await store.insertSession(session("new"), {
      maxOpen: 1,
      policy: "evict-oldest",
      now: NOW,
    });
    expect(evicting).toMatchObject({ inserted: true, evicted: [{ id: "old" }] });
    const rejected = await store.insertSession(session("third"), {
      maxOpen: 1,
      policy: "reject",
      now: NOW,
    });
    expect(rejected).toEqual({ inserted: false });
  });
});
