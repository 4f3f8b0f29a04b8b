import { expect } from "vitest";
import { ValidationError } from "../errors.js";
import type { SessionRecord } from "../model/session.js";
import type { CompareOp, Filter, FilterValue, SortKey } from "../query/ast.js";
import { checkFilter } from "../query/check-filter.js";
import type { FieldName } from "../query/fields.js";
import { type CaseContext, type ConformanceCase, OTHER_TENANT, T0, TENANT } from "./harness.js";
import { sessionRecord } from "./records.js";

const MIN = 60_000;
/** The instant every listing case reads at: two hours after the first login. */
const NOW = T0 + 120 * MIN;

type State = "open" | "lapsed" | "lifetime" | "logout" | "revoked";
type Row = [
  id: string,
  userId: string,
  login: string,
  fullName: string | null,
  clientType: string,
  accessType: string,
  clientIp: string | null,
  license: string | null,
  country: string | null,
  createdMin: number,
  state: State,
];

/**
 * Twelve sessions chosen so every rule shows: case-distinct text (`UI`/`ui`), numeric versus
 * text IP order, nulls, a lapsed row of each kind, equal creation times, LIKE metacharacters
 * and a non-ASCII login.
 */
const ROWS: Row[] = [
  ["s01", "u1", "alice", "Alice Adams", "UI", "UI", "10.0.0.10", "Enterprise", "PT", 0, "open"],
  ["s02", "u1", "alice", "Alice Adams", "ui", "UI", "10.0.0.9", "enterprise", "PT", 5, "logout"],
  ["s03", "u2", "Bob", "Bob Brown", "Integration", "API", "10.0.0.100", null, "US", 10, "open"],
  ["s04", "u2", "Bob", "Bob Brown", "CI", "API", "192.168.0.1", "Trial", "US", 15, "lapsed"],
  ["s05", "u3", "carol", null, "UI", "UI", "::1", "Enterprise", null, 20, "revoked"],
  ["s06", "u3", "carol", null, "UI", "UI", "2001:db8::1", null, "DE", 25, "open"],
  ["s07", "u4", "dave", "Dave Davis", "Integration", "API", "10.0.0.10", "Trial", "DE", 30, "open"],
  ["s08", "u4", "dave", "Dave Davis", "UI", "UI", null, "Pro", "US", 35, "lifetime"],
  ["s09", "u5", "Émile", "Émile Zola", "UI", "UI", "172.16.5.4", "Pro", "FR", 40, "open"],
  [
    "s10",
    "u5",
    "Émile",
    "Émile Zola",
    "CI_CLIENT",
    "API",
    "10.1.0.1",
    "Enterprise",
    "FR",
    45,
    "open",
  ],
  ["s11", "u6", "Zed_1", "Zed Old", "MQM_UI", "UI", "10.0.0.2", null, "US", 50, "logout"],
  ["s12", "u6", "zed_1", "Zed", "UI", "UI", "10.0.0.2", "Enterprise", "US", 50, "open"],
];

function record(row: Row, tenantId = TENANT): SessionRecord {
  const [
    id,
    userId,
    login,
    fullName,
    clientType,
    accessType,
    clientIp,
    license,
    country,
    createdMin,
    state,
  ] = row;
  const createdAt = T0 + createdMin * MIN;
  const base = sessionRecord({
    id,
    tenantId,
    sessionIdentifier: `corr-${id}`,
    user: { id: userId, login, fullName, email: `${login.toLowerCase()}@example.com` },
    clientType,
    accessType,
    clientIp,
    country,
    licenseEdition: license,
    createdAt,
    expiresAt: NOW + 30 * MIN,
  });
  switch (state) {
    case "open":
      return base;
    case "lapsed":
      return { ...base, expiresAt: NOW - 10 * MIN };
    case "lifetime":
      return { ...base, expiresAt: NOW - 5 * MIN, absoluteExpiresAt: NOW - 5 * MIN };
    case "logout":
      return {
        ...base,
        status: "LOGGED_OUT",
        endReason: "LOGOUT",
        endedAt: createdAt + 20 * MIN,
        expiresAt: createdAt + 30 * MIN,
      };
    case "revoked":
      return {
        ...base,
        status: "REVOKED",
        endReason: "REVOKED",
        endedAt: createdAt + MIN,
        expiresAt: createdAt + 30 * MIN,
      };
  }
}

