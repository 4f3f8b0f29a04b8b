/**
 * The writes whose logic is the same on every SQL store: the per-user cap's count, eviction and
 * insert (inside a transaction the store makes atomic its own way), ends of a list of ids with
 * their per-id outcome, and a termination task's batch. What the databases do differently —
 * locking, slicing, the sweep — stays in each store.
 */
import { ConflictError, type SessionStore, ValidationError } from "@session-ledger/core";
import {
  compareCodePoints,
  type EndChange,
  type EndOutcome,
  type EndTarget,
  type InsertOutcome,
  type SessionRecord,
  type TaskBatch,
  type UserSessionCap,
} from "@session-ledger/core/store";
import { type SqlBool, sql } from "kysely";
import { requireChange, requireCount, requireInstant, requireString } from "./arguments.js";
import type { Condition, SqlCompiler } from "./compile-filter.js";
import type { SqlRows, SqlStoreContext } from "./context.js";
import { fromSessionRow, type SessionReadRow, toSessionRow } from "./rows.js";
import type { SessionStatements } from "./statements.js";
import { SESSION_READ_COLUMNS } from "./tables.js";

/** Open at `now`: not ended and the deadline not reached. */
export const openAt = (now: number): Condition =>
  sql<SqlBool>`(ended_at IS NULL AND expires_at > ${now})`;

/** The columns an end writes. */
export const endColumns = (change: EndChange) => ({
  status: change.status,
  end_reason: change.endReason,
  ended_at: change.endedAt,
  ended_by: change.endedBy ?? null,
});

const identifierConflict = (record: SessionRecord) =>
  new ConflictError(
    `session_identifier '${record.sessionIdentifier}' already exists in this tenant`,
  );

/**
 * The `ConflictError` for a failed insert, or the error itself when it was not a duplicate:
 * `clashOnIdentifier` says whether the store's driver named the session-identifier index.
 */
export function insertConflict(
  record: SessionRecord,
  error: unknown,
  isUniqueViolation: boolean,
  clashOnIdentifier: boolean,
): unknown {
  if (!isUniqueViolation) return error;
  if (clashOnIdentifier) return identifierConflict(record);
  return new ConflictError(`session id '${record.id}' already exists in this tenant`);
}

/**
 * Count, evict and insert for the per-user cap, on `tx`. The store runs it in a transaction in
 * which no other insert for the user can interleave (SQLite's write lock, PostgreSQL's per-user
 * lock), so the count stays true until the insert commits.
 */
export async function insertUnderCap(
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

/** The sessions a user, filter or tenant target names (the caller adds "open at `now`"). */
export function targetCondition(compiler: SqlCompiler, target: EndTarget, now: number): Condition {
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
 * `SessionStore.endTaskBatch`: in one transaction, the task's lease and progress are checked
 * and advanced (a conditional UPDATE of the task row, which also serialises runners on it),
 * the batch's sessions ended as the task's and its outcome recorded — all or nothing.
 */
export function taskBatchStep(context: SqlStoreContext): SessionStore["endTaskBatch"] {
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
