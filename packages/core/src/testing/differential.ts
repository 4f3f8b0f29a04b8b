import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCursorCodec } from "../listing/cursor.js";
import { keysetPositionOf } from "../listing/order.js";
import { checkTimeBuckets, TIME_INTERVALS } from "../listing/time-buckets.js";
import { createMemoryStore } from "../memory/memory-store.js";
import { effectiveSession, type Session, type SessionRecord } from "../model/session.js";
import type { Filter, FilterValue, KeysetPosition, SortKey } from "../query/ast.js";
import { checkFilter } from "../query/check-filter.js";
import type { CheckedFilter } from "../query/checked.js";
import { allOf } from "../query/combine.js";
import { FIELDS, type FieldDef, type FieldName } from "../query/fields.js";
import type { SessionStore } from "../storage.js";
import type { ConformanceOptions, StoreFixture } from "./harness.js";

const T0 = Date.UTC(2026, 1, 1);
const NOW = T0 + 50_000;
const TENANTS = ["tenant-a", "tenant-b"] as const;

// Small pools make collisions (equal values, case variants, LIKE metacharacters) likely.
const TEXTS = ["ui", "UI", "Ui", "api", "API", "a_b", "a%b", "axb", "ab", "é", "É", "z", "", "ui*"];
const IPS = ["10.0.0.2", "10.0.0.10", "10.0.0.9", "::1", "2001:db8::1", "192.168.1.1", "0.0.0.0"];
const IDS = ["u0", "u1", "U1", "u2", "u10", "x"];
const ENUMS: Record<string, readonly string[]> = {};
for (const field of FIELDS) if (field.enumValues) ENUMS[field.name] = field.enumValues;

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });
const text = fc.constantFrom(...TEXTS);
const time = fc.integer({ min: 0, max: 100 }).map((n) => T0 + n * 1000);

const recordArb = (index: number) =>
  fc
    .record({
      tenant: fc.constantFrom(...TENANTS),
      idPrefix: fc.constantFrom("a", "B", "c", "_", "Z"),
      userId: fc.constantFrom(...IDS),
      login: text,
      fullName: maybe(text),
      clientType: text,
      accessType: fc.constantFrom("UI", "API", "ui"),
      clientIp: maybe(fc.constantFrom(...IPS)),
      license: maybe(text),
      country: maybe(fc.constantFrom("US", "us", "PT", "DE")),
      browser: maybe(fc.constantFrom("Chrome", "chrome", "Firefox")),
      os: maybe(fc.constantFrom("Linux", "linux", "iOS")),
      device: maybe(fc.constantFrom("desktop", "mobile")),
      serverIp: maybe(fc.constantFrom(...IPS)),
      city: maybe(text),
      email: maybe(fc.constantFrom("a@x.io", "A@X.io", "b_c@x.io")),
      userAgent: maybe(fc.constantFrom("Mozilla/5.0", "curl/8.5", "MOZILLA/5.0")),
      sid: fc.option(fc.constantFrom("s1", "S1", "s2"), { nil: null }),
      createdAt: time,
      life: fc.integer({ min: 1, max: 120 }).map((n) => n * 1000),
      idle: fc.integer({ min: 1, max: 120 }).map((n) => n * 1000),
      state: fc.constantFrom("open", "open", "ended", "revoked"),
      endAfter: fc.integer({ min: 0, max: 60 }).map((n) => n * 1000),
    })
    .map((r): SessionRecord => {
      const absoluteExpiresAt = r.createdAt + r.life;
      const expiresAt = Math.min(r.createdAt + r.idle, absoluteExpiresAt);
      const ended = r.state === "open" ? null : Math.min(r.createdAt + r.endAfter, expiresAt);
      return {
        id: `${r.idPrefix}${index}`,
        tenantId: r.tenant,
        sessionIdentifier: r.sid === null ? null : `${r.sid}-${index}`,
        user: { id: r.userId, login: r.login, fullName: r.fullName, email: r.email },
        clientType: r.clientType,
        accessType: r.accessType,
        clientIp: r.clientIp,
        serverIp: r.serverIp,
        userAgent: r.userAgent,
        clientInfo:
          r.browser === null && r.os === null
            ? null
            : { browser: r.browser, os: r.os, device: r.device },
        city: r.city,
        country: r.country,
        licenseEdition: r.license,
        status: r.state === "open" ? "ACTIVE" : r.state === "ended" ? "LOGGED_OUT" : "REVOKED",
        endReason: r.state === "open" ? null : r.state === "ended" ? "LOGOUT" : "REVOKED",
        createdAt: r.createdAt,
        lastActivityAt: r.createdAt,
        expiresAt,
        absoluteExpiresAt,
        endedAt: ended,
        attributes: null,
        secretHash: "f".repeat(64),
      };
    });

