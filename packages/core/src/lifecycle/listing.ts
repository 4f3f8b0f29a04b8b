/** The admin listings: pages (by offset or cursor), counts, groups and exports. */
import { randomBytes } from "node:crypto";
import { StorageError, ValidationError } from "../errors.js";
import { createCursorCodec } from "../listing/cursor.js";
import { keysetPositionOf } from "../listing/order.js";
import { checkTimeBuckets } from "../listing/time-buckets.js";
import { effectiveSession } from "../model/session.js";
import type { Filter, SortKey } from "../query/ast.js";
import { checkFilter } from "../query/check-filter.js";
import type { CheckedFilter } from "../query/checked.js";
import { allOf } from "../query/combine.js";
import { lookupField } from "../query/fields.js";
import { quote, requireId } from "./arguments.js";
import type { LedgerContext } from "./context.js";
import type {
  GroupOptions,
  SessionLedger,
  SessionLedgerOptions,
  TimeGroupOptions,
  TimeGroupResult,
} from "./ledger.js";

const DEFAULT_SORT: readonly SortKey[] = [{ field: "creation_time", direction: "desc" }];

const fieldNamed = (name: unknown) => (typeof name === "string" ? lookupField(name) : undefined);

function checkLimit(limit: unknown, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ValidationError(`limit must be an integer from 1 to ${max}, got ${quote(limit)}`, {
      target: "limit",
    });
  }
  return limit;
}

function checkOffset(offset: unknown): number {
  if (offset === undefined) return 0;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0) {
    throw new ValidationError(`offset must be a non-negative integer, got ${quote(offset)}`, {
      target: "offset",
    });
  }
  return offset;
}

/**
 * The sort keys, checked against the catalog, as a frozen copy built from what was read (each
 * key's field and direction read once): what a store receives is what was checked.
 */
function checkSort(sort: readonly SortKey[]): readonly SortKey[] {
  if (!Array.isArray(sort)) throw new ValidationError("sort must be a list", { target: "sort" });
  const checked = sort.map((key: SortKey): SortKey => {
    const field = key?.field;
    const direction = key?.direction;
    const def = fieldNamed(field);
    if (
      def === undefined ||
      def.name !== field ||
      !def.sortable ||
      (direction !== "asc" && direction !== "desc")
    ) {
      throw new ValidationError(`sort: cannot sort by ${quote(field)}`, { target: "sort" });
    }
    return Object.freeze({ field: def.name, direction });
  });
  return Object.freeze(checked);
}

let warned = false;

/**
 * Without `cursorSecret`, each process signs cursors with a key of its own: a cursor breaks on a
 * restart and on every other node. Fine in tests; in production it is said once, loudly.
 */
function warnOfRandomCursorSecret(): void {
  if (warned || process.env.NODE_ENV !== "production") return;
  warned = true;
  process.emitWarning(
    "createSessionLedger was given no cursorSecret: listing cursors are signed with a random key of this process, so they stop working after a restart and on other nodes. Set cursorSecret to the same secret on every node.",
    { code: "SESSION_LEDGER_NO_CURSOR_SECRET" },
  );
}

type Listing = Pick<SessionLedger, "list" | "listForUser" | "count" | "group" | "export">;

