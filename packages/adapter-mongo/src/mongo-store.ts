import { randomUUID } from "node:crypto";
import {
  type BackgroundTask,
  ConflictError,
  EndReason,
  type Filter,
  type GroupResult,
  type SessionGroup,
  SessionStatus,
  type SessionStore,
  type SortKey,
  TaskStatus,
  type TenantPolicy,
  ValidationError,
} from "@session-ledger/core";
import {
  compareCodePoints,
  type EndChange,
  type EndedSession,
  type EndOutcome,
  type EndTarget,
  type ExpiredSession,
  type GroupQuery,
  type InsertOutcome,
  type KeysetPosition,
  type ListQuery,
  lapseReason,
  type OpenSessionPatch,
  type SessionRecord,
  type StreamQuery,
  type TaskBatch,
  type TaskCondition,
  type TaskOutcome,
  type TaskPatch,
  type UserSessionCap,
} from "@session-ledger/core/store";
import type { Collection, CollectionOptions, Db, Document } from "mongodb";
import {
  checkEndChange,
  checkPatch,
  checkPolicy,
  checkRecord,
  checkTask,
  checkTaskCondition,
  requireCount,
  requireId,
  requireTime,
  taskPatchFields,
} from "./boundary.js";
import {
  allOf,
  anyOf,
  type Condition,
  checkSort,
  compileAfter,
  compileFilter,
  compileSort,
  effectiveStage,
  groupStages,
  lapsedAt,
  openAt,
  toFilterDocument,
} from "./compile-filter.js";
import {
  type PolicyDocument,
  type SessionDocument,
  type TaskDocument,
  type TaskOutcomeDocument,
  toBackgroundTask,
  toSessionDocument,
  toSessionRecord,
  toTaskDocument,
  toTenantPolicy,
} from "./documents.js";
import { isDuplicateKey, storageError } from "./driver-errors.js";
import { type EnsureIndexesOptions, ensureIndexes, SIMPLE_COLLATION } from "./indexes.js";

export interface MongoStoreOptions {
  /** A connected database of the official driver. The store never closes its client. */
  db: Db;
  /**
   * Prefix of the three collection names (`<prefix>sessions`, `<prefix>policies`,
   * `<prefix>tasks`). @default "session_ledger_"
   */
  collectionPrefix?: string;
}

/** A `SessionStore` on MongoDB, plus the index set it owns. */
export interface MongoSessionStore extends SessionStore {
  /**
   * Creates the store's indexes (idempotent; run at deploy or start-up). The unique session
   * identifier per tenant is enforced by one of them, so run this before the first insert.
   */
  ensureIndexes(options?: EnsureIndexesOptions): Promise<void>;
  /** The names of the collections the store uses. */
  readonly collectionNames: {
    sessions: string;
    policies: string;
    tasks: string;
    taskOutcomes: string;
  };
}

/**
 * Majority writes and majority reads on the primary: an acknowledged login, end or touch is
 * durable across a failover, and a node that reads after another node's acknowledged write sees
 * it (the conditional writes that guard races always run on the primary anyway).
 */
const CONSISTENCY: CollectionOptions = {
  readConcern: { level: "majority" },
  writeConcern: { w: "majority" },
  readPreference: "primary",
};
const COLLATION = { collation: SIMPLE_COLLATION };
/** Ids per bulk write and per `$in` read-back when ending a list of sessions. */
const ID_BATCH = 1000;
const ENDED_PROJECTION = { projection: { _id: 0, id: 1, "user.id": 1, endedBy: 1 } };

type EndedDocument = Pick<SessionDocument, "id" | "endedBy"> & { user: { id: string } };

/**
 * A session store on the official MongoDB driver, for many application nodes sharing one
 * database. Every lifecycle write is a single-document conditional write (or an unordered bulk
 * of them), so no multi-document transaction is needed and retryable writes apply.
 */
