/**
 * The read side as SQL, the same on every SQL store: pages, counts and groups (by value and by
 * creation-time bucket), each one statement over one tenant, so nothing is filtered, sorted or
 * counted in memory. Exports differ (SQLite reads keyset batches, PostgreSQL a server-side
 * cursor) and stay in each store.
 */
import type { CheckedFilter, FieldName, GroupResult, SessionGroup } from "@session-ledger/core";
import type {
  GroupQuery,
  ListQuery,
  SortKey,
  StoreQueries,
  TimeBucket,
  TimeGroupQuery,
} from "@session-ledger/core/store";
import { type CompiledQuery, type Expression, type RawBuilder, sql } from "kysely";
import { fieldSql, orderKeys } from "./compile-filter.js";
import type { SqlStoreContext } from "./context.js";
import { fromSessionListRow, type SessionListRow, type WireInteger } from "./rows.js";
import { SESSION_LIST_COLUMNS } from "./tables.js";

type Builder = Pick<SqlStoreContext, "db" | "tables" | "compiler">;

const matching = (
  { db, tables, compiler }: Builder,
  tenantId: string,
  filter: CheckedFilter | null,
  now: number,
) => {
  const rows = db.selectFrom(tables.sessions).where("tenant_id", "=", tenantId);
  return filter === null ? rows : rows.where(compiler.compileFilter(filter, now));
};

/**
 * Every matching row in the order of `sort` (then id), from a keyset position when given, with
 * no columns selected yet: a store that reads its rows in another shape selects it.
 */
export function orderedRows(
  context: Builder,
  tenantId: string,
  page: Pick<ListQuery, "filter" | "now" | "after"> & { sort: readonly SortKey[] },
) {
  const { compiler } = context;
  const keys = orderKeys(page.sort, page.now);
  let query = matching(context, tenantId, page.filter, page.now);
  if (page.after !== undefined) {
    query = query.where(compiler.compileAfter(keys, page.sort, page.after));
  }
  for (const item of compiler.orderBy(keys)) query = query.orderBy(item);
  return query;
}

/** Every matching row's read columns in the order of `sort` (then id). */
export const orderedQuery = (...args: Parameters<typeof orderedRows>) =>
  orderedRows(...args).select(SESSION_LIST_COLUMNS);

/** One page of rows, by offset or strictly after a keyset position, no columns selected yet. */
export const pageRows = (context: Builder, tenantId: string, page: ListQuery) =>
  orderedRows(context, tenantId, page)
    .limit(page.limit)
    .offset(page.offset ?? 0);

/** One page in the order of `sort` (then id), by offset or strictly after a keyset position. */
export const pageQuery = (context: Builder, tenantId: string, page: ListQuery): CompiledQuery =>
  pageRows(context, tenantId, page).select(SESSION_LIST_COLUMNS).compile();

function countQuery(
  context: Builder,
  tenantId: string,
  filter: CheckedFilter | null,
  now: number,
): CompiledQuery {
  return matching(context, tenantId, filter, now).select(sql<number>`count(*)`.as("n")).compile();
}

interface GroupRow {
  is_total: WireInteger;
  value: string | null;
  n: WireInteger;
  login: string | null;
  full_name: string | null;
}

/**
 * Counts per value as one statement: the groups are built once (`g`), and the page and the
 * number of groups are read from the same snapshot. A `user` group also carries the login and
 * name of its newest matching session (greatest creation time, then greatest id), as the
 * dialect reads it in the same grouping pass.
 */
