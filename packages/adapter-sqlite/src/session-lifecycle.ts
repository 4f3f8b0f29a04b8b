/**
 * The session lifecycle as SQL: inserts under the per-user cap, lookups, the conditional
 * touch, ends by id, user, filter or tenant, the sweep and retention. Every write that must
 * not race is one conditional statement or one IMMEDIATE transaction.
 */
import { ConflictError, type SessionStore, ValidationError } from "@session-ledger/core";
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
  type TaskBatch,
  type UserSessionCap,
} from "@session-ledger/core/store";
import { type Condition, inSlices } from "@session-ledger/sql";
import { type CompiledQuery, type SqlBool, sql } from "kysely";
import { optionalInstant, requireCount, requireInstant, requireString } from "./arguments.js";
import { SESSION_COLUMNS, SESSION_READ_COLUMNS } from "./schema.js";
import {
  fromSessionRow,
  type SessionReadRow,
  type SessionRow,
  toSessionRow,
} from "./session-row.js";
import type { SqlRunner, StoreContext } from "./sql-runner.js";
import { compiler } from "./sqlite-dialect.js";
import { describeError, guarded, isUniqueViolation } from "./store-errors.js";

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
 * A query compiled once with named placeholders as its values, rebound to each call's values
 * by name, so the order kysely emits parameters in does not matter.
 */
function compiledOnce<K extends string>(
  compiled: CompiledQuery,
  names: readonly K[],
): (values: Record<K, unknown>) => CompiledQuery {
  const slots = compiled.parameters.map((parameter) => {
    if (!names.includes(parameter as K)) throw new Error(`unnamed parameter in ${compiled.sql}`);
    return parameter as K;
  });
  return (values) => ({ ...compiled, parameters: slots.map((name) => values[name]) });
}

const identifierConflict = (record: SessionRecord) =>
  new ConflictError(
    `session_identifier '${record.sessionIdentifier}' already exists in this tenant`,
  );

function checkChange(change: EndChange): EndChange {
  if (change === null || typeof change !== "object") {
    throw new ValidationError("change is required", { target: "change" });
  }
  requireInstant(change.now, "now");
  requireInstant(change.endedAt, "endedAt");
  requireString("status", change.status);
  requireString("endReason", change.endReason);
  return change;
}

