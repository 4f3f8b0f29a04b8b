/**
 * The request bodies of Formal's `SessionsService`, validated as its OpenAPI describes them
 * (`additionalProperties: false`) and read with protobuf's JSON rules: a field that is
 * `null` or holds its default (`""`) counts as unset.
 */
import {
  allOf,
  type CheckedFilter,
  type FieldName,
  parseQuery,
  type SortKey,
  ValidationError,
} from "@session-ledger/core";
import { checkBuilt, startedWithin } from "../admin/filters.js";
import type { AdminLimits } from "../admin/limits.js";
import { quote, requireId } from "../admin/text.js";

/** What `ListSessionsV2` asks the ledger. */
export interface ListSessionsRequest {
  limit: number;
  filter: CheckedFilter | null;
  sort: SortKey[];
  cursor: string | null;
  withTotal: true;
}

/** The `sortBy` names and the session fields they sort by. */
export const SORT_FIELDS: Readonly<Record<string, FieldName>> = {
  startTime: "creation_time",
  endTime: "end_time",
  lastActivityTime: "last_activity_time",
  clientIp: "client_ip",
  serverIp: "server_ip",
  user: "user",
  id: "id",
};

/** Newest first: the order of Formal's console, and stable under a cursor walk. */
const DEFAULT_SORT: SortKey[] = [{ field: "creation_time", direction: "desc" }];

const invalid = (target: string, message: string) =>
  new ValidationError(`${target}: ${message}`, { target });

/**
 * The body's fields, after checking it is an object with only the allowed keys; unset
 * (null or default) fields are dropped.
 */
function fieldsOf(body: unknown, allowed: readonly string[]): Map<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("body", "must be a JSON object");
  }
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(body)) {
    if (!allowed.includes(key)) {
      throw invalid("body", `unknown field ${quote(key)}; the fields are ${allowed.join(", ")}`);
    }
    if (value !== null && value !== "") fields.set(key, value);
  }
  return fields;
}

/** A string field; `maxLength` of Infinity leaves its length to what reads it next. */
function stringField(fields: Map<string, unknown>, name: string, maxLength = 256): string | null {
  const value = fields.get(name);
  if (value === undefined) return null;
  if (typeof value !== "string" || value.length > maxLength) {
    const bound = Number.isFinite(maxLength) ? ` of at most ${maxLength} characters` : "";
    throw invalid(name, `must be a string${bound}`);
  }
  return value;
}

/** An id field: required, 1 to 256 characters, no control characters. */
function requiredId(fields: Map<string, unknown>, name: string, noun: string): string {
  const value = fields.get(name);
  if (value === undefined) throw invalid(name, "is required (a non-empty string)");
  return requireId(name, value, { noun });
}

/** An int32 as protobuf's JSON form writes it: a number, or decimal digits in a string. */
function limitField(fields: Map<string, unknown>, limits: AdminLimits): number {
  const value = fields.get("limit");
  if (value === undefined) return limits.defaultPageSize;
  const number =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d{1,10}$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(number) || number < 1 || number > limits.maxPageSize) {
    throw invalid(
      "limit",
      `must be an integer from 1 to ${limits.maxPageSize}, got ${quote(value)}`,
    );
  }
  return number;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 timestamp (`2026-01-01T00:00:00Z`, `…T01:00:00.5+01:00`) in epoch ms; digits
 * past the millisecond are dropped.
 * @throws ValidationError naming the field when it is not a real instant in that form
 */
export function parseRfc3339(name: string, text: string): number {
  const match = RFC3339.exec(text.toUpperCase());
  const [year, month, day, hour, minute, second] = (match?.slice(1, 7) ?? []).map(Number);
  const offsetHours = Number(match?.[8] ?? 0);
  const offsetMinutes = Number(match?.[9] ?? 0);
  const date = new Date(0);
  if (match) date.setUTCFullYear(year!, month! - 1, day!);
  const valid =
    match !== null &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    offsetHours < 24 &&
    offsetMinutes < 60;
  const ms = valid ? Date.parse(text.toUpperCase()) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw invalid(name, `${quote(text)} is not an RFC 3339 timestamp like 2026-01-01T00:00:00Z`);
  }
  return ms;
}

/** `sortBy`: keys separated by commas, each a name from `SORT_FIELDS`, `-` first for descending. */
function parseSortBy(text: string | null): SortKey[] {
  if (text === null || text.trim() === "") return DEFAULT_SORT;
  const sort: SortKey[] = [];
  for (const part of text.split(",").map((item) => item.trim())) {
    const descending = part.startsWith("-");
    const name = descending ? part.slice(1) : part;
    const field = Object.hasOwn(SORT_FIELDS, name) ? SORT_FIELDS[name] : undefined;
    if (field === undefined) {
      throw invalid(
        "sortBy",
        `unknown sort key ${quote(name)}; use ${Object.keys(SORT_FIELDS).join(", ")}, with '-' first for descending`,
      );
    }
    if (sort.some((key) => key.field === field))
      throw invalid("sortBy", `${quote(name)} is given twice`);
    sort.push({ field, direction: descending ? "desc" : "asc" });
  }
  return sort;
}

/**
 * A `ListSessionsV2` body. `query` is the library's query language (the Octane grammar);
 * `startTimestamp ≤ startTime < endTimestamp` bounds the sessions' start.
 * @throws ValidationError naming the field at fault
 */
export function parseListSessionsRequest(body: unknown, limits: AdminLimits): ListSessionsRequest {
  const fields = fieldsOf(body, [
    "limit",
    "query",
    "sortBy",
    "startTimestamp",
    "endTimestamp",
    "cursor",
  ]);
  const limit = limitField(fields, limits);
  // The query's length is bounded by the parser, like every query (INVALID_QUERY).
  const queryText = stringField(fields, "query", Number.POSITIVE_INFINITY);
  const sort = parseSortBy(stringField(fields, "sortBy"));
  const startText = stringField(fields, "startTimestamp");
  const endText = stringField(fields, "endTimestamp");
  const start = startText === null ? null : parseRfc3339("startTimestamp", startText);
  const end = endText === null ? null : parseRfc3339("endTimestamp", endText);
  if (start !== null && end !== null && start >= end) {
    throw invalid("endTimestamp", "must be later than startTimestamp");
  }
  const cursor = stringField(fields, "cursor", 4096);
  const query = queryText === null ? null : parseQuery(queryText, { limits });
  const window = startedWithin(start, end, "exclusive").map((condition) =>
    checkBuilt(condition, limits, "body"),
  );
  const filter = allOf(query === null ? window : [query, ...window]);
  return { limit, filter, sort, cursor, withTotal: true };
}

/**
 * A `GetSession` body: `{sessionId}`.
 * @throws ValidationError naming the field at fault
 */
export function parseGetSessionRequest(body: unknown): { sessionId: string } {
  const fields = fieldsOf(body, ["sessionId"]);
  return { sessionId: requiredId(fields, "sessionId", "a session id") };
}

/**
 * A `CreateSessionTermination` body: `{sessionId, connectorId}`, both required.
 * @throws ValidationError naming the field at fault
 */
export function parseTerminationRequest(body: unknown): { sessionId: string; connectorId: string } {
  const fields = fieldsOf(body, ["sessionId", "connectorId"]);
  return {
    sessionId: requiredId(fields, "sessionId", "a session id"),
    connectorId: requiredId(fields, "connectorId", "a connector id"),
  };
}
