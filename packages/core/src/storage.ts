/**
 * The storage port: the one interface a session store implements.
 *
 * Contracts that hold for every method:
 * - Every method returns a Promise. "Not found" is `null` or an empty result, never a throw.
 *   Stores throw only `ConflictError` where stated and `StorageError` (wrapping the driver
 *   error as `cause`) when the database fails.
 * - Every session method is scoped by `tenantId`: it MUST NOT read, count or change a session
 *   of another tenant.
 * - Arguments arrive validated by the core: ids are non-empty strings, filters are
 *   `CheckedFilter`s (well-formed over the field catalog, within the query limits), sorts name
 *   sortable fields, limits are in range. A store translates them (`walkFilter` hands it each
 *   comparison ready to bind) and does not check them again; it MUST still bind every value as
 *   a parameter and MUST NOT turn a value into SQL text or a Mongo operator key.
 * - Listing, counting, grouping and streaming MUST be compiled into the database's own query
 *   (SQL, filter documents, aggregation pipelines). A store MUST NOT load a tenant's sessions
 *   into memory to filter, sort, count or group them.
 * - Semantics follow the in-memory store, which is the reference:
 *   - a record is *open at `now`* when `endedAt` is null and `expiresAt > now`;
 *   - a stored open record whose `expiresAt <= now` is *lapsed*: filters, sorts and groups see
 *     it as status `EXPIRED`, `end_time = expiresAt` and end reason `lapseReason(record)`;
 *   - filters use two-valued logic: a comparison against null is false, `!` makes it true;
 *   - text compares ASCII case-insensitively, ids exactly (see `listing/order.ts` for order).
 * - Times are epoch milliseconds.
 */

import type { CheckedTimeBuckets } from "./listing/time-buckets.js";
import type { TenantPolicy } from "./model/policy.js";
import type { EndReason, Session, SessionRecord } from "./model/session.js";
import type { BackgroundTask, TaskState, TaskStatus } from "./model/task.js";
import type { KeysetPosition, SortKey } from "./query/ast.js";
import type { CheckedFilter } from "./query/checked.js";
import type { FieldName } from "./query/fields.js";

/** The per-user cap checked atomically with an insert. */
export interface UserSessionCap {
  /** How many sessions the user may hold open at `now`, the new one included. */
  maxOpen: number;
  /** `reject`: insert nothing when full. `evict-oldest`: end the oldest open ones to make room. */
  policy: "evict-oldest" | "reject";
  now: number;
}

export type InsertOutcome =
  | {
      inserted: true;
      /**
       * Sessions ended to make room (status `REVOKED`, end reason `REPLACED`,
       * `endedAt = cap.now`), oldest first by `createdAt` then `id`, as they read after ending.
       */
      evicted: SessionRecord[];
    }
  | { inserted: false };

/** Which open sessions of a tenant an end operation applies to. */
export type EndTarget =
  | { ids: readonly string[] }
  | { userId: string; exceptId?: string }
  | { all: true }
  | { filter: CheckedFilter };

export interface EndChange {
  status: "LOGGED_OUT" | "REVOKED";
  endReason: EndReason;
  endedAt: number;
  /** Only sessions open at `now` end. */
  now: number;
  /**
   * Who ends the sessions (a task's id), recorded on each session this call ends. With an `ids`
   * target, a session already ended by the same `endedBy` is reported in `ended` again rather
   * than in `alreadyEnded`, so a batch retried after a crash reports what its first run did.
   */
  endedBy?: string;
}

export interface EndedSession {
  id: string;
  userId: string;
}

export interface EndOutcome {
  /** Sessions this call ended. */
  ended: EndedSession[];
  /** For an `ids` target: ids of this tenant that were already ended or lapsed, in input order. */
  alreadyEnded: string[];
  /** For an `ids` target: ids with no session in this tenant, in input order. */
  notFound: string[];
}

export interface ExpiredSession extends EndedSession {
  tenantId: string;
  endReason: EndReason;
  endedAt: number;
}

/** What an open session's activity update may change. */
export interface OpenSessionPatch {
  lastActivityAt?: number;
  expiresAt?: number;
  absoluteExpiresAt?: number;
}

export interface ListQuery {
  /** Null lists everything in the tenant. */
  filter: CheckedFilter | null;
  /** Sort keys; the store appends the `id` ascending tie-break unless `id` is a key. */
  sort: readonly SortKey[];
  /** The instant lapsed records are judged at. */
  now: number;
  /** Page size, 1 or more. */
  limit: number;
  /** Rows to skip (offset paging). Not combined with `after`. @default 0 */
  offset?: number;
  /** Return only rows strictly after this position (keyset paging). */
  after?: KeysetPosition;
}

export interface GroupQuery {
  filter: CheckedFilter | null;
  /** A groupable field; `user` groups by user id. */
  field: FieldName;
  now: number;
  /** Most groups to return; the total number of groups is reported regardless. */
  limit: number;
  /** Groups to skip. @default 0 */
  offset?: number;
}

