import { ConflictError } from "../errors.js";
import { closeOnce } from "../lifecycle/closing.js";
import { matchesFilter } from "../listing/evaluate.js";
import {
  compareCodePoints,
  compareSortValues,
  isAfterPosition,
  sessionComparator,
} from "../listing/order.js";
import { bucketStartOf } from "../listing/time-buckets.js";
import type { TenantPolicy } from "../model/policy.js";
import type { Session, SessionRecord } from "../model/session.js";
import {
  EndReason,
  effectiveSession,
  isOpenAt,
  lapseReason,
  SessionStatus,
} from "../model/session.js";
import { type BackgroundTask, type TaskState, TaskStatus } from "../model/task.js";
import type { Filter } from "../query/ast.js";
import { rawFieldValue } from "../query/fields.js";
import type {
  EndChange,
  EndOutcome,
  EndTarget,
  ExpiredSession,
  GroupQuery,
  GroupResult,
  InsertOutcome,
  ListQuery,
  OpenSessionPatch,
  SessionGroup,
  SessionStore,
  StreamQuery,
  TaskBatch,
  TaskCondition,
  TaskOutcome,
  TaskPatch,
  TimeBucket,
  TimeGroupQuery,
  UserSessionCap,
} from "../storage.js";

/**
 * The in-memory store: the reference semantics every other store copies, and a store for
 * tests and single-process demos. It keeps everything in maps and copies records in and out
 * so callers can never change stored state by holding a reference.
 */
export function createMemoryStore(): SessionStore {
  return createMemoryStoreWithRows().store;
}

/**
 * The memory store with its rows exposed, for tests that must reach past the port (such as
 * the conformance self-check's deliberately broken stores). Not part of the public surface.
 */
