/**
 * The conditions the dialects without a query language build from their parameters (a user, a
 * window of start times), as core's filter AST.
 */
import {
  type CheckedFilter,
  checkFilter,
  type Filter,
  type QueryLimits,
} from "@session-ledger/core";

/**
 * A filter built from a request, checked once against the router's limits, so the ledger
 * takes it as checked; a fault (none is expected) names `target`, the parameter it came from.
 */
export const checkBuilt = (filter: Filter, limits: QueryLimits, target: string): CheckedFilter =>
  checkFilter(filter, limits, target) as CheckedFilter;

/** The sessions of one user, by the user id the host recorded. */
export const sessionsOfUser = (userId: string): Filter => ({
  kind: "user",
  filter: { kind: "compare", field: "user.id", op: "EQ", value: { kind: "text", value: userId } },
});

/**
 * The conditions of a window of start times (`creation_time`): from `from` on, inclusive, and
 * up to `to`, inclusive or not as the dialect documents it; none for an unset bound.
 */
export function startedWithin(
  from: number | null,
  to: number | null,
  end: "inclusive" | "exclusive",
): Filter[] {
  const bound = (op: "GE" | "LE" | "LT", at: number): Filter => ({
    kind: "compare",
    field: "creation_time",
    op,
    value: { kind: "time", value: at },
  });
  const conditions: Filter[] = [];
  if (from !== null) conditions.push(bound("GE", from));
  if (to !== null) conditions.push(bound(end === "inclusive" ? "LE" : "LT", to));
  return conditions;
}
