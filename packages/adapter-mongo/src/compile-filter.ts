/**
 * Compiles the core's query AST into MongoDB filter documents and aggregation stages with the
 * reference semantics of `listing/evaluate.ts` and `listing/order.ts`. Filters arrive checked
 * and are walked by the core (`walkFilter`, which hands each comparison over in compare space);
 * this file translates:
 *
 * - Text compares through the ASCII-folded shadow keys (`k.*`), IPs through their `ipSortKey`,
 *   ids, enums and times exactly, all under the simple (binary, code point) collation.
 * - Two-valued logic: every compiled leaf is an exact predicate that is false on null (MongoDB's
 *   `$lt`/`$gt`/`$regex` never match null), so `$nor` gives exactly the complement.
 * - A stored open record whose deadline has passed reads as EXPIRED: `status`, `end_reason`
 *   and `end_time` are compiled per state (open, lapsed, ended) with `now` as a bound value.
 * - No value ever becomes a key: field names come only from the catalog table below, values
 *   only sit under `$eq`/`$lt`/`$gt`/`$lte`/`$gte`/`$regex` (regex literals escaped).
 */
import {
  type CompareOp,
  EndReason,
  type FieldName,
  SESSION_STATUSES,
  SessionStatus,
  type SortKey,
} from "@session-ledger/core";
import {
  type CheckedFilter,
  compareCodePoints,
  FIELDS,
  type FieldDef,
  type FilterVisitor,
  foldCase,
  type KeysetPosition,
  matchesPattern,
  type SortValue,
  walkFilter,
} from "@session-ledger/core/store";
import type { Document } from "mongodb";

/** A compiled predicate: a filter document, or a constant when the compiler could decide. */
export type Condition = Document | boolean;

/** Where each catalog field lives: `raw` is the stored value, `key` the value it compares as. */
const PATHS: Readonly<Record<FieldName, { raw: string; key: string }>> = {
  id: { raw: "id", key: "id" },
  session_identifier: { raw: "sessionIdentifier", key: "sessionIdentifier" },
  client_type: { raw: "clientType", key: "k.clientType" },
  access_type: { raw: "accessType", key: "k.accessType" },
  client_ip: { raw: "clientIp", key: "k.clientIp" },
  server_ip: { raw: "serverIp", key: "k.serverIp" },
  user_agent: { raw: "userAgent", key: "k.userAgent" },
  browser: { raw: "clientInfo.browser", key: "k.browser" },
  os: { raw: "clientInfo.os", key: "k.os" },
  device: { raw: "clientInfo.device", key: "k.device" },
  city: { raw: "city", key: "k.city" },
  country: { raw: "country", key: "k.country" },
  license_edition: { raw: "licenseEdition", key: "k.licenseEdition" },
  status: { raw: "status", key: "status" },
  end_reason: { raw: "endReason", key: "endReason" },
  creation_time: { raw: "createdAt", key: "createdAt" },
  last_activity_time: { raw: "lastActivityAt", key: "lastActivityAt" },
  expired_at: { raw: "expiresAt", key: "expiresAt" },
  absolute_expiry_time: { raw: "absoluteExpiresAt", key: "absoluteExpiresAt" },
  end_time: { raw: "endedAt", key: "endedAt" },
  // `user` compares as its id and sorts as its folded login (see `compareDef`/`sortDef`).
  user: { raw: "user.id", key: "k.login" },
  "user.id": { raw: "user.id", key: "user.id" },
  "user.login": { raw: "user.login", key: "k.login" },
  "user.full_name": { raw: "user.fullName", key: "k.fullName" },
  "user.email": { raw: "user.email", key: "k.email" },
};

const DEFS = new Map<string, FieldDef>(FIELDS.map((def) => [def.name, def]));

/**
 * The catalog entry of a field core checked. Field names, sort keys, keyset positions and
 * group fields reach the store checked and frozen by core (the port's contract), so the store
 * translates them and does not check them again; `PATHS` is typed by `FieldName`, so a field
 * the catalog gains is a compile error here until it has a path.
 */
