import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { resolveLimits } from "../query/limits.js";
import {
  bucketStartOf,
  canonicalTimeZone,
  checkTimeBuckets,
  type TimeInterval,
} from "./time-buckets.js";

const HOUR = 3_600_000;
const STEP = 15 * 60_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The oracle: what the zone's wall clock reads at an instant, straight from Intl, and the label
 * a bucket of each interval is named by (an hour at its offset, a date, an ISO week's Monday).
 */
function labelAt(zone: string, instant: number, interval: TimeInterval): string {
  const parts: Record<string, string> = {};
  for (const part of wallClock(zone).formatToParts(instant)) parts[part.type] = part.value;
  const date = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day));
  switch (interval) {
    case "hour":
      return `${iso(date).slice(0, 10)} ${parts.hour} ${parts.timeZoneName}`;
    case "day":
      return iso(date).slice(0, 10);
    case "week": {
      const sinceMonday = (new Date(date).getUTCDay() + 6) % 7;
      return iso(date - sinceMonday * 24 * HOUR).slice(0, 10);
    }
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();
function wallClock(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      timeZoneName: "longOffset",
    });
    formats.set(zone, format);
  }
  return format;
}

/** Where the zone's offset changes within a year (day by day, then hour by hour), or mid-year. */
function changesIn(zone: string, year: number): number[] {
  const changes: number[] = [];
  const offset = (t: number) => labelAt(zone, t, "hour").split(" ")[2];
  const DAY = 24 * HOUR;
  for (let day = Date.UTC(year, 0, 1); day < Date.UTC(year + 1, 0, 1); day += DAY) {
    if (offset(day) === offset(day + DAY)) continue;
    for (let t = day; t < day + DAY; t += HOUR) {
      if (offset(t) !== offset(t + HOUR)) changes.push(t);
    }
  }
  // A zone without changes is still cut where its wall clock says.
  return changes.length > 0 ? changes : [Date.UTC(year, 5, 1)];
}

const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  // Clocks change at midnight: the day after a spring-forward starts at 01:00 …
  "America/Santiago",
  // … and a fall-back repeats midnight, which must not start a second day.
  "America/Havana",
  // Half-hour changes, and zones whose hours do not start on the UTC hour.
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "Asia/Kathmandu",
  // A two-hour change.
  "Antarctica/Troll",
];

