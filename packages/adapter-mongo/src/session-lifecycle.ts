/**
 * The write side: inserts, lookups, touches, ends, the sweep and purges. Every change to a
 * session is a single-document conditional write (or an unordered bulk of them), so races are
 * settled by the server's per-document atomicity and retryable writes apply.
 */
import { randomUUID } from "node:crypto";
import {
  ConflictError,
  type EndReason,
  SessionStatus,
  ValidationError,
} from "@session-ledger/core";
import type {
  EndChange,
  EndedSession,
  EndOutcome,
  EndTarget,
  ExpiredSession,
  InsertOutcome,
  OpenSessionPatch,
  SessionRecord,
  StoreLifecycle,
  UserSessionCap,
} from "@session-ledger/core/store";
import { lapseReason } from "@session-ledger/core/store";
import type { Document } from "mongodb";
import {
  checkEndChange,
  checkPatch,
  checkRecord,
  requireCount,
  requireId,
  requireTime,
} from "./boundary.js";
import {
  allOf,
  type Condition,
  compileFilter,
  lapsedAt,
  openAt,
  toFilterDocument,
} from "./compile-filter.js";
import { type SessionDocument, toSessionDocument, toSessionRecord } from "./documents.js";
import { isDuplicateKey, storageError } from "./driver-errors.js";
import { endedBeforeIs, endedByIs, identifierIs } from "./indexes.js";
import {
  bulkOptions,
  COLLATION,
  driver,
  endFields,
  retrying,
  type StoreCollections,
} from "./store-context.js";
import { applyCap, checkCap, takeLoginSeq } from "./user-cap.js";

/** Ids per bulk write and per `$in` read-back when ending a list of sessions. */
const ID_BATCH = 1000;
const ENDED_PROJECTION = { projection: { _id: 0, id: 1, "user.id": 1, endedBy: 1 } };

type EndedDocument = Pick<SessionDocument, "id" | "endedBy"> & { user: { id: string } };

/**
 * Ends a list of sessions by id, each with one conditional `updateOne` that tags it with `by`,
 * and reads back which of them carry `by`: those this call (or an earlier try with the same
 * `by`) ended. `still` is a condition each must still meet to be ended (the target's filter).
 */
export async function endByIds(
  { sessions, budgets }: StoreCollections,
  tenantId: string,
  ids: readonly string[],
  change: EndChange,
  by: string,
  still: Document = {},
): Promise<EndOutcome> {
  const unique = [...new Set(ids)];
  const found = new Map<string, EndedDocument>();
  const update = {
    $set: endFields(change.status, change.endReason, change.endedAt, by),
  };
  for (let start = 0; start < unique.length; start += ID_BATCH) {
    const batch = unique.slice(start, start + ID_BATCH);
    // Unordered single-document conditional updates, each atomic and each naming the shard
    // key: a session racing another end is ended (and marked) by exactly one caller, and a try
    // cut short is simply run again under the same marker.
    await retrying("end sessions", () =>
      sessions.bulkWrite(
        batch.map((id) => ({
          updateOne: {
            filter: { ...still, tenantId, id, ...openAt(change.now) },
            update,
            ...COLLATION,
          },
        })),
        { ordered: false, ...bulkOptions(budgets) },
      ),
    );
    const rows = await driver("read ended sessions", () =>
      sessions
        .find(
          { tenantId, id: { $in: batch } },
          { ...COLLATION, ...ENDED_PROJECTION, maxTimeMS: budgets.bulkMs },
        )
        .toArray(),
    );
    for (const row of rows as EndedDocument[]) found.set(row.id, row);
  }
  const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
  const reported = new Set<string>();
  for (const id of ids) {
    const row = found.get(id);
    if (!row) outcome.notFound.push(id);
    else if (row.endedBy === by && !reported.has(id)) {
      outcome.ended.push({ id, userId: row.user.id });
      reported.add(id);
    } else outcome.alreadyEnded.push(id);
  }
  return outcome;
}

