/**
 * What PostgreSQL does its own way in the session lifecycle (the rest is the SQL stores' shared
 * lifecycle): the cap under a per-user advisory lock, bulk ends as one statement, the sweep with
 * SKIP LOCKED and purges in bounded batches, both through the open-deadline expression index.
 * Rows a subquery picks are named by primary key.
 */
import type { SessionRecord } from "@session-ledger/core/store";
import {
  type Condition,
  endedSessionOf,
  endIdsIn,
  endWhere,
  type SessionLifecycle,
  sqlSessionLifecycle,
} from "@session-ledger/sql";
import { type SqlBool, sql } from "kysely";
import type { PgStoreContext } from "./context.js";
import { OPEN_DEADLINE } from "./schema.js";
import { isIdentifierClash } from "./store-errors.js";

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
  const { db, runner, tables, names } = context;
  const keys = (condition: Condition) =>
    db.selectFrom(tables.sessions).select(["tenant_id", "id"]).where(condition);
  const keyIn = (rows: ReturnType<typeof keys>) => sql<SqlBool>`(tenant_id, id) IN (${rows})`;

  /** The lock every capped insert for one user of one store's tables holds until it commits. */
  const lockUser = (record: SessionRecord) =>
    sql`SELECT pg_advisory_xact_lock(hashtext('session-ledger:user'), hashtext(${JSON.stringify([
      names.schema,
      names.prefix,
      record.tenantId,
      record.user.id,
    ])}))`.compile(db);

  return sqlSessionLifecycle(context, {
    insertCapped: (record, insert) =>
      capLocking === "serializable"
        ? runner.transaction(insert, { isolation: "serializable" })
        : runner.transaction(async (tx) => {
            // Taken before the count: the count's snapshot then holds every earlier insert for
            // the user, each of which committed before it let go of the lock.
            await tx.all(lockUser(record));
            return insert(tx);
          }),

    isIdentifierClash,

    // One UPDATE for the whole list (the ids as one text[]), then one read of those not ended.
    endIds: async (tenantId, unique, change, record) =>
      record(await endIdsIn(context, runner, tenantId, unique, change)),

    /**
     * One conditional UPDATE: each row is locked and rechecked as it is ended, so a session ended
     * concurrently is ended once, and one created after `now` is never matched.
     */
    endTarget: async (matching, change) =>
      (await runner.all<{ id: string; user_id: string }>(endWhere(context, matching, change))).map(
        endedSessionOf,
      ),

    // SKIP LOCKED: sweepers on several nodes take disjoint rows instead of queueing on each
    // other's, and a row another sweeper has just ended no longer matches once rechecked.
    sweepDue: (now, limit) =>
      keyIn(
        keys(sql<SqlBool>`ended_at IS NULL AND ${OPEN_DEADLINE} <= ${now}`)
          .orderBy(OPEN_DEADLINE)
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      ),

    async purge(before, tenantId) {
      let due = sql<SqlBool>`((ended_at IS NOT NULL AND ended_at < ${before}) OR (ended_at IS NULL AND ${OPEN_DEADLINE} < ${before}))`;
      if (tenantId !== undefined) due = sql<SqlBool>`(tenant_id = ${tenantId} AND ${due})`;
      const purge = db
        .deleteFrom(tables.sessions)
        .where(keyIn(keys(due).limit(PURGE_BATCH)))
        .compile();
      let deleted = 0;
      for (;;) {
        const changed = await runner.run(purge);
        deleted += changed;
        if (changed < PURGE_BATCH) return deleted;
      }
    },
  });
}
