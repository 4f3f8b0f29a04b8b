/**
 * `group_by=creation_time` through every store: counts per hour, day and ISO week in a zone,
 * across the DST changes of Europe/Berlin and America/New_York, at week boundaries and at the
 * edges of the requested range. Empty buckets are the core's to fill; the store counts.
 */
import { expect } from "vitest";
import type { TimeGroupResult } from "../lifecycle/ledger.js";
import { checkTimeBuckets, type TimeBuckets } from "../listing/time-buckets.js";
import type { Filter } from "../query/ast.js";
import { type CaseContext, type ConformanceCase, OTHER_TENANT, TENANT } from "./harness.js";
import { sessionRecord } from "./records.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

interface Login {
  id: string;
  created: string;
  tenantId?: string;
  clientType?: string;
  /** Lapsed at the case's clock rather than open. @default false */
  lapsed?: boolean;
}

/** The clock every case reads at: after every login below. */
const NOW = at("2027-01-01T00:00:00Z");

async function seed(ctx: CaseContext, logins: readonly Login[]): Promise<void> {
  for (const login of logins) {
    const createdAt = at(login.created);
    await ctx.store.insertSession(
      sessionRecord({
        id: login.id,
        tenantId: login.tenantId ?? TENANT,
        clientType: login.clientType ?? "UI",
        createdAt,
        expiresAt: login.lapsed ? NOW - 1 : NOW + 3_600_000,
        absoluteExpiresAt: NOW + 7_200_000,
      }),
    );
  }
  ctx.clock.advance(NOW - ctx.clock.now());
}

/** A series as `[bucket start, count]` pairs, so a failure reads as instants. */
const series = (result: TimeGroupResult) =>
  result.buckets.map(({ start, count }) => [iso(start), count] as const);

const timeCase = (
  name: string,
  logins: readonly Login[],
  query: { buckets: Omit<TimeBuckets, "from" | "to"> & { from: string; to: string } } & {
    filter?: Filter;
    limit?: number;
    offset?: number;
  },
  expected: { series: (readonly [string, number])[]; totalBuckets?: number; timeZone?: string },
): ConformanceCase => ({
  name: `buckets - ${name}`,
  async run(ctx) {
    await seed(ctx, logins);
    const { buckets, ...rest } = query;
    const result = await ctx.ledger.group(TENANT, {
      field: "creation_time",
      buckets: { ...buckets, from: at(buckets.from), to: at(buckets.to) },
      ...rest,
    });
    expect(series(result)).toEqual(expected.series);
    expect(result.totalBuckets).toBe(expected.totalBuckets ?? expected.series.length);
    expect(result.interval).toBe(buckets.interval);
    expect(result.timeZone).toBe(expected.timeZone ?? buckets.timeZone ?? "UTC");
  },
});