export interface SessionGroup {
  /** The field's exact stored value (user id for `user`); null groups the missing ones. */
  value: string | null;
  count: number;
  /** For `user` groups: the login and full name of the group's newest session. */
  user?: { id: string; login: string; fullName: string | null };
}

export interface GroupResult {
  /** Largest count first; ties by value in code-point order, null first. */
  groups: SessionGroup[];
  /** How many groups the filter yields in all. */
  totalGroups: number;
}

export interface TimeGroupQuery {
  /** Already confines creation times to the buckets' range, `[buckets.from, buckets.to)`. */
  filter: CheckedFilter | null;
  /** The buckets, their boundaries computed by the core in the zone (DST-correct). */
  buckets: CheckedTimeBuckets;
  now: number;
}

/** The matching sessions created within one creation-time bucket. */
export interface TimeBucket {
  /** The bucket's first instant: one of `buckets.starts`. */
  start: number;
  count: number;
}

export interface StreamQuery {
  filter: CheckedFilter | null;
  sort: readonly SortKey[];
  now: number;
}

export interface TaskPatch {
  status?: TaskStatus;
  error?: string | null;
  updatedAt: number;
  leaseOwner?: string | null;
  leaseExpiresAt?: number | null;
}

export interface TaskCondition {
  /** Apply only while the task is in one of these statuses. */
  statuses?: readonly TaskStatus[];
  /** Apply only while this runner holds the lease. */
  leaseOwner?: string | null;
  /**
   * Apply only while the task holds no lease or its lease ran out at or before this instant:
   * taking over an abandoned task is a compare-and-set, so a runner acting on a stale read
   * cannot steal a lease its owner has just renewed.
   */
  leaseExpiredAt?: number;
}

/** One batch of a termination task, for `endTaskBatch`. */
export interface TaskBatch {
  /** The runner that must hold the task's lease. */
  owner: string;
  /** The task's progress this batch continues from: `ids` are its items `from`, `from + 1`, … */
  from: number;
  /** The batch's session ids, in the task's order (a task's ids are distinct). */
  ids: readonly string[];
  /** The lease's renewed deadline, written with the batch. */
  leaseExpiresAt: number;
  /** The task's `updatedAt`, written with the batch. */
  updatedAt: number;
}

/** What a termination task's batches recorded, each list in the task's order. */
export interface TaskOutcome {
  ended: string[];
  alreadyEnded: string[];
  notFound: string[];
}

/**
 * The storage port: everything the ledger asks of a database. It is the union of four method
 * groups, named so that a store may build each group in its own module.
 */
export interface SessionStore extends StoreLifecycle, StoreQueries, StorePolicies, StoreTasks {
  /** Releases resources the store opened itself (never the client it was given). */
  close?(): Promise<void>;
}

/** The write side and its lookups: inserts, touches, ends, the sweep and purges. */
export interface StoreLifecycle {
  /**
   * Inserts a new open session. With `cap`, the user's open sessions MUST never exceed
   * `maxOpen` once concurrent inserts for that user have settled: `evict-oldest` ends the
   * oldest, `reject` inserts nothing. Stores with transactions SHOULD count, evict and insert
   * as one atomic step; a store without them may insert first and then trim or withdraw its
   * own insert, in which case racing `reject` logins may all be refused (it fails closed).
   * MUST throw `ConflictError` when the tenant already has a session with the same id or the
   * same non-null `sessionIdentifier`.
   */
  insertSession(record: SessionRecord, cap?: UserSessionCap): Promise<InsertOutcome>;

  /** The stored record with this id in this tenant, lapsed or not, or null. */
  findSession(tenantId: string, id: string): Promise<SessionRecord | null>;

  /** The stored record with this host correlation id in this tenant, or null. */
  findSessionByIdentifier(
    tenantId: string,
    sessionIdentifier: string,
  ): Promise<SessionRecord | null>;

  /**
   * Applies `patch` only if the session is open at `now`, as one conditional write, and
   * returns the updated record, or null when it is missing, ended or lapsed.
   * MUST NOT revive an ended or lapsed session, even when racing an end operation.
   */
  updateOpenSession(
    tenantId: string,
    id: string,
    now: number,
    patch: OpenSessionPatch,
  ): Promise<SessionRecord | null>;

  /**
   * Ends every session of `target` that is open at `change.now`, setting status, end reason
   * and `endedAt`. Each session's end is a conditional write: a session ended concurrently
   * is not ended twice and appears in `ended` of exactly one caller. Sessions already ended
   * or lapsed are left untouched, and a user, filter or tenant target never ends a session
   * created after `change.now` (one that began while the call ran). A store MAY
   * split a bulk target into several short writes, so it never holds the database (or, for an
   * embedded database, the host's thread) for long; each session's end stays atomic.
   */
  endSessions(tenantId: string, target: EndTarget, change: EndChange): Promise<EndOutcome>;

