/**
 * Octane's query strings and terminate requests, read into what the ledger and the task runner
 * are asked: every parameter parsed and checked (the query once, by core's parser, under the
 * router's limits; the 30-day rule) before anything is asked of the ledger.
 */
import {
  type CheckedFilter,
  checkTimeBuckets,
  type GroupOptions,
  type ListOptions,
  type Projection,
  parseFields,
  parseGroupBy,
  parseOrderBy,
  parseQuery,
  resolveLimits,
  type SortKey,
  TIME_INTERVALS,
  type TimeGroupOptions,
  type TimeInterval,
  ValidationError,
} from "@session-ledger/core";
import type { OctaneLimits } from "../admin/limits.js";
import { offsetPageParams, optionalParam, readJsonBody } from "../admin/params.js";
import type { AdminRequest } from "../admin/request.js";
import { quote } from "../admin/text.js";
import { parseTimeZone, type TimeZone, UTC } from "../admin/timezone.js";
import { creationBounds, isWithinCreationRange } from "./creation-range.js";
import { DEFAULT_PROJECTION, TASK_FIELDS, type TaskField } from "./response.js";
import { idsFromBody, idsFromFilter, reasonFromBody, taskIdsFromQuery } from "./terminate.js";

/** What reading a request needs beyond its parameters. */
export interface OctaneReading {
  limits: OctaneLimits;
  /** The 30-day rule's window, or null when it is off. */
  rangeDays: number | null;
  /** The ledger's clock, for the rule's open upper end. */
  now: () => number;
}

// The query parameters of each route; any other is a 400 naming it. Exports take (and ignore)
// limit and offset, so that a list's URL works for its export.
export const LIST_PARAMS = ["fields", "query", "order_by", "limit", "offset"] as const;
export const GROUP_PARAMS = [
  "group_by",
  "query",
  "limit",
  "offset",
  "interval",
  "timezone",
] as const;
export const EXPORT_PARAMS = [...LIST_PARAMS, "timezone"] as const;
export const TERMINATE_PARAMS = ["query"] as const;
export const TASK_PARAMS = ["fields", "query"] as const;

/**
 * `query`, under the router's limits and the 30-day rule.
 * @throws QuerySyntaxError or ValidationError (target `query`)
 */
function readFilter(params: URLSearchParams, reading: OctaneReading): CheckedFilter | null {
  const filter = parseQuery(optionalParam(params, "query") ?? "", { limits: reading.limits });
  const { rangeDays } = reading;
  if (rangeDays !== null && !isWithinCreationRange(filter, rangeDays, reading.now())) {
    throw new ValidationError(
      `query must limit creation_time to at most ${rangeDays} days ` +
        `(creation_time>^…^;creation_time<^…^), name session ids (id='…'), or ask for open sessions (end_time=null)`,
      { target: "query", code: "INVALID_QUERY" },
    );
  }
  return filter;
}

const readProjection = (params: URLSearchParams): Projection =>
  parseFields(optionalParam(params, "fields") ?? "") ?? DEFAULT_PROJECTION;

/** `order_by`; absent means the ledger's default, newest first. */
function readSort(params: URLSearchParams): SortKey[] | undefined {
  const sort = parseOrderBy(optionalParam(params, "order_by") ?? "");
  return sort.length > 0 ? sort : undefined;
}

/** A list: the fields to answer, and the page of sessions to read. */
export function listRequest(
  params: URLSearchParams,
  reading: OctaneReading,
): { projection: Projection; list: ListOptions & { offset: number } } {
  const projection = readProjection(params);
  const sort = readSort(params);
  const { limit, offset } = offsetPageParams(params, reading.limits, "offset");
  const filter = readFilter(params, reading);
  return { projection, list: { filter, sort, limit, offset, withTotal: true } };
}

/** What a groups request asks: counts per value of a field, or per creation-time bucket. */
export type GroupRequest =
  | { by: "value"; options: GroupOptions }
  | { by: "time"; options: TimeGroupOptions };

/**
 * Groups: `group_by` (required), and a page of groups, all of them up to `maxPageSize`.
 * `group_by=creation_time` takes `interval` (required) and `timezone`, and cuts the creation
 * range of `query` into buckets (an open end runs until now).
 */
