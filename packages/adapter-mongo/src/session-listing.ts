/**
 * The read side: pages, counts, groups and exports, each compiled into one filter document or
 * aggregation pipeline over one tenant, so nothing is filtered, sorted or counted in memory.
 */
import type { GroupResult, SessionGroup, SortKey } from "@session-ledger/core";
import type {
  CheckedFilter,
  GroupQuery,
  KeysetPosition,
  ListQuery,
  StoreQueries,
  StreamQuery,
} from "@session-ledger/core/store";
import type { Document } from "mongodb";
import { requireId, requireTime } from "./boundary.js";
import {
  allOf,
  type Condition,
  compileAfter,
  compileFilter,
  compileSort,
  effectiveStage,
  groupStages,
  toFilterDocument,
} from "./compile-filter.js";
import { type SessionDocument, toSession, WITHOUT_SECRET } from "./documents.js";
import { isMissingHint, storageError } from "./driver-errors.js";
import { COLLATION, driver, type StoreCollections } from "./store-context.js";

/** The tenant's sessions matching a filter (and a keyset position) at `now`. */
export function matchDocument(
  tenantId: string,
  filter: CheckedFilter | null,
  now: number,
  keyset?: { sort: readonly SortKey[]; after: KeysetPosition },
): Document {
  const conditions: Condition[] = [{ tenantId }, compileFilter(filter, now)];
  if (keyset) conditions.push(compileAfter(keyset.sort, keyset.after, now));
  return toFilterDocument(allOf(conditions));
}

/** Whether a filter document pins `path` to one string (`{ path: v }`, `$eq`, or in `$and`). */
function pins(match: Document, path: string): boolean {
  const value: unknown = match[path];
  if (typeof value === "string") return true;
  if (value !== null && typeof value === "object" && typeof (value as Document).$eq === "string")
    return true;
  return Array.isArray(match.$and) && match.$and.some((part: Document) => pins(part, path));
}

/**
 * How an export walks the tenant's sessions: through an index whose keys never change once a
 * session is written (its creation time, its user), never through one on last activity, the
 * deadline or the status, which a touch or an end moves while the cursor is open. A cursor is
 * no snapshot: an index walk resumes past the last key it handed out, so a session whose key
 * moves past that point is handed out again, and one whose key moves behind it is never handed
 * out. Where the walk's order is not the export's, the server sorts in a blocking stage,
 * spilling to disk past its memory bound, after reading every matching session once.
 */
function exportWalk(match: Document): { hint: string; allowDiskUse: true } {
  return {
    hint: pins(match, "user.id") ? "tenant_user_created" : "tenant_created",
    allowDiskUse: true,
  };
}

interface GroupRow {
  _id: string | null;
  count: number;
  newest?: { login: string; fullName: string | null }[];
}

function toGroup(row: GroupRow, isUser: boolean): SessionGroup {
  const group: SessionGroup = { value: row._id ?? null, count: row.count };
  const newest = row.newest?.[0];
  if (isUser && newest && row._id !== null) {
    group.user = { id: row._id, login: newest.login, fullName: newest.fullName ?? null };
  }
  return group;
}

/** The read side but the time buckets, which `time-buckets.ts` adds. */
export function sessionListing({
  sessions,
  budgets,
}: StoreCollections): Omit<StoreQueries, "groupSessionsByTime"> {
  /** An admin read stops on the server past its budget; an export's cursor has the bulk one. */
  const read = { ...COLLATION, maxTimeMS: budgets.readMs };
  const exported = { ...COLLATION, maxTimeMS: budgets.bulkMs };

  /** A cursor over the tenant's matching sessions in the reference order. */
  function sortedCursor(
    tenantId: string,
    query: StreamQuery & { offset?: number; limit?: number; after?: KeysetPosition },
    kind: "page" | "export",
  ) {
    requireId("tenantId", tenantId);
    const now = requireTime("now", query.now);
    const { sort } = query;
    // Limits, offsets, sort keys and positions come checked and frozen from core.
    const { offset = 0, limit } = query;
    const keyset = query.after ? { sort, after: query.after } : undefined;
    const match = matchDocument(tenantId, query.filter, now, keyset);
    const plan = compileSort(sort);
    const options = kind === "page" ? read : { ...exported, ...exportWalk(match) };
    if (!plan.needsEffective) {
      return sessions.find<Omit<SessionDocument, "secretHash">>(match, {
        ...options,
        projection: WITHOUT_SECRET,
        sort: plan.sort,
        ...(offset > 0 ? { skip: offset } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    }
    // Sorting by status, end reason or end time sorts by the values a read at `now` reports,
    // which only an aggregation stage can compute per row.
    const pipeline: Document[] = [{ $match: match }, effectiveStage(now), { $sort: plan.sort }];
    if (offset > 0) pipeline.push({ $skip: offset });
    if (limit !== undefined) pipeline.push({ $limit: limit });
    pipeline.push({ $project: WITHOUT_SECRET });
    return sessions.aggregate<Omit<SessionDocument, "secretHash">>(pipeline, options);
  }

  return {
    async listSessions(tenantId, query: ListQuery) {
      const cursor = sortedCursor(tenantId, { ...query, limit: query.limit }, "page");
      const docs = await driver("list sessions", () => cursor.toArray());
      return docs.map(toSession);
    },

    async countSessions(tenantId, filter, now) {
      const match = matchDocument(requireId("tenantId", tenantId), filter, requireTime("now", now));
      return driver("count sessions", () => sessions.countDocuments(match, read));
    },

    async groupSessions(tenantId, query: GroupQuery): Promise<GroupResult> {
      const now = requireTime("now", query.now);
      const match = matchDocument(requireId("tenantId", tenantId), query.filter, now);
      const { offset = 0, limit } = query;
      const stages = groupStages(query.field, now, offset, limit);
      const [page, total] = await Promise.all([
        driver("group sessions", () =>
          sessions.aggregate<GroupRow>([{ $match: match }, ...stages.page], read).toArray(),
        ),
        driver("count groups", () =>
          sessions
            .aggregate<{ groups: number }>([{ $match: match }, ...stages.total], read)
            .toArray(),
        ),
      ]);
      return {
        // On an empty input `$count` yields no document on MongoDB (mingo yields 0).
        totalGroups: total[0]?.groups ?? 0,
        groups: page.map((row) => toGroup(row, query.field === "user")),
      };
    },

    async *streamSessions(tenantId, query: StreamQuery) {
      const cursor = sortedCursor(tenantId, query, "export");
      try {
        // The driver fetches in batches and closes the cursor if the consumer stops early.
        for await (const doc of cursor) yield toSession(doc);
      } catch (error) {
        throw storageError(
          isMissingHint(error)
            ? "stream sessions (the export walks the tenant_created or tenant_user_created index: run ensureIndexes first)"
            : "stream sessions",
          error,
        );
      }
    },
  };
}
