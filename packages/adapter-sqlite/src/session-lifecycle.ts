/**
 * The session lifecycle as SQL: inserts under the per-user cap, lookups, the conditional
 * touch, ends by id, user, filter or tenant, the sweep and retention. Every write that must
 * not race is one conditional statement or one IMMEDIATE transaction.
 */
import { type SessionStore, ValidationError } from "@session-ledger/core";
import type {
  EndChange,
  EndedSession,
  EndOutcome,
  EndTarget,
  ExpiredSession,
  OpenSessionPatch,
} from "@session-ledger/core/store";
import {
  describeError,
  endColumns,
  endIdList,
  endIdsIn,
  fromSessionRow,
  inSlices,
  insertConflict,
  insertUnderCap,
  openAt,
  optionalInstant,
  requireChange,
  requireCount,
  requireInstant,
  SESSION_READ_COLUMNS,
  type SessionReadRow,
  sessionStatements,
  targetCondition,
  taskBatchStep,
  toSessionRow,
} from "@session-ledger/sql";
import { type CompiledQuery, type SqlBool, sql } from "kysely";
import type { StoreContext } from "./sql-runner.js";
import { compiler } from "./sqlite-dialect.js";
import { errors, guarded } from "./store-errors.js";

type SessionLifecycle = Pick<
  SessionStore,
  | "insertSession"
  | "findSession"
  | "findSessionByIdentifier"
  | "updateOpenSession"
  | "endSessions"
  | "endTaskBatch"
  | "expireDue"
  | "purgeEnded"
>;