async function seed(ctx: CaseContext): Promise<void> {
  for (const row of ROWS) await ctx.store.insertSession(record(row));
  // The other tenant holds look-alikes that must never leak into tenant A's results.
  await ctx.store.insertSession(
    record(
      ["x01", "u1", "alice", null, "UI", "UI", "10.0.0.1", "Enterprise", "PT", 1, "open"],
      OTHER_TENANT,
    ),
  );
  await ctx.store.insertSession(
    record(
      ["x02", "u9", "zoe", null, "UI", "UI", "10.0.0.1", "Trial", "US", 2, "lapsed"],
      OTHER_TENANT,
    ),
  );
  ctx.clock.advance(NOW - ctx.clock.now());
}

const text = (value: string): FilterValue => ({ kind: "text", value });
const time = (minutes: number): FilterValue => ({ kind: "time", value: T0 + minutes * MIN });
const pattern = (source: string): FilterValue => ({ kind: "pattern", parts: source.split("*") });
const NULL: FilterValue = { kind: "null" };
const value = (v: FilterValue | string) =>
  typeof v === "string" ? (v.includes("*") ? pattern(v) : text(v)) : v;
const cmp = (field: FieldName, op: CompareOp, v: FilterValue | string): Filter => ({
  kind: "compare",
  field,
  op,
  value: value(v),
});
const eq = (field: FieldName, v: FilterValue | string) => cmp(field, "EQ", v);
const and = (...items: Filter[]): Filter => ({ kind: "and", items });
const or = (...items: Filter[]): Filter => ({ kind: "or", items });
const not = (item: Filter): Filter => ({ kind: "not", item });
const user = (filter: Filter): Filter => ({ kind: "user", filter });
const isIn = (field: FieldName, ...values: (FilterValue | string)[]): Filter => ({
  kind: "in",
  field,
  values: values.map(value),
});
const between = (
  field: FieldName,
  low: FilterValue | string,
  high: FilterValue | string,
): Filter => ({
  kind: "between",
  field,
  low: value(low),
  high: value(high),
});
const asc = (field: FieldName): SortKey => ({ field, direction: "asc" });
const desc = (field: FieldName): SortKey => ({ field, direction: "desc" });

async function ids(ctx: CaseContext, filter: Filter | null, sort: SortKey[] = [asc("id")]) {
  const page = await ctx.ledger.list(TENANT, { filter, sort, limit: 1000 });
  return page.items.map((s) => s.id);
}

async function walk(
  ctx: CaseContext,
  sort: SortKey[],
  limit: number,
  filter: Filter | null = null,
) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: Awaited<ReturnType<CaseContext["ledger"]["list"]>> = await ctx.ledger.list(TENANT, {
      filter,
      sort,
      limit,
      cursor,
    });
    seen.push(...page.items.map((s) => s.id));
    if (!page.nextCursor) return seen;
    cursor = page.nextCursor;
  }
  throw new Error("cursor walk did not end");
}

const invalidCursor = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).code).toBe("INVALID_CURSOR");
};

const filterCase = (name: string, filter: Filter, expected: string[]): ConformanceCase => ({
  name: `filter - ${name}`,
  async run(ctx) {
    await seed(ctx);
    expect(await ids(ctx, filter)).toEqual(expected);
    expect(await ctx.ledger.count(TENANT, filter)).toBe(expected.length);
  },
});

const sortCase = (name: string, sort: SortKey[], expected: string[]): ConformanceCase => ({
  name: `sort - ${name}`,
  async run(ctx) {
    await seed(ctx);
    expect(await ids(ctx, null, sort)).toEqual(expected);
  },
});

const groupCase = (
  name: string,
  query: { field: FieldName; filter?: Filter; limit?: number; offset?: number },
  expected: { totalGroups: number; groups: unknown[] },
): ConformanceCase => ({
  name: `group - ${name}`,
  async run(ctx) {
    await seed(ctx);
    expect(await ctx.ledger.group(TENANT, query)).toEqual(expected);
  },
});

