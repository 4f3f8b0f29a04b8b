/**
 * Time buckets of creation time: hours, days and ISO weeks (Monday first) in a time zone, for
 * `group_by=creation_time&interval=…`. A bucket is a run of instants whose wall clock in the zone
 * reads the same hour (at the same UTC offset), the same date, or the same ISO week:
 * - a day starts at local midnight, or at the first instant after a DST gap that skips it, and is
 *   23 or 25 hours long on the days the clocks change; a week likewise starts on Monday;
 * - an hour is a real hour: the repeated hour of a fall-back is two buckets (02:00 CEST and
 *   02:00 CET, an hour apart), and the hour a spring-forward skips has none.
 *
 * The zone's offset comes from `tzOffset` of `@date-fns/tz`, and the wall clock (the instant
 * plus that offset, as a `UTCDate`) is truncated by date-fns. `TZDate`'s setters are not used:
 * they resolve an ambiguous wall time (the repeated hour) to an instant that depends on the
 * process's own time zone (date-fns/tz#40, #13), so `startOfHour` in the zone can land after the
 * instant it was given; they are also some forty times slower.
 */
import { tzOffset } from "@date-fns/tz";
import { UTCDate } from "@date-fns/utc";
import { startOfDay, startOfHour, startOfISOWeek } from "date-fns";
import { ValidationError } from "../errors.js";
import { quote } from "../lifecycle/arguments.js";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "../query/limits.js";

export const TIME_INTERVALS = ["hour", "day", "week"] as const;
/** The length of a creation-time bucket. */
export type TimeInterval = (typeof TIME_INTERVALS)[number];

/** What `group_by=creation_time` buckets: an interval, a zone and a creation-time range. */
export interface TimeBuckets {
  interval: TimeInterval;
  /** An IANA zone name (`Europe/Berlin`, `UTC`) or a fixed offset (`+03:00`). @default "UTC" */
  timeZone?: string;
  /** The earliest creation time counted (epoch ms, inclusive). */
  from: number;
  /** The end of the range (epoch ms, exclusive). */
  to: number;
}

declare const checked: unique symbol;

/** Buckets checked against the limits, with their boundaries computed once. */
export type CheckedTimeBuckets = Readonly<Required<TimeBuckets>> & {
  /** The canonical zone name. */
  readonly timeZone: string;
  /**
   * Each bucket's first instant, ascending: bucket `i` holds creation times from `starts[i]` up
   * to `starts[i + 1]` (the last one up to `end`). The first starts at or before `from`.
   */
  readonly starts: readonly number[];
  /** Where the last bucket ends, at or after `to`. */
  readonly end: number;
  readonly [checked]: true;
};

const known = new WeakSet<object>();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** The range a `Date` can hold. */
const MAX_TIME = 8.64e15;
const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** The zone's UTC offset at an instant, in ms (LMT offsets have seconds, hence the rounding). */
const offsetAt = (zone: string, at: number): number =>
  Math.round(tzOffset(zone, new Date(at)) * 60_000);

/** The wall-clock start of the hour, date or ISO week a wall-clock time (as UTC) lies in. */
function truncate(interval: TimeInterval, wall: number): number {
  switch (interval) {
    case "hour":
      return startOfHour(new UTCDate(wall)).getTime();
    case "day":
      return startOfDay(new UTCDate(wall)).getTime();
    case "week":
      return startOfISOWeek(new UTCDate(wall)).getTime();
  }
}

const LENGTH: Record<TimeInterval, number> = { hour: HOUR, day: DAY, week: WEEK };

/**
 * The first instant in `(low, high]` at the offset `high` has, when `low` has another: the
 * instant the zone's clocks changed. Offsets change at most once within a bucket.
 */
function changeBetween(zone: string, low: number, high: number, offset: number): number {
  let lo = low;
  let hi = high;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === offset) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The first instant of the bucket `instant` lies in: the reference every store's buckets follow
 * (the in-memory store counts each session with it).
 */
export function bucketStartOf(instant: number, interval: TimeInterval, zone: string): number {
  const offset = offsetAt(zone, instant);
  const label = truncate(interval, instant + offset);
  // When the wall clock read `label`, had the offset been the same all along.
  let start = label - offset;
  if (offsetAt(zone, start) !== offset) start = changeBetween(zone, start, instant, offset);
  // An hour never spans a change of offset; a day or a week may have begun before one.
  if (interval === "hour") return start;
  const before = start - 1;
  return truncate(interval, before + offsetAt(zone, before)) === label
    ? bucketStartOf(before, interval, zone)
    : start;
}