const recordsArb = fc
  .integer({ min: 0, max: 24 })
  .chain((n) =>
    n === 0
      ? fc.constant<SessionRecord[]>([])
      : fc.tuple(...Array.from({ length: n }, (_, i) => recordArb(i))),
  );

const FILTERABLE = FIELDS.filter((f) => f.type !== "reference" && !f.userSubField);
const USER_FIELDS = FIELDS.filter((f) => f.userSubField);

function valueArb(def: FieldDef, allowSpecial: boolean): fc.Arbitrary<FilterValue> {
  const nullValue = fc.constant<FilterValue>({ kind: "null" });
  const special = (base: fc.Arbitrary<FilterValue>, pool: readonly string[]) => {
    if (!allowSpecial) return base;
    const options = [base, base, ...(def.nullable ? [nullValue] : [])];
    if (def.type === "text" || def.type === "ip") {
      options.push(
        fc
          .tuple(fc.constantFrom(...pool), fc.integer({ min: 0, max: 3 }), fc.boolean())
          .map(([s, cut, lead]): FilterValue => {
            const head = s.slice(0, Math.min(cut, s.length));
            return { kind: "pattern", parts: lead ? ["", head] : [head, ""] };
          }),
      );
    }
    return fc.oneof(...options);
  };
  switch (def.type) {
    case "time":
      return special(
        time.map((value): FilterValue => ({ kind: "time", value })),
        [],
      );
    case "ip":
      return special(
        fc.constantFrom(...IPS).map((value): FilterValue => ({ kind: "text", value })),
        IPS,
      );
    case "enum":
      return special(
        fc
          .constantFrom(...(ENUMS[def.name] ?? []))
          .map((value): FilterValue => ({ kind: "text", value })),
        [],
      );
    case "id":
      return special(
        fc
          .constantFrom(...IDS, "a1", "B2", "s1-3")
          .map((value): FilterValue => ({ kind: "text", value })),
        [],
      );
    default:
      return special(
        fc
          .oneof(text, fc.constantFrom("Chrome", "US", "pt"))
          .map((value): FilterValue => ({ kind: "text", value })),
        TEXTS,
      );
  }
}

function leafArb(fields: readonly FieldDef[]): fc.Arbitrary<Filter> {
  return fc.constantFrom(...fields).chain((def): fc.Arbitrary<Filter> => {
    const ops: fc.Arbitrary<Filter>[] = [
      valueArb(def, true).map(
        (value): Filter => ({ kind: "compare", field: def.name, op: "EQ", value }),
      ),
      fc
        .array(valueArb(def, true), { minLength: 1, maxLength: 3 })
        .map((values): Filter => ({ kind: "in", field: def.name, values })),
    ];
    if (def.type !== "enum") {
      ops.push(
        fc
          .tuple(fc.constantFrom("LT", "GT", "LE", "GE" as const), valueArb(def, false))
          .map(([op, value]): Filter => ({ kind: "compare", field: def.name, op, value })),
      );
    }
    if (def.type === "time" || def.type === "ip" || def.type === "id") {
      ops.push(
        fc
          .tuple(valueArb(def, false), valueArb(def, false))
          .map(([low, high]): Filter => ({ kind: "between", field: def.name, low, high })),
      );
    }
    return fc.oneof(...ops);
  });
}

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb(FILTERABLE),
    leafArb(USER_FIELDS).map((filter): Filter => ({ kind: "user", filter })),
    fc
      .array(tie("filter"), { minLength: 2, maxLength: 3 })
      .map((items): Filter => ({ kind: "and", items })),
    fc
      .array(tie("filter"), { minLength: 2, maxLength: 3 })
      .map((items): Filter => ({ kind: "or", items })),
    tie("filter").map((item): Filter => ({ kind: "not", item })),
  ),
})).filter;

