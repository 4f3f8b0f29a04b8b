/**
 * The session lifecycle as every SQL store runs it: lookups, the conditional touch, the per-user
 * cap's count, eviction and insert, ends of a list of ids with their per-id outcome, ends by
 * user, filter or tenant, the sweep's and the purge's statements, and a termination task's
 * batch. What the databases do differently — the cap's locking, slices or single statements,
 * SKIP LOCKED — each store passes in as its `SessionWrites`.
 */
import { ConflictError, ValidationError } from "@session-ledger/core";
import {
  compareCodePoints,
  type EndChange,
  type EndedSession,
  type EndOutcome,
  type EndTarget,
  type ExpiredSession,
  type InsertOutcome,
  type OpenSessionPatch,
  type SessionRecord,
  type StoreLifecycle,
  type StoreTasks,
  type TaskBatch,
  type UserSessionCap,
} from "@session-ledger/core/store";
import { type CompiledQuery, type SqlBool, sql } from "kysely";
import {
  optionalInstant,
  requireChange,
  requireCount,
  requireInstant,
  requireString,
} from "./arguments.js";
import type { Condition, SqlCompiler } from "./compile-filter.js";
import type { SqlRows, SqlStoreContext } from "./context.js";
import { fromSessionRow, type SessionReadRow, toSessionRow, type WireInteger } from "./rows.js";
import { type SessionStatements, sessionStatements } from "./statements.js";
import { SESSION_READ_COLUMNS } from "./tables.js";

/** Open at `now`: not ended and the deadline not reached. */
export const openAt = (now: number): Condition =>
  sql<SqlBool>`(ended_at IS NULL AND expires_at > ${now})`;

/** Lapsed at `now`: still marked open, but the deadline has passed. */
export const lapsedAt = (now: number): Condition =>
  sql<SqlBool>`(ended_at IS NULL AND expires_at <= ${now})`;

/** Ended, or lapsed, before `endedBefore`: what a retention purge deletes. */
export const endedBefore = (instant: number): Condition =>
  sql<SqlBool>`((ended_at IS NOT NULL AND ended_at < ${instant}) OR (ended_at IS NULL AND expires_at < ${instant}))`;

/** The columns an end writes. */
export const endColumns = (change: EndChange) => ({
  status: change.status,
  end_reason: change.endReason,
  ended_at: change.endedAt,
  ended_by: change.endedBy ?? null,
});

/**
 * The UPDATE that ends the rows matching `condition` that are still open at `change.now`, as one
 * conditional write per row, returning each ended session.
 */
export function endWhere(
  { db, tables }: SqlStoreContext,
  condition: Condition,
  change: EndChange,
): CompiledQuery<{ id: string; user_id: string }> {
  return db
    .updateTable(tables.sessions)
    .set(endColumns(change))
    .where(condition)
    .where(openAt(change.now))
    .returning(["id", "user_id"])
    .compile();
}

export const endedSessionOf = (row: { id: string; user_id: string }): EndedSession => ({
  id: row.id,
  userId: row.user_id,
});

interface ExpiredRow {
  tenant_id: string;
  id: string;
  user_id: string;
  end_reason: ExpiredSession["endReason"];
  ended_at: WireInteger;
}

/**
 * The sweep's UPDATE: the rows `due` picks, if still lapsed at `now`, become EXPIRED at their
 * deadline with the reason the deadline implies, and are returned.
 */
function expireWhere(
  { db, tables }: SqlStoreContext,
  due: Condition,
  now: number,
): CompiledQuery<ExpiredRow> {
  return db
    .updateTable(tables.sessions)
    .set({
      status: "EXPIRED",
      end_reason: sql`CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END`,
      ended_at: sql`expires_at`,
    })
    .where(due)
    .where(lapsedAt(now))
    .returning(["tenant_id", "id", "user_id", "end_reason", "ended_at"])
    .compile();
}

const expiredSessionOf = (row: ExpiredRow): ExpiredSession => ({
  tenantId: row.tenant_id,
  id: row.id,
  userId: row.user_id,
  endReason: row.end_reason,
  endedAt: Number(row.ended_at),
});

const identifierConflict = (record: SessionRecord) =>
  new ConflictError(
    `session_identifier '${record.sessionIdentifier}' already exists in this tenant`,
  );