describe("bucketStartOf and checkTimeBuckets", () => {
  for (const zone of ZONES) {
    for (const interval of ["hour", "day", "week"] as const) {
      it(`should cut ${zone} into ${interval}s where its wall clock says, across each DST change`, () => {
        for (const change of changesIn(zone, 2026)) {
          const span = interval === "week" ? 9 * 24 * HOUR : 36 * HOUR;
          const from = change - span;
          const to = change + span;
          // The oracle's buckets: runs of instants whose wall clock reads the same label.
          const expected: number[] = [];
          let previous: string | null = null;
          for (let t = from; t < to; t += STEP) {
            const label = labelAt(zone, t, interval);
            if (label !== previous && previous !== null) expected.push(t);
            previous = label;
          }
          const { starts, end } = checkTimeBuckets({ interval, timeZone: zone, from, to });
          expect(
            [...starts.slice(1), end].filter((s) => s < to).map(iso),
            `${interval}s around ${iso(change)}`,
          ).toEqual(expected.map(iso));
          expect(starts[0]).toBeLessThanOrEqual(from);
          for (let t = from; t < to; t += STEP) {
            const within = t + 7 * 60_000 + 13_000;
            const start = bucketStartOf(within, interval, zone);
            expect(start).toBeLessThanOrEqual(within);
            expect(labelAt(zone, start, interval)).toBe(labelAt(zone, within, interval));
            expect(starts.includes(start) || start === starts[0]).toBe(true);
          }
        }
      });
    }
  }

  it("should give the day Berlin's clocks go back 25 hours, its repeated 02:00 two of them", () => {
    const { starts, end } = checkTimeBuckets({
      interval: "hour",
      timeZone: "Europe/Berlin",
      from: at("2026-10-24T22:00:00Z"),
      to: at("2026-10-25T23:00:00Z"),
    });
    expect(starts).toHaveLength(25);
    expect(starts.slice(1, 5).map(iso)).toEqual([
      "2026-10-24T23:00:00.000Z",
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
    expect(iso(end)).toBe("2026-10-25T23:00:00.000Z");
    const days = checkTimeBuckets({
      interval: "day",
      timeZone: "Europe/Berlin",
      from: at("2026-03-28T12:00:00Z"),
      to: at("2026-03-30T12:00:00Z"),
    });
    // Midnight at +01:00, then a 23-hour day, then midnight at +02:00.
    expect(days.starts.map(iso)).toEqual([
      "2026-03-27T23:00:00.000Z",
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
  });

  it("should start weeks on Monday at local midnight, in New York across its fall-back", () => {
    const { starts } = checkTimeBuckets({
      interval: "week",
      timeZone: "America/New_York",
      from: at("2026-10-28T12:00:00Z"),
      to: at("2026-11-10T12:00:00Z"),
    });
    expect(starts.map(iso)).toEqual([
      "2026-10-26T04:00:00.000Z",
      "2026-11-02T05:00:00.000Z",
      "2026-11-09T05:00:00.000Z",
    ]);
  });

  it("should follow a fixed offset and UTC", () => {
    const from = at("2026-01-01T00:00:00Z");
    expect(bucketStartOf(from, "day", "+05:30")).toBe(at("2025-12-31T18:30:00Z"));
    expect(bucketStartOf(from + HOUR, "hour", "UTC")).toBe(from + HOUR);
    // 2026-01-01 is a Thursday.
    expect(iso(bucketStartOf(from, "week", "UTC"))).toBe("2025-12-29T00:00:00.000Z");
  });

  it("should refuse a range of more buckets than limits.maxTimeBuckets, naming interval", () => {
    const from = at("2026-01-01T00:00:00Z");
    const limits = resolveLimits({ maxTimeBuckets: 48 });
    expect(
      checkTimeBuckets({ interval: "hour", from, to: from + 48 * HOUR }, limits).starts,
    ).toHaveLength(48);
    const tooMany = () =>
      checkTimeBuckets({ interval: "hour", from, to: from + 48 * HOUR + 1 }, limits);
    expect(tooMany).toThrow(ValidationError);
    expect(tooMany).toThrow(/^interval: hour buckets .* more than 48/);
    // A century of hours is refused without a century of work.
    const century = () =>
      checkTimeBuckets({ interval: "hour", from, to: from + 100 * 8766 * HOUR }, limits);
    expect(century).toThrow(/more than 48/);
  });

  it("should hold buckets checked before only against the limit", () => {
    const from = at("2026-01-01T00:00:00Z");
    const checked = checkTimeBuckets({ interval: "day", from, to: from + 10 * 24 * HOUR });
    expect(checkTimeBuckets(checked)).toBe(checked);
    expect(() => checkTimeBuckets(checked, resolveLimits({ maxTimeBuckets: 9 }))).toThrow(
      /^interval: day buckets/,
    );
    // A look-alike that was never checked is checked in full.
    expect(() => checkTimeBuckets({ ...checked, interval: "fortnight" } as never)).toThrow(
      /^interval must be one of hour, day, week, got 'fortnight'/,
    );
  });

  it("should name the argument at fault", () => {
    const from = at("2026-01-01T00:00:00Z");
    const fault = (buckets: object): [string | undefined, string] | "accepted" => {
      try {
        checkTimeBuckets({ interval: "day", from, to: from + HOUR, ...buckets });
      } catch (error) {
        if (error instanceof ValidationError) return [error.target, error.message];
        throw error;
      }
      return "accepted";
    };
    expect(fault({ interval: "minute" })).toEqual([
      "interval",
      "interval must be one of hour, day, week, got 'minute'",
    ]);
    expect(fault({ timeZone: "Mars/Olympus" })[0]).toBe("timezone");
    expect(fault({ timeZone: "+15:00" })[0]).toBe("timezone");
    expect(fault({ from: Number.NaN })[0]).toBe("from");
    expect(fault({ to: "tomorrow" })[0]).toBe("to");
    expect(fault({ to: from })).toEqual([
      "to",
      `to must be after from, got from ${from} and to ${from}`,
    ]);
  });

  it("should spell time zones canonically", () => {
    expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("UTC")).toBe("UTC");
    expect(canonicalTimeZone("+00:00")).toBe("UTC");
    expect(canonicalTimeZone("-03:30")).toBe("-03:30");
    expect(() => canonicalTimeZone("../../etc")).toThrow(/^timezone must be/);
  });
});
