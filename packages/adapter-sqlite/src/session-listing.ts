/**
 * The read side as SQL: pages, counts, groups and exports, each one statement over one
 * tenant, so nothing is filtered, sorted or counted in memory.
 */
import type {
  CheckedFilter,
  FieldName,
  GroupResult,
  SessionGroup,
  SessionStore,
} from "@session-ledger/core";
import {
  effectiveSession,
  type GroupQuery,
  type KeysetPosition,
  keysetPositionOf,
  type ListQuery,
  type SessionRecord,
  type StreamQuery,
} from "@session-ledger/core/store";
import { fieldSql, orderKeys } from "@session-ledger/sql";
import { type CompiledQuery, type Kysely, sql } from "kysely";
import type { LedgerTables, TableNames } from "./schema.js";
import { SESSION_RECORD_JSON } from "./session-row.js";
import type { StoreContext } from "./sql-runner.js";
import { compiler } from "./sqlite-dialect.js";
import { guarded } from "./store-errors.js";

/** Rows read per statement while streaming: bounded memory, and the connection is free between. */
const STREAM_BATCH = 200;

interface Builder {
  db: Kysely<LedgerTables>;
  tables: TableNames;
}

const matching = (
  { db, tables }: Builder,
  tenantId: string,
  filter: CheckedFilter | null,
  now: number,
) => {
  const rows = db.selectFrom(tables.sessions).where("tenant_id", "=", tenantId);
  return filter === null ? rows : rows.where(compiler.compileFilter(filter, now));
};

/** One page in the order of `sort` (then id), by offset or strictly after a keyset position. */
function pageQuery(db: Builder, tenantId: string, page: ListQuery): CompiledQuery {
  const keys = orderKeys(page.sort, page.now);
  let query = matching(db, tenantId, page.filter, page.now).select(
    SESSION_RECORD_JSON.as("record"),
  );
  if (page.after !== undefined)
    query = query.where(compiler.compileAfter(keys, page.sort, page.after));
  for (const item of compiler.orderBy(keys)) query = query.orderBy(item);
  return query
    .limit(page.limit)
    .offset(page.offset ?? 0)
    .compile();
}

function countQuery(
  db: Builder,
  tenantId: string,
  filter: CheckedFilter | null,
  now: number,
): CompiledQuery {
  return matching(db, tenantId, filter, now).select(sql<number>`count(*)`.as("n")).compile();
}

interface GroupRow {
  is_total: number;
  value: string | null;
  n: number;
  login: string | null;
  full_name: string | null;
}

/**
 * Counts per value as one statement: the groups are built once (`g`), and the page and the
 * number of groups are read from the same snapshot. A `user` group also carries the login and
 * name of its newest matching session (greatest creation time, then greatest id).
 */
function groupQuery(db: Builder, tenantId: string, group: GroupQuery): CompiledQuery<GroupRow> {
  const field = fieldSql(group.field, group.now);
  const rows = matching(db, tenantId, group.filter, group.now);
  const groups =
    group.field === "user"
      ? // SQLite takes bare columns from the row holding the only max(): the newest matching
        // session by (created_at, id), as one fixed-width text key (the offset keeps negative
        // times in order). One grouping pass, where row_number() sorted every matching row.
        sql`g AS MATERIALIZED ${rows
          .select([
            sql`user_id`.as("group_value"),
            sql`count(*)`.as("n"),
            sql`user_login`.as("login"),
            sql`user_full_name`.as("full_name"),
            sql`max(printf('%020d', created_at + 9007199254740991) || id)`.as("newest"),
          ])
          .groupBy("user_id")}`
      : sql`g AS MATERIALIZED ${rows
          .select([
            sql`${field.value}`.as("group_value"),
            sql`count(*)`.as("n"),
            sql`NULL`.as("login"),
            sql`NULL`.as("full_name"),
          ])
          .groupBy(sql`group_value`)}`;
  return sql<GroupRow>`WITH ${groups}
    SELECT 1 AS is_total, NULL AS value, count(*) AS n, NULL AS login, NULL AS full_name FROM g
    UNION ALL
    SELECT * FROM (
      SELECT 0, group_value, n, login, full_name FROM g
      ORDER BY n DESC, group_value ASC
      LIMIT ${group.limit} OFFSET ${group.offset ?? 0}
    )
    ORDER BY is_total DESC, n DESC, value ASC`.compile(db.db);
}

function groupResult(rows: readonly GroupRow[], field: FieldName): GroupResult {
  const [total, ...page] = rows;
  return {
    totalGroups: total?.n ?? 0,
    groups: page.map((row): SessionGroup => {
      const group: SessionGroup = { value: row.value, count: row.n };
      if (field === "user" && row.value !== null) {
        group.user = { id: row.value, login: row.login ?? "", fullName: row.full_name };
      }
      return group;
    }),
  };
}

type SessionListing = Pick<
  SessionStore,
  "listSessions" | "countSessions" | "groupSessions" | "streamSessions"
>;

export function sessionListing({ db: kysely, reader, tables }: StoreContext): SessionListing {
  const db: Builder = { db: kysely, tables };
  // Each row is its record's JSON, built by SQLite (see SESSION_RECORD_JSON).
  const rows = (query: CompiledQuery) => reader.documents<SessionRecord>(query);

  return {
    listSessions: (tenantId, query: ListQuery) =>
      guarded("listSessions", async () => {
        return rows(pageQuery(db, tenantId, query));
      }),

    countSessions: (tenantId, filter, now) =>
      guarded("countSessions", async () => {
        const [row] = await reader.all<{ n: number }>(countQuery(db, tenantId, filter, now));
        return row?.n ?? 0;
      }),

    groupSessions: (tenantId, query: GroupQuery): Promise<GroupResult> =>
      guarded("groupSessions", async () => {
        return groupResult(await reader.all(groupQuery(db, tenantId, query)), query.field);
      }),

    async *streamSessions(tenantId, query: StreamQuery) {
      const { now } = query;
      // Batched keyset reads, not one long cursor: each batch is one short call to a reader (a
      // worker, or the host's connection), so a slow download never holds either. The next
      // batch is read while the consumer takes this one: one batch ahead, never more.
      const read = (after?: KeysetPosition) => {
        const page: ListQuery = {
          filter: query.filter,
          sort: query.sort,
          now,
          limit: STREAM_BATCH,
        };
        const batch = guarded("streamSessions", () =>
          rows(pageQuery(db, tenantId, after === undefined ? page : { ...page, after })),
        );
        // A consumer that stops early never awaits the batch read ahead for it.
        batch.catch(() => {});
        return batch;
      };
      let next = read();
      for (;;) {
        const batch = await next;
        const last = batch.at(-1);
        const more = batch.length === STREAM_BATCH && last !== undefined;
        if (more) next = read(keysetPositionOf(effectiveSession(last, now), query.sort));
        yield* batch;
        if (!more) return;
      }
    },
  };
}