/**
 * Ends every open session `condition` selects, in bounded batches through the id path: find up
 * to `ID_BATCH` open ids, end them by id under one marker (each still meeting the condition),
 * repeat until none is left. No multi-document write, so none can skip the documents of a
 * migrating chunk, be cut short unretryably by a stepdown, or hold every secondary behind one
 * million-document write.
 */
async function endWhere(
  collections: StoreCollections,
  tenantId: string,
  condition: Document,
  change: EndChange,
  by: string,
): Promise<EndedSession[]> {
  const ended: EndedSession[] = [];
  const tried = new Set<string>();
  for (;;) {
    const rows = await driver("find sessions to end", () =>
      collections.sessions
        .find(condition, {
          ...COLLATION,
          projection: { _id: 0, id: 1 },
          limit: ID_BATCH,
          maxTimeMS: collections.budgets.bulkMs,
        })
        .toArray(),
    );
    // A session found again after its try neither ended nor left the condition would loop.
    const ids = rows.map((row) => row.id as string).filter((id) => !tried.has(id));
    if (ids.length === 0) return ended;
    for (const id of ids) tried.add(id);
    const outcome = await endByIds(collections, tenantId, ids, change, by, condition);
    ended.push(...outcome.ended);
    if (rows.length < ID_BATCH) return ended;
  }
}

function targetCondition(target: EndTarget, now: number): Condition {
  if (target === null || typeof target !== "object") {
    throw new ValidationError("mongo store: an end target must be an object", {
      target: "target",
    });
  }
  if ("all" in target && target.all === true) return true;
  if ("userId" in target) {
    const userId = requireId("target.userId", target.userId);
    if (target.exceptId === undefined) return { "user.id": userId };
    return { "user.id": userId, id: { $ne: requireId("target.exceptId", target.exceptId) } };
  }
  if ("filter" in target) return compileFilter(target.filter, now);
  throw new ValidationError("mongo store: unknown end target", { target: "target" });
}

const conflict = (record: SessionRecord, onIdentifier: boolean) =>
  new ConflictError(
    `${onIdentifier ? `session_identifier '${record.sessionIdentifier}'` : `session id '${record.id}'`} already exists in this tenant`,
  );