export interface SessionWrites {
  /**
   * Runs `insert` — `insertUnderCap` on the transaction it is given — so that no other insert
   * for the record's user interleaves: SQLite takes the write lock, PostgreSQL a per-user lock.
   */
  insertCapped(
    record: SessionRecord,
    insert: (tx: SqlRows) => Promise<InsertOutcome>,
  ): Promise<InsertOutcome>;
  /** Whether a duplicate-key error names the session-identifier index (not the primary key). */
  isIdentifierClash(error: unknown): boolean;
  /** Ends distinct ids (`endIdsIn`), in one step or several, handing each step to `record`. */
  endIds(
    tenantId: string,
    ids: readonly string[],
    change: EndChange,
    record: (part: EndOutcome) => void,
  ): Promise<void>;
  /**
   * Ends the sessions `matching` selects — the target's, open at `change.now` and created by
   * then — with `endWhere`, in one statement or several.
   */
  endTarget(matching: Condition, change: EndChange): Promise<EndedSession[]>;
  /**
   * The sweep's rows: a condition naming up to `limit` rows lapsed at `now` (`lapsedAt`, or an
   * equivalent the store's index answers), which the sweep's UPDATE rechecks as it ends each.
   */
  sweepDue(now: number, limit: number): Condition;
  /**
   * Deletes the rows ended or lapsed before `before` (`endedBefore`, or an equivalent the
   * store's indexes answer), of one tenant or all, in one statement or several; returns how many.
   */
  purge(before: number, tenantId: string | undefined): Promise<number>;
}

/** The write side, with the termination task's batch: its ends and its outcome are one step. */
export type SessionLifecycle = StoreLifecycle & Pick<StoreTasks, "endTaskBatch">;

/**
 * The session lifecycle every SQL store runs alike — lookups, the conditional touch, the
 * dispatch of inserts, ends, sweeps and purges, and task batches — around the parts (`writes`)
 * each store does its own way. The hot path runs on statements compiled once.
 */
