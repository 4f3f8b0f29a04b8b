/**
 * What SQLite does its own way in the session lifecycle (the rest is the SQL stores' shared
 * lifecycle): the cap under the write lock, and bulk writes in short slices by rowid, so they
 * never hold the host's thread or the write lock for long.
 */
import type { EndedSession } from "@session-ledger/core/store";
import {
  type Condition,
  describeError,
  endedBefore,
  endedSessionOf,
  endIdsIn,
  endWhere,
  inSlices,
  lapsedAt,
  type SessionLifecycle,
  sqlSessionLifecycle,
} from "@session-ledger/sql";
import { type SqlBool, sql } from "kysely";
import type { StoreContext } from "./sql-runner.js";

export function sessionLifecycle(context: StoreContext): SessionLifecycle {
  const { db, runner, tables } = context;
  /** Up to `limit` rows `condition` selects, by rowid. */
  const rowsOf = (condition: Condition, limit: number) =>
    sql<SqlBool>`rowid IN (${db
      .selectFrom(tables.sessions)
      .select(sql`rowid`.as("rowid"))
      .where(condition)
      .limit(limit)})`;

  return sqlSessionLifecycle(context, {
    // BEGIN IMMEDIATE takes the write lock before the count: no other insert interleaves.
    insertCapped: (_record, insert) => runner.transaction(insert),

    isIdentifierClash: (error) => /session_identifier/.test(describeError(error)),

    /**
     * Ends a list of ids in short transactions (see `time-slices.ts`), so 100,000 ids never hold
     * the host's thread or the write lock for long.
     */
    async endIds(tenantId, unique, change, record) {
      let done = 0;
      await inSlices(async (size) => {
        const slice = unique.slice(done, done + size);
        record(await runner.transaction((tx) => endIdsIn(context, tx, tenantId, slice, change)));
        done += slice.length;
        return { done: done >= unique.length };
      });
    },

    /**
     * A slice at a time. Each slice is one conditional UPDATE, so a session ended concurrently is
     * never matched twice, and sessions created after `now` are left alone however long the
     * slices take.
     */
    async endTarget(matching, change) {
      const ended: EndedSession[] = [];
      await inSlices(async (size) => {
        const rows = await runner.all<{ id: string; user_id: string }>(
          endWhere(context, rowsOf(matching, size), change),
        );
        for (const row of rows) ended.push(endedSessionOf(row));
        return { done: rows.length < size };
      });
      return ended;
    },

    // One UPDATE … LIMIT over the open-deadline index; the ledger sizes each to a few ms.
    sweepDue: (now, limit) => rowsOf(lapsedAt(now), limit),

    async purge(before, tenantId) {
      let due = endedBefore(before);
      if (tenantId !== undefined) due = sql<SqlBool>`(tenant_id = ${tenantId} AND ${due})`;
      let deleted = 0;
      await inSlices(async (size) => {
        const changed = await runner.run(
          db.deleteFrom(tables.sessions).where(rowsOf(due, size)).compile(),
        );
        deleted += changed;
        return { done: changed < size };
      });
      return deleted;
    },
  });
}