function groupQuery(context: Builder, tenantId: string, group: GroupQuery): CompiledQuery {
  const { db, compiler } = context;
  const field = fieldSql(group.field, group.now);
  const rows = matching(context, tenantId, group.filter, group.now);
  const groups =
    group.field === "user"
      ? rows
          .select([sql`user_id`.as("group_value"), sql`count(*)`.as("n"), ...compiler.newestOfUser])
          .groupBy("user_id")
      : rows
          .select([
            sql`${field.value}`.as("group_value"),
            sql`count(*)`.as("n"),
            sql`NULL`.as("login"),
            sql`NULL`.as("full_name"),
          ])
          .groupBy(sql`group_value`);
  // Largest count first, then the value in code-point order with NULL first.
  const byCount = (value: string) =>
    sql.join([
      sql`n DESC`,
      ...compiler.orderBy([
        { direction: "asc", expr: sql.ref(value), nullable: true, numeric: false },
      ]),
    ]);
  return sql`WITH g AS MATERIALIZED ${groups}
    SELECT 1 AS is_total, NULL AS value, count(*) AS n, NULL AS login, NULL AS full_name FROM g
    UNION ALL
    SELECT * FROM (
      SELECT 0, group_value, n, login, full_name FROM g
      ORDER BY ${byCount("group_value")}
      LIMIT ${group.limit} OFFSET ${group.offset ?? 0}
    ) AS page
    ORDER BY is_total DESC, ${byCount("value")}`.compile(db);
}

function groupResult(rows: readonly GroupRow[], field: FieldName): GroupResult {
  const [total, ...page] = rows;
  return {
    totalGroups: Number(total?.n ?? 0),
    groups: page.map((row): SessionGroup => {
      const group: SessionGroup = { value: row.value, count: Number(row.n) };
      if (field === "user" && row.value !== null) {
        group.user = { id: row.value, login: row.login ?? "", fullName: row.full_name };
      }
      return group;
    }),
  };
}

/**
 * The first instant of the bucket a creation time lies in: a binary search over the core's
 * boundaries, written out as nested CASEs. Each row costs log2(buckets) comparisons, every
 * boundary is a bound value, and the expression reads the same in SQLite and PostgreSQL, whose
 * own time zone rules (or lack of them) never enter: the core computed the boundaries.
 */
function bucketStart(
  created: Expression<unknown>,
  starts: readonly number[],
  low = 0,
  high = starts.length,
): RawBuilder<number> {
  if (high - low === 1) return sql<number>`CAST(${starts[low]} AS BIGINT)`;
  const middle = (low + high) >> 1;
  return sql<number>`CASE WHEN ${created} < ${starts[middle]} THEN ${bucketStart(created, starts, low, middle)} ELSE ${bucketStart(created, starts, middle, high)} END`;
}

/** Counts per creation-time bucket as one grouping statement; the filter bounds the range. */
function timeGroupQuery(context: Builder, tenantId: string, query: TimeGroupQuery): CompiledQuery {
  const created = fieldSql("creation_time", query.now).value;
  return matching(context, tenantId, query.filter, query.now)
    .select([bucketStart(created, query.buckets.starts).as("start"), sql`count(*)`.as("n")])
    .groupBy(sql`start`)
    .orderBy(sql`start`)
    .compile();
}

type SessionReads = Omit<StoreQueries, "streamSessions">;

/** `listSessions`, `countSessions`, `groupSessions` and `groupSessionsByTime` on the reader. */
export function sessionReads(context: SqlStoreContext): SessionReads {
  const { reader, errors } = context;
  return {
    listSessions: (tenantId, query: ListQuery) =>
      errors.guarded("listSessions", async () =>
        (await reader.all<SessionListRow>(pageQuery(context, tenantId, query))).map(
          fromSessionListRow,
        ),
      ),

    countSessions: (tenantId, filter, now) =>
      errors.guarded("countSessions", async () => {
        const [row] = await reader.all<{ n: WireInteger }>(
          countQuery(context, tenantId, filter, now),
        );
        return Number(row?.n ?? 0);
      }),

    groupSessions: (tenantId, query: GroupQuery): Promise<GroupResult> =>
      errors.guarded("groupSessions", async () =>
        groupResult(await reader.all<GroupRow>(groupQuery(context, tenantId, query)), query.field),
      ),

    groupSessionsByTime: (tenantId, query: TimeGroupQuery): Promise<TimeBucket[]> =>
      errors.guarded("groupSessionsByTime", async () =>
        (
          await reader.all<{ start: WireInteger; n: WireInteger }>(
            timeGroupQuery(context, tenantId, query),
          )
        ).map((row) => ({ start: Number(row.start), count: Number(row.n) })),
      ),
  };
}