export function sessionLifecycle(
  collections: StoreCollections,
  options: { sharded: boolean },
): StoreLifecycle {
  const { sessions, budgets } = collections;
  /** The options of a request's own reads and writes. */
  const request = { ...COLLATION, maxTimeMS: budgets.writeMs };

  /**
   * On a sharded collection no index keeps the identifier unique, so an insert looks for
   * another session with its identifier once it has landed and withdraws itself when there is
   * one. Of two inserts racing with one identifier each sees the other: both are refused, and
   * never do two stay.
   */
  async function withdrawDuplicateIdentifier(record: SessionRecord): Promise<void> {
    if (!options.sharded || record.sessionIdentifier === null) return;
    const { tenantId, sessionIdentifier } = record;
    const holders = await driver("check the session identifier", () =>
      sessions
        .find(
          { tenantId, ...identifierIs(sessionIdentifier) },
          { ...request, projection: { _id: 0, id: 1 }, limit: 2 },
        )
        .toArray(),
    );
    if (holders.every((holder) => holder.id === record.id)) return;
    await driver("withdraw a session with a duplicate identifier", () =>
      sessions.deleteOne({ tenantId, id: record.id, "user.id": record.user.id }, request),
    );
    throw conflict(record, true);
  }

  return {
    async insertSession(input: SessionRecord, cap?: UserSessionCap): Promise<InsertOutcome> {
      const record = checkRecord(input);
      const checkedCap = cap === undefined ? undefined : checkCap(cap);
      const loginSeq = checkedCap ? await takeLoginSeq(collections, record) : null;
      try {
        await sessions.insertOne(toSessionDocument(record, loginSeq), {
          maxTimeMS: budgets.writeMs,
        });
      } catch (error) {
        if (!isDuplicateKey(error)) throw storageError("insert a session", error);
        const keyPattern = JSON.stringify((error as { keyPattern?: unknown }).keyPattern ?? "");
        throw conflict(
          record,
          record.sessionIdentifier !== null && keyPattern.includes("sessionIdentifier"),
        );
      }
      await withdrawDuplicateIdentifier(record);
      return checkedCap
        ? applyCap(collections, record, checkedCap)
        : { inserted: true, evicted: [] };
    },

    async findSession(tenantId, id) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("id", id) };
      const doc = await driver("find a session", () => sessions.findOne(filter, request));
      return doc && toSessionRecord(doc);
    },

    async findSessionByIdentifier(tenantId, sessionIdentifier) {
      const filter = {
        tenantId: requireId("tenantId", tenantId),
        ...identifierIs(requireId("sessionIdentifier", sessionIdentifier)),
      };
      const doc = await driver("find a session", () => sessions.findOne(filter, request));
      return doc && toSessionRecord(doc);
    },

    async updateOpenSession(tenantId, id, now, patch: OpenSessionPatch) {
      // The open condition and the change are one document write: a touch that loses a race
      // with an end matches nothing and so can never revive the session.
      const filter = {
        tenantId: requireId("tenantId", tenantId),
        id: requireId("id", id),
        ...openAt(requireTime("now", now)),
      };
      const set = checkPatch(patch);
      const doc = await driver("update an open session", () =>
        Object.keys(set).length === 0
          ? sessions.findOne(filter, request)
          : sessions.findOneAndUpdate(
              filter,
              { $set: set },
              { ...request, returnDocument: "after" },
            ),
      );
      return doc && toSessionRecord(doc);
    },

    async endSessions(tenantId, target: EndTarget, change: EndChange): Promise<EndOutcome> {
      requireId("tenantId", tenantId);
      const checked = checkEndChange(change);
      const by = randomUUID();
      if (target !== null && typeof target === "object" && "ids" in target) {
        if (!Array.isArray(target.ids)) {
          throw new ValidationError("mongo store: target.ids must be a list", { target: "ids" });
        }
        const ids = target.ids.map((id, i) => requireId(`target.ids[${i}]`, id));
        // A caller's marker (a task's id) lets its retry recognise its own earlier ends.
        const endedBy =
          change.endedBy === undefined ? by : requireId("change.endedBy", change.endedBy);
        return endByIds(collections, tenantId, ids, checked, endedBy);
      }
      const condition = allOf([
        { tenantId },
        openAt(checked.now),
        { createdAt: { $lte: checked.now } },
        targetCondition(target, checked.now),
      ]);
      const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
      if (condition === false) return outcome;
      outcome.ended = await endWhere(
        collections,
        tenantId,
        toFilterDocument(condition),
        checked,
        by,
      );
      return outcome;
    },

    async expireDue(now, limit): Promise<ExpiredSession[]> {
      requireTime("now", now);
      // MongoDB reads a limit of 0 as "no limit"; the reference returns nothing.
      if (requireCount("limit", limit, 0) === 0) return [];
      // Its `status: ACTIVE` selects the partial index on open sessions by deadline.
      const due = await driver("find lapsed sessions", () =>
        sessions
          .find(lapsedAt(now), {
            ...COLLATION,
            projection: { _id: 0, tenantId: 1, id: 1, expiresAt: 1, absoluteExpiresAt: 1 },
            sort: { expiresAt: 1 },
            limit,
            maxTimeMS: budgets.bulkMs,
          })
          .toArray(),
      );
      if (due.length === 0) return [];
      const by = randomUUID();
      // Run again under the same marker after a stepdown: what the first try ended is read
      // back with the rest, so no expired session goes without its event.
      await retrying("expire lapsed sessions", () =>
        sessions.bulkWrite(
          due.map((row) => ({
            updateOne: {
              // Still unended with the same deadline: a lapsed session cannot be touched, so
              // this only loses to a concurrent sweep. By tenant and id: the shard key.
              filter: {
                tenantId: row.tenantId,
                id: row.id,
                endedAt: null,
                expiresAt: row.expiresAt,
              },
              update: {
                $set: endFields(SessionStatus.Expired, lapseReason(row), row.expiresAt, by),
              },
              ...COLLATION,
            },
          })),
          { ordered: false, ...bulkOptions(budgets) },
        ),
      );
      const expired = await driver("read expired sessions", () =>
        sessions
          .find(endedByIs(by), {
            ...COLLATION,
            projection: { _id: 0, tenantId: 1, id: 1, "user.id": 1, endReason: 1, endedAt: 1 },
            maxTimeMS: budgets.bulkMs,
          })
          .toArray(),
      );
      return expired.map((row) => ({
        id: row.id,
        userId: row.user.id,
        tenantId: row.tenantId,
        endReason: row.endReason as EndReason,
        endedAt: row.endedAt as number,
      }));
    },

    async purgeEnded(endedBefore, tenantId) {
      requireTime("endedBefore", endedBefore);
      const tenant = tenantId === undefined ? {} : { tenantId: requireId("tenantId", tenantId) };
      // Two deletes, each served by one index: the ended sessions by `ended_at`, and those
      // that lapsed unended (a deadline passed, no sweep ran yet) by `open_by_deadline`.
      let purged = 0;
      for (const condition of [
        { ...tenant, ...endedBeforeIs(endedBefore) },
        { ...tenant, status: SessionStatus.Active, expiresAt: { $lt: endedBefore } },
      ]) {
        purged += await deleteWhere(collections, condition);
      }
      return purged;
    },
  };
}