/** The first instant of the bucket after the one starting at `start`. */
function nextBucketStart(start: number, interval: TimeInterval, zone: string): number {
  const offset = offsetAt(zone, start);
  const nextLabel = truncate(interval, start + offset) + LENGTH[interval];
  let guess = nextLabel - offset;
  // Most buckets: no change of offset, and the next begins when the wall clock reads its label.
  if (offsetAt(zone, guess) === offset) return guess;
  let next = bucketStartOf(guess, interval, zone);
  // Each step below crosses one change of offset; a bucket holds one or two.
  for (let steps = 0; ; steps++) {
    if (steps > 8) throw new Error(`no ${interval} after ${start} in ${zone}`);
    if (next === start) {
      // The clocks went back within the bucket: its wall clock has not reached the next label.
      guess += Math.max(1, nextLabel - (guess + offsetAt(zone, guess)));
      next = bucketStartOf(guess, interval, zone);
      continue;
    }
    // The clocks went forward: the guess may have passed a whole bucket.
    const before = bucketStartOf(next - 1, interval, zone);
    if (before === start) return next;
    next = before;
  }
}

/**
 * A `timeZone` as its canonical name: an IANA zone as the runtime names it (`europe/berlin`
 * reads `Europe/Berlin`; Node 20's ICU names `Asia/Kolkata` by its older alias `Asia/Calcutta`),
 * or a fixed offset `±HH:MM` up to 14 hours. Only canonical names reach `tzOffset`, whose cache
 * of formatters is keyed by the name: every spelling a client could invent would add one.
 * @throws ValidationError (target `timezone`)
 */
export function canonicalTimeZone(zone: unknown): string {
  const invalid = () =>
    new ValidationError(
      `timezone must be an IANA zone name such as Europe/Berlin, or an offset such as +03:00, got ${quote(zone)}`,
      { target: "timezone" },
    );
  if (typeof zone !== "string" || zone.length === 0 || zone.length > 64) throw invalid();
  const fixed = OFFSET.exec(zone);
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3]);
    if (Number(fixed[3]) > 59 || minutes > 14 * 60) throw invalid();
    return minutes === 0 ? "UTC" : zone;
  }
  // Offsets in other spellings are refused above or here: only names reach Intl.
  if (!/^[A-Za-z]/.test(zone)) throw invalid();
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw invalid();
  }
}

function checkInstant(name: "from" | "to", value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || Math.abs(value) > MAX_TIME) {
    throw new ValidationError(`${name} must be a time in epoch milliseconds, got ${quote(value)}`, {
      target: name,
    });
  }
  return value;
}

/**
 * Checks the buckets of `group_by=creation_time` and computes their boundaries; buckets checked
 * before are only held against `limits.maxTimeBuckets` again.
 * @throws ValidationError naming `interval`, `timezone`, `from` or `to`
 */
export function checkTimeBuckets(
  buckets: TimeBuckets | CheckedTimeBuckets,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): CheckedTimeBuckets {
  if (buckets === null || typeof buckets !== "object") {
    throw new ValidationError("buckets must be { interval, timeZone, from, to }", {
      target: "buckets",
    });
  }
  const max = limits.maxTimeBuckets;
  const tooMany = (interval: TimeInterval) =>
    new ValidationError(
      `interval: ${interval} buckets over this creation_time range are more than ${max}; ask for a longer interval or a shorter range`,
      { target: "interval" },
    );
  if (known.has(buckets)) {
    const ready = buckets as CheckedTimeBuckets;
    if (ready.starts.length > max) throw tooMany(ready.interval);
    return ready;
  }
  const { interval } = buckets;
  if (!TIME_INTERVALS.includes(interval)) {
    throw new ValidationError(
      `interval must be one of ${TIME_INTERVALS.join(", ")}, got ${quote(interval)}`,
      { target: "interval" },
    );
  }
  const timeZone = canonicalTimeZone(buckets.timeZone ?? "UTC");
  const from = checkInstant("from", buckets.from);
  const to = checkInstant("to", buckets.to);
  if (to <= from) {
    throw new ValidationError(`to must be after from, got from ${from} and to ${to}`, {
      target: "to",
    });
  }
  const starts = [bucketStartOf(from, interval, timeZone)];
  let end = nextBucketStart(starts[0]!, interval, timeZone);
  while (end < to) {
    if (starts.length === max) throw tooMany(interval);
    starts.push(end);
    end = nextBucketStart(end, interval, timeZone);
  }
  const result = Object.freeze({
    interval,
    timeZone,
    from,
    to,
    starts: Object.freeze(starts),
    end,
  });
  known.add(result);
  return result as CheckedTimeBuckets;
}