const OPEN = ["s01", "s03", "s06", "s07", "s09", "s10", "s12"];
const BY_LICENSE_DESC = [
  "s04",
  "s07",
  "s08",
  "s09",
  "s01",
  "s02",
  "s05",
  "s10",
  "s12",
  "s03",
  "s06",
  "s11",
];
const BY_IP_ASC = [
  "s08",
  "s05",
  "s11",
  "s12",
  "s02",
  "s01",
  "s07",
  "s03",
  "s10",
  "s09",
  "s04",
  "s06",
];

export const listingCases: ConformanceCase[] = [
  {
    name: "filter - a checked filter changed after its check should reach the store as it was checked",
    async run(ctx) {
      await seed(ctx);
      // The host's own object: checking it makes a frozen copy, so changing the object later
      // changes nothing the store receives, and the copy itself cannot be changed.
      const value = { kind: "text" as const, value: "dave" };
      const hand: Filter = {
        kind: "user",
        filter: { kind: "compare", field: "user.login", op: "EQ", value },
      };
      const checked = checkFilter(hand);
      value.value = "alice";
      expect(() => {
        (checked as { kind: string }).kind = "not";
      }).toThrow(TypeError);
      expect(await ids(ctx, checked)).toEqual(["s07", "s08"]);
      // A value whose getter answers the check one thing and a later reader another.
      let reads = 0;
      const shifty = {
        kind: "text",
        get value() {
          return reads++ === 0 ? "carol" : { $ne: null };
        },
      } as unknown as FilterValue;
      expect(await ids(ctx, user(eq("user.login", shifty)))).toEqual(["s05", "s06"]);
      expect(reads).toBe(1);
    },
  },
  sortCase(
    "should order by creation time descending with ties broken by id ascending",
    [desc("creation_time")],
    ["s11", "s12", "s10", "s09", "s08", "s07", "s06", "s05", "s04", "s03", "s02", "s01"],
  ),
  sortCase(
    "should order text fields case-insensitively with id breaking ties",
    [asc("client_type")],
    ["s04", "s10", "s03", "s07", "s11", "s01", "s02", "s05", "s06", "s08", "s09", "s12"],
  ),
  sortCase("should put nulls last when descending", [desc("license_edition")], BY_LICENSE_DESC),
  sortCase(
    "should put nulls first when ascending",
    [asc("license_edition")],
    ["s03", "s06", "s11", "s01", "s02", "s05", "s10", "s12", "s08", "s09", "s04", "s07"],
  ),
  sortCase(
    "should apply several keys in turn",
    [asc("access_type"), desc("creation_time")],
    ["s10", "s07", "s04", "s03", "s11", "s12", "s09", "s08", "s06", "s05", "s02", "s01"],
  ),
  sortCase(
    "should order IP addresses numerically, IPv4 inside the IPv6 space",
    [asc("client_ip")],
    BY_IP_ASC,
  ),
  sortCase(
    "should order by user login, with non-ASCII letters after z",
    [asc("user")],
    ["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08", "s11", "s12", "s09", "s10"],
  ),
  sortCase(
    "should order by end time with lapsed sessions ending at their deadline",
    [asc("end_time")],
    ["s01", "s03", "s06", "s07", "s09", "s10", "s12", "s05", "s02", "s11", "s04", "s08"],
  ),
  sortCase(
    "should order by status as lapsed sessions read",
    [asc("status"), desc("id")],
    ["s12", "s10", "s09", "s07", "s06", "s03", "s01", "s08", "s04", "s11", "s02", "s05"],
  ),
  sortCase(
    "should order ids by exact code point",
    [desc("id")],
    ["s12", "s11", "s10", "s09", "s08", "s07", "s06", "s05", "s04", "s03", "s02", "s01"],
  ),
  {
    name: "list - should sort by creation time descending by default",
    async run(ctx) {
      await seed(ctx);
      const page = await ctx.ledger.list(TENANT, { limit: 100 });
      expect(page.items.map((s) => s.id)).toEqual([
        "s11",
        "s12",
        "s10",
        "s09",
        "s08",
        "s07",
        "s06",
        "s05",
        "s04",
        "s03",
        "s02",
        "s01",
      ]);
    },
  },
  {
    name: "list - offset pages should follow each other without overlap and report the total",
    async run(ctx) {
      await seed(ctx);
      const page = (offset: number) =>
        ctx.ledger.list(TENANT, {
          sort: [asc("creation_time")],
          limit: 5,
          offset,
          withTotal: true,
        });
      const [first, second, third] = await Promise.all([page(0), page(5), page(10)]);
      expect(first.items.map((s) => s.id)).toEqual(["s01", "s02", "s03", "s04", "s05"]);
      expect(second.items.map((s) => s.id)).toEqual(["s06", "s07", "s08", "s09", "s10"]);
      expect(third.items.map((s) => s.id)).toEqual(["s11", "s12"]);
      expect([first.total, second.total, third.total]).toEqual([12, 12, 12]);
    },
  },
  {
    name: "list - an offset past the end should return no rows and the full total",
    async run(ctx) {
      await seed(ctx);
      const page = await ctx.ledger.list(TENANT, { limit: 5, offset: 50, withTotal: true });
      expect(page).toEqual({ items: [], total: 12, nextCursor: null });
    },
  },
  {
    name: "list - lapsed sessions should read EXPIRED with their deadline as end time",
    async run(ctx) {
      await seed(ctx);
      const { items } = await ctx.ledger.list(TENANT, {
        filter: isIn("id", "s04", "s08"),
        sort: [asc("id")],
      });
      expect(
        items.map(({ id, status, endedAt, endReason }) => ({ id, status, endedAt, endReason })),
      ).toEqual([
        { id: "s04", status: "EXPIRED", endedAt: NOW - 10 * MIN, endReason: "IDLE_TIMEOUT" },
        { id: "s08", status: "EXPIRED", endedAt: NOW - 5 * MIN, endReason: "MAX_LIFETIME" },
      ]);
    },
  },
  filterCase("text equality should ignore case", eq("client_type", "ui"), [
    "s01",
    "s02",
    "s05",
    "s06",
    "s08",
    "s09",
    "s12",
  ]),
  filterCase("id equality should respect case", or(eq("id", "S01"), user(eq("user.id", "U1"))), []),
  filterCase("user id equality should match exactly", user(eq("user.id", "u1")), ["s01", "s02"]),
  filterCase("a trailing wildcard should match a prefix", eq("client_type", "ci*"), ["s04", "s10"]),
  filterCase("a leading wildcard should match a suffix", eq("client_type", "*ui"), [
    "s01",
    "s02",
    "s05",
    "s06",
    "s08",
    "s09",
    "s11",
    "s12",
  ]),
  filterCase("wildcards on both sides should match inside", eq("client_type", "*TEGR*"), [
    "s03",
    "s07",
  ]),
  filterCase(
    "a value without wildcards should match the whole value only",
    eq("client_type", "ci"),
    ["s04"],
  ),
  filterCase("wildcard patterns should be anchored at both ends", eq("client_type", "i*"), [
    "s03",
    "s07",
  ]),
  filterCase(
    "SQL LIKE metacharacters in a pattern should match literally",
    or(user(eq("user.login", "z_d*")), eq("license_edition", "%*")),
    [],
  ),
  filterCase(
    "an underscore in a pattern should match an underscore",
    user(eq("user.login", "zed_*")),
    ["s11", "s12"],
  ),
  filterCase("end_time EQ null should match only open sessions", eq("end_time", NULL), OPEN),
  filterCase(
    "a negated comparison should include sessions with no value",
    not(eq("license_edition", "Enterprise")),
    ["s03", "s04", "s06", "s07", "s08", "s09", "s11"],
  ),
  filterCase(
    "a comparison with a missing value should be false",
    cmp("license_edition", "LT", "q"),
    ["s01", "s02", "s05", "s08", "s09", "s10", "s12"],
  ),
  filterCase("IN should match any member, null included", isIn("license_edition", NULL, "trial"), [
    "s03",
    "s04",
    "s06",
    "s07",
    "s11",
  ]),
  filterCase("IN should accept wildcard members", isIn("client_type", "ci*", "mqm*"), [
    "s04",
    "s10",
    "s11",
  ]),
  filterCase(
    "BTW should include both ends of a time range",
    between("creation_time", time(10), time(30)),
    ["s03", "s04", "s05", "s06", "s07"],
  ),
  filterCase(
    "time comparisons should be numeric",
    or(cmp("creation_time", "GT", time(45)), cmp("creation_time", "LE", time(5))),
    ["s01", "s02", "s11", "s12"],
  ),
  filterCase("time equality should match the exact millisecond", eq("creation_time", time(50)), [
    "s11",
    "s12",
  ]),
  filterCase(
    "BTW on IPs should compare numerically",
    between("client_ip", "10.0.0.9", "10.0.0.100"),
    ["s01", "s02", "s03", "s07"],
  ),
  filterCase(
    "IP comparisons should be numeric and skip missing addresses",
    cmp("client_ip", "LT", "10.0.0.9"),
    ["s05", "s11", "s12"],
  ),
  filterCase("a wildcard on an IP should match its text", eq("client_ip", "10.0.0.*"), [
    "s01",
    "s02",
    "s03",
    "s07",
    "s11",
    "s12",
  ]),
  filterCase("status ACTIVE should exclude lapsed sessions", eq("status", "ACTIVE"), OPEN),
  filterCase(
    "status EXPIRED should include lapsed sessions before any sweep",
    eq("status", "EXPIRED"),
    ["s04", "s08"],
  ),
  filterCase(
    "end_reason should tell idle lapses from lifetime lapses",
    or(
      and(eq("end_reason", "IDLE_TIMEOUT"), eq("id", "s04")),
      and(eq("end_reason", "MAX_LIFETIME"), eq("id", "s08")),
    ),
    ["s04", "s08"],
  ),
  filterCase("end_reason EQ null should match open sessions", eq("end_reason", NULL), OPEN),
  filterCase(
    "a user cross-filter should match the login case-insensitively",
    user(eq("user.login", "BOB")),
    ["s03", "s04"],
  ),
  filterCase(
    "a user cross-filter should match a missing full name with null",
    user(eq("user.full_name", NULL)),
    ["s05", "s06"],
  ),
  filterCase(
    "a user cross-filter should allow OR inside",
    user(or(eq("user.id", "u1"), eq("user.login", "carol"))),
    ["s01", "s02", "s05", "s06"],
  ),
  filterCase(
    "OR of ANDs should follow the tree",
    or(
      and(eq("access_type", "api"), eq("country", "us")),
      and(eq("country", "fr"), eq("client_type", "ui")),
    ),
    ["s03", "s04", "s09"],
  ),
  filterCase(
    "NOT of an OR should include sessions with no value",
    not(or(eq("country", "us"), eq("country", "pt"))),
    ["s05", "s06", "s07", "s09", "s10"],
  ),
  filterCase("text GE should compare case-insensitively", user(cmp("user.login", "GE", "CAROL")), [
    "s05",
    "s06",
    "s07",
    "s08",
    "s09",
    "s10",
    "s11",
    "s12",
  ]),
  filterCase("non-ASCII text should compare by code point", user(cmp("user.login", "GT", "zzz")), [
    "s09",
    "s10",
  ]),
  filterCase(
    "id comparisons should be exact and case-sensitive",
    or(cmp("id", "LT", "s03"), and(cmp("id", "GT", "S99"), eq("id", "s12"))),
    ["s01", "s02", "s12"],
  ),
  filterCase("BTW on ids should be inclusive", between("id", "s03", "s05"), ["s03", "s04", "s05"]),
  filterCase(
    "contradictory conditions should match nothing",
    and(eq("country", "us"), eq("country", "pt")),
    [],
  ),
  {
    name: "count - should count only the tenant's own sessions",
    async run(ctx) {
      await seed(ctx);
      expect(await ctx.ledger.count(TENANT)).toBe(12);
      expect(await ctx.ledger.count(OTHER_TENANT)).toBe(2);
      expect(await ctx.ledger.count(OTHER_TENANT, eq("status", "EXPIRED"))).toBe(1);
      expect(await ids(ctx, user(eq("user.id", "u1")))).toEqual(["s01", "s02"]);
    },
  },
  groupCase(
    "should count exact values, largest first, then by value with null first",
    { field: "license_edition" },
    {
      totalGroups: 5,
      groups: [
        { value: "Enterprise", count: 4 },
        { value: null, count: 3 },
        { value: "Pro", count: 2 },
        { value: "Trial", count: 2 },
        { value: "enterprise", count: 1 },
      ],
    },
  ),
  groupCase(
    "should page through groups and still report their total",
    { field: "license_edition", limit: 2, offset: 1 },
    {
      totalGroups: 5,
      groups: [
        { value: null, count: 3 },
        { value: "Pro", count: 2 },
      ],
    },
  ),
  groupCase(
    "by user should carry the login and name of the user's newest session",
    { field: "user", filter: isIn("id", "s05", "s06", "s11", "s12", "s01") },
    {
      totalGroups: 3,
      groups: [
        { value: "u3", count: 2, user: { id: "u3", login: "carol", fullName: null } },
        { value: "u6", count: 2, user: { id: "u6", login: "zed_1", fullName: "Zed" } },
        { value: "u1", count: 1, user: { id: "u1", login: "alice", fullName: "Alice Adams" } },
      ],
    },
  ),
  groupCase(
    "by status should count lapsed sessions as EXPIRED",
    { field: "status" },
    {
      totalGroups: 4,
      groups: [
        { value: "ACTIVE", count: 7 },
        { value: "EXPIRED", count: 2 },
        { value: "LOGGED_OUT", count: 2 },
        { value: "REVOKED", count: 1 },
      ],
    },
  ),
  groupCase(
    "should keep values that differ only in case apart",
    { field: "client_type" },
    {
      totalGroups: 6,
      groups: [
        { value: "UI", count: 6 },
        { value: "Integration", count: 2 },
        { value: "CI", count: 1 },
        { value: "CI_CLIENT", count: 1 },
        { value: "MQM_UI", count: 1 },
        { value: "ui", count: 1 },
      ],
    },
  ),
  groupCase(
    "should count only matching sessions",
    { field: "country", filter: eq("access_type", "API") },
    {
      totalGroups: 3,
      groups: [
        { value: "US", count: 2 },
        { value: "DE", count: 1 },
        { value: "FR", count: 1 },
      ],
    },
  ),
  groupCase(
    "by IP should group the normalised addresses",
    { field: "client_ip", filter: eq("client_ip", "10.0.0.*") },
    {
      totalGroups: 4,
      groups: [
        { value: "10.0.0.10", count: 2 },
        { value: "10.0.0.2", count: 2 },
        { value: "10.0.0.100", count: 1 },
        { value: "10.0.0.9", count: 1 },
      ],
    },
  ),
  {
    name: "cursor - a walk should return every session exactly once, in order",
    async run(ctx) {
      await seed(ctx);
      expect(await walk(ctx, [asc("creation_time")], 5)).toEqual([
        "s01",
        "s02",
        "s03",
        "s04",
        "s05",
        "s06",
        "s07",
        "s08",
        "s09",
        "s10",
        "s11",
        "s12",
      ]);
    },
  },
  {
    name: "cursor - a descending walk should pass through nulls in order",
    async run(ctx) {
      await seed(ctx);
      expect(await walk(ctx, [desc("license_edition")], 4)).toEqual(BY_LICENSE_DESC);
      expect(await walk(ctx, [desc("license_edition")], 1)).toEqual(BY_LICENSE_DESC);
    },
  },
  {
    name: "cursor - a walk over IPs should follow numeric order through equal values",
    async run(ctx) {
      await seed(ctx);
      expect(await walk(ctx, [asc("client_ip")], 3)).toEqual(BY_IP_ASC);
      expect(await walk(ctx, [desc("client_ip"), asc("creation_time")], 2)).toEqual([
        "s06",
        "s04",
        "s09",
        "s10",
        "s03",
        "s01",
        "s07",
        "s02",
        "s11",
        "s12",
        "s05",
        "s08",
      ]);
    },
  },
  {
    name: "cursor - a walk over case-folded text should not skip values differing only in case",
    async run(ctx) {
      await seed(ctx);
      const sort = [asc("client_type"), desc("user")];
      expect(await walk(ctx, sort, 2)).toEqual(await ids(ctx, null, sort));
    },
  },
  {
    name: "cursor - a filtered walk should stay inside the filter",
    async run(ctx) {
      await seed(ctx);
      expect(await walk(ctx, [asc("end_time")], 2, eq("status", "ACTIVE"))).toEqual(OPEN);
    },
  },
  {
    name: "cursor - the last page should carry no cursor, even when it is full",
    async run(ctx) {
      await seed(ctx);
      const first = await ctx.ledger.list(TENANT, { sort: [asc("id")], limit: 6 });
      expect(first.nextCursor).not.toBeNull();
      const second = await ctx.ledger.list(TENANT, {
        sort: [asc("id")],
        limit: 6,
        cursor: first.nextCursor,
      });
      expect(second.items).toHaveLength(6);
      expect(second.nextCursor).toBeNull();
    },
  },
  {
    name: "cursor - a walk during inserts and terminations should return every lasting session exactly once",
    async run(ctx) {
      await seed(ctx);
      const sort = [asc("creation_time")];
      const seen: string[] = [];
      let cursor: string | null = null;
      let round = 0;
      do {
        const page: Awaited<ReturnType<CaseContext["ledger"]["list"]>> = await ctx.ledger.list(
          TENANT,
          { sort, limit: 2, cursor },
        );
        seen.push(...page.items.map((s) => s.id));
        cursor = page.nextCursor;
        // Meanwhile: new logins arrive and an admin ends sessions ahead of and behind the walk.
        await ctx.ledger.create({
          tenantId: TENANT,
          user: { id: `new-${round}`, login: `new${round}` },
        });
        await ctx.ledger.terminateSessions(TENANT, [ROWS[(round * 5) % ROWS.length]![0]]);
        ctx.clock.advance(1000);
        round++;
      } while (cursor);
      for (const [id] of ROWS)
        expect(
          seen.filter((s) => s === id),
          id,
        ).toHaveLength(1);
      expect(new Set(seen).size).toBe(seen.length);
    },
  },
  {
    name: "cursor - a cursor altered by one character should be rejected",
    async run(ctx) {
      await seed(ctx);
      const sort = [asc("creation_time")];
      const { nextCursor } = await ctx.ledger.list(TENANT, { sort, limit: 3 });
      const cursor = nextCursor!;
      for (const at of [0, Math.floor(cursor.length / 2), cursor.length - 1]) {
        const flipped = cursor[at] === "A" ? "B" : "A";
        await invalidCursor(
          ctx.ledger.list(TENANT, {
            sort,
            limit: 3,
            cursor: cursor.slice(0, at) + flipped + cursor.slice(at + 1),
          }),
        );
      }
      await invalidCursor(ctx.ledger.list(TENANT, { sort, limit: 3, cursor: "garbage" }));
    },
  },
  {
    name: "cursor - a cursor reused with another filter or sort should be rejected",
    async run(ctx) {
      await seed(ctx);
      const sort = [asc("creation_time")];
      const { nextCursor } = await ctx.ledger.list(TENANT, {
        sort,
        limit: 3,
        filter: eq("access_type", "UI"),
      });
      await invalidCursor(
        ctx.ledger.list(TENANT, {
          sort,
          limit: 3,
          cursor: nextCursor,
          filter: eq("access_type", "API"),
        }),
      );
      await invalidCursor(
        ctx.ledger.list(TENANT, {
          sort: [desc("creation_time")],
          limit: 3,
          cursor: nextCursor,
          filter: eq("access_type", "UI"),
        }),
      );
    },
  },
  {
    name: "cursor - a cursor from one tenant should be rejected in another",
    async run(ctx) {
      await seed(ctx);
      const { nextCursor } = await ctx.ledger.list(TENANT, { limit: 3 });
      await invalidCursor(ctx.ledger.list(OTHER_TENANT, { limit: 3, cursor: nextCursor }));
    },
  },
  {
    name: "export - should stream every match in the requested order",
    async run(ctx) {
      await seed(ctx);
      const streamed: string[] = [];
      for await (const session of ctx.ledger.export(TENANT, { sort: [asc("client_ip")] }))
        streamed.push(session.id);
      expect(streamed).toEqual(BY_IP_ASC);
    },
  },
  {
    name: "export - should stream only matches, as reads report them",
    async run(ctx) {
      await seed(ctx);
      const streamed = [];
      for await (const session of ctx.ledger.export(TENANT, {
        filter: eq("status", "EXPIRED"),
        sort: [asc("id")],
      })) {
        streamed.push([session.id, session.status, session.endedAt]);
      }
      expect(streamed).toEqual([
        ["s04", "EXPIRED", NOW - 10 * MIN],
        ["s08", "EXPIRED", NOW - 5 * MIN],
      ]);
    },
  },
];