export function listing(
  context: LedgerContext,
  cursorSecret: SessionLedgerOptions["cursorSecret"],
): Listing {
  const { store, clock, limits } = context;
  if (cursorSecret === undefined) warnOfRandomCursorSecret();
  const cursors = createCursorCodec(cursorSecret ?? randomBytes(32));

  /** The store counts the buckets that hold sessions; the series around them is filled here. */
  async function groupByTime(
    tenantId: string,
    options: GroupOptions | TimeGroupOptions,
  ): Promise<TimeGroupResult> {
    if (!("buckets" in options)) {
      throw new ValidationError(
        "group_by: creation_time groups by time buckets: give buckets { interval, timeZone, from, to }",
        { target: "group_by" },
      );
    }
    const buckets = checkTimeBuckets(options.buckets, limits);
    const limit = checkLimit(options.limit, buckets.starts.length, limits.maxPageSize);
    const offset = checkOffset(options.offset);
    const created = (op: "GE" | "LT", value: number): Filter => ({
      kind: "compare",
      field: "creation_time",
      op,
      value: { kind: "time", value },
    });
    const range = checkFilter(allOf([created("GE", buckets.from), created("LT", buckets.to)]));
    const conditions = [checkFilter(options.filter ?? null, limits), range];
    const filter = allOf(conditions.filter((f): f is CheckedFilter => f !== null));
    const counted = await store.groupSessionsByTime(tenantId, { filter, buckets, now: clock() });
    const counts = new Map(counted.map(({ start, count }) => [start, count]));
    const starts = new Set(buckets.starts);
    if (counts.size !== counted.length || counted.some(({ start }) => !starts.has(start))) {
      throw new StorageError("groupSessionsByTime answered buckets that were not asked for");
    }
    return {
      interval: buckets.interval,
      timeZone: buckets.timeZone,
      buckets: buckets.starts
        .slice(offset, offset + limit)
        .map((start) => ({ start, count: counts.get(start) ?? 0 })),
      totalBuckets: buckets.starts.length,
    };
  }

  const listing: Listing = {
    async listForUser(tenantId, userId, options = {}) {
      const ofUser: Filter = {
        kind: "user",
        filter: {
          kind: "compare",
          field: "user.id",
          op: "EQ",
          value: { kind: "text", value: requireId("userId", userId) },
        },
      };
      const filter = options.filter ? allOf([ofUser, options.filter]) : ofUser;
      return listing.list(tenantId, { ...options, filter });
    },

    async list(tenantId, options = {}) {
      requireId("tenantId", tenantId);
      const filter = checkFilter(options.filter ?? null, limits);
      const sort = checkSort(options.sort ?? DEFAULT_SORT);
      const limit = checkLimit(options.limit, 100, limits.maxPageSize);
      const offset = checkOffset(options.offset);
      const scope = { tenantId, filter, sort };
      if (options.cursor != null && offset > 0) {
        throw new ValidationError("cursor and offset cannot be combined", { target: "cursor" });
      }
      const after = options.cursor != null ? cursors.decode(scope, options.cursor) : undefined;
      const now = clock();
      const [rows, total] = await Promise.all([
        store.listSessions(tenantId, { filter, sort, now, limit: limit + 1, offset, after }),
        options.withTotal ? store.countSessions(tenantId, filter, now) : Promise.resolve(null),
      ]);
      const items = rows.slice(0, limit).map((row) => effectiveSession(row, now));
      const last = items[items.length - 1];
      const nextCursor =
        rows.length > limit && last ? cursors.encode(scope, keysetPositionOf(last, sort)) : null;
      return { items, total, nextCursor };
    },

    async count(tenantId, filter = null) {
      return store.countSessions(
        requireId("tenantId", tenantId),
        checkFilter(filter, limits),
        clock(),
      );
    },

    group: (async (tenantId: string, options: GroupOptions | TimeGroupOptions) => {
      requireId("tenantId", tenantId);
      if (options?.field === "creation_time") return groupByTime(tenantId, options);
      const def = fieldNamed(options?.field);
      if (def?.name !== options.field || !def.groupable) {
        throw new ValidationError(`group_by: cannot group by ${quote(options?.field)}`, {
          target: "group_by",
        });
      }
      return store.groupSessions(tenantId, {
        field: def.name,
        filter: checkFilter(options.filter ?? null, limits),
        now: clock(),
        limit: checkLimit(options.limit, 1000, limits.maxPageSize),
        offset: checkOffset(options.offset),
      });
    }) as SessionLedger["group"],

    async *export(tenantId, options = {}) {
      requireId("tenantId", tenantId);
      const now = clock();
      const rows = store.streamSessions(tenantId, {
        filter: checkFilter(options.filter ?? null, limits),
        sort: checkSort(options.sort ?? DEFAULT_SORT),
        now,
      });
      for await (const row of rows) yield effectiveSession(row, now);
    },
  };
  return listing;
}