export function createMemoryStoreWithRows(): {
  store: SessionStore;
  sessions: Map<string, Map<string, SessionRecord>>;
} {
  const sessions = new Map<string, Map<string, SessionRecord>>();
  const policies = new Map<string, TenantPolicy>();
  const tasks = new Map<string, BackgroundTask>();
  // Who ended each stored row (`EndChange.endedBy`), beside the row so records stay as stored.
  const endedBy = new WeakMap<SessionRecord, string>();
  // Each task's recorded batches, by the position they start at.
  const outcomes = new Map<string, Map<number, TaskOutcome>>();

  const tenant = (tenantId: string) => {
    let rows = sessions.get(tenantId);
    if (!rows) {
      rows = new Map();
      sessions.set(tenantId, rows);
    }
    return rows;
  };
  const copy = <T>(value: T): T => structuredClone(value);
  const withoutSecret = ({ secretHash: _secret, ...session }: SessionRecord): Session =>
    copy(session);
  const stateOf = ({ payload: _payload, ...state }: BackgroundTask): TaskState => copy(state);

  const matching = (tenantId: string, filter: Filter | null, now: number) =>
    [...tenant(tenantId).values()]
      .map((record) => ({ record, view: effectiveSession(record, now) }))
      .filter(({ view }) => matchesFilter(view, filter));

  const sorted = (tenantId: string, query: StreamQuery) => {
    const compare = sessionComparator(query.sort);
    return matching(tenantId, query.filter, query.now).sort((a, b) => compare(a.view, b.view));
  };

  const endRecord = (
    record: SessionRecord,
    change: Pick<SessionRecord, "endReason" | "endedAt"> & { status: SessionRecord["status"] },
  ) => {
    record.status = change.status;
    record.endReason = change.endReason;
    record.endedAt = change.endedAt;
  };

  const taskKey = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;

  const taskHolds = (task: BackgroundTask, condition: TaskCondition | undefined) =>
    (condition?.statuses === undefined || condition.statuses.includes(task.status)) &&
    (condition?.leaseOwner === undefined || task.leaseOwner === condition.leaseOwner) &&
    (condition?.leaseExpiredAt === undefined ||
      task.leaseExpiresAt === null ||
      task.leaseExpiresAt <= condition.leaseExpiredAt);

  const store: SessionStore = {
    async insertSession(record: SessionRecord, cap?: UserSessionCap): Promise<InsertOutcome> {
      const rows = tenant(record.tenantId);
      if (rows.has(record.id)) {
        throw new ConflictError(`a session with id '${record.id}' already exists in this tenant`);
      }
      if (record.sessionIdentifier !== null) {
        for (const row of rows.values()) {
          if (row.sessionIdentifier === record.sessionIdentifier) {
            throw new ConflictError(
              `session_identifier '${record.sessionIdentifier}' already exists in this tenant`,
            );
          }
        }
      }
      const evicted: SessionRecord[] = [];
      if (cap) {
        const open = [...rows.values()]
          .filter((row) => row.user.id === record.user.id && isOpenAt(row, cap.now))
          .sort((a, b) => a.createdAt - b.createdAt || compareCodePoints(a.id, b.id));
        const excess = open.length - cap.maxOpen + 1;
        if (excess > 0 && cap.policy === "reject") return { inserted: false };
        for (const row of open.slice(0, Math.max(0, excess))) {
          endRecord(row, {
            status: SessionStatus.Revoked,
            endReason: EndReason.Replaced,
            endedAt: cap.now,
          });
          evicted.push(copy(row));
        }
      }
      rows.set(record.id, copy(record));
      return { inserted: true, evicted };
    },

    async findSession(tenantId, id) {
      const row = tenant(tenantId).get(id);
      return row ? copy(row) : null;
    },

    async findSessionByIdentifier(tenantId, sessionIdentifier) {
      for (const row of tenant(tenantId).values()) {
        if (row.sessionIdentifier === sessionIdentifier) return copy(row);
      }
      return null;
    },

    async updateOpenSession(tenantId, id, now, patch: OpenSessionPatch) {
      const row = tenant(tenantId).get(id);
      if (!row || !isOpenAt(row, now)) return null;
      if (patch.lastActivityAt !== undefined) row.lastActivityAt = patch.lastActivityAt;
      if (patch.expiresAt !== undefined) row.expiresAt = patch.expiresAt;
      if (patch.absoluteExpiresAt !== undefined) row.absoluteExpiresAt = patch.absoluteExpiresAt;
      return copy(row);
    },

    async endSessions(tenantId, target: EndTarget, change: EndChange): Promise<EndOutcome> {
      const rows = tenant(tenantId);
      const outcome: EndOutcome = { ended: [], alreadyEnded: [], notFound: [] };
      const end = (row: SessionRecord) => {
        endRecord(row, change);
        if (change.endedBy !== undefined) endedBy.set(row, change.endedBy);
        outcome.ended.push({ id: row.id, userId: row.user.id });
      };
      if ("ids" in target) {
        const reported = new Set<string>();
        for (const id of target.ids) {
          const row = rows.get(id);
          if (!row) outcome.notFound.push(id);
          else if (isOpenAt(row, change.now)) end(row);
          else if (
            change.endedBy !== undefined &&
            endedBy.get(row) === change.endedBy &&
            !reported.has(id)
          ) {
            // Ended by an earlier try of the same batch: report it as this call's.
            outcome.ended.push({ id, userId: row.user.id });
          } else outcome.alreadyEnded.push(id);
          reported.add(id);
        }
        return outcome;
      }
      for (const row of rows.values()) {
        if (!isOpenAt(row, change.now) || row.createdAt > change.now) continue;
        const selected =
          "all" in target
            ? true
            : "userId" in target
              ? row.user.id === target.userId && row.id !== target.exceptId
              : matchesFilter(effectiveSession(row, change.now), target.filter);
        if (selected) end(row);
      }
      return outcome;
    },

    async expireDue(now, limit): Promise<ExpiredSession[]> {
      const expired: ExpiredSession[] = [];
      for (const rows of sessions.values()) {
        for (const row of rows.values()) {
          if (expired.length >= limit) return expired;
          if (row.endedAt !== null || row.expiresAt > now) continue;
          const endReason = lapseReason(row);
          endRecord(row, {
            status: SessionStatus.Expired,
            endReason,
            endedAt: row.expiresAt,
          });
          expired.push({
            id: row.id,
            userId: row.user.id,
            tenantId: row.tenantId,
            endReason,
            endedAt: row.expiresAt,
          });
        }
      }
      return expired;
    },

    async purgeEnded(endedBefore, tenantId) {
      let deleted = 0;
      for (const [id, rows] of sessions) {
        if (tenantId !== undefined && id !== tenantId) continue;
        for (const row of [...rows.values()]) {
          if ((row.endedAt ?? row.expiresAt) < endedBefore) {
            rows.delete(row.id);
            deleted++;
          }
        }
      }
      return deleted;
    },

    async listSessions(tenantId, query: ListQuery) {
      let rows = sorted(tenantId, query);
      const { after } = query;
      if (after) rows = rows.filter(({ view }) => isAfterPosition(view, query.sort, after));
      const offset = query.offset ?? 0;
      return rows.slice(offset, offset + query.limit).map(({ record }) => withoutSecret(record));
    },

    async countSessions(tenantId, filter, now) {
      return matching(tenantId, filter, now).length;
    },

    async groupSessions(tenantId, query: GroupQuery): Promise<GroupResult> {
      const groups = new Map<string | null, SessionGroup & { newest?: SessionRecord }>();
      for (const { record, view } of matching(tenantId, query.filter, query.now)) {
        const raw = rawFieldValue(view, query.field);
        const value = raw === null ? null : String(raw);
        const group = groups.get(value) ?? { value, count: 0 };
        group.count++;
        if (query.field === "user") {
          const newest = group.newest;
          if (
            !newest ||
            record.createdAt > newest.createdAt ||
            (record.createdAt === newest.createdAt && compareCodePoints(record.id, newest.id) > 0)
          ) {
            group.newest = record;
          }
        }
        groups.set(value, group);
      }
      const ordered = [...groups.values()].sort(
        (a, b) => b.count - a.count || compareSortValues(a.value, b.value),
      );
      const offset = query.offset ?? 0;
      return {
        totalGroups: ordered.length,
        groups: ordered.slice(offset, offset + query.limit).map(({ newest, ...group }) =>
          newest
            ? {
                ...group,
                user: {
                  id: newest.user.id,
                  login: newest.user.login,
                  fullName: newest.user.fullName,
                },
              }
            : group,
        ),
      };
    },

    // The reference takes each session's bucket from its own creation time, never from the
    // boundaries the core computed, so the differential test checks those boundaries too.
    async groupSessionsByTime(tenantId, query: TimeGroupQuery): Promise<TimeBucket[]> {
      const { interval, timeZone } = query.buckets;
      const counts = new Map<number, number>();
      for (const { record } of matching(tenantId, query.filter, query.now)) {
        const start = bucketStartOf(record.createdAt, interval, timeZone);
        counts.set(start, (counts.get(start) ?? 0) + 1);
      }
      return [...counts].sort(([a], [b]) => a - b).map(([start, count]) => ({ start, count }));
    },

    async *streamSessions(tenantId, query: StreamQuery) {
      for (const { record } of sorted(tenantId, query)) yield withoutSecret(record);
    },

    async getPolicy(tenantId) {
      const policy = policies.get(tenantId);
      return policy ? copy(policy) : null;
    },

    async putPolicy(tenantId, policy) {
      policies.set(tenantId, copy(policy));
    },

    async insertTask(task) {
      if (tasks.has(taskKey(task.tenantId, task.id))) {
        throw new ConflictError(`task '${task.id}' already exists in this tenant`);
      }
      tasks.set(taskKey(task.tenantId, task.id), copy(task));
    },

    async getTask(tenantId, id) {
      const task = tasks.get(taskKey(tenantId, id));
      return task ? copy(task) : null;
    },

    async getTaskState(tenantId, id) {
      const task = tasks.get(taskKey(tenantId, id));
      return task ? stateOf(task) : null;
    },

    async updateTask(tenantId, id, patch: TaskPatch, condition?: TaskCondition) {
      const task = tasks.get(taskKey(tenantId, id));
      if (!task || !taskHolds(task, condition)) return null;
      for (const [key, value] of Object.entries(patch)) {
        if (value !== undefined) Object.assign(task, { [key]: copy(value) });
      }
      return stateOf(task);
    },

    async endTaskBatch(tenantId, taskId, batch: TaskBatch, change: EndChange) {
      const task = tasks.get(taskKey(tenantId, taskId));
      if (
        !task ||
        task.progress !== batch.from ||
        !taskHolds(task, { statuses: [TaskStatus.Running], leaseOwner: batch.owner })
      ) {
        return null;
      }
      const outcome = await store.endSessions(
        tenantId,
        { ids: batch.ids },
        { ...change, endedBy: taskId },
      );
      const recorded = outcomes.get(taskKey(tenantId, taskId)) ?? new Map<number, TaskOutcome>();
      outcomes.set(taskKey(tenantId, taskId), recorded);
      recorded.set(batch.from, {
        ended: outcome.ended.map((ended) => ended.id),
        alreadyEnded: [...outcome.alreadyEnded],
        notFound: [...outcome.notFound],
      });
      task.progress = batch.from + batch.ids.length;
      task.leaseExpiresAt = batch.leaseExpiresAt;
      task.updatedAt = batch.updatedAt;
      return outcome;
    },

    async getTaskOutcome(tenantId, taskId) {
      const outcome: TaskOutcome = { ended: [], alreadyEnded: [], notFound: [] };
      const recorded = outcomes.get(taskKey(tenantId, taskId)) ?? new Map<number, TaskOutcome>();
      for (const from of [...recorded.keys()].sort((a, b) => a - b)) {
        const part = recorded.get(from)!;
        outcome.ended.push(...part.ended);
        outcome.alreadyEnded.push(...part.alreadyEnded);
        outcome.notFound.push(...part.notFound);
      }
      return outcome;
    },

    async findClaimableTasks(now, limit) {
      return [...tasks.values()]
        .filter(
          (task) =>
            task.status === TaskStatus.Queued ||
            (task.status === TaskStatus.Running && (task.leaseExpiresAt ?? 0) <= now),
        )
        .sort((a, b) => a.createdAt - b.createdAt || compareCodePoints(a.id, b.id))
        .slice(0, limit)
        .map(stateOf);
    },
  };
  return { store: closeOnce(store, "the memory store"), sessions };
}