export function groupRequest(params: URLSearchParams, reading: OctaneReading): GroupRequest {
  const groupBy = optionalParam(params, "group_by");
  if (groupBy === undefined || groupBy.trim() === "") {
    throw new ValidationError("group_by is required, e.g. group_by=license_edition", {
      target: "group_by",
    });
  }
  const field = parseGroupBy(groupBy);
  const { maxPageSize } = reading.limits;
  const page = offsetPageParams(params, { maxPageSize, defaultPageSize: maxPageSize }, "offset");
  if (field !== "creation_time") {
    for (const name of ["interval", "timezone"] as const) {
      if (optionalParam(params, name) !== undefined) {
        throw new ValidationError(`${name} applies only to group_by=creation_time`, {
          target: name,
        });
      }
    }
    return { by: "value", options: { field, filter: readFilter(params, reading), ...page } };
  }
  const interval = readInterval(params);
  const text = optionalParam(params, "timezone");
  const zone = text === undefined ? UTC : parseTimeZone(text);
  // Core takes a fixed offset as `+03:00`; the parameter also reads `UTC+03:00`.
  const timeZone = zone.label.startsWith("UTC") ? zone.label.slice(3) || "UTC" : zone.label;
  const filter = readFilter(params, reading);
  const bounds = creationBounds(filter);
  if (!Number.isFinite(bounds.from)) {
    throw new ValidationError(
      "query: group_by=creation_time needs the creation range to cut into buckets, e.g. creation_time>=^2026-02-01T00:00:00Z^;creation_time<^2026-02-08T00:00:00Z^",
      { target: "query", code: "INVALID_QUERY" },
    );
  }
  // Up to the query's upper bound (a chart's fixed axis, future hours included), or through now.
  const to = Number.isFinite(bounds.until) ? bounds.until : reading.now() + 1;
  if (to <= bounds.from) {
    throw new ValidationError("query: the creation range of query is empty", {
      target: "query",
      code: "INVALID_QUERY",
    });
  }
  return {
    by: "time",
    options: {
      field,
      // Checked here under the router's limits, once: the ledger holds only their number
      // against its own.
      buckets: checkTimeBuckets({ interval, timeZone, from: bounds.from, to }, reading.limits),
      filter,
      ...page,
    },
  };
}

function readInterval(params: URLSearchParams): TimeInterval {
  const text = optionalParam(params, "interval");
  const interval = TIME_INTERVALS.find((known) => known === text);
  if (interval === undefined) {
    throw new ValidationError(
      `interval must be one of ${TIME_INTERVALS.join(", ")} with group_by=creation_time, got ${quote(text ?? "nothing")}`,
      { target: "interval" },
    );
  }
  return interval;
}

/** An export: every match, in the list's order, with the fields asked, in a time zone. */
export function exportRequest(params: URLSearchParams, reading: OctaneReading) {
  const projection = readProjection(params);
  const sort = readSort(params);
  const text = optionalParam(params, "timezone");
  const timeZone: TimeZone = text === undefined ? UTC : parseTimeZone(text);
  const filter = readFilter(params, reading);
  return { projection, sort, timeZone, filter };
}

/**
 * The session ids a terminate names: in its query (the seed's form) or in its body (Octane's
 * bulk update, for lists too long for a URL).
 * @throws ValidationError naming the query or the body entry at fault
 */
export async function terminateRequest(
  req: AdminRequest,
  params: URLSearchParams,
  { limits }: OctaneReading,
): Promise<{ ids: string[]; reason: string | null }> {
  const { maxBodyBytes, maxTerminateIds } = limits;
  // A terminate query is the URL form of the body's id list, so the body's bounds apply.
  const queryLimits = resolveLimits({ maxLength: maxBodyBytes, maxNodes: maxTerminateIds + 1 });
  const filter = parseQuery(optionalParam(params, "query") ?? "", { limits: queryLimits });
  const queryIds = filter === null ? null : idsFromFilter(filter);
  const body = await readJsonBody(req, {
    limit: maxBodyBytes,
    // {"data":[{"id":"…","is_closed":true}, …]}: three values an entry, and two around them.
    maxValues: 3 * maxTerminateIds + 2,
  });
  const bodyIds = await idsFromBody(body, queryIds !== null, maxTerminateIds);
  const reason = reasonFromBody(body);
  const ids = queryIds ?? bodyIds ?? [];
  // The body's entries were counted already; this bounds an `id IN …` list, a bound on the
  // query like its length and its number of conditions.
  if (ids.length > maxTerminateIds) {
    throw new ValidationError(
      `one request may terminate at most ${maxTerminateIds} sessions, got ${ids.length}`,
      { target: "query", code: "INVALID_QUERY" },
    );
  }
  return { ids, reason };
}

function taskFields(text: string | undefined): readonly TaskField[] {
  if (text === undefined || text.trim() === "") return TASK_FIELDS;
  const fields: TaskField[] = [];
  for (const name of text.split(",").map((part) => part.trim())) {
    const field = TASK_FIELDS.find((known) => known === name);
    if (field === undefined) {
      throw new ValidationError(
        `fields: unknown background task field ${quote(name)}; expected ${TASK_FIELDS.join(", ")}`,
        { target: "fields" },
      );
    }
    if (!fields.includes(field)) fields.push(field);
  }
  return fields;
}

/** A poll of background tasks: the fields to answer and the task ids of `query`. */
export function taskRequest(
  params: URLSearchParams,
  { limits }: OctaneReading,
): { fields: readonly TaskField[]; ids: string[] } {
  const fields = taskFields(optionalParam(params, "fields"));
  const query = optionalParam(params, "query");
  if (query === undefined || query.trim() === "") {
    throw new ValidationError(`query is required, e.g. query="id=<task id>"`, {
      target: "query",
    });
  }
  return { fields, ids: taskIdsFromQuery(query, (text) => parseQuery(text, { limits })) };
}
