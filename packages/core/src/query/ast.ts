/**
 * The typed filter AST: what the query parser produces after validation and what every
 * store compiles into its own query. Values are already resolved for their field: date-times
 * are epoch ms, IP addresses normalised, enum values canonical.
 */
import type { FieldName } from "./fields.js";

export type CompareOp = "EQ" | "LT" | "GT" | "LE" | "GE";

export type FilterValue =
  /** Matches a missing value. Only with `EQ` and inside `IN`. */
  | { kind: "null" }
  /** A literal string, compared as the field's type says (exact for ids, ASCII case-insensitive for text). */
  | { kind: "text"; value: string }
  /**
   * A wildcard pattern: the literal `parts` with any run of characters between them
   * (`'ab*c'` → `["ab", "c"]`); always at least two parts. Only with `EQ` and inside `IN`, and
   * only on text and IP fields. Matches the whole value, ASCII case-insensitively.
   */
  | { kind: "pattern"; parts: readonly string[] }
  /** A date-time in epoch milliseconds. */
  | { kind: "time"; value: number };

export type Filter =
  | { kind: "and"; items: readonly Filter[] }
  | { kind: "or"; items: readonly Filter[] }
  | { kind: "not"; item: Filter }
  | { kind: "compare"; field: FieldName; op: CompareOp; value: FilterValue }
  | { kind: "in"; field: FieldName; values: readonly FilterValue[] }
  /** Inclusive range. `low` and `high` are never null or patterns. */
  | { kind: "between"; field: FieldName; low: FilterValue; high: FilterValue }
  /**
   * A cross-filter on the session's user, `user={login='bob'}`. The inner filter names
   * `user.*` fields and is evaluated on the same session: it is structure for the printer,
   * not a join.
   */
  | { kind: "user"; filter: Filter };

export type SortDirection = "asc" | "desc";

export interface SortKey {
  field: FieldName;
  direction: SortDirection;
}

/**
 * A position in a sorted listing: the sort-space values (see `sortValueOf`) of the last row
 * of the previous page, one per sort key, and that row's id. A store returns the rows that
 * come strictly after it in the order (sort keys, then id ascending).
 */
export interface KeysetPosition {
  values: readonly SortValue[];
  id: string;
}

/** A value in sort space: folded text, an IP's sortable key, or a time; null sorts lowest. */
export type SortValue = string | number | null;