  /**
   * The sweep: across all tenants, marks up to `limit` records lapsed at `now` as `EXPIRED`
   * with `endedAt = expiresAt` and `endReason = lapseReason(record)`, and returns them.
   */
  expireDue(now: number, limit: number): Promise<ExpiredSession[]>;

  /**
   * Deletes records whose end (`endedAt`, or `expiresAt` for lapsed ones) is before
   * `endedBefore`, in one tenant or in all. `endedBefore` is never after the current time.
   * Returns how many were deleted. MUST NOT delete an open session.
   */
  purgeEnded(endedBefore: number, tenantId?: string): Promise<number>;
}

/** The admin reads: pages, counts, groups and streams, compiled into the database's query. */
export interface StoreQueries {
  /**
   * One page of the tenant's sessions matching the filter, in the order of `sort`, as stored
   * (`status` as written; the ledger reports lapsed ones) and without `secretHash`: an admin's
   * read never carries a credential's hash, and a store need not read the column for it.
   */
  listSessions(tenantId: string, query: ListQuery): Promise<Session[]>;

  /** How many of the tenant's sessions match the filter at `now`. */
  countSessions(tenantId: string, filter: CheckedFilter | null, now: number): Promise<number>;

  /** Counts per distinct value of a field over the matching sessions. */
  groupSessions(tenantId: string, query: GroupQuery): Promise<GroupResult>;

  /**
   * Counts of the matching sessions per creation-time bucket, in time order, only the buckets
   * that hold one or more (the core fills in the empty ones). A session is in bucket `i` when
   * `buckets.starts[i] <= createdAt < buckets.starts[i + 1]`, the last bucket ending at
   * `buckets.end`. A store MUST count against these boundaries in its own query (a CASE over
   * them, `$bucket`) rather than compute days or weeks itself: the database's time zone rules
   * may differ from the runtime's, and only the core's boundaries are the same in every store.
   */
  groupSessionsByTime(tenantId: string, query: TimeGroupQuery): Promise<TimeBucket[]>;

  /**
   * Every matching session in order, as `listSessions` returns them, streamed: memory MUST
   * stay bounded however many rows match (read in batches or through a database cursor).
   */
  streamSessions(tenantId: string, query: StreamQuery): AsyncIterable<Session>;
}

/** Each tenant's persisted policy. */
export interface StorePolicies {
  /** The tenant's persisted policy, or null when none was written. */
  getPolicy(tenantId: string): Promise<TenantPolicy | null>;

  /** Writes (replaces) the tenant's policy. */
  putPolicy(tenantId: string, policy: TenantPolicy): Promise<void>;
}

/** Persisted background tasks: their rows, leases, batches and outcome. */
export interface StoreTasks {
  /** Persists a new background task. MUST throw `ConflictError` if the tenant has a task with this id. */
  insertTask(task: BackgroundTask): Promise<void>;

  /** The task with this id in this tenant, or null. */
  getTask(tenantId: string, id: string): Promise<BackgroundTask | null>;

  /**
   * The task with this id in this tenant without its payload, or null: what a poll of its
   * status reads (a 100,000-id payload is megabytes of JSON to parse on every poll).
   */
  getTaskState(tenantId: string, id: string): Promise<TaskState | null>;

  /**
   * Applies `patch` as one conditional write when `condition` holds and returns the updated
   * task without its payload, or null when the task is missing or the condition failed
   * (another runner won).
   */
  updateTask(
    tenantId: string,
    id: string,
    patch: TaskPatch,
    condition?: TaskCondition,
  ): Promise<TaskState | null>;

  /**
   * One batch of a termination task, as one atomic step: ends the batch's open sessions as
   * `endSessions(tenantId, { ids }, { ...change, endedBy: taskId })` does, records the batch's
   * per-id outcome with the task, and sets the task's `progress` to `from + ids.length`, its
   * lease deadline and `updatedAt`. Applies only while the task is `RUNNING`, `batch.owner`
   * holds its lease and its progress is exactly `batch.from`; otherwise it changes nothing and
   * returns null (another runner took over, or the batch was already recorded).
   * A store with transactions MUST run the step in one. A store without them MUST still make
   * the recorded outcome exact when a step is cut short and retried: the ends carry `endedBy`,
   * so the retry reports the sessions the first try ended as `ended`, and recording a batch's
   * outcome twice MUST leave one copy.
   */
  endTaskBatch(
    tenantId: string,
    taskId: string,
    batch: TaskBatch,
    change: EndChange,
  ): Promise<EndOutcome | null>;

  /** The outcome every recorded batch of the task holds, in the task's order (empty lists when none). */
  getTaskOutcome(tenantId: string, taskId: string): Promise<TaskOutcome>;

  /**
   * Tasks of any tenant a runner may claim at `now`, oldest first (`createdAt`, then id):
   * `QUEUED` ones, and `RUNNING` ones whose lease ran out at or before `now` (their runner
   * stopped or crashed). Without their payloads (`getTask` reads a payload).
   */
  findClaimableTasks(now: number, limit: number): Promise<TaskState[]>;
}