export function createMongoStore(options: MongoStoreOptions): MongoSessionStore {
  const { db } = options;
  if (db === null || typeof db !== "object" || typeof db.collection !== "function") {
    throw new ValidationError("createMongoStore: db must be a Db of the mongodb driver", {
      target: "db",
    });
  }
  const prefix = options.collectionPrefix ?? "session_ledger_";
  if (typeof prefix !== "string" || !/^[A-Za-z0-9_.-]*$/.test(prefix) || /^system\./.test(prefix)) {
    throw new ValidationError(
      "createMongoStore: collectionPrefix may hold letters, digits, '_', '.', '-' and must not start with 'system.'",
      { target: "collectionPrefix" },
    );
  }
  const collectionNames = {
    sessions: `${prefix}sessions`,
    policies: `${prefix}policies`,
    tasks: `${prefix}tasks`,
    taskOutcomes: `${prefix}task_outcomes`,
  };
  const sessions: Collection<SessionDocument> = db.collection(
    collectionNames.sessions,
    CONSISTENCY,
  );
  const policies: Collection<PolicyDocument> = db.collection(collectionNames.policies, CONSISTENCY);
  const tasks: Collection<TaskDocument> = db.collection(collectionNames.tasks, CONSISTENCY);
  const taskOutcomes: Collection<TaskOutcomeDocument> = db.collection(
    collectionNames.taskOutcomes,
    CONSISTENCY,
  );

  /** Runs a driver call, turning its failures into `StorageError` (with the cause kept). */
  async function driver<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storageError(action, error);
    }
  }

  /** The fields an end writes; `endedBy` marks which operation ended the session. */
  const endFields = (status: SessionStatus, endReason: EndReason, endedAt: number, by: string) => ({
    status,
    endReason,
    endedAt,
    endedOn: new Date(endedAt),
    endedBy: by,
  });

  /** The tenant's sessions matching a filter (and a keyset position) at `now`. */
  function matchDocument(
    tenantId: string,
    filter: Filter | null,
    now: number,
    keyset?: { sort: readonly SortKey[]; after: KeysetPosition },
  ): Document {
    const conditions: Condition[] = [{ tenantId }, compileFilter(filter, now)];
    if (keyset) conditions.push(compileAfter(keyset.sort, keyset.after, now));
    return toFilterDocument(allOf(conditions));
  }

  /** A cursor over the tenant's matching sessions in the reference order. */
  function sortedCursor(
    tenantId: string,
    query: StreamQuery & { offset?: number; limit?: number; after?: KeysetPosition },
  ) {
    requireId("tenantId", tenantId);
    const now = requireTime("now", query.now);
    const sort = checkSort(query.sort);
    const offset = query.offset === undefined ? 0 : requireCount("offset", query.offset, 0);
    const limit = query.limit === undefined ? undefined : requireCount("limit", query.limit, 1);
    const keyset = query.after ? { sort, after: query.after } : undefined;
    const match = matchDocument(tenantId, query.filter, now, keyset);
    const plan = compileSort(sort);
    if (!plan.needsEffective) {
      return sessions.find(match, {
        ...COLLATION,
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
    return sessions.aggregate<SessionDocument>(pipeline, COLLATION);
  }

  function checkCap(cap: UserSessionCap): UserSessionCap {
    if (cap.policy !== "evict-oldest" && cap.policy !== "reject") {
      throw new ValidationError("mongo store: cap.policy must be evict-oldest or reject", {
        target: "cap.policy",
      });
    }
    return {
      maxOpen: requireCount("cap.maxOpen", cap.maxOpen, 1),
      policy: cap.policy,
      now: requireTime("cap.now", cap.now),
    };
  }

  /**
   * The per-user cap without a transaction: insert first, then look at the user's open
   * sessions. For `evict-oldest`, every login ends whatever is outside the newest `maxOpen` by
   * (createdAt, _id); since every login looks only after its own insert, the last one to look
   * sees every insert, and a session among the newest `maxOpen` overall is among the newest
   * of any subset, so concurrent logins converge on exactly `maxOpen` open sessions. `_id`
   * (an ObjectId, increasing per client process) breaks creation-time ties so a login never
   * evicts itself in favour of an equally old session. For `reject`, a login that finds more
   * than `maxOpen` open deletes its own insert: racing logins at the boundary may all be
   * refused, but the cap is never exceeded once they return.
   */
  async function applyCap(record: SessionRecord, cap: UserSessionCap): Promise<InsertOutcome> {
    const userOpen = { tenantId: record.tenantId, "user.id": record.user.id, ...openAt(cap.now) };
    if (cap.policy === "reject") {
      const open = await driver("count a user's open sessions", () =>
        sessions.countDocuments(userOpen, { ...COLLATION, limit: cap.maxOpen + 1 }),
      );
      if (open <= cap.maxOpen) return { inserted: true, evicted: [] };
      await driver("withdraw a session over the cap", () =>
        sessions.deleteOne({ tenantId: record.tenantId, id: record.id }, COLLATION),
      );
      return { inserted: false };
    }
    const excess = await driver("find sessions over the cap", () =>
      sessions
        .find(userOpen, {
          ...COLLATION,
          projection: { id: 1 },
          sort: { createdAt: -1, _id: -1 },
          skip: cap.maxOpen,
        })
        .toArray(),
    );
    const by = randomUUID();
    const evicted: SessionRecord[] = [];
    for (const { id } of excess) {
      const ended = await driver("evict a session", () =>
        sessions.findOneAndUpdate(
          { tenantId: record.tenantId, id, ...openAt(cap.now) },
          { $set: endFields(SessionStatus.Revoked, EndReason.Replaced, cap.now, by) },
          { ...COLLATION, returnDocument: "after" },
        ),
      );
      if (ended) evicted.push(toSessionRecord(ended));
    }
    evicted.sort((a, b) => a.createdAt - b.createdAt || compareCodePoints(a.id, b.id));
    return { inserted: true, evicted };
  }

  async function endByIds(
    tenantId: string,
    ids: readonly string[],
    change: EndChange,
    by: string,
  ): Promise<EndOutcome> {
    const unique = [...new Set(ids)];
    const found = new Map<string, EndedDocument>();
    const update = {
      $set: endFields(change.status, change.endReason, change.endedAt, by),
    };
    for (let start = 0; start < unique.length; start += ID_BATCH) {
      const batch = unique.slice(start, start + ID_BATCH);
      // Unordered single-document conditional updates: retryable, and each one is atomic, so a
      // session racing another end is ended (and marked) by exactly one caller.
      await driver("end sessions", () =>
        sessions.bulkWrite(
          batch.map((id) => ({
            updateOne: { filter: { tenantId, id, ...openAt(change.now) }, update, ...COLLATION },
          })),
          { ordered: false },
        ),
      );
      const rows = await driver("read ended sessions", () =>
        sessions
          .find({ tenantId, id: { $in: batch } }, { ...COLLATION, ...ENDED_PROJECTION })
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

  return {
    collectionNames,

    ensureIndexes(indexOptions: EnsureIndexesOptions = {}) {
      return driver("ensure indexes", () =>
        ensureIndexes(
          db,
          { sessions, sessionsName: collectionNames.sessions, tasks },
          indexOptions,
        ),
      );
    },

    async insertSession(input: SessionRecord, cap?: UserSessionCap): Promise<InsertOutcome> {
      const record = checkRecord(input);
      const checkedCap = cap === undefined ? undefined : checkCap(cap);
      try {
        await sessions.insertOne(toSessionDocument(record));
      } catch (error) {
        if (!isDuplicateKey(error)) throw storageError("insert a session", error);
        const which =
          record.sessionIdentifier !== null &&
          JSON.stringify((error as { keyPattern?: unknown }).keyPattern ?? "").includes(
            "sessionIdentifier",
          )
            ? `session_identifier '${record.sessionIdentifier}'`
            : `session id '${record.id}'`;
        throw new ConflictError(`${which} already exists in this tenant`);
      }
      return checkedCap ? applyCap(record, checkedCap) : { inserted: true, evicted: [] };
    },

    async findSession(tenantId, id) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("id", id) };
      const doc = await driver("find a session", () => sessions.findOne(filter, COLLATION));
      return doc && toSessionRecord(doc);
    },

    async findSessionByIdentifier(tenantId, sessionIdentifier) {
      const filter = {
        tenantId: requireId("tenantId", tenantId),
        sessionIdentifier: requireId("sessionIdentifier", sessionIdentifier),
      };
      const doc = await driver("find a session", () => sessions.findOne(filter, COLLATION));
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
          ? sessions.findOne(filter, COLLATION)
          : sessions.findOneAndUpdate(
              filter,
              { $set: set },
              { ...COLLATION, returnDocument: "after" },
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
        return endByIds(tenantId, ids, checked, endedBy);
      }
      const condition = allOf([
        { tenantId },
        openAt(checked.now),
        { createdAt: { $lte: checked.now } },
        targetCondition(target, checked.now),
      ]);
      const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
      if (condition === false) return outcome;
      // One multi-document write; the marker tells which sessions this call (and no racing
      // one) ended. Not retried automatically, but running it again is harmless.
      await driver("end sessions", () =>
        sessions.updateMany(
          toFilterDocument(condition),
          {
            $set: endFields(checked.status, checked.endReason, checked.endedAt, by),
          },
          COLLATION,
        ),
      );
      const rows = await driver("read ended sessions", () =>
        sessions.find({ tenantId, endedBy: by }, { ...COLLATION, ...ENDED_PROJECTION }).toArray(),
      );
      outcome.ended = (rows as EndedDocument[]).map(
        (row): EndedSession => ({
          id: row.id,
          userId: row.user.id,
        }),
      );
      return outcome;
    },

    async expireDue(now, limit): Promise<ExpiredSession[]> {
      requireTime("now", now);
      // MongoDB reads a limit of 0 as "no limit"; the reference returns nothing.
      if (requireCount("limit", limit, 0) === 0) return [];
      // `status: ACTIVE` selects the partial index on open sessions by deadline.
      const due = await driver("find lapsed sessions", () =>
        sessions
          .find(
            { status: SessionStatus.Active, ...lapsedAt(now) },
            {
              ...COLLATION,
              projection: { _id: 1, expiresAt: 1, absoluteExpiresAt: 1 },
              sort: { expiresAt: 1 },
              limit,
            },
          )
          .toArray(),
      );
      if (due.length === 0) return [];
      const by = randomUUID();
      await driver("expire lapsed sessions", () =>
        sessions.bulkWrite(
          due.map((row) => ({
            updateOne: {
              // Still unended with the same deadline: a lapsed session cannot be touched, so
              // this only loses to a concurrent sweep.
              filter: { _id: row._id, endedAt: null, expiresAt: row.expiresAt },
              update: {
                $set: endFields(SessionStatus.Expired, lapseReason(row), row.expiresAt, by),
              },
              ...COLLATION,
            },
          })),
          { ordered: false },
        ),
      );
      const expired = await driver("read expired sessions", () =>
        sessions
          .find(
            { endedBy: by },
            {
              ...COLLATION,
              projection: { _id: 0, tenantId: 1, id: 1, "user.id": 1, endReason: 1, endedAt: 1 },
            },
          )
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
      const condition = allOf([
        tenantId === undefined ? true : { tenantId: requireId("tenantId", tenantId) },
        anyOf([
          { endedAt: { $lt: endedBefore } },
          { endedAt: null, expiresAt: { $lt: endedBefore } },
        ]),
      ]);
      const result = await driver("purge ended sessions", () =>
        sessions.deleteMany(toFilterDocument(condition), COLLATION),
      );
      return result.deletedCount;
    },

    async listSessions(tenantId, query: ListQuery) {
      const cursor = sortedCursor(tenantId, { ...query, limit: query.limit });
      const docs = await driver("list sessions", () => cursor.toArray());
      return docs.map(toSessionRecord);
    },

    async countSessions(tenantId, filter, now) {
      const match = matchDocument(requireId("tenantId", tenantId), filter, requireTime("now", now));
      return driver("count sessions", () => sessions.countDocuments(match, COLLATION));
    },

    async groupSessions(tenantId, query: GroupQuery): Promise<GroupResult> {
      const now = requireTime("now", query.now);
      const match = matchDocument(requireId("tenantId", tenantId), query.filter, now);
      const offset = query.offset === undefined ? 0 : requireCount("offset", query.offset, 0);
      const limit = requireCount("limit", query.limit, 1);
      const pipeline = [{ $match: match }, ...groupStages(query.field, now, offset, limit)];
      const [result] = await driver("group sessions", () =>
        sessions
          .aggregate<{ total: { groups: number }[]; page: GroupRow[] }>(pipeline, COLLATION)
          .toArray(),
      );
      return {
        // On an empty input `$count` yields no document on MongoDB (mingo yields 0).
        totalGroups: result?.total[0]?.groups ?? 0,
        groups: (result?.page ?? []).map((row) => toGroup(row, query.field === "user")),
      };
    },

    async *streamSessions(tenantId, query: StreamQuery) {
      const cursor = sortedCursor(tenantId, query);
      try {
        // The driver fetches in batches and closes the cursor if the consumer stops early.
        for await (const doc of cursor) yield toSessionRecord(doc);
      } catch (error) {
        throw storageError("stream sessions", error);
      }
    },

    async getPolicy(tenantId) {
      const _id = requireId("tenantId", tenantId);
      const doc = await driver("read a policy", () => policies.findOne({ _id }, COLLATION));
      return doc && toTenantPolicy(doc);
    },

    async putPolicy(tenantId, policy: TenantPolicy) {
      const _id = requireId("tenantId", tenantId);
      const set = checkPolicy(policy);
      await driver("write a policy", () =>
        policies.updateOne({ _id }, { $set: set }, { ...COLLATION, upsert: true }),
      );
    },

    async insertTask(task: BackgroundTask) {
      const checked = checkTask(task);
      try {
        await tasks.insertOne(toTaskDocument(checked));
      } catch (error) {
        if (!isDuplicateKey(error)) throw storageError("insert a task", error);
        throw new ConflictError(`task '${checked.id}' already exists in this tenant`);
      }
    },

    async getTask(tenantId, id) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("id", id) };
      const doc = await driver("read a task", () => tasks.findOne(filter, COLLATION));
      return doc && toBackgroundTask(doc);
    },

    async updateTask(tenantId, id, patch: TaskPatch, condition?: TaskCondition) {
      const filter: Document = {
        tenantId: requireId("tenantId", tenantId),
        id: requireId("id", id),
      };
      const set = taskPatchFields(patch);
      const checked = checkTaskCondition(condition);
      if (checked.statuses) filter.status = { $in: checked.statuses };
      if (checked.leaseOwner !== undefined) {
        filter.leaseOwner = { $eq: checked.leaseOwner };
      }
      if (checked.leaseExpiredAt !== undefined) {
        filter.$or = [
          { leaseExpiresAt: null },
          { leaseExpiresAt: { $lte: checked.leaseExpiredAt } },
        ];
      }
      const doc = await driver("update a task", () =>
        tasks.findOneAndUpdate(filter, { $set: set }, { ...COLLATION, returnDocument: "after" }),
      );
      return doc && toBackgroundTask(doc);
    },

    async endTaskBatch(tenantId, taskId, batch: TaskBatch, change: EndChange) {
      requireId("tenantId", tenantId);
      requireId("taskId", taskId);
      const checked = checkEndChange(change);
      const from = requireCount("from", batch.from, 0);
      const held = {
        tenantId,
        id: taskId,
        status: TaskStatus.Running,
        leaseOwner: { $eq: requireId("owner", batch.owner) },
        progress: from,
      };
      const set = {
        progress: from + batch.ids.length,
        leaseExpiresAt: requireTime("leaseExpiresAt", batch.leaseExpiresAt),
        updatedAt: requireTime("updatedAt", batch.updatedAt),
      };
      const ids = batch.ids.map((id, i) => requireId(`batch.ids[${i}]`, id));
      if (!(await driver("read a task", () => tasks.findOne(held, COLLATION)))) return null;
      // No transaction spans these writes; instead each step is exact when repeated. The ends
      // carry the task's id, so a retry of this batch counts the sessions it ended as ended.
      const outcome = await endByIds(tenantId, ids, checked, taskId);
      const part: TaskOutcomeDocument = {
        _id: randomUUID(),
        tenantId,
        taskId,
        start: from,
        ended: outcome.ended.map((ended) => ended.id),
        alreadyEnded: outcome.alreadyEnded,
        notFound: outcome.notFound,
      };
      await driver("record a task batch", () => taskOutcomes.insertOne(part));
      // The outcome counts only once the task names it, in the write that advances progress.
      const advanced = await driver("advance a task", () =>
        tasks.findOneAndUpdate(held, { $set: set, $push: { parts: part._id } }, COLLATION),
      );
      if (advanced) return outcome;
      await driver("drop an unrecorded batch", () =>
        taskOutcomes.deleteOne({ _id: part._id }, COLLATION),
      );
      return null;
    },

    async getTaskOutcome(tenantId, taskId) {
      const filter = { tenantId: requireId("tenantId", tenantId), id: requireId("taskId", taskId) };
      const task = await driver("read a task", () =>
        tasks.findOne(filter, { ...COLLATION, projection: { _id: 0, parts: 1 } }),
      );
      const outcome: TaskOutcome = { ended: [], alreadyEnded: [], notFound: [] };
      const partIds: string[] = task?.parts ?? [];
      if (partIds.length === 0) return outcome;
      const docs = await driver("read task outcomes", () =>
        taskOutcomes.find({ _id: { $in: partIds } }, COLLATION).toArray(),
      );
      const byId = new Map(docs.map((doc) => [doc._id, doc]));
      for (const id of partIds) {
        const part = byId.get(id);
        if (!part) continue;
        outcome.ended.push(...part.ended);
        outcome.alreadyEnded.push(...part.alreadyEnded);
        outcome.notFound.push(...part.notFound);
      }
      return outcome;
    },

    async findClaimableTasks(now, limit) {
      const at = requireTime("now", now);
      if (requireCount("limit", limit, 0) === 0) return [];
      const filter = {
        $or: [
          { status: TaskStatus.Queued },
          { status: TaskStatus.Running, leaseExpiresAt: { $lte: at } },
          { status: TaskStatus.Running, leaseExpiresAt: null },
        ],
      };
      const docs = await driver("find claimable tasks", () =>
        tasks
          .find(filter, {
            ...COLLATION,
            sort: { createdAt: 1, id: 1 },
            limit,
          })
          .toArray(),
      );
      return docs.map(toBackgroundTask);
    },
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
