/**
 * The compiler from the query AST to SQL, shared by the SQL stores: the field catalog mapped to
 * columns, filters, sort keys and keyset positions, over the stores' common sessions schema.
 * Every value becomes a bound parameter; the only SQL text produced here is fixed (column
 * names from the map below, operators from a fixed table). The filters arrive checked by the
 * core, which also walks them (`walkFilter`): this file only translates, and a `SqlDialect`
 * says the few things the databases spell differently.
 *
 * It reproduces `listing/evaluate.ts` and `listing/order.ts` of the core exactly:
 * - two-valued logic: every condition is true or false, never NULL, so `NOT` is safe;
 * - text folds ASCII only (`lower()` on SQLite's own build, and on PostgreSQL text in the "C"
 *   collation, folds exactly that) and then compares as UTF-8 bytes: code-point order;
 * - IPs compare through their stored `ipSortKey` column;
 * - `status`, `end_reason` and `end_time` are the effective values at `now`, so a lapsed
 *   open row reads EXPIRED without a sweep;
 * - NULL sorts lowest (first ascending, last descending).
 */
import { type SortKey, ValidationError } from "@session-ledger/core";
import {
  type CheckedFilter,
  type CompareOp,
  type FieldName,
  type FilterVisitor,
  type KeysetPosition,
  type Operand,
  type SortValue,
  walkFilter,
} from "@session-ledger/core/store";
import { type AliasedRawBuilder, type RawBuilder, type SqlBool, sql } from "kysely";

type Expr = RawBuilder<unknown>;
export type Condition = RawBuilder<SqlBool>;

/** What the SQL stores' databases spell differently. */
export interface SqlDialect {
  /** Constant conditions (`1`/`0` on SQLite, `TRUE`/`FALSE` on PostgreSQL). */
  true: Condition;
  false: Condition;
  /** Null-safe equality of a key with a value: SQLite `IS`, PostgreSQL `IS NOT DISTINCT FROM`. */
  same(expr: Expr, value: SortValue): Condition;
  /**
   * One ORDER BY item with NULL lowest. SQLite sorts NULL lowest by itself; PostgreSQL needs
   * `NULLS FIRST` ascending and `NULLS LAST` descending.
   */
  orderItem(expr: Expr, direction: "asc" | "desc", nullable: boolean): Expr;
  /**
   * `expr` is one of `values`, however many, bound as one parameter (no bound-variable limit,
   * no SQL text per value): SQLite reads a JSON array with `json_each`, PostgreSQL binds a
   * `text[]` for `= ANY(…)`.
   */
  inList(expr: Expr, values: readonly string[]): Condition;
  /**
   * Select items of a `GROUP BY user_id` that yield `login` and `full_name` of each group's
   * newest row (greatest `created_at`, then greatest `id` in code-point order) in the same
   * grouping pass: SQLite's bare columns beside one `max()`, PostgreSQL's `max()` of an array.
   */
  newestOfUser: readonly AliasedRawBuilder<unknown, string>[];
}

/** How a field's values compare: exactly, ASCII-folded, by IP key, or as numbers. */
type Comparison = "exact" | "text" | "ip" | "time";

export interface FieldSql {
  comparison: Comparison;
  nullable: boolean;
  /** The field's effective value: what `IS NULL`, patterns and groups see. */
  value: Expr;
  /** What comparisons run against (folded text, IP key, or the value itself). */
  compared: Expr;
  /** The value in sort space. */
  sortKey: Expr;
}

const column = (name: string): Expr => sql.ref(name);

const exact = (name: string, nullable = false): FieldSql => {
  const ref = column(name);
  return { comparison: "exact", nullable, value: ref, compared: ref, sortKey: ref };
};

const ip = (name: string, keyName: string): FieldSql => {
  const key = column(keyName);
  return { comparison: "ip", nullable: true, value: column(name), compared: key, sortKey: key };
};

