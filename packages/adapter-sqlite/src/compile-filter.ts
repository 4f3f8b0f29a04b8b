/**
 * The compiler from the query AST to SQL: the field catalog mapped to columns, filters,
 * sort keys and keyset positions. Every value becomes a bound parameter; the only SQL text
 * produced here is fixed (column names from the switch below, operators from fixed tables).
 *
 * It reproduces `listing/evaluate.ts` and `listing/order.ts` of the core exactly:
 * - two-valued logic: every condition evaluates to 0 or 1, never NULL, so `NOT` is safe;
 * - text folds ASCII only (`lower()` in SQLite's own build does exactly that) and then
 *   compares as UTF-8 bytes, which is code-point order;
 * - IPs compare through their stored `ipSortKey` column;
 * - `status`, `end_reason` and `end_time` are the effective values at `now`, so a lapsed
 *   open row reads EXPIRED without a sweep;
 * - NULL sorts lowest, which is SQLite's own rule (first ascending, last descending).
 */
import {
  type FieldName,
  type Filter,
  type FilterValue,
  fieldDef,
  foldCase,
  ipSortKey,
  type KeysetPosition,
  type SortKey,
  type SortValue,
  ValidationError,
} from "@session-ledger/core";
import { type RawBuilder, type SqlBool, sql } from "kysely";

type Expr = RawBuilder<unknown>;
export type Condition = RawBuilder<SqlBool>;

const TRUE: Condition = sql<SqlBool>`1`;
const FALSE: Condition = sql<SqlBool>`0`;
/** Deeper filters are refused before SQLite's own expression-depth limit (1000) is near. */
const MAX_FILTER_DEPTH = 128;

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