const SORTABLE = FIELDS.filter((f) => f.sortable).map((f) => f.name);
const sortArb: fc.Arbitrary<SortKey[]> = fc.uniqueArray(
  fc.record({
    field: fc.constantFrom(...SORTABLE),
    direction: fc.constantFrom("asc" as const, "desc" as const),
  }),
  { maxLength: 3, selector: (k) => k.field },
);
const GROUPABLE = FIELDS.filter((f) => f.groupable).map((f) => f.name);

const queryArb = fc.record({
  tenant: fc.constantFrom(...TENANTS),
  filter: fc.option(filterArb, { nil: null, freq: 5 }),
  sort: sortArb,
  limit: fc.integer({ min: 1, max: 8 }),
  offset: fc.integer({ min: 0, max: 12 }),
  group: fc.constantFrom<FieldName>(...GROUPABLE),
  groupLimit: fc.integer({ min: 1, max: 5 }),
});

const HOUR = 3_600_000;
/** Where buckets are hard: the DST changes of Berlin and New York in 2026. */
const ANCHORS = [
  Date.UTC(2026, 2, 29, 1), // Berlin springs forward
  Date.UTC(2026, 9, 25, 1), // Berlin falls back
  Date.UTC(2026, 2, 8, 7), // New York springs forward
  Date.UTC(2026, 10, 1, 6), // New York falls back
];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "+05:30", "Australia/Lord_Howe"];

/** Within four days of the anchor: often on a half hour (a bucket's edge), a millisecond off. */
const nearAnchor = (anchor: number) =>
  fc
    .tuple(
      fc.oneof(
        fc.integer({ min: -4 * 48, max: 4 * 48 }).map((halfHours) => halfHours * 30),
        fc.integer({ min: -4 * 24 * 60, max: 4 * 24 * 60 }),
      ),
      fc.constantFrom(0, 0, 0, -1, 1, 30_000),
    )
    .map(([minutes, ms]) => anchor + minutes * 60_000 + ms);

/** A generated session moved, all its times alike, to be created at `createdAt`. */
function createdAtTime(record: SessionRecord, createdAt: number): SessionRecord {
  const by = createdAt - record.createdAt;
  return {
    ...record,
    createdAt,
    lastActivityAt: record.lastActivityAt + by,
    expiresAt: record.expiresAt + by,
    absoluteExpiresAt: record.absoluteExpiresAt + by,
    endedAt: record.endedAt === null ? null : record.endedAt + by,
  };
}

const SPANS = { hour: [1, 120], day: [1, 9], week: [1, 3] } as const;
const LENGTH = { hour: HOUR, day: 24 * HOUR, week: 7 * 24 * HOUR } as const;

/** Sessions created around one anchor, and bucket queries over ranges around it. */
const timeCaseArb = fc.constantFrom(...ANCHORS).chain((anchor) =>
  fc.record({
    now: nearAnchor(anchor),
    records: fc
      .integer({ min: 4, max: 24 })
      .chain((n) =>
        fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            fc.tuple(recordArb(i), nearAnchor(anchor)).map(([r, at]) => createdAtTime(r, at)),
          ),
        ),
      ),
    queries: fc.array(
      fc
        .record({
          tenant: fc.constantFrom(...TENANTS),
          filter: fc.option(filterArb, { nil: null, freq: 2 }),
          interval: fc.constantFrom(...TIME_INTERVALS),
          timeZone: fc.constantFrom(...ZONES),
          from: nearAnchor(anchor - 2 * 24 * HOUR),
        })
        .chain((q) =>
          fc
            .integer({ min: SPANS[q.interval][0], max: SPANS[q.interval][1] })
            .map((units) => ({ ...q, to: q.from + units * LENGTH[q.interval] })),
        ),
      { minLength: 1, maxLength: 4 },
    ),
  }),
);

async function cursorWalk(
  store: SessionStore,
  tenant: string,
  filter: CheckedFilter | null,
  sort: SortKey[],
  limit: number,
) {
  const seen: string[] = [];
  let after: KeysetPosition | undefined;
  for (let page = 0; page < 200; page++) {
    const rows = await store.listSessions(tenant, { filter, sort, now: NOW, limit, after });
    seen.push(...rows.map((r) => r.id));
    const last = rows[rows.length - 1];
    if (rows.length < limit || !last) return seen;
    after = keysetPositionOf(effectiveSession(last, NOW), sort);
  }
  throw new Error("cursor walk did not end");
}