const time = (expr: Expr, nullable = false): FieldSql => ({
  comparison: "time",
  nullable,
  value: expr,
  compared: expr,
  sortKey: expr,
});

const computed = (comparison: Comparison, expr: Expr, nullable: boolean): FieldSql => ({
  comparison,
  nullable,
  value: expr,
  compared: expr,
  sortKey: expr,
});

/** A stored open row whose deadline has passed reads as ended at `now`. */
const lapsedAt = (now: number): Condition =>
  sql<SqlBool>`(ended_at IS NULL AND expires_at <= ${now})`;

const text = (name: string, nullable = false): FieldSql => {
  const ref = column(name);
  const folded = sql`lower(${ref})`;
  return { comparison: "text", nullable, value: ref, compared: folded, sortKey: folded };
};

/**
 * Every catalog field as SQL, with `now`-dependent fields resolved at `now`. Typed against the
 * catalog: a field added to the core's catalog does not compile until it is mapped here.
 */
const COLUMNS = {
  id: () => exact("id"),
  session_identifier: () => exact("session_identifier", true),
  client_type: () => text("client_type"),
  access_type: () => text("access_type"),
  client_ip: () => ip("client_ip", "client_ip_key"),
  server_ip: () => ip("server_ip", "server_ip_key"),
  user_agent: () => text("user_agent", true),
  browser: () => text("browser", true),
  os: () => text("os", true),
  device: () => text("device", true),
  city: () => text("city", true),
  country: () => text("country", true),
  license_edition: () => text("license_edition", true),
  status: (now) =>
    computed("exact", sql`(CASE WHEN ${lapsedAt(now)} THEN 'EXPIRED' ELSE status END)`, false),
  end_reason: (now) =>
    computed(
      "exact",
      sql`(CASE WHEN ${lapsedAt(now)} THEN (CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END) ELSE end_reason END)`,
      true,
    ),
  creation_time: () => time(column("created_at")),
  last_activity_time: () => time(column("last_activity_at")),
  expired_at: () => time(column("expires_at")),
  absolute_expiry_time: () => time(column("absolute_expires_at")),
  end_time: (now) =>
    time(sql`(CASE WHEN ${lapsedAt(now)} THEN expires_at ELSE ended_at END)`, true),
  // Filters and groups see the user id; the order is the folded login.
  user: () => ({ ...exact("user_id"), sortKey: sql`lower(user_login)` }),
  "user.id": () => exact("user_id"),
  "user.login": () => text("user_login"),
  "user.full_name": () => text("user_full_name", true),
  "user.email": () => text("user_email", true),
} satisfies Record<FieldName, (now: number) => FieldSql>;

/**
 * The SQL for a catalog field, with `now`-dependent fields resolved at `now`. Field names,
 * sort keys and group fields arrive checked and frozen by core (the port's contract), so this
 * only translates; `COLUMNS` satisfies `Record<FieldName, …>`, so a field the catalog gains is a
 * compile error here until it has its SQL.
 */
export function fieldSql(field: FieldName, now: number): FieldSql {
  return COLUMNS[field](now);
}

const OPERATORS: Record<CompareOp, string> = { EQ: "=", LT: "<", GT: ">", LE: "<=", GE: ">=" };

/** A comparison that is false, not NULL, when the field is missing. */
const present = (field: FieldSql, condition: Condition): Condition =>
  field.nullable ? sql<SqlBool>`(${field.value} IS NOT NULL AND ${condition})` : condition;

const escapeLike = (part: string) => part.replace(/[\\%_]/g, "\\$&");

/**
 * `status EQ '…'` spelled out on the stored columns, equal to comparing the effective status
 * but in a form indexes serve: `ended_at IS NULL` selects the partial indexes on open rows
 * (LogScale's default listing is the open sessions by last activity).
 */
function statusIs(status: Operand, now: number): Condition {
  const lapsed = lapsedAt(now);
  switch (status) {
    case "ACTIVE":
      return sql<SqlBool>`(status = 'ACTIVE' AND ended_at IS NULL AND expires_at > ${now})`;
    case "EXPIRED":
      return sql<SqlBool>`(status = 'EXPIRED' OR ${lapsed})`;
    default:
      return sql<SqlBool>`(status = ${status} AND NOT ${lapsed})`;
  }
}