const defOf = (name: FieldName): FieldDef => DEFS.get(name)!;

// ---------------------------------------------------------------- constant folding

export function allOf(items: readonly Condition[]): Condition {
  const docs: Document[] = [];
  for (const item of items) {
    if (item === false) return false;
    if (item !== true) docs.push(item);
  }
  if (docs.length === 0) return true;
  return docs.length === 1 ? docs[0]! : { $and: docs };
}

export function anyOf(items: readonly Condition[]): Condition {
  const docs: Document[] = [];
  for (const item of items) {
    if (item === true) return true;
    if (item !== false) docs.push(item);
  }
  if (docs.length === 0) return false;
  return docs.length === 1 ? docs[0]! : { $or: docs };
}

export function not(item: Condition): Condition {
  return typeof item === "boolean" ? !item : { $nor: [item] };
}

/** A filter document for a condition; `false` becomes one that matches nothing. */
export function toFilterDocument(condition: Condition): Document {
  if (condition === true) return {};
  if (condition === false) return { _id: { $in: [] } };
  return condition;
}

// ---------------------------------------------------------------- session states at `now`

/**
 * Open at `now`: not ended and the deadline not reached. A session is stored `ACTIVE` exactly
 * while `endedAt` is null (`checkRecord`, and every end writes both), so `status: "ACTIVE"`
 * alone says "not ended": no `endedAt: null` beside it, which an index on open sessions by
 * deadline would have to fetch every document to check (it covers counts as it is).
 */
export const openAt = (now: number): Document => ({
  status: SessionStatus.Active,
  expiresAt: { $gt: now },
});
/** Lapsed at `now`: never ended, but the deadline has passed; reads as EXPIRED. */
export const lapsedAt = (now: number): Document => ({
  status: SessionStatus.Active,
  expiresAt: { $lte: now },
});
const ENDED: Document = { endedAt: { $ne: null } };
const ENDED_STATUSES = SESSION_STATUSES.filter((status) => status !== SessionStatus.Active);
/** A lapse ends as MAX_LIFETIME when the absolute deadline bound it (see `lapseReason`). */
const LIFETIME_BOUND: Document = { $expr: { $gte: ["$expiresAt", "$absoluteExpiresAt"] } };

// ---------------------------------------------------------------- leaves

/** One comparison in compare space (folded text, IP sort keys, exact ids, epoch ms). */
type Test =
  | { op: "eq"; value: SortValue }
  | { op: "lt" | "lte" | "gt" | "gte"; value: string | number }
  | { op: "notNull" }
  | { op: "match"; parts: readonly string[] };

const RANGE_OPS: Record<Exclude<CompareOp, "EQ">, "lt" | "lte" | "gt" | "gte"> = {
  LT: "lt",
  LE: "lte",
  GT: "gt",
  GE: "gte",
};

/** The test as a filter document on one path. `foldedPath` says the stored text is folded. */
function onPath(path: string, test: Test, foldedPath: boolean): Document {
  switch (test.op) {
    case "eq":
      return { [path]: { $eq: test.value } };
    case "notNull":
      return { [path]: { $ne: null } };
    case "match":
      return { [path]: { $regex: patternSource(test.parts, foldedPath) } };
    default:
      return { [path]: { [`$${test.op}`]: test.value } };
  }
}

/** The test applied to a value the compiler knows (a lapsed row's status or end reason). */
function holdsFor(constant: SortValue, test: Test): boolean {
  switch (test.op) {
    case "eq":
      return constant === test.value;
    case "notNull":
      return constant !== null;
    case "match":
      return typeof constant === "string" && matchesPattern(constant, test.parts);
    default: {
      if (constant === null || typeof constant !== typeof test.value) return false;
      const order =
        typeof constant === "number"
          ? Math.sign(constant - (test.value as number))
          : compareCodePoints(constant, test.value as string);
      if (test.op === "lt") return order < 0;
      if (test.op === "lte") return order <= 0;
      if (test.op === "gt") return order > 0;
      return order >= 0;
    }
  }
}