export const timeBucketCases: readonly ConformanceCase[] = [
  timeCase(
    "should count Berlin's repeated 02:00 as two hours and fill the empty hours with 0",
    [
      // 02:10 and 02:50 CEST, then 02:10 CET an hour later, then 04:30 CET.
      { id: "h1", created: "2026-10-25T00:10:00Z" },
      { id: "h2", created: "2026-10-25T00:50:00Z" },
      { id: "h3", created: "2026-10-25T01:10:00Z" },
      { id: "h4", created: "2026-10-25T03:30:00Z" },
    ],
    {
      buckets: {
        interval: "hour",
        timeZone: "Europe/Berlin",
        from: "2026-10-24T22:00:00Z",
        to: "2026-10-25T05:00:00Z",
      },
    },
    {
      series: [
        ["2026-10-24T22:00:00.000Z", 0],
        ["2026-10-24T23:00:00.000Z", 0],
        ["2026-10-25T00:00:00.000Z", 2],
        ["2026-10-25T01:00:00.000Z", 1],
        ["2026-10-25T02:00:00.000Z", 0],
        ["2026-10-25T03:00:00.000Z", 1],
        ["2026-10-25T04:00:00.000Z", 0],
      ],
    },
  ),
  timeCase(
    "should give Berlin's spring-forward day 23 hours, each day from its own midnight",
    [
      // 23:59 CET on the 28th, midnight starting the 29th, 23:59 CEST on the 29th, midnight after.
      { id: "d1", created: "2026-03-28T22:59:00Z" },
      { id: "d2", created: "2026-03-28T23:00:00Z" },
      { id: "d3", created: "2026-03-29T21:59:59Z" },
      { id: "d4", created: "2026-03-29T22:00:00Z" },
      { id: "d5", created: "2026-03-30T10:00:00Z" },
    ],
    {
      buckets: {
        interval: "day",
        timeZone: "Europe/Berlin",
        from: "2026-03-27T23:00:00Z",
        to: "2026-03-30T22:00:00Z",
      },
    },
    {
      series: [
        ["2026-03-27T23:00:00.000Z", 1],
        ["2026-03-28T23:00:00.000Z", 2],
        ["2026-03-29T22:00:00.000Z", 2],
      ],
    },
  ),
  timeCase(
    "should count New York's spring-forward hours, which have no 02:00",
    [
      { id: "n1", created: "2026-03-08T06:59:59Z" }, // 01:59:59 EST
      { id: "n2", created: "2026-03-08T07:00:00Z" }, // 03:00 EDT
      { id: "n3", created: "2026-03-08T07:30:00Z" },
    ],
    {
      buckets: {
        interval: "hour",
        timeZone: "America/New_York",
        from: "2026-03-08T05:00:00Z",
        to: "2026-03-08T09:00:00Z",
      },
    },
    {
      series: [
        ["2026-03-08T05:00:00.000Z", 0],
        ["2026-03-08T06:00:00.000Z", 1],
        ["2026-03-08T07:00:00.000Z", 2],
        ["2026-03-08T08:00:00.000Z", 0],
      ],
    },
  ),
  timeCase(
    "should start weeks on Monday at New York's midnight, across its fall-back",
    [
      { id: "w1", created: "2026-11-02T04:59:59Z" }, // Sunday 23:59:59 EST: the week of Oct 26
      { id: "w2", created: "2026-11-02T05:00:00Z" }, // Monday 00:00 EST
      { id: "w3", created: "2026-11-08T12:00:00Z" },
      { id: "w4", created: "2026-10-26T04:00:00Z" }, // Monday 00:00 EDT
    ],
    {
      buckets: {
        interval: "week",
        timeZone: "America/New_York",
        from: "2026-10-26T04:00:00Z",
        to: "2026-11-16T05:00:00Z",
      },
    },
    {
      series: [
        ["2026-10-26T04:00:00.000Z", 2],
        ["2026-11-02T05:00:00.000Z", 2],
        ["2026-11-09T05:00:00.000Z", 0],
      ],
    },
  ),
  timeCase(
    "should count only the range asked, though its buckets reach past it",
    [
      { id: "r1", created: "2026-05-04T10:10:00Z" }, // in the first bucket, before `from`
      { id: "r2", created: "2026-05-04T10:30:00Z" }, // at `from`
      { id: "r3", created: "2026-05-04T12:29:59Z" },
      { id: "r4", created: "2026-05-04T12:30:00Z" }, // at `to`: outside
    ],
    {
      buckets: { interval: "hour", from: "2026-05-04T10:30:00Z", to: "2026-05-04T12:30:00Z" },
    },
    {
      series: [
        ["2026-05-04T10:00:00.000Z", 1],
        ["2026-05-04T11:00:00.000Z", 0],
        ["2026-05-04T12:00:00.000Z", 1],
      ],
    },
  ),
  timeCase(
    "should count only matching sessions of the tenant",
    [
      { id: "m1", created: "2026-05-04T01:00:00Z" },
      { id: "m2", created: "2026-05-04T02:00:00Z", clientType: "CI" },
      { id: "m3", created: "2026-05-05T03:00:00Z", clientType: "ui" },
      { id: "m4", created: "2026-05-05T04:00:00Z", tenantId: OTHER_TENANT },
    ],
    {
      buckets: { interval: "day", from: "2026-05-04T00:00:00Z", to: "2026-05-06T00:00:00Z" },
      filter: {
        kind: "compare",
        field: "client_type",
        op: "EQ",
        value: { kind: "text", value: "UI" },
      },
    },
    {
      series: [
        ["2026-05-04T00:00:00.000Z", 1],
        ["2026-05-05T00:00:00.000Z", 1],
      ],
    },
  ),
  timeCase(
    "should filter on what a read reports, lapsed sessions as EXPIRED",
    [
      { id: "e1", created: "2026-05-04T01:00:00Z", lapsed: true },
      { id: "e2", created: "2026-05-04T02:00:00Z" },
      { id: "e3", created: "2026-05-05T03:00:00Z", lapsed: true },
    ],
    {
      buckets: { interval: "day", from: "2026-05-04T00:00:00Z", to: "2026-05-06T00:00:00Z" },
      filter: {
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "EXPIRED" },
      },
    },
    {
      series: [
        ["2026-05-04T00:00:00.000Z", 1],
        ["2026-05-05T00:00:00.000Z", 1],
      ],
    },
  ),
  timeCase(
    "should cut days at a fixed offset's midnight",
    [
      { id: "o1", created: "2026-05-04T18:29:59Z" }, // 23:59:59 at +05:30
      { id: "o2", created: "2026-05-04T18:30:00Z" }, // midnight at +05:30
    ],
    {
      buckets: {
        interval: "day",
        timeZone: "+05:30",
        from: "2026-05-03T18:30:00Z",
        to: "2026-05-05T18:30:00Z",
      },
    },
    {
      series: [
        ["2026-05-03T18:30:00.000Z", 1],
        ["2026-05-04T18:30:00.000Z", 1],
      ],
    },
  ),
  timeCase(
    "should read a zone name in any case and answer it as the runtime spells it",
    [{ id: "c1", created: "2026-07-01T21:59:59Z" }], // 23:59:59 CEST
    {
      buckets: {
        interval: "day",
        timeZone: "europe/BERLIN",
        from: "2026-06-30T22:00:00Z",
        to: "2026-07-02T22:00:00Z",
      },
    },
    {
      series: [
        ["2026-06-30T22:00:00.000Z", 1],
        ["2026-07-01T22:00:00.000Z", 0],
      ],
      timeZone: "Europe/Berlin",
    },
  ),
  timeCase(
    "should page through the series and still report its length",
    [
      { id: "p1", created: "2026-05-04T01:00:00Z" },
      { id: "p2", created: "2026-05-06T01:00:00Z" },
    ],
    {
      buckets: { interval: "day", from: "2026-05-01T00:00:00Z", to: "2026-05-08T00:00:00Z" },
      limit: 3,
      offset: 2,
    },
    {
      series: [
        ["2026-05-03T00:00:00.000Z", 0],
        ["2026-05-04T00:00:00.000Z", 1],
        ["2026-05-05T00:00:00.000Z", 0],
      ],
      totalBuckets: 7,
    },
  ),
  {
    name: "buckets - a store should answer only the buckets that hold sessions, in order",
    async run(ctx) {
      await seed(ctx, [
        { id: "b1", created: "2026-05-06T01:00:00Z" },
        { id: "b2", created: "2026-05-04T01:00:00Z" },
        { id: "b3", created: "2026-05-04T02:00:00Z" },
        { id: "b4", created: "2026-05-04T03:00:00Z", tenantId: OTHER_TENANT },
      ]);
      const buckets = checkTimeBuckets({
        interval: "day",
        from: at("2026-05-01T00:00:00Z"),
        to: at("2026-05-08T00:00:00Z"),
      });
      const answer = await ctx.store.groupSessionsByTime(TENANT, {
        filter: null,
        buckets,
        now: NOW,
      });
      expect(answer.map(({ start, count }) => [iso(start), count])).toEqual([
        ["2026-05-04T00:00:00.000Z", 2],
        ["2026-05-06T00:00:00.000Z", 1],
      ]);
    },
  },
];