export interface OrderKey {
  direction: "asc" | "desc";
  expr: Expr;
  nullable: boolean;
  numeric: boolean;
}

/**
 * The ORDER BY keys for a sort: each sort key in sort space, then `id` ascending. Keys after
 * an `id` key are dropped: ids are unique in a tenant, so they can never decide an order.
 */
export function orderKeys(sort: readonly SortKey[], now: number): OrderKey[] {
  const keys: OrderKey[] = [];
  for (const key of sort) {
    const field = fieldSql(key.field, now);
    keys.push({
      direction: key.direction === "desc" ? "desc" : "asc",
      expr: field.sortKey,
      nullable: field.nullable,
      numeric: field.comparison === "time",
    });
    if (key.field === "id") return keys;
  }
  keys.push({ direction: "asc", expr: column("id"), nullable: false, numeric: false });
  return keys;
}

/** A keyset position's values, one per order key; a cursor that does not fit is refused. */
function positionValues(
  keys: readonly OrderKey[],
  sort: readonly SortKey[],
  position: KeysetPosition,
): SortValue[] {
  const cursor = (why: string) =>
    new ValidationError(`cursor: ${why}`, { target: "cursor", code: "INVALID_CURSOR" });
  if (
    position === null ||
    typeof position !== "object" ||
    !Array.isArray(position.values) ||
    position.values.length !== sort.length ||
    typeof position.id !== "string"
  ) {
    throw cursor("the position does not fit the sort");
  }
  return keys.map((key, i) => {
    const value = i < sort.length ? position.values[i] : position.id;
    const fits =
      (value === null && key.nullable) ||
      (key.numeric
        ? typeof value === "number" && Number.isFinite(value)
        : typeof value === "string");
    if (!fits) throw cursor(`position value ${i} does not fit its sort key`);
    return value as SortValue;
  });
}

/** The compiler for one dialect. */
export interface SqlCompiler {
  /** The WHERE condition for a checked filter at `now`; `null` matches every row. */
  compileFilter(filter: CheckedFilter | null, now: number): Condition;
  /** The rows strictly after a keyset position, in the order of `keys`. */
  compileAfter(
    keys: readonly OrderKey[],
    sort: readonly SortKey[],
    position: KeysetPosition,
  ): Condition;
  /** The ORDER BY items of `keys`, NULL lowest. */
  orderBy(keys: readonly OrderKey[]): Expr[];
  /** Joins conditions with AND. */
  all(conditions: readonly Condition[]): Condition;
  /** The dialect's null-safe equality, membership in a bound list, and newest-of-user items. */
  same: SqlDialect["same"];
  inList: SqlDialect["inList"];
  newestOfUser: SqlDialect["newestOfUser"];
}