/**
 * The test on a field's value as a read at `now` reports it. Only `status`, `end_reason` and
 * `end_time` depend on `now`; they are compiled per state so no per-row computation is needed
 * in a plain filter (and the open/lapsed split can use the indexes on `expiresAt`).
 */
function fieldTest(def: FieldDef, test: Test, now: number): Condition {
  const paths = PATHS[def.name];
  switch (def.name) {
    case "status":
      return anyOf([
        // Ended rows are stored with their final status, never ACTIVE (checked on insert).
        ENDED_STATUSES.some((status) => holdsFor(status, test)) &&
          allOf([ENDED, onPath("status", test, false)]),
        holdsFor(SessionStatus.Active, test) && openAt(now),
        holdsFor(SessionStatus.Expired, test) && lapsedAt(now),
      ]);
    case "end_reason":
      return anyOf([
        allOf([ENDED, onPath("endReason", test, false)]),
        holdsFor(null, test) && openAt(now),
        holdsFor(EndReason.MaxLifetime, test) && allOf([lapsedAt(now), LIFETIME_BOUND]),
        holdsFor(EndReason.IdleTimeout, test) && allOf([lapsedAt(now), not(LIFETIME_BOUND)]),
      ]);
    case "end_time":
      return anyOf([
        allOf([ENDED, onPath("endedAt", test, false)]),
        holdsFor(null, test) && openAt(now),
        allOf([lapsedAt(now), onPath("expiresAt", test, false)]),
      ]);
  }
  // A pattern matches the text itself: folded shadow text, or the raw text of an id or IP.
  if (test.op === "match") {
    return def.type === "text" ? onPath(paths.key, test, true) : onPath(paths.raw, test, false);
  }
  return onPath(paths.key, test, def.type === "text");
}

/**
 * An anchored regular expression for a wildcard pattern over the whole value. Literal parts are
 * escaped so that no metacharacter of the user's survives. Over folded shadow text the folded
 * literal is enough; over raw text each ASCII letter becomes a two-case class, which is exactly
 * the reference's ASCII-only case-insensitivity (regex `i` would also fold non-ASCII letters).
 * The end anchor is `(?![\s\S])`, not `$`: PCRE's `$` also matches before a final newline. NUL
 * is written as `\x00`: the server refuses a pattern that holds the byte itself.
 *
 * It runs in linear time. `a*b*c` as `^a[\s\S]*b[\s\S]*c` backtracks through every split of
 * the text on a near miss (O(n^k) for k wildcards). But a middle part may as well match at its
 * first occurrence (anything a later occurrence leaves room for, an earlier one does too), so each
 * one is found by a lookahead and consumed by a back-reference to what it captured: a lookahead is
 * atomic in PCRE and in JavaScript alike, so a failure never retries another split. Only the
 * last part, which must end the text, is left to a plain `[\s\S]*`.
 */
export function patternSource(parts: readonly string[], foldedPath: boolean): string {
  const literal = (part: string) =>
    [...foldCase(part)]
      .map((char) => {
        if (!foldedPath && char >= "a" && char <= "z") return `[${char}${char.toUpperCase()}]`;
        // mongod refuses a pattern with an embedded NUL byte; the escape matches it the same.
        if (char === "\0") return "\\x00";
        return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
      })
      .join("");
  const first = parts[0] ?? "";
  const last = parts.length > 1 ? parts[parts.length - 1]! : "";
  let source = `^${literal(first)}`;
  let group = 0;
  for (const middle of parts.slice(1, -1)) {
    if (middle === "") continue;
    group += 1;
    // What follows `\N` is always `(`, `[` or the end, never a digit that would extend it.
    source += `(?=([\\s\\S]*?${literal(middle)}))\\${group}`;
  }
  return last === "" ? source : `${source}[\\s\\S]*${literal(last)}(?![\\s\\S])`;
}

