/**
 * The session log's query string, `from`, `to`, `limit` and `skip`, read into what the ledger
 * is asked: a page of the sessions that started within the window, newest first.
 */
import { allOf, type SortKey, ValidationError } from "@session-ledger/core";
import { checkBuilt, startedWithin } from "../admin/filters.js";
import type { AdminLimits } from "../admin/limits.js";
import { integerParam, offsetPageParams } from "../admin/params.js";

/** Newest first, so `skip` counts from the last record, as SAYMON documents it. */
const NEWEST_FIRST: SortKey[] = [{ field: "creation_time", direction: "desc" }];
/** The last instant a JavaScript date can hold. */
const MAX_TIME = 8.64e15;

/** An instant in epoch milliseconds, or null when the parameter is absent. */
const timeParam = (params: URLSearchParams, name: "from" | "to"): number | null =>
  params.has(name) ? integerParam(params, name, { min: 0, max: MAX_TIME, fallback: 0 }) : null;

/**
 * A page of the log: both bounds are inclusive and apply to the start of the session.
 * @throws ValidationError naming the parameter at fault
 */
export function logRequest(params: URLSearchParams, limits: AdminLimits) {
  const from = timeParam(params, "from");
  const to = timeParam(params, "to");
  if (from !== null && to !== null && from > to) {
    throw new ValidationError(`from (${from}) must not be later than to (${to})`, {
      target: "from",
    });
  }
  const { limit, offset } = offsetPageParams(params, limits, "skip");
  const window = allOf(startedWithin(from, to, "inclusive"));
  return {
    filter: window && checkBuilt(window, limits, from === null ? "to" : "from"),
    sort: NEWEST_FIRST,
    limit,
    offset,
  };
}