export function sessionLifecycle({ db, runner, tables }: StoreContext): SessionLifecycle {
  const rows = async (query: CompiledQuery) =>
    (await runner.all<SessionReadRow>(query)).map(fromSessionRow);

  // The validate+touch path runs on queries compiled once: building and compiling them with
  // kysely on every call adds 20-35% to the hand-written cost (README, "Hot path").
  const findById = compiledOnce(
    db
      .selectFrom(tables.sessions)
      .select(SESSION_READ_COLUMNS)
      .where("tenant_id", "=", ":tenant")
      .where("id", "=", ":id")
      .compile(),
    [":tenant", ":id"],
  );
  const touchOpen = compiledOnce(
    db
      .updateTable(tables.sessions)
      .set({
        last_activity_at: sql`coalesce(${":lastActivityAt"}, last_activity_at)`,
        expires_at: sql`coalesce(${":expiresAt"}, expires_at)`,
        absolute_expires_at: sql`coalesce(${":absoluteExpiresAt"}, absolute_expires_at)`,
      })
      .where("tenant_id", "=", ":tenant")
      .where("id", "=", ":id")
      .where("ended_at", "is", null)
      .where(sql<SqlBool>`expires_at > ${":now"}`)
      .returning(SESSION_READ_COLUMNS)
      .compile(),
    [":lastActivityAt", ":expiresAt", ":absoluteExpiresAt", ":tenant", ":id", ":now"],
  );

  // Inserting is the create path: compiled once like the touch, since building and compiling a
  // 27-column INSERT with kysely costs about a fifth of a create.
  const insertRow = compiledOnce(
    db
      .insertInto(tables.sessions)
      .values(
        Object.fromEntries(
          SESSION_COLUMNS.map((column) => [column, column]),
        ) as unknown as SessionRow,
      )
      .compile(),
    SESSION_COLUMNS,
  );

  /** Open at `now`: not ended and the deadline not reached. */
  const openAt = (now: number) => sql<SqlBool>`(ended_at IS NULL AND expires_at > ${now})`;

  async function insertWithCap(record: SessionRecord, cap: UserSessionCap): Promise<InsertOutcome> {
    const now = requireInstant(cap.now, "cap.now");
    const maxOpen = requireCount("cap.maxOpen", cap.maxOpen, Number.MIN_SAFE_INTEGER);
    const ofUser = db
      .selectFrom(tables.sessions)
      .where("tenant_id", "=", record.tenantId)
      .where("user_id", "=", record.user.id)
      .where(openAt(now));
    return runner.transaction(async (tx) => {
      const [{ n: open } = { n: 0 }] = await tx.all<{ n: number }>(
        ofUser.select(sql<number>`count(*)`.as("n")).compile(),
      );
      const excess = open - maxOpen + 1;
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
        const oldest = ofUser
          .select(sql`rowid`.as("rowid"))
          .orderBy("created_at")
          .orderBy("id")
          .limit(excess);
        evicted = (
          await tx.all<SessionReadRow>(
            db
              .updateTable(tables.sessions)
              .set({ status: "REVOKED", end_reason: "REPLACED", ended_at: now })
              .where(sql<SqlBool>`rowid IN (${oldest})`)
              .returning(SESSION_READ_COLUMNS)
              .compile(),
          )
        )
          .map(fromSessionRow)
          .sort((a, b) => a.createdAt - b.createdAt || compareCodePoints(a.id, b.id));
      }
      await tx.run(insertRow(toSessionRow(record)));
      return { inserted: true, evicted };
    });
  }

  /** The columns an end writes. */
  const endColumns = (change: EndChange) => ({
    status: change.status,
    end_reason: change.endReason,
    ended_at: change.endedAt,
    ended_by: change.endedBy ?? null,
  });

  // One JSON parameter carries any number of ids: no bound-variable limit, no SQL per id.
  const idIn = (list: readonly string[]) =>
    sql<SqlBool>`id IN (SELECT value FROM json_each(${JSON.stringify(list)}))`;

  /**
   * Ends a list of distinct ids inside the caller's transaction and tells each id's outcome,
   * in the list's order. A session already ended by `change.endedBy` counts as ended: it is a
   * retried batch's own work.
   */
  async function endIdsIn(
    tx: SqlRunner,
    tenantId: string,
    ids: readonly string[],
    change: EndChange,
  ): Promise<EndOutcome> {
    const ended = await tx.all<{ id: string; user_id: string }>(
      db
        .updateTable(tables.sessions)
        .set(endColumns(change))
        .where("tenant_id", "=", tenantId)
        .where(idIn(ids))
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
              .where(idIn(rest))
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
   * Ends a list of ids in short transactions (see `time-slices.ts`), so 100,000 ids never hold
   * the host's thread or the write lock for long. Reported in input order; a repeated id counts
   * as ended once, then as already ended.
   */
  async function endByIds(
    tenantId: string,
    ids: readonly string[],
    change: EndChange,
  ): Promise<EndOutcome> {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new ValidationError("ids must be a list of strings", { target: "ids" });
    }
    const unique = [...new Set(ids)];
    const ended = new Map<string, string>();
    const alreadyEnded = new Set<string>();
    let done = 0;
    await inSlices(async (size) => {
      const slice = unique.slice(done, done + size);
      const outcome = await runner.transaction((tx) => endIdsIn(tx, tenantId, slice, change));
      for (const { id, userId } of outcome.ended) ended.set(id, userId);
      for (const id of outcome.alreadyEnded) alreadyEnded.add(id);
      done += slice.length;
      return { done: done >= unique.length };
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

  /** The open sessions a user, filter or tenant target names, at `change.now`. */
  function targetCondition(target: EndTarget, now: number): Condition {
    if ("userId" in target) {
      const userId = sql<SqlBool>`user_id = ${requireString("userId", target.userId)}`;
      if (target.exceptId === undefined) return userId;
      return sql<SqlBool>`(${userId} AND id <> ${requireString("exceptId", target.exceptId)})`;
    }
    if ("filter" in target) return compiler.compileFilter(target.filter, now);
    if ("all" in target && target.all === true) return sql<SqlBool>`1`;
    throw new ValidationError("target must name ids, a user, a filter or all", {
      target: "target",
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
      .where(targetCondition(target, change.now));
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
          if (cap !== undefined) return await insertWithCap(record, cap);
          await runner.run(insertRow(toSessionRow(record)));
          return { inserted: true, evicted: [] };
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          if (/session_identifier/.test(describeError(error))) throw identifierConflict(record);
          throw new ConflictError(`session id '${record.id}' already exists in this tenant`);
        }
      }),

    findSession: (tenantId, id) =>
      guarded("findSession", async () => {
        const [row] = await runner.all<SessionReadRow>(
          findById({ ":tenant": tenantId, ":id": id }),
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
          touchOpen({
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
        checkChange(change);
        if (target === null || typeof target !== "object") {
          throw new ValidationError("target is required", { target: "target" });
        }
        if ("ids" in target) return endByIds(tenantId, target.ids, change);
        return endByTarget(tenantId, target, change);
      }),

    endTaskBatch: (tenantId, taskId, batch: TaskBatch, change) =>
      guarded("endTaskBatch", async () => {
        checkChange(change);
        const from = requireCount("from", batch.from, 0);
        // The task's progress, the ends and their outcome commit together or not at all.
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
          const outcome = await endIdsIn(tx, tenantId, batch.ids, { ...change, endedBy: taskId });
          await tx.run(
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
      }),

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