/** `user` compares as the user's id (the reference evaluates `user.id` for it). */
const compareDef = (def: FieldDef): FieldDef => (def.name === "user" ? DEFS.get("user.id")! : def);

/** Each part of a checked filter as a condition at `now`: the translation of the core's walk. */
const visitorAt = (now: number): FilterVisitor<Condition> => ({
  and: allOf,
  or: anyOf,
  not,
  compare(def, op, value) {
    const test: Test =
      op === "EQ" ? { op: "eq", value } : { op: RANGE_OPS[op as Exclude<CompareOp, "EQ">], value };
    return fieldTest(compareDef(def), test, now);
  },
  isNull: (def) => fieldTest(compareDef(def), { op: "eq", value: null }, now),
  matches: (def, parts) => fieldTest(compareDef(def), { op: "match", parts }, now),
  oneOf: (def, values) =>
    anyOf(values.map((value) => fieldTest(compareDef(def), { op: "eq", value }, now))),
});

/** The filter as a condition at `now`; null means every session. */
export function compileFilter(filter: CheckedFilter | null, now: number): Condition {
  return filter === null ? true : walkFilter(filter, visitorAt(now));
}

// ---------------------------------------------------------------- sorting and keyset paging

/** `user` sorts as the folded login; every other field as itself. */
const sortDef = (def: FieldDef): FieldDef => (def.name === "user" ? DEFS.get("user.login")! : def);

const EFFECTIVE_PATHS: Partial<Record<FieldName, string>> = {
  status: "effective.status",
  end_reason: "effective.endReason",
  end_time: "effective.endedAt",
};

export interface SortPlan {
  /** The sort document, `id` tie-break included. */
  sort: Record<string, 1 | -1>;
  /** True when a key reads a `now`-dependent value, computed by `effectiveStage`. */
  needsEffective: boolean;
}

/** The sort document for the reference order, tie-break on `id` appended unless `id` is a key. */
export function compileSort(sort: readonly SortKey[]): SortPlan {
  const spec: Record<string, 1 | -1> = {};
  let needsEffective = false;
  for (const key of sort) {
    const def = sortDef(defOf(key.field));
    const effective = EFFECTIVE_PATHS[def.name];
    const path = effective ?? PATHS[def.name].key;
    needsEffective ||= effective !== undefined;
    // A second key on the same path can never break a tie the first one left.
    if (!Object.hasOwn(spec, path)) spec[path] = key.direction === "asc" ? 1 : -1;
  }
  if (!sort.some((key) => key.field === "id")) spec.id ??= 1;
  return { sort: spec, needsEffective };
}

/**
 * The `$addFields` stage that computes the values a read at `now` reports for the fields that
 * depend on it, for sorting and grouping (filters use the per-state form instead). Only
 * constants and field paths appear in it; `now` is a number.
 */
export function effectiveStage(now: number): Document {
  const lapsed = { $and: [{ $eq: ["$endedAt", null] }, { $lte: ["$expiresAt", now] }] };
  return {
    $addFields: {
      effective: {
        status: { $cond: [lapsed, SessionStatus.Expired, "$status"] },
        endReason: {
          $cond: [
            lapsed,
            {
              $cond: [
                { $gte: ["$expiresAt", "$absoluteExpiresAt"] },
                EndReason.MaxLifetime,
                EndReason.IdleTimeout,
              ],
            },
            "$endReason",
          ],
        },
        endedAt: { $cond: [lapsed, "$expiresAt", "$endedAt"] },
      },
    },
  };
}

/**
 * Keyset paging as a range filter: rows strictly after `position` in the order of `sort`
 * (then `id` ascending), as an `$or` over "equal on the earlier keys, beyond on this one", with
 * the range on the first key stated on its own as well (see `firstKeyBound`). Null sorts
 * lowest: after null ascending is "not null"; after a value descending includes null, on a
 * field that can be null.
 */