export function sqlSessionLifecycle(
  context: SqlStoreContext,
  writes: SessionWrites,
): SessionLifecycle {
  const { db, tables, runner, errors, compiler } = context;
  const { guarded } = errors;
  const statements = sessionStatements(context);
  return {
    insertSession: (record, cap) =>
      guarded("insertSession", async () => {
        try {
          if (cap !== undefined) {
            return await writes.insertCapped(record, (tx) =>
              insertUnderCap(context, statements, tx, record, cap),
            );
          }
          await runner.all(statements.insertRow(toSessionRow(record)));
          return { inserted: true, evicted: [] };
        } catch (error) {
          if (!errors.isUniqueViolation(error)) throw error;
          if (writes.isIdentifierClash(error)) throw identifierConflict(record);
          throw new ConflictError(`session id '${record.id}' already exists in this tenant`);
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
        const [row] = await runner.all<SessionReadRow>(
          db
            .selectFrom(tables.sessions)
            .select(SESSION_READ_COLUMNS)
            .where("tenant_id", "=", tenantId)
            .where("session_identifier", "=", sessionIdentifier)
            .compile(),
        );
        return row ? fromSessionRow(row) : null;
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
        if ("ids" in target) {
          return endIdList(target.ids, (unique, record) =>
            writes.endIds(tenantId, unique, change, record),
          );
        }
        const matching = targetCondition(compiler, tenantId, target, change.now);
        return { ended: await writes.endTarget(matching, change), alreadyEnded: [], notFound: [] };
      }),

    endTaskBatch: taskBatchStep(context),

    expireDue: (now, limit) =>
      guarded("expireDue", async () => {
        const due = writes.sweepDue(requireInstant(now), requireCount("limit", limit, 0));
        return (await runner.all<ExpiredRow>(expireWhere(context, due, now))).map(expiredSessionOf);
      }),

    purgeEnded: (before, tenantId) =>
      guarded("purgeEnded", () =>
        writes.purge(
          requireInstant(before, "endedBefore"),
          tenantId === undefined ? undefined : requireString("tenantId", tenantId),
        ),
      ),
  };
}

/**
 * Count, evict and insert for the per-user cap, on `tx`. The store runs it in a transaction in
 * which no other insert for the user can interleave (SQLite's write lock, PostgreSQL's per-user
 * lock), so the count stays true until the insert commits.
 */
async function insertUnderCap(
  { db, tables }: SqlStoreContext,
  statements: SessionStatements,
  tx: SqlRows,
  record: SessionRecord,
  cap: UserSessionCap,
): Promise<InsertOutcome> {
  const now = requireInstant(cap.now, "cap.now");
  const maxOpen = requireCount("cap.maxOpen", cap.maxOpen, Number.MIN_SAFE_INTEGER);
  const ofUser = db
    .selectFrom(tables.sessions)
    .where("tenant_id", "=", record.tenantId)
    .where("user_id", "=", record.user.id)
    .where(openAt(now));
  const [counted] = await tx.all<{ n: number | string }>(
    ofUser.select(sql<number>`count(*)`.as("n")).compile(),
  );
  const excess = Number(counted?.n ?? 0) - maxOpen + 1;
  if (excess > 0 && cap.policy === "reject") {
    // An identifier clash is reported before the cap, as the reference store does.
    if (record.sessionIdentifier !== null) {
      const clash = await tx.all(
        db
          .selectFrom(tables.sessions)
          .select("id")
          .where("tenant_id", "=", record.tenantId)
          .where("session_identifier", "=", record.sessionIdentifier)
          .compile(),
      );
      if (clash.length > 0) throw identifierConflict(record);
    }
    return { inserted: false };
  }
  let evicted: SessionRecord[] = [];
  if (excess > 0) {
    const oldest = ofUser.select("id").orderBy("created_at").orderBy("id").limit(excess);
    evicted = (
      await tx.all<SessionReadRow>(
        db
          .updateTable(tables.sessions)
          .set({ status: "REVOKED", end_reason: "REPLACED", ended_at: now })
          .where("tenant_id", "=", record.tenantId)
          .where("id", "in", oldest)
          .where(openAt(now))
          .returning(SESSION_READ_COLUMNS)
          .compile(),
      )
    )
      .map(fromSessionRow)
      .sort((a, b) => a.createdAt - b.createdAt || compareCodePoints(a.id, b.id));
  }
  await tx.all(statements.insertRow(toSessionRow(record)));
  return { inserted: true, evicted };
}

/**
 * Ends a list of distinct ids on `tx` and tells each id's outcome, in the list's order: one
 * conditional UPDATE for the whole list (the ids bound as one parameter), then one read of the
 * ids that did not end. A session already ended by `change.endedBy` counts as ended: it is a
 * retried batch's own work.
 */
export async function endIdsIn(
  { db, tables, compiler }: SqlStoreContext,
  tx: SqlRows,
  tenantId: string,
  ids: readonly string[],
  change: EndChange,
): Promise<EndOutcome> {
  const ended = await tx.all<{ id: string; user_id: string }>(
    db
      .updateTable(tables.sessions)
      .set(endColumns(change))
      .where("tenant_id", "=", tenantId)
      .where(compiler.inList(sql.ref("id"), ids))
      .where(openAt(change.now))
      .returning(["id", "user_id"])
      .compile(),
  );
  const endedUsers = new Map(ended.map((row) => [row.id, row.user_id]));
  // Only the ids that did not end need telling apart (already ended, or not found).
  const rest = ids.filter((id) => !endedUsers.has(id));
  const found =
    rest.length === 0
      ? []
      : await tx.all<{ id: string; user_id: string; ended_by: string | null }>(
          db
            .selectFrom(tables.sessions)
            .select(["id", "user_id", "ended_by"])
            .where("tenant_id", "=", tenantId)
            .where(compiler.inList(sql.ref("id"), rest))
            .compile(),
        );
  const existing = new Map(found.map((row) => [row.id, row]));
  const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
  for (const id of ids) {
    const userId = endedUsers.get(id);
    const row = existing.get(id);
    if (userId !== undefined) outcome.ended.push({ id, userId });
    else if (row === undefined) outcome.notFound.push(id);
    else if (change.endedBy !== undefined && row.ended_by === change.endedBy) {
      outcome.ended.push({ id, userId: row.user_id });
    } else outcome.alreadyEnded.push(id);
  }
  return outcome;
}

/**
 * Ends a list of ids that may repeat and reports in input order: a repeated id counts as ended
 * once, then as already ended. `endDistinct` ends the distinct ids — in one step or several —
 * and hands each step's outcome to `record`.
 */
export async function endIdList(
  ids: readonly string[],
  endDistinct: (unique: readonly string[], record: (part: EndOutcome) => void) => Promise<void>,
): Promise<EndOutcome> {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
    throw new ValidationError("ids must be a list of strings", { target: "ids" });
  }
  const ended = new Map<string, string>();
  const alreadyEnded = new Set<string>();
  await endDistinct([...new Set(ids)], (part) => {
    for (const { id, userId } of part.ended) ended.set(id, userId);
    for (const id of part.alreadyEnded) alreadyEnded.add(id);
  });
  const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
  for (const id of ids) {
    const userId = ended.get(id);
    if (userId !== undefined) {
      outcome.ended.push({ id, userId });
      ended.delete(id);
      alreadyEnded.add(id);
    } else if (alreadyEnded.has(id)) outcome.alreadyEnded.push(id);
    else outcome.notFound.push(id);
  }
  return outcome;
}

