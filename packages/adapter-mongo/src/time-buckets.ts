/**
 * `groupSessionsByTime` as one aggregation over the core's boundaries. MongoDB's `$dateTrunc`
 * is not used: its time zone rules are the server's and it merges the repeated hour of a
 * fall-back, while the core's boundaries are the same in every store.
 */
import type { StoreQueries, TimeBucket, TimeGroupQuery } from "@session-ledger/core/store";
import type { Document } from "mongodb";
import { requireId, requireTime } from "./boundary.js";
import { matchDocument } from "./session-listing.js";
import { COLLATION, driver, type StoreCollections } from "./store-context.js";

/**
 * The first instant of the bucket a session's creation time lies in: a binary search over the
 * boundaries as nested `$cond`s, log2(buckets) comparisons a document, as the SQL stores do it.
 * (`$bucket` would say the same on MongoDB, but mingo 7.2 puts a time equal to a boundary in
 * the bucket below, so CI could not check it.)
 */
function bucketStart(starts: readonly number[], low = 0, high = starts.length): Document | number {
  if (high - low === 1) return starts[low]!;
  const middle = (low + high) >> 1;
  return {
    $cond: [
      { $lt: ["$createdAt", starts[middle]] },
      bucketStart(starts, low, middle),
      bucketStart(starts, middle, high),
    ],
  };
}

export function sessionTimeBuckets({
  sessions,
  budgets,
}: StoreCollections): Pick<StoreQueries, "groupSessionsByTime"> {
  return {
    async groupSessionsByTime(tenantId, query: TimeGroupQuery): Promise<TimeBucket[]> {
      const now = requireTime("now", query.now);
      // The buckets come checked from core (checkTimeBuckets): ascending instants.
      const { starts } = query.buckets;
      // The filter keeps creation times within the buckets' range.
      const pipeline = [
        { $match: matchDocument(requireId("tenantId", tenantId), query.filter, now) },
        { $group: { _id: bucketStart(starts), count: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ];
      const rows = await driver("group sessions by time", () =>
        sessions
          .aggregate<{ _id: number; count: number }>(pipeline, {
            ...COLLATION,
            maxTimeMS: budgets.readMs,
          })
          .toArray(),
      );
      return rows.map((row) => ({ start: row._id, count: row.count }));
    },
  };
}
