/**
 * The session lifecycle as SQL: inserts under the per-user cap, lookups, the conditional
 * touch, ends by id, user, filter or tenant, the sweep and retention. Every write that must
 * not race is one conditional statement or one IMMEDIATE transaction.
 */
import {
  ConflictError,
  compareCodePoints,
  type EndChange,
  type EndOutcome,
  type EndTarget,
  type ExpiredSession,
  type InsertOutcome,
  type OpenSessionPatch,
  type SessionRecord,
  type SessionStore,
  type UserSessionCap,
  ValidationError,
} from "@session-ledger/core";
import { type CompiledQuery, type SqlBool, sql } from "kysely";
import { optionalInstant, requireCount, requireInstant, requireString } from "./arguments.js";
import { compileFilter } from "./compile-filter.js";
import { SESSION_COLUMNS, SESSION_READ_COLUMNS } from "./schema.js";
import {
  fromSessionRow,
  type SessionReadRow,
  type SessionRow,
  toSessionRow,
} from "./session-row.js";
import type { StoreContext } from "./sql-runner.js";
import { describeError, guarded, isUniqueViolation } from "./store-errors.js";

type SessionLifecycle = Pick<
  SessionStore,
  | "insertSession"
  | "findSession"
  | "findSessionByIdentifier"
  | "updateOpenSession"
  | "endSessions"
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

  async function endByIds(
    tenantId: string,
    ids: readonly string[],
    change: EndChange,
  ): Promise<EndOutcome> {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new ValidationError("ids must be a list of strings", { target: "ids" });
    }
    // One JSON parameter carries any number of ids: no bound-variable limit, no SQL per id.
    const inList = (list: readonly string[]) =>
      sql<SqlBool>`id IN (SELECT value FROM json_each(${JSON.stringify(list)}))`;
    const { ended, found } = await runner.transaction(async (tx) => {
      const ended = await tx.all<{ id: string; user_id: string }>(
        db
          .updateTable(tables.sessions)
          .set({ status: change.status, end_reason: change.endReason, ended_at: change.endedAt })
          .where("tenant_id", "=", tenantId)
          .where(inList(ids))
          .where(openAt(change.now))
          .returning(["id", "user_id"])
          .compile(),
      );
      // Only the ids that did not end need telling apart (already ended, or not found).
      const endedIds = new Set(ended.map((row) => row.id));
      const rest = ids.filter((id) => !endedIds.has(id));
      const found =
        rest.length === 0
          ? []
          : await tx.all<{ id: string }>(
              db
                .selectFrom(tables.sessions)
                .select("id")
                .where("tenant_id", "=", tenantId)
                .where(inList(rest))
                .compile(),
            );
      return { ended, found };
    });
    const endedUsers = new Map(ended.map((row) => [row.id, row.user_id]));
    const existing = new Set(found.map((row) => row.id));
    const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
    // Reported in input order; a repeated id counts as ended once, then as already ended.
    for (const id of ids) {
      const userId = endedUsers.get(id);
      if (userId !== undefined) {
        outcome.ended.push({ id, userId });
        endedUsers.delete(id);
      } else if (existing.has(id)) outcome.alreadyEnded.push(id);
      else outcome.notFound.push(id);
    }
    return outcome;
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
        let update = db
          .updateTable(tables.sessions)
          .set({ status: change.status, end_reason: change.endReason, ended_at: change.endedAt })
          .where("tenant_id", "=", tenantId)
          .where(openAt(change.now));
        if ("userId" in target) {
          update = update.where("user_id", "=", requireString("userId", target.userId));
          if (target.exceptId !== undefined) {
            update = update.where("id", "<>", requireString("exceptId", target.exceptId));
          }
        } else if ("filter" in target) {
          update = update.where(compileFilter(target.filter, change.now));
        } else if (!("all" in target && target.all === true)) {
          throw new ValidationError("target must name ids, a user, a filter or all", {
            target: "target",
          });
        }
        // A single UPDATE is atomic: a row ended concurrently is not matched twice.
        const ended = await runner.all<{ id: string; user_id: string }>(
          update.returning(["id", "user_id"]).compile(),
        );
        return {
          ended: ended.map((row) => ({ id: row.id, userId: row.user_id })),
          alreadyEnded: [],
          notFound: [],
        };
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
        let purge = db
          .deleteFrom(tables.sessions)
          .where(
            sql<SqlBool>`((ended_at IS NOT NULL AND ended_at < ${endedBefore}) OR (ended_at IS NULL AND expires_at < ${endedBefore}))`,
          );
        if (tenantId !== undefined) purge = purge.where("tenant_id", "=", tenantId);
        return runner.run(purge.compile());
      }),
  };
}