async function collect(iterable: AsyncIterable<Session>) {
  const ids: string[] = [];
  for await (const row of iterable) ids.push(row.id);
  return ids;
}

export interface DifferentialOptions extends ConformanceOptions {
  /** fast-check runs. @default 500 */
  numRuns?: number;
  /** fast-check seed, to replay a failure. */
  seed?: number;
}

/**
 * Registers property tests that fill the store under test and the in-memory reference with
 * the same generated sessions and check that generated queries (filter, sort, offset page,
 * keyset walk, count, group, stream; and creation-time buckets over sessions created around DST
 * changes) give identical results.
 */
export function runDifferentialTest(options: DifferentialOptions): void {
  describe(`differential against the in-memory store: ${options.name}`, () => {
    let fixture: StoreFixture;
    beforeAll(async () => {
      fixture = await options.setup();
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    it("should answer generated queries exactly like the in-memory store", async () => {
      // The codec only proves cursors survive encoding with real values; walks use positions.
      const codec = createCursorCodec("differential");
      await fc.assert(
        fc.asyncProperty(
          recordsArb,
          fc.array(queryArb, { minLength: 1, maxLength: 4 }),
          async (records, queries) => {
            await fixture.reset();
            const reference = createMemoryStore();
            for (const record of records) {
              await reference.insertSession(record);
              await fixture.store.insertSession(record);
            }
            for (const generated of queries) {
              // The port takes checked filters; the generator only makes well-formed ones.
              const q = { ...generated, filter: checkFilter(generated.filter) };
              const page = {
                filter: q.filter,
                sort: q.sort,
                now: NOW,
                limit: q.limit,
                offset: q.offset,
              };
              const ids = async (store: SessionStore) =>
                (await store.listSessions(q.tenant, page)).map((r) => r.id);
              expect(await ids(fixture.store), "page").toEqual(await ids(reference));
              expect(await fixture.store.countSessions(q.tenant, q.filter, NOW), "count").toBe(
                await reference.countSessions(q.tenant, q.filter, NOW),
              );
              const group = { filter: q.filter, field: q.group, now: NOW, limit: q.groupLimit };
              expect(await fixture.store.groupSessions(q.tenant, group), "group").toEqual(
                await reference.groupSessions(q.tenant, group),
              );
              const walk = await cursorWalk(fixture.store, q.tenant, q.filter, q.sort, q.limit);
              expect(walk, "cursor walk").toEqual(
                await cursorWalk(reference, q.tenant, q.filter, q.sort, q.limit),
              );
              const stream = { filter: q.filter, sort: q.sort, now: NOW };
              expect(
                await collect(fixture.store.streamSessions(q.tenant, stream)),
                "stream",
              ).toEqual(walk);
              const first = (await reference.listSessions(q.tenant, { ...page, offset: 0 }))[0];
              if (first) {
                const scope = { tenantId: q.tenant, filter: q.filter, sort: q.sort };
                const position = keysetPositionOf(effectiveSession(first, NOW), q.sort);
                expect(codec.decode(scope, codec.encode(scope, position))).toEqual(position);
              }
            }
          },
        ),
        { numRuns: options.numRuns ?? 500, seed: options.seed },
      );
    }, 600_000);

    it("should count generated creation-time buckets exactly like the in-memory store", async () => {
      const created = (op: "GE" | "LT", value: number): Filter => ({
        kind: "compare",
        field: "creation_time",
        op,
        value: { kind: "time", value },
      });
      await fc.assert(
        fc.asyncProperty(timeCaseArb, async ({ now, records, queries }) => {
          await fixture.reset();
          const reference = createMemoryStore();
          for (const record of records) {
            await reference.insertSession(record);
            await fixture.store.insertSession(record);
          }
          for (const q of queries) {
            const buckets = checkTimeBuckets(q);
            // As the ledger asks: the filter confines creation times to the range.
            const range = [created("GE", q.from), created("LT", q.to)];
            const filter = checkFilter(allOf(q.filter ? [q.filter, ...range] : range));
            const query = { filter, buckets, now };
            expect(await fixture.store.groupSessionsByTime(q.tenant, query), "buckets").toEqual(
              await reference.groupSessionsByTime(q.tenant, query),
            );
          }
        }),
        { numRuns: Math.ceil((options.numRuns ?? 500) / 5), seed: options.seed },
      );
    }, 600_000);
  });
}
