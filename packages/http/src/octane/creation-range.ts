/**
 * Octane's access rule: "All requests must also include either a 30-day creation date range
 * or a session ID." The rule keeps one request from scanning a space's whole history; this
 * file decides whether a parsed query is bounded in that sense.
 */
import type { Filter, FilterValue } from "@session-ledger/core";

const DAY_MS = 86_400_000;

/**
 * What a filter implies about the rows it can match: the creation times they can have, and
 * whether they are bounded another way (named by id, or open sessions, whose number is the
 * live set and does not grow with history).
 */
interface Reach {
  from: number;
  /** The first creation time past the ones it can match (exclusive; times are whole ms). */
  until: number;
  anchored: boolean;
}

const EVERYTHING: Reach = { from: -Infinity, until: Infinity, anchored: false };

const timeOf = (value: FilterValue) => (value.kind === "time" ? value.value : null);

function reach(filter: Filter): Reach {
  switch (filter.kind) {
    case "compare":
      return compareReach(filter.field, filter.op, filter.value);
    case "between": {
      const low = timeOf(filter.low);
      const high = timeOf(filter.high);
      if (filter.field !== "creation_time" || low === null || high === null) return EVERYTHING;
      return { from: low, until: high + 1, anchored: false };
    }
    case "in": {
      if (filter.field === "id") {
        return { ...EVERYTHING, anchored: filter.values.every((v) => v.kind === "text") };
      }
      if (filter.field !== "creation_time") return EVERYTHING;
      const times = filter.values.map(timeOf);
      if (times.some((t) => t === null)) return EVERYTHING;
      const known = times as number[];
      return { from: Math.min(...known), until: Math.max(...known) + 1, anchored: false };
    }
    case "and": {
      const parts = filter.items.map(reach);
      return {
        from: Math.max(...parts.map((p) => p.from)),
        until: Math.min(...parts.map((p) => p.until)),
        anchored: parts.some((p) => p.anchored),
      };
    }
    case "or": {
      // Anchored branches are bounded by themselves; the others must fit one window together,
      // so OR-ing many 30-day windows does not add up to a year.
      const ranged = filter.items.map(reach).filter((p) => !p.anchored);
      if (ranged.length === 0) return { ...EVERYTHING, anchored: true };
      return {
        from: Math.min(...ranged.map((p) => p.from)),
        until: Math.max(...ranged.map((p) => p.until)),
        anchored: false,
      };
    }
    default:
      return EVERYTHING;
  }
}

function compareReach(field: string, op: string, value: FilterValue): Reach {
  if (field === "id") return { ...EVERYTHING, anchored: op === "EQ" && value.kind === "text" };
  if (field === "end_time")
    return { ...EVERYTHING, anchored: op === "EQ" && value.kind === "null" };
  if (field === "status") {
    return {
      ...EVERYTHING,
      anchored: op === "EQ" && value.kind === "text" && value.value === "ACTIVE",
    };
  }
  const at = timeOf(value);
  if (field !== "creation_time" || at === null) return EVERYTHING;
  switch (op) {
    case "GT":
    case "GE":
      return { from: at, until: Infinity, anchored: false };
    case "LT":
      return { from: -Infinity, until: at, anchored: false };
    case "LE":
      return { from: -Infinity, until: at + 1, anchored: false };
    default:
      return { from: at, until: at + 1, anchored: false };
  }
}

/**
 * True when the filter names session ids, asks for open sessions (`end_time=null` or
 * `status='ACTIVE'`), or keeps `creation_time` within `maxDays`. An open upper end counts as
 * "until now", since no session is created in the future: `creation_time>^…^` alone passes
 * while its start lies within `maxDays` of `now`.
 */
export function isWithinCreationRange(
  filter: Filter | null,
  maxDays: number,
  now: number,
): boolean {
  if (filter === null) return false;
  const { from, until, anchored } = reach(filter);
  if (anchored) return true;
  return Math.min(until - 1, now) - from <= maxDays * DAY_MS;
}

/**
 * The creation times a filter can match, `[from, until)` (either end infinite when the filter
 * sets none): what `group_by=creation_time` cuts into buckets.
 */
export function creationBounds(filter: Filter | null): { from: number; until: number } {
  if (filter === null) return { from: -Infinity, until: Infinity };
  const { from, until } = reach(filter);
  return { from, until };
}
