/**
 * The session lifecycle on PostgreSQL: inserts under the per-user cap, lookups, the conditional
 * touch, ends by id, user, filter or tenant, the sweep and retention. Every write that must not
 * race is one conditional statement, or a transaction holding the lock that decides it.
 */
import { type SessionStore, ValidationError } from "@session-ledger/core";
import type {
  EndChange,
  EndOutcome,
  EndTarget,
  ExpiredSession,
  OpenSessionPatch,
  SessionRecord,
  UserSessionCap,
} from "@session-ledger/core/store";
import {
  endColumns,
  endIdList,
  endIdsIn,
  fromSessionRow,
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
  type WireInteger,
} from "@session-ledger/sql";
import { type CompiledQuery, type SqlBool, sql } from "kysely";
import type { PgStoreContext } from "./context.js";
import { errors, guarded, isIdentifierClash } from "./store-errors.js";

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

/**
 * How an insert under the per-user cap is kept atomic. `advisory-lock` (what the store uses):
 * a transaction-scoped advisory lock per (tenant, user) taken before the count, so inserts for
 * one user queue while every other user's run in parallel. `serializable`: the same statements
 * in a SERIALIZABLE transaction, retried on serialization failure. Row locks alone cannot do
 * it: a user with no open session has no row to lock. See the README for the measurement.
 */
export type CapLocking = "advisory-lock" | "serializable";

/** Rows a retention purge deletes per statement, so no transaction grows without bound. */
const PURGE_BATCH = 10_000;

export function sessionLifecycle(
  context: PgStoreContext,
  capLocking: CapLocking = "advisory-lock",
): SessionLifecycle {
  const { db, runner, tables, names, compiler } = context;
  const rows = async (query: CompiledQuery) =>
    (await runner.all<SessionReadRow>(query)).map(fromSessionRow);

  // The validate+touch and create paths run on queries compiled once.
  const statements = sessionStatements(context);

  /** The lock every capped insert for one user of one store's tables holds until it commits. */
  const lockUser = (record: SessionRecord) =>
    sql`SELECT pg_advisory_xact_lock(hashtext('session-ledger:user'), hashtext(${JSON.stringify([
      names.schema,
      names.prefix,
      record.tenantId,
      record.user.id,
    ])}))`.compile(db);

  function insertCapped(record: SessionRecord, cap: UserSessionCap) {
    if (capLocking === "serializable") {
      return runner.transaction((tx) => insertUnderCap(context, statements, tx, record, cap), {
        isolation: "serializable",
      });
    }
    return runner.transaction(async (tx) => {
      // Taken before the count: the count's snapshot then includes every earlier insert for
      // the user, which committed before releasing the lock.
      await tx.all(lockUser(record));
      return insertUnderCap(context, statements, tx, record, cap);
    });
  }

  /**
   * Ends a user's, a filter's or a whole tenant's open sessions in one conditional UPDATE: each
   * row is locked and rechecked as it is ended, so a session ended concurrently is ended once,
   * and a session created after `now` is never matched.
   */
  async function endByTarget(
    tenantId: string,
    target: EndTarget,
    change: EndChange,
  ): Promise<EndOutcome> {
    const ended = await runner.all<{ id: string; user_id: string }>(
      db
        .updateTable(tables.sessions)
        .set(endColumns(change))
        .where("tenant_id", "=", tenantId)
        .where(openAt(change.now))
        .where("created_at", "<=", change.now)
        .where(targetCondition(compiler, target, change.now))
        .returning(["id", "user_id"])
        .compile(),
    );
    return {
      ended: ended.map((row) => ({ id: row.id, userId: row.user_id })),
      alreadyEnded: [],
      notFound: [],
    };
  }

  return {
    insertSession: (record, cap) =>
      guarded("insertSession", async () => {
        try {
          if (cap !== undefined) return await insertCapped(record, cap);
          await runner.all(statements.insertRow(toSessionRow(record)));
          return { inserted: true, evicted: [] };
        } catch (error) {
          throw insertConflict(
            record,
            error,
            errors.isUniqueViolation(error),
            isIdentifierClash(error),
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
        // One conditional UPDATE: a session ended or lapsed meanwhile matches nothing, and one
        // being ended concurrently is rechecked after its end commits.
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
        if ("ids" in target) {
          // One UPDATE for the whole list, then one read of the ids that did not end.
          return endIdList(target.ids, async (unique, record) =>
            record(await endIdsIn(context, runner, tenantId, unique, change)),
          );
        }
        return endByTarget(tenantId, target, change);
      }),

    // Claim, ends and outcome in one transaction; the task row's lock serialises runners.
    endTaskBatch: taskBatchStep(context),

    expireDue: (now, limit) =>
      guarded("expireDue", async () => {
        requireInstant(now);
        requireCount("limit", limit, 0);
        const lapsed = sql<SqlBool>`(ended_at IS NULL AND expires_at <= ${now})`;
        // SKIP LOCKED: sweepers on several nodes take disjoint rows instead of queueing on each
        // other's, and a row a sweeper has ended no longer matches `lapsed` for the next.
        const due = db
          .selectFrom(tables.sessions)
          .select(["tenant_id", "id"])
          .where(lapsed)
          .orderBy("expires_at")
          .limit(limit)
          .forUpdate()
          .skipLocked();
        const expired = await runner.all<{
          tenant_id: string;
          id: string;
          user_id: string;
          end_reason: ExpiredSession["endReason"];
          ended_at: WireInteger;
        }>(
          db
            .updateTable(tables.sessions)
            .set({
              status: "EXPIRED",
              end_reason: sql`CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END`,
              ended_at: sql`expires_at`,
            })
            .where(sql<SqlBool>`(tenant_id, id) IN (${due})`)
            .where(lapsed)
            .returning(["tenant_id", "id", "user_id", "end_reason", "ended_at"])
            .compile(),
        );
        return expired.map((row) => ({
          tenantId: row.tenant_id,
          id: row.id,
          userId: row.user_id,
          endReason: row.end_reason,
          endedAt: Number(row.ended_at),
        }));
      }),

    purgeEnded: (endedBefore, tenantId) =>
      guarded("purgeEnded", async () => {
        requireInstant(endedBefore, "endedBefore");
        let due = db
          .selectFrom(tables.sessions)
          .select(["tenant_id", "id"])
          .where(
            sql<SqlBool>`((ended_at IS NOT NULL AND ended_at < ${endedBefore}) OR (ended_at IS NULL AND expires_at < ${endedBefore}))`,
          )
          .limit(PURGE_BATCH);
        if (tenantId !== undefined) due = due.where("tenant_id", "=", tenantId);
        const purge = db
          .deleteFrom(tables.sessions)
          .where(sql<SqlBool>`(tenant_id, id) IN (${due})`)
          .compile();
        let deleted = 0;
        for (;;) {
          const changed = await runner.run(purge);
          deleted += changed;
          if (changed < PURGE_BATCH) return deleted;
        }
      }),
  };
}