export function sessionLifecycle(context: StoreContext): SessionLifecycle {
  const { db, runner, tables } = context;
  const rows = async (query: CompiledQuery) =>
    (await runner.all<SessionReadRow>(query)).map(fromSessionRow);

  // The validate+touch and create paths run on queries compiled once (README, "Hot path").
  const statements = sessionStatements(context);

  /**
   * Ends a list of ids in short transactions (see `time-slices.ts`), so 100,000 ids never hold
   * the host's thread or the write lock for long. Reported in input order; a repeated id counts
   * as ended once, then as already ended.
   */
  function endByIds(tenantId: string, ids: readonly string[], change: EndChange) {
    return endIdList(ids, async (unique, record) => {
      let done = 0;
      await inSlices(async (size) => {
        const slice = unique.slice(done, done + size);
        record(await runner.transaction((tx) => endIdsIn(context, tx, tenantId, slice, change)));
        done += slice.length;
        return { done: done >= unique.length };
      });
    });
  }

  /**
   * Ends a user's, a filter's or a whole tenant's open sessions, a slice at a time. Each slice
   * is one conditional UPDATE, so a session ended concurrently is never matched twice, and
   * sessions created after `now` are left alone however long the slices take.
   */
  async function endByTarget(
    tenantId: string,
    target: EndTarget,
    change: EndChange,
  ): Promise<EndOutcome> {
    const matching = db
      .selectFrom(tables.sessions)
      .select(sql`rowid`.as("rowid"))
      .where("tenant_id", "=", tenantId)
      .where(openAt(change.now))
      .where("created_at", "<=", change.now)
      .where(targetCondition(compiler, target, change.now));
    const ended: EndedSession[] = [];
    await inSlices(async (size) => {
      const rows = await runner.all<{ id: string; user_id: string }>(
        db
          .updateTable(tables.sessions)
          .set(endColumns(change))
          .where(sql<SqlBool>`rowid IN (${matching.limit(size)})`)
          .where(openAt(change.now))
          .returning(["id", "user_id"])
          .compile(),
      );
      for (const row of rows) ended.push({ id: row.id, userId: row.user_id });
      return { done: rows.length < size };
    });
    return { ended, alreadyEnded: [], notFound: [] };
  }

  return {
    insertSession: (record, cap) =>
      guarded("insertSession", async () => {
        try {
          // BEGIN IMMEDIATE takes the write lock before the count: no other insert interleaves.
          if (cap !== undefined) {
            return await runner.transaction((tx) =>
              insertUnderCap(context, statements, tx, record, cap),
            );
          }
          await runner.run(statements.insertRow(toSessionRow(record)));
          return { inserted: true, evicted: [] };
        } catch (error) {
          throw insertConflict(
            record,
            error,
            errors.isUniqueViolation(error),
            /session_identifier/.test(describeError(error)),
          );
        }
      }),

    findSession: (tenantId, id) =>
      guarded("findSession", async () => {
        const [row] = await runner.all<SessionReadRow>(
          statements.findById({ ":tenant": tenantId, ":id": id }),
        );
        return row ? fromSessionRow(row) : null;
      }),

    findSessionByIdentifier: (tenantId, sessionIdentifier) =>
      guarded("findSessionByIdentifier", async () => {
        const [record] = await rows(
          db
            .selectFrom(tables.sessions)
            .select(SESSION_READ_COLUMNS)
            .where("tenant_id", "=", tenantId)
            .where("session_identifier", "=", sessionIdentifier)
            .compile(),
        );
        return record ?? null;
      }),

    updateOpenSession: (tenantId, id, now, patch: OpenSessionPatch) =>
      guarded("updateOpenSession", async () => {
        // One conditional UPDATE: a session ended or lapsed meanwhile matches nothing.
        const [row] = await runner.all<SessionReadRow>(
          statements.touchOpen({
            ":lastActivityAt": optionalInstant("lastActivityAt", patch?.lastActivityAt),
            ":expiresAt": optionalInstant("expiresAt", patch?.expiresAt),
            ":absoluteExpiresAt": optionalInstant("absoluteExpiresAt", patch?.absoluteExpiresAt),
            ":tenant": tenantId,
            ":id": id,
            ":now": requireInstant(now),
          }),
        );
        return row ? fromSessionRow(row) : null;
      }),

    endSessions: (tenantId, target: EndTarget, change) =>
      guarded("endSessions", async () => {
        requireChange(change);
        if (target === null || typeof target !== "object") {
          throw new ValidationError("target is required", { target: "target" });
        }
        if ("ids" in target) return endByIds(tenantId, target.ids, change);
        return endByTarget(tenantId, target, change);
      }),

    // Claim, ends and outcome in one BEGIN IMMEDIATE transaction.
    endTaskBatch: taskBatchStep(context),

    expireDue: (now, limit) =>
      guarded("expireDue", async () => {
        requireInstant(now);
        requireCount("limit", limit, 0);
        const lapsed = sql<SqlBool>`(ended_at IS NULL AND expires_at <= ${now})`;
        const due = db
          .selectFrom(tables.sessions)
          .select(sql`rowid`.as("rowid"))
          .where(lapsed)
          .limit(limit);
        const expired = await runner.all<{
          tenant_id: string;
          id: string;
          user_id: string;
          end_reason: ExpiredSession["endReason"];
          ended_at: number;
        }>(
          db
            .updateTable(tables.sessions)
            .set({
              status: "EXPIRED",
              end_reason: sql`CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END`,
              ended_at: sql`expires_at`,
            })
            .where(sql<SqlBool>`rowid IN (${due})`)
            .where(lapsed)
            .returning(["tenant_id", "id", "user_id", "end_reason", "ended_at"])
            .compile(),
        );
        return expired.map((row) => ({
          tenantId: row.tenant_id,
          id: row.id,
          userId: row.user_id,
          endReason: row.end_reason,
          endedAt: row.ended_at,
        }));
      }),

    purgeEnded: (endedBefore, tenantId) =>
      guarded("purgeEnded", async () => {
        requireInstant(endedBefore, "endedBefore");
        let due = db
          .selectFrom(tables.sessions)
          .select(sql`rowid`.as("rowid"))
          .where(
            sql<SqlBool>`((ended_at IS NOT NULL AND ended_at < ${endedBefore}) OR (ended_at IS NULL AND expires_at < ${endedBefore}))`,
          );
        if (tenantId !== undefined) due = due.where("tenant_id", "=", tenantId);
        let deleted = 0;
        await inSlices(async (size) => {
          const changed = await runner.run(
            db
              .deleteFrom(tables.sessions)
              .where(sql<SqlBool>`rowid IN (${due.limit(size)})`)
              .compile(),
          );
          deleted += changed;
          return { done: changed < size };
        });
        return deleted;
      }),
  };
}