const text = (name: string, nullable = false): FieldSql => {
  const ref = column(name);
  const folded = sql`lower(${ref})`;
  return { comparison: "text", nullable, value: ref, compared: folded, sortKey: folded };
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

const describe = (value: unknown) => JSON.stringify(value) ?? String(value);

const invalid = (message: string, target = "filter") => new ValidationError(message, { target });

/** A stored open row whose deadline has passed reads as ended at `now`. */
const lapsedAt = (now: number): Condition =>
  sql<SqlBool>`(ended_at IS NULL AND expires_at <= ${now})`;

/** The SQL for a catalog field, with `now`-dependent fields resolved at `now`. */
export function fieldSql(field: FieldName, now: number): FieldSql {
  switch (field) {
    case "id":
      return exact("id");
    case "session_identifier":
      return exact("session_identifier", true);
    case "client_type":
      return text("client_type");
    case "access_type":
      return text("access_type");
    case "client_ip":
      return ip("client_ip", "client_ip_key");
    case "server_ip":
      return ip("server_ip", "server_ip_key");
    case "user_agent":
    case "browser":
    case "os":
    case "device":
    case "city":
    case "country":
    case "license_edition":
      return text(field, true);
    case "status":
      return computed(
        "exact",
        sql`(CASE WHEN ${lapsedAt(now)} THEN 'EXPIRED' ELSE status END)`,
        false,
      );
    case "end_reason":
      return computed(
        "exact",
        sql`(CASE WHEN ${lapsedAt(now)} THEN (CASE WHEN expires_at >= absolute_expires_at THEN 'MAX_LIFETIME' ELSE 'IDLE_TIMEOUT' END) ELSE end_reason END)`,
        true,
      );
    case "creation_time":
      return time(column("created_at"));
    case "last_activity_time":
      return time(column("last_activity_at"));
    case "expired_at":
      return time(column("expires_at"));
    case "absolute_expiry_time":
      return time(column("absolute_expires_at"));
    case "end_time":
      return time(sql`(CASE WHEN ${lapsedAt(now)} THEN expires_at ELSE ended_at END)`, true);
    case "user":
      // Filters and groups see the user id; the order is the folded login.
      return { ...exact("user_id"), sortKey: sql`lower(user_login)` };
    case "user.id":
      return exact("user_id");
    case "user.login":
      return text("user_login");
    case "user.full_name":
      return text("user_full_name", true);
    case "user.email":
      return text("user_email", true);
    default:
      throw invalid(`unknown field ${describe(field)}`, "field");
  }
}

/**
 * `status EQ '…'` spelled out on the stored columns, equal to comparing the effective status
 * but in a form indexes serve: `ended_at IS NULL` selects the partial indexes on open rows
 * (LogScale's default listing is the open sessions by last activity).
 */
function statusIs(status: string, now: number): Condition {
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

const OPERATORS = { EQ: "=", LT: "<", GT: ">", LE: "<=", GE: ">=" } as const;

function operator(op: unknown): string {
  if (typeof op !== "string" || !Object.hasOwn(OPERATORS, op)) {
    throw invalid(`unknown comparison operator ${describe(op)}`);
  }
  return OPERATORS[op as keyof typeof OPERATORS];
}

function requireValue(value: unknown): FilterValue {
  const candidate = value as FilterValue | null;
  const ok =
    candidate !== null &&
    typeof candidate === "object" &&
    (candidate.kind === "null" ||
      (candidate.kind === "text" && typeof candidate.value === "string") ||
      (candidate.kind === "time" && typeof candidate.value === "number") ||
      (candidate.kind === "pattern" &&
        Array.isArray(candidate.parts) &&
        candidate.parts.length >= 2 &&
        candidate.parts.every((part) => typeof part === "string")));
  if (!ok) throw invalid(`malformed filter value ${describe(value)}`);
  return candidate as FilterValue;
}

/** A comparison that is false, not NULL, when the field is missing. */
const present = (field: FieldSql, condition: Condition): Condition =>
  field.nullable ? sql<SqlBool>`(${field.value} IS NOT NULL AND ${condition})` : condition;

/** A query string moved into the space the field compares in. */
function comparable(field: FieldSql, textValue: string): string {
  if (field.comparison === "text") return foldCase(textValue);
  if (field.comparison === "ip") return ipSortKey(textValue);
  return textValue;
}

const escapeLike = (part: string) => part.replace(/[\\%_]/g, "\\$&");

/** An anchored, ASCII-case-insensitive wildcard match; `%`, `_` and `\` match literally. */
function pattern(field: FieldSql, parts: readonly string[]): Condition {
  const like = parts.map((part) => escapeLike(foldCase(part))).join("%");
  const subject = field.comparison === "time" ? sql`CAST(${field.value} AS TEXT)` : field.value;
  return present(field, sql<SqlBool>`(lower(${subject}) LIKE ${like} ESCAPE '\\')`);
}

/** A time compared with a non-number orders after it (the reference compares with NaN). */
const isTimeValue = (value: FilterValue): value is { kind: "time"; value: number } =>
  value.kind === "time" && !Number.isNaN(value.value);

function compare(field: FieldSql, op: unknown, rawValue: unknown): Condition {
  const symbol = operator(op);
  const value = requireValue(rawValue);
  if (value.kind === "null") return op === "EQ" ? sql<SqlBool>`(${field.value} IS NULL)` : FALSE;
  if (value.kind === "pattern") return op === "EQ" ? pattern(field, value.parts) : FALSE;
  if (field.comparison === "time") {
    if (!isTimeValue(value)) {
      return op === "GT" || op === "GE" ? present(field, TRUE) : FALSE;
    }
    return present(field, sql<SqlBool>`(${field.compared} ${sql.raw(symbol)} ${value.value})`);
  }
  const expected = comparable(field, value.kind === "text" ? value.value : String(value.value));
  return present(field, sql<SqlBool>`(${field.compared} ${sql.raw(symbol)} ${expected})`);
}

function within(field: FieldSql, rawValues: unknown): Condition {
  if (!Array.isArray(rawValues)) throw invalid("IN needs a list of values");
  const values = rawValues.map(requireValue);
  const conditions: Condition[] = [];
  if (values.some((value) => value.kind === "null")) {
    conditions.push(sql<SqlBool>`(${field.value} IS NULL)`);
  }
  for (const value of values) {
    if (value.kind === "pattern") conditions.push(pattern(field, value.parts));
  }
  // Plain members become one `IN (…)` list: a long list must not become a deep OR tree.
  const members: (string | number)[] = [];
  for (const value of values) {
    if (value.kind === "null" || value.kind === "pattern") continue;
    if (field.comparison === "time") {
      if (isTimeValue(value)) members.push(value.value);
    } else {
      members.push(comparable(field, value.kind === "text" ? value.value : String(value.value)));
    }
  }
  if (members.length > 0) {
    conditions.push(present(field, sql<SqlBool>`(${field.compared} IN (${sql.join(members)}))`));
  }
  return balanced(conditions, "OR");
}

/** Joins conditions as a balanced tree, so depth grows with log n, not n. */
function balanced(conditions: readonly Condition[], joiner: "AND" | "OR"): Condition {
  if (conditions.length === 0) return joiner === "AND" ? TRUE : FALSE;
  if (conditions.length === 1) return conditions[0]!;
  const middle = Math.ceil(conditions.length / 2);
  const left = balanced(conditions.slice(0, middle), joiner);
  const right = balanced(conditions.slice(middle), joiner);
  return sql<SqlBool>`(${left} ${sql.raw(joiner)} ${right})`;
}

function compileNode(filter: Filter, now: number, depth: number): Condition {
  if (depth > MAX_FILTER_DEPTH) throw invalid(`filter is nested deeper than ${MAX_FILTER_DEPTH}`);
  if (filter === null || typeof filter !== "object") throw invalid("malformed filter node");
  const items = (list: unknown) => {
    if (!Array.isArray(list)) throw invalid(`'${filter.kind}' needs a list of filters`);
    return list.map((item: Filter) => compileNode(item, now, depth + 1));
  };
  switch (filter.kind) {
    case "and":
      return balanced(items(filter.items), "AND");
    case "or":
      return balanced(items(filter.items), "OR");
    case "not":
      return sql<SqlBool>`(NOT ${compileNode(filter.item, now, depth + 1)})`;
    case "user":
      // A cross-filter on the same row: structure for the printer, not a join.
      return compileNode(filter.filter, now, depth + 1);
    case "compare":
      if (filter.field === "status" && filter.op === "EQ" && filter.value?.kind === "text") {
        return statusIs(filter.value.value, now);
      }
      return compare(fieldSql(filter.field, now), filter.op, filter.value);
    case "in":
      return within(fieldSql(filter.field, now), filter.values);
    case "between": {
      const field = fieldSql(filter.field, now);
      return balanced([compare(field, "GE", filter.low), compare(field, "LE", filter.high)], "AND");
    }
    default:
      throw invalid(`unknown filter kind ${describe((filter as { kind: unknown }).kind)}`);
  }
}

/** The WHERE condition for a filter at `now`; `null` matches every row. */
export function compileFilter(filter: Filter | null, now: number): Condition {
  return filter === null ? TRUE : compileNode(filter, now, 0);
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
  if (!Array.isArray(sort)) throw invalid("sort must be a list of sort keys", "sort");
  const keys: OrderKey[] = [];
  for (const key of sort as readonly SortKey[]) {
    if (key === null || typeof key !== "object") throw invalid("malformed sort key", "sort");
    if (key.direction !== "asc" && key.direction !== "desc") {
      throw invalid(
        `sort direction must be 'asc' or 'desc', got ${describe(key.direction)}`,
        "sort",
      );
    }
    const field = fieldSql(key.field, now);
    if (!fieldDef(key.field).sortable) throw invalid(`cannot sort by '${key.field}'`, "sort");
    keys.push({
      direction: key.direction,
      expr: field.sortKey,
      nullable: field.nullable,
      numeric: field.comparison === "time",
    });
    if (key.field === "id") return keys;
  }
  keys.push({ direction: "asc", expr: column("id"), nullable: false, numeric: false });
  return keys;
}

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

const isAt = (key: OrderKey, value: SortValue): Condition =>
  value === null
    ? sql<SqlBool>`(${key.expr} IS NULL)`
    : key.nullable
      ? sql<SqlBool>`(${key.expr} IS ${value})`
      : sql<SqlBool>`(${key.expr} = ${value})`;

/** Rows after `value` on one key, NULL being the lowest value. */
function isPast(key: OrderKey, value: SortValue): Condition {
  if (key.direction === "asc") {
    if (value === null) return key.nullable ? sql<SqlBool>`(${key.expr} IS NOT NULL)` : TRUE;
    return sql<SqlBool>`(${key.expr} > ${value})`;
  }
  if (value === null) return FALSE;
  return key.nullable
    ? sql<SqlBool>`(${key.expr} < ${value} OR ${key.expr} IS NULL)`
    : sql<SqlBool>`(${key.expr} < ${value})`;
}

/** Rows at or after `value` on the first key: a range the planner can take from an index. */
function fromLeading(key: OrderKey, value: SortValue): Condition {
  if (key.direction === "asc")
    return value === null ? TRUE : sql<SqlBool>`(${key.expr} >= ${value})`;
  if (value === null) return sql<SqlBool>`(${key.expr} IS NULL)`;
  return key.nullable
    ? sql<SqlBool>`(${key.expr} <= ${value} OR ${key.expr} IS NULL)`
    : sql<SqlBool>`(${key.expr} <= ${value})`;
}

/**
 * The rows strictly after a keyset position. One direction and no NULLs: a row-value
 * comparison `(k1, k2, id) > (?, ?, ?)`. Otherwise the expansion
 * `k1 past v1 OR (k1 = v1 AND k2 past v2) OR …`, under a leading range on `k1`.
 */
export function compileAfter(
  keys: readonly OrderKey[],
  sort: readonly SortKey[],
  position: KeysetPosition,
): Condition {
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
}