/** The sessions a user, filter or tenant target names. */
function targetOnly(compiler: SqlCompiler, target: EndTarget, now: number): Condition {
  if ("userId" in target) {
    const userId = sql<SqlBool>`user_id = ${requireString("userId", target.userId)}`;
    if (target.exceptId === undefined) return userId;
    return sql<SqlBool>`(${userId} AND id <> ${requireString("exceptId", target.exceptId)})`;
  }
  if ("filter" in target) return compiler.compileFilter(target.filter, now);
  if ("all" in target && target.all === true) return compiler.all([]);
  throw new ValidationError("target must name ids, a user, a filter or all", {
    target: "target",
  });
}

/**
 * The tenant's sessions a user, filter or tenant target names that are open at `now` and were
 * created by then: a bulk end never ends a session that began while it ran.
 */
function targetCondition(
  compiler: SqlCompiler,
  tenantId: string,
  target: EndTarget,
  now: number,
): Condition {
  return compiler.all([
    sql<SqlBool>`tenant_id = ${tenantId}`,
    openAt(now),
    sql<SqlBool>`created_at <= ${now}`,
    targetOnly(compiler, target, now),
  ]);
}

/**
 * `SessionStore.endTaskBatch`: in one transaction, the task's lease and progress are checked
 * and advanced (a conditional UPDATE of the task row, which also serialises runners on it),
 * the batch's sessions ended as the task's and its outcome recorded — all or nothing.
 */
function taskBatchStep(context: SqlStoreContext): StoreTasks["endTaskBatch"] {
  const { db, tables, runner, errors } = context;
  return (tenantId, taskId, batch: TaskBatch, change) =>
    errors.guarded("endTaskBatch", async () => {
      requireChange(change);
      const from = requireCount("from", batch.from, 0);
      return runner.transaction(async (tx) => {
        const [claimed] = await tx.all<{ id: string }>(
          db
            .updateTable(tables.tasks)
            .set({
              progress: from + batch.ids.length,
              lease_expires_at: requireInstant(batch.leaseExpiresAt, "leaseExpiresAt"),
              updated_at: requireInstant(batch.updatedAt, "updatedAt"),
            })
            .where("tenant_id", "=", tenantId)
            .where("id", "=", taskId)
            .where("status", "=", "RUNNING")
            .where("lease_owner", "=", requireString("owner", batch.owner))
            .where("progress", "=", from)
            .returning("id")
            .compile(),
        );
        if (!claimed) return null;
        const outcome = await endIdsIn(context, tx, tenantId, batch.ids, {
          ...change,
          endedBy: taskId,
        });
        await tx.all(
          db
            .insertInto(tables.task_outcomes)
            .values({
              tenant_id: tenantId,
              task_id: taskId,
              start: from,
              ended: JSON.stringify(outcome.ended.map((ended) => ended.id)),
              already_ended: JSON.stringify(outcome.alreadyEnded),
              not_found: JSON.stringify(outcome.notFound),
            })
            .compile(),
        );
        return outcome;
      });
    });
}
