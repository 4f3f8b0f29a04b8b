/**
 * An export is one cursor over many batches, and a session touched while it runs moves in
 * last-activity order: each session must still be handed out exactly once (the in-process
 * collection evaluates cursors batch by batch, resuming past the last sort position handed out,
 * as an index walk does).
 */
import { checkFilter, type Session, type SortKey } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import { describe, expect, it } from "vitest";
import { createMongoStore, type MongoSessionStore } from "../src/index.js";
import { CURSOR_BATCH, createMingoDb } from "./mingo-db.js";

const NOW = Date.UTC(2026, 0, 15, 12);
const COUNT = CURSOR_BATCH * 2 + 30;

const session = (i: number): SessionRecord =>
  sessionRecord({
    id: `s${String(i).padStart(3, "0")}`,
    tenantId: "t",
    user: { id: `u${i % 7}`, login: `user${i % 7}`, fullName: null, email: null },
    createdAt: NOW - 600_000 + i,
    lastActivityAt: NOW - 600_000 + i,
    expiresAt: NOW + 600_000,
    absoluteExpiresAt: NOW + 3_600_000,
  });

async function seeded(): Promise<MongoSessionStore> {
  const store = createMongoStore({ db: createMingoDb() });
  await store.ensureIndexes();
  for (let i = 0; i < COUNT; i++) await store.insertSession(session(i));
  return store;
}

const allIds = Array.from({ length: COUNT }, (_, i) => session(i).id);

/** Exports while touching `touched(row)` sessions as the rows arrive; the ids, in export order. */
async function exportTouching(
  store: MongoSessionStore,
  sort: SortKey[],
  touchedAt: (row: Session, index: number) => string[],
): Promise<Session[]> {
  const rows: Session[] = [];
  let clock = NOW;
  for await (const row of store.streamSessions("t", { filter: null, sort, now: NOW })) {
    rows.push(row);
    for (const id of touchedAt(row, rows.length - 1)) {
      clock += 1;
      const touched = await store.updateOpenSession("t", id, clock, { lastActivityAt: clock });
      expect(touched?.id).toBe(id);
    }
  }
  return rows;
}

const ids = (rows: Session[]) => rows.map((row) => row.id);

describe("exports: each session once while last activity moves (mingo-evaluated in-process collection)", () => {
  it("export - should hand out a session touched after it was exported once, by last activity oldest first", async () => {
    const store = await seeded();
    // Every session of the first batch is touched as it is handed out: each now sorts last.
    const rows = await exportTouching(
      store,
      [{ field: "last_activity_time", direction: "asc" }],
      (row, index) => (index < CURSOR_BATCH ? [row.id] : []),
    );
    expect(ids(rows).sort()).toEqual(allIds);
  });

  it("export - should hand out a session touched before it was exported, by last activity newest first", async () => {
    const store = await seeded();
    // While the first batch is read, the oldest sessions (not yet handed out) become the newest.
    const rows = await exportTouching(
      store,
      [{ field: "last_activity_time", direction: "desc" }],
      (_row, index) => (index < 20 ? [allIds[index]!] : []),
    );
    expect(ids(rows).sort()).toEqual(allIds);
  });

  it("export - should keep the export's order among the sessions nobody touched", async () => {
    const store = await seeded();
    const rows = await exportTouching(
      store,
      [{ field: "last_activity_time", direction: "asc" }],
      (_row, index) => (index === 5 ? [allIds[200]!] : []),
    );
    const untouched = ids(rows).filter((id) => id !== allIds[200]);
    expect(untouched).toEqual(allIds.filter((id) => id !== allIds[200]));
    expect(ids(rows)).toContain(allIds[200]);
  });

  it("export - should say to run ensureIndexes when the index it walks is missing", async () => {
    const store = createMongoStore({ db: createMingoDb() });
    await store.insertSession(session(1));
    const rows = store.streamSessions("t", {
      filter: null,
      sort: [{ field: "last_activity_time", direction: "asc" }],
      now: NOW,
    });
    await expect(
      (async () => {
        for await (const _row of rows);
      })(),
    ).rejects.toThrow("run ensureIndexes first");
  });

  it("export - should walk a user's sessions through tenant_user_created, everyone's through tenant_created", async () => {
    const hints: unknown[] = [];
    const store = createMongoStore({
      db: createMingoDb({
        observe: (collection, method, args) => {
          if (collection === "session_ledger_sessions" && method === "find") {
            hints.push((args[1] as { hint?: unknown }).hint);
          }
        },
      }),
    });
    await store.ensureIndexes();
    for (let i = 0; i < 14; i++) await store.insertSession(session(i));
    const sort: SortKey[] = [{ field: "last_activity_time", direction: "desc" }];
    const ofUser = checkFilter({
      kind: "user",
      filter: { kind: "compare", field: "user.id", op: "EQ", value: { kind: "text", value: "u3" } },
    });
    hints.length = 0;
    const mine: string[] = [];
    for await (const row of store.streamSessions("t", { filter: ofUser, sort, now: NOW })) {
      mine.push(row.id);
    }
    const everyone: string[] = [];
    for await (const row of store.streamSessions("t", { filter: null, sort, now: NOW })) {
      everyone.push(row.id);
    }
    expect(mine).toEqual(["s010", "s003"]);
    expect(everyone).toHaveLength(14);
    expect(hints).toEqual(["tenant_user_created", "tenant_created"]);
  });
});