/**
 * Deletes the sessions `condition` selects in bounded batches: up to `ID_BATCH` found, then
 * deleted one by one by their shard key (each still meeting the condition), until a batch
 * comes back short. A try a stepdown cuts short runs again; what it deleted is not counted.
 */
async function deleteWhere(collections: StoreCollections, condition: Document): Promise<number> {
  const { sessions, budgets } = collections;
  let deleted = 0;
  for (;;) {
    const rows = await driver("find sessions to purge", () =>
      sessions
        .find(condition, {
          ...COLLATION,
          projection: { _id: 0, tenantId: 1, id: 1 },
          limit: ID_BATCH,
          maxTimeMS: budgets.bulkMs,
        })
        .toArray(),
    );
    if (rows.length === 0) return deleted;
    let retried = false;
    const result = await retrying(
      "purge ended sessions",
      () =>
        sessions.bulkWrite(
          rows.map((row) => ({
            deleteOne: {
              filter: { ...condition, tenantId: row.tenantId, id: row.id },
              ...COLLATION,
            },
          })),
          { ordered: false, ...bulkOptions(budgets) },
        ),
      () => {
        retried = true;
      },
    );
    // A try cut short deleted some it cannot report: after a retry, the batch's count is what
    // of it is gone (a concurrent purge's deletes of the same rows are then counted here too).
    deleted += retried ? rows.length - (await stillStored(collections, rows)) : result.deletedCount;
    if (rows.length < ID_BATCH) return deleted;
  }
}

/** How many of `rows` (by shard key) are still stored. */
function stillStored(
  { sessions, budgets }: StoreCollections,
  rows: readonly { tenantId: string; id: string }[],
): Promise<number> {
  return driver("count what a purge left", () =>
    sessions.countDocuments(
      { $or: rows.map(({ tenantId, id }) => ({ tenantId, id })) },
      { ...COLLATION, maxTimeMS: budgets.bulkMs },
    ),
  );
}