export function createSqlCompiler(dialect: SqlDialect): SqlCompiler {
  /** Joins conditions as a balanced tree, so depth grows with log n, not n. */
  function balanced(conditions: readonly Condition[], joiner: "AND" | "OR"): Condition {
    if (conditions.length === 0) return joiner === "AND" ? dialect.true : dialect.false;
    if (conditions.length === 1) return conditions[0]!;
    const middle = Math.ceil(conditions.length / 2);
    const left = balanced(conditions.slice(0, middle), joiner);
    const right = balanced(conditions.slice(middle), joiner);
    return sql<SqlBool>`(${left} ${sql.raw(joiner)} ${right})`;
  }

  /** The SQL for each part of a checked filter: the translation of the core's walk. */
  const visitorAt = (now: number): FilterVisitor<Condition> => ({
    and: (items) => balanced(items, "AND"),
    or: (items) => balanced(items, "OR"),
    not: (item) => sql<SqlBool>`(NOT ${item})`,
    compare(def, op, value) {
      if (def.name === "status" && op === "EQ") return statusIs(value, now);
      const field = fieldSql(def.name, now);
      return present(field, sql<SqlBool>`(${field.compared} ${sql.raw(OPERATORS[op])} ${value})`);
    },
    isNull: (def) => sql<SqlBool>`(${fieldSql(def.name, now).value} IS NULL)`,
    matches(def, parts) {
      const field = fieldSql(def.name, now);
      const like = parts.map(escapeLike).join("%");
      return present(field, sql<SqlBool>`(lower(${field.value}) LIKE ${like} ESCAPE '\\')`);
    },
    oneOf(def, values) {
      const field = fieldSql(def.name, now);
      return present(field, sql<SqlBool>`(${field.compared} IN (${sql.join([...values])}))`);
    },
  });

  const isAt = (key: OrderKey, value: SortValue): Condition =>
    value === null
      ? sql<SqlBool>`(${key.expr} IS NULL)`
      : key.nullable
        ? dialect.same(key.expr, value)
        : sql<SqlBool>`(${key.expr} = ${value})`;

  /** Rows after `value` on one key, NULL being the lowest value. */
  function isPast(key: OrderKey, value: SortValue): Condition {
    if (key.direction === "asc") {
      if (value === null) {
        return key.nullable ? sql<SqlBool>`(${key.expr} IS NOT NULL)` : dialect.true;
      }
      return sql<SqlBool>`(${key.expr} > ${value})`;
    }
    if (value === null) return dialect.false;
    return key.nullable
      ? sql<SqlBool>`(${key.expr} < ${value} OR ${key.expr} IS NULL)`
      : sql<SqlBool>`(${key.expr} < ${value})`;
  }

  /** Rows at or after `value` on the first key: a range the planner can take from an index. */
  function fromLeading(key: OrderKey, value: SortValue): Condition {
    if (key.direction === "asc") {
      return value === null ? dialect.true : sql<SqlBool>`(${key.expr} >= ${value})`;
    }
    if (value === null) return sql<SqlBool>`(${key.expr} IS NULL)`;
    return key.nullable
      ? sql<SqlBool>`(${key.expr} <= ${value} OR ${key.expr} IS NULL)`
      : sql<SqlBool>`(${key.expr} <= ${value})`;
  }

  return {
    compileFilter: (filter, now) =>
      filter === null ? dialect.true : walkFilter(filter, visitorAt(now)),

    /**
     * One direction and no NULLs: a row-value comparison `(k1, k2, id) > (?, ?, ?)`. Otherwise
     * the expansion `k1 past v1 OR (k1 = v1 AND k2 past v2) OR …`, under a leading range on
     * `k1` that an index can seek to.
     */
    compileAfter(keys, sort, position) {
      const values = positionValues(keys, sort, position);
      const at = (i: number) => values[i] as SortValue;
      const first = keys[0]!;
      const oneDirection = keys.every((key) => key.direction === first.direction);
      const noNulls = keys.every((key, i) => !key.nullable && values[i] !== null);
      if (oneDirection && noNulls) {
        const symbol = sql.raw(first.direction === "asc" ? ">" : "<");
        if (keys.length === 1) return sql<SqlBool>`(${first.expr} ${symbol} ${values[0]})`;
        return sql<SqlBool>`((${sql.join(keys.map((key) => key.expr))}) ${symbol} (${sql.join(values)}))`;
      }
      const branches = keys.map((key, i) =>
        balanced([...keys.slice(0, i).map((k, j) => isAt(k, at(j))), isPast(key, at(i))], "AND"),
      );
      return balanced([fromLeading(first, at(0)), balanced(branches, "OR")], "AND");
    },

    orderBy: (keys) => keys.map((key) => dialect.orderItem(key.expr, key.direction, key.nullable)),

    all: (conditions) => balanced(conditions, "AND"),

    same: dialect.same,
    inList: dialect.inList,
    newestOfUser: dialect.newestOfUser,
  };
}