export function compileAfter(
  sort: readonly SortKey[],
  position: KeysetPosition,
  now: number,
): Condition {
  const keys: { def: FieldDef; direction: SortKey["direction"]; value: SortValue }[] = [];
  for (const [i, key] of sort.entries()) {
    const def = defOf(key.field);
    keys.push({ def: sortDef(def), direction: key.direction, value: position.values[i] ?? null });
    // The reference stops at an `id` key: ids are unique, nothing after it can tie.
    if (def.name === "id") break;
  }
  if (!sort.some((key) => key.field === "id")) {
    keys.push({
      def: DEFS.get("id")!,
      direction: "asc",
      value: position.id,
    });
  }
  const terms: Condition[] = [];
  const equalSoFar: Condition[] = [];
  for (const { def, direction, value } of keys) {
    let beyond: Condition;
    if (direction === "asc") {
      beyond =
        value === null
          ? fieldTest(def, { op: "notNull" }, now)
          : fieldTest(def, { op: "gt", value }, now);
    } else {
      beyond =
        value === null
          ? false
          : anyOf([
              fieldTest(def, { op: "lt", value }, now),
              // Nulls sort lowest, so they follow a value descending, if the field has any.
              def.nullable && fieldTest(def, { op: "eq", value: null }, now),
            ]);
    }
    terms.push(allOf([...equalSoFar, beyond]));
    equalSoFar.push(fieldTest(def, { op: "eq", value }, now));
  }
  return allOf([firstKeyBound(keys, now), anyOf(terms)]);
}

/**
 * The range every row after the position lies in on the first sort key, implied by the `$or`
 * but stated on its own: the planner turns it into index bounds that start the scan at the
 * position, where the `$or` alone would read the index from the top on every page. Descending on
 * a nullable field, the nulls that follow lie outside any single range, so there is none.
 */
function firstKeyBound(
  keys: readonly { def: FieldDef; direction: SortKey["direction"]; value: SortValue }[],
  now: number,
): Condition {
  const [first] = keys;
  if (keys.length < 2 || first === undefined || first.value === null) return true;
  if (first.direction === "asc")
    return fieldTest(first.def, { op: "gte", value: first.value }, now);
  if (first.def.nullable) return true;
  return fieldTest(first.def, { op: "lte", value: first.value }, now);
}

// ---------------------------------------------------------------- grouping

/** The two pipelines of a group query, each to follow the same `$match`. */
export interface GroupPipelines {
  /** The page of groups, one small document per group, streamed by the cursor. */
  page: Document[];
  /** The number of groups, as one `{ groups }` document (none on an empty input). */
  total: Document[];
}

/**
 * The stages that count matching sessions per exact stored value of `field` (user id for
 * `user`), largest count first, ties by value with null first, and the stages that count the
 * groups. They are two pipelines, not one `$facet`: a facet's output is a single document, capped
 * at 16 MiB and never spilled, which a page of up to 100,000 groups can exceed.
 */
export function groupStages(
  field: FieldName,
  now: number,
  offset: number,
  limit: number,
): GroupPipelines {
  const def = defOf(field);
  const effective = EFFECTIVE_PATHS[def.name];
  // `$ifNull` turns a missing sub-field (no client info at all) into the null group.
  const groupKey = effective ? `$${effective}` : { $ifNull: [`$${PATHS[def.name].raw}`, null] };
  const group: Document = { _id: groupKey, count: { $sum: 1 } };
  if (def.name === "user") {
    // `$topN` with n 1 rather than `$top`: the same array shape on MongoDB and in mingo.
    group.newest = {
      $topN: {
        n: 1,
        sortBy: { createdAt: -1, id: -1 },
        output: { login: "$user.login", fullName: "$user.fullName" },
      },
    };
  }
  const computed = effective ? [effectiveStage(now)] : [];
  const page: Document[] = [...computed, { $group: group }, { $sort: { count: -1, _id: 1 } }];
  if (offset > 0) page.push({ $skip: offset });
  page.push({ $limit: limit });
  return {
    page,
    total: [...computed, { $group: { _id: groupKey } }, { $count: "groups" }],
  };
}
