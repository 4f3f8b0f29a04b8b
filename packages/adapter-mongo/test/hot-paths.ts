/**
 * The store's hot paths, each with the index every driver call it makes must read through. The
 * plan-shape suite checks them on the in-process collection; the real-server lane runs the same
 * paths and asks MongoDB's `explain` for a COLLSCAN or an in-memory SORT.
 */
import type { Filter, SortKey } from "@session-ledger/core";
import { checkFilter } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import type { MongoSessionStore } from "../src/index.js";

export const T0 = Date.UTC(2026, 0, 1);
/** When the hot paths run: some seeded sessions are open, some lapsed, some ended. */
export const NOW = T0 + 3_000_000;
export const TENANT = "tenant-3";
const DAY = 86_400_000;

export type CollectionKey = keyof MongoSessionStore["collectionNames"];

/** A driver call a path makes: which collection and method, and the index it must fit. */
export interface PlannedCall {
  collection: CollectionKey;
  method: string;
  index: string;
  /** The index keys that must bound the scan (all of them, in order), when it matters. */
  bounds?: string[];
  /** The index alone answers it (a count reads no document: `totalDocsExamined` 0). */
  covered?: boolean;
}

export interface HotPath {
  name: string;
  calls: PlannedCall[];
  run(store: MongoSessionStore): Promise<unknown>;
}

/** One seeded session: 20 tenants, 300 users, one in four ended, one in five lapsed. */
export function seededSession(i: number): SessionRecord {
  const createdAt = T0 + i * 1000;
  const ended = i % 4 === 0;
  return sessionRecord({
    id: `s${String(i).padStart(6, "0")}`,
    tenantId: `tenant-${i % 20}`,
    sessionIdentifier: `corr-${i}`,
    user: { id: `u${i % 300}`, login: `User${i % 300}`, fullName: null, email: null },
    clientType: i % 3 ? "UI" : "Integration",
    clientIp: `10.0.${i % 256}.${(i * 7) % 256}`,
    country: ["PT", "US", "DE"][i % 3]!,
    status: ended ? "REVOKED" : "ACTIVE",
    endReason: ended ? "REVOKED" : null,
    createdAt,
    lastActivityAt: createdAt + (i % 7) * 1000,
    expiresAt: i % 5 === 0 ? NOW - 1 : createdAt + DAY,
    absoluteExpiresAt: createdAt + 10 * DAY,
    endedAt: ended ? createdAt + 60_000 : null,
  });
}

export async function seedSessions(store: MongoSessionStore, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await store.insertSession(seededSession(i));
}

const time = (field: "creation_time", op: "GE" | "LE" | "LT", value: number): Filter => ({
  kind: "compare",
  field,
  op,
  value: { kind: "time", value },
});
const creationRange = (from: number, to: number): Filter => ({
  kind: "between",
  field: "creation_time",
  low: { kind: "time", value: from },
  high: { kind: "time", value: to },
});
const ofUser = (id: string): Filter => ({
  kind: "user",
  filter: { kind: "compare", field: "user.id", op: "EQ", value: { kind: "text", value: id } },
});
const openOnly: Filter = {
  kind: "compare",
  field: "status",
  op: "EQ",
  value: { kind: "text", value: "ACTIVE" },
};
const NEWEST_FIRST: SortKey[] = [{ field: "creation_time", direction: "desc" }];
const BY_ACTIVITY: SortKey[] = [{ field: "last_activity_time", direction: "asc" }];
const end = { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW } as const;
const page = (store: MongoSessionStore, filter: Filter | null, sort: SortKey[], more = {}) =>
  store.listSessions(TENANT, { filter: checkFilter(filter), sort, now: NOW, limit: 100, ...more });
/** The position of a page's last row, as the ledger's cursor carries it. */
const after = (createdAt: number, id: string) => ({ after: { values: [createdAt], id } });

/** A call by tenant and id, through the collection's `tenant_id` index. */
const byId = (collection: CollectionKey, method: string): PlannedCall => ({
  collection,
  method,
  index: "tenant_id",
  bounds: ["tenantId", "id"],
});

const tenantCreated = (bounds = ["tenantId", "createdAt"]): PlannedCall => ({
  collection: "sessions",
  method: "find",
  index: "tenant_created",
  bounds,
});

/** A LogScale page by last activity, oldest first, and the total it reports. */
function byActivityWithTotal(
  name: string,
  filter: Filter | null,
  indexes: { list: string; count: string; countBounds: string[] },
): HotPath {
  return {
    name,
    calls: [
      { collection: "sessions", method: "find", index: indexes.list, bounds: ["tenantId"] },
      {
        collection: "sessions",
        method: "countDocuments",
        index: indexes.count,
        bounds: indexes.countBounds,
        covered: true,
      },
    ],
    run: async (store) => {
      await page(store, filter, BY_ACTIVITY);
      await store.countSessions(TENANT, checkFilter(filter), NOW);
    },
  };
}

/**
 * A purge: each of its two deletes finds a batch through its index, then deletes it by id. In
 * tenant-0 every lapsed session was ended too (`seededSession`), so its second finds none.
 */
function purgePath(name: string, tenantId?: string): HotPath {
  const lapsed: PlannedCall[] = [
    { collection: "sessions", method: "find", index: "open_by_deadline", bounds: ["expiresAt"] },
  ];
  if (tenantId === undefined) lapsed.push(byId("sessions", "bulkWrite"));
  return {
    name,
    calls: [
      { collection: "sessions", method: "find", index: "ended_at", bounds: ["endedAt"] },
      byId("sessions", "bulkWrite"),
      ...lapsed,
    ],
    run: async (store) => {
      if ((await store.purgeEnded(NOW, tenantId)) === 0) throw new Error("the purge found nothing");
    },
  };
}

export const HOT_PATHS: HotPath[] = [
  {
    name: "validate and touch: find by id, then the conditional touch",
    calls: [byId("sessions", "findOne"), byId("sessions", "findOneAndUpdate")],
    run: async (store) => {
      await store.findSession(TENANT, "s000003");
      await store.updateOpenSession(TENANT, "s000003", NOW, { lastActivityAt: NOW });
    },
  },
  {
    name: "end by id: conditional updates, then the read-back",
    calls: [byId("sessions", "bulkWrite"), byId("sessions", "find")],
    run: (store) => store.endSessions(TENANT, { ids: ["s000023", "s000043", "missing"] }, end),
  },
  {
    name: "Octane default listing: a creation range, newest first",
    calls: [tenantCreated()],
    run: (store) => page(store, creationRange(T0, T0 + 30 * DAY), NEWEST_FIRST),
  },
  {
    name: "cursor page: the next page of newest first starts at the cursor in the index",
    calls: [tenantCreated()],
    run: (store) => page(store, null, NEWEST_FIRST, after(T0 + 1_003_000, "s001003")),
  },
  {
    name: "count: the Octane listing's total",
    calls: [{ ...tenantCreated(), method: "countDocuments" }],
    run: (store) => store.countSessions(TENANT, checkFilter(creationRange(T0, T0 + 30 * DAY)), NOW),
  },
  {
    name: "group: countries in a creation range (page and number of groups)",
    calls: [
      { ...tenantCreated(), method: "aggregate" },
      { ...tenantCreated(), method: "aggregate" },
    ],
    run: (store) =>
      store.groupSessions(TENANT, {
        filter: checkFilter(creationRange(T0, T0 + 30 * DAY)),
        field: "country",
        now: NOW,
        limit: 10,
      }),
  },
  {
    name: "Formal default listing: creation range [start, end), newest first",
    calls: [tenantCreated()],
    run: (store) =>
      page(
        store,
        { kind: "and", items: [time("creation_time", "GE", T0), time("creation_time", "LT", NOW)] },
        NEWEST_FIRST,
      ),
  },
  {
    name: "SAYMON default listing: creation window, newest first, skipping",
    calls: [tenantCreated()],
    run: (store) =>
      page(
        store,
        { kind: "and", items: [time("creation_time", "GE", T0), time("creation_time", "LE", NOW)] },
        NEWEST_FIRST,
        { offset: 20 },
      ),
  },
  {
    name: "Cognite default listing: a user's sessions, newest first, and the next page",
    calls: [
      { ...tenantCreated(["tenantId", "user.id"]), index: "tenant_user_created" },
      { ...tenantCreated(["tenantId", "user.id", "createdAt"]), index: "tenant_user_created" },
    ],
    run: async (store) => {
      await page(store, ofUser("u63"), NEWEST_FIRST);
      await page(store, ofUser("u63"), NEWEST_FIRST, after(T0 + 963_000, "s000963"));
    },
  },
  byActivityWithTotal(
    "LogScale default listing: open sessions by last activity, ascending, with the total",
    openOnly,
    {
      list: "open_tenant_activity",
      count: "open_tenant_deadline",
      countBounds: ["tenantId", "expiresAt"],
    },
  ),
  byActivityWithTotal(
    "LogScale with onlyActiveSessions false: every session by last activity, with the total",
    null,
    { list: "tenant_activity", count: "tenant_id", countBounds: ["tenantId"] },
  ),
  {
    name: "login with a cap: the user's highest number, the login's number, the user's open sessions newest first, evictions",
    calls: [
      {
        collection: "sessions",
        method: "findOne",
        index: "open_user_logins",
        bounds: ["tenantId", "user.id"],
      },
      { collection: "loginSequences", method: "findOneAndUpdate", index: "_id_", bounds: ["_id"] },
      {
        collection: "sessions",
        method: "find",
        index: "open_user_logins",
        bounds: ["tenantId", "user.id"],
      },
      // u83 holds two open sessions in tenant-3 (s000083, s000383): a cap of 1 ends both, in
      // one bulk, read back by their marker.
      byId("sessions", "bulkWrite"),
      { collection: "sessions", method: "find", index: "ended_by", bounds: ["endedBy"] },
    ],
    run: (store) =>
      store.insertSession(
        { ...seededSession(83), id: "capped-login", sessionIdentifier: null, createdAt: NOW },
        { maxOpen: 1, policy: "evict-oldest", now: NOW },
      ),
  },
  {
    name: "task runner: poll, take over an abandoned lease (a compare-and-set), run a batch, read the outcome",
    calls: [
      { collection: "tasks", method: "find", index: "status_created", bounds: ["status"] },
      byId("tasks", "findOneAndUpdate"),
      byId("tasks", "findOne"),
      byId("sessions", "bulkWrite"),
      byId("sessions", "find"),
      byId("tasks", "findOneAndUpdate"),
      byId("tasks", "findOne"),
      {
        collection: "taskOutcomes",
        method: "find",
        index: "tenant_task",
        bounds: ["tenantId", "taskId"],
      },
    ],
    run: async (store) => {
      const ids = ["s000103", "s000123", "missing"];
      await store.insertTask({
        id: "abandoned",
        tenantId: TENANT,
        kind: "terminate_sessions",
        status: "RUNNING",
        payload: { ids },
        progress: 0,
        error: null,
        createdAt: NOW - 60_000,
        updatedAt: NOW - 60_000,
        leaseOwner: "crashed-runner",
        leaseExpiresAt: NOW - 30_000,
      });
      await store.findClaimableTasks(NOW, 50);
      const lease = { updatedAt: NOW, leaseOwner: "runner", leaseExpiresAt: NOW + 30_000 };
      await store.updateTask(TENANT, "abandoned", lease, {
        statuses: ["RUNNING"],
        leaseExpiredAt: NOW,
      });
      const batch = { owner: "runner", from: 0, ids, leaseExpiresAt: NOW + 30_000, updatedAt: NOW };
      await store.endTaskBatch(TENANT, "abandoned", batch, end);
      await store.getTaskOutcome(TENANT, "abandoned");
    },
  },
  {
    name: "find by the host's session identifier",
    calls: [
      {
        collection: "sessions",
        method: "findOne",
        index: "tenant_session_identifier",
        bounds: ["tenantId", "sessionIdentifier"],
      },
    ],
    run: (store) => store.findSessionByIdentifier(TENANT, "corr-3"),
  },
  {
    name: "sweep: due sessions by deadline, the conditional ends, then the read-back",
    calls: [
      { collection: "sessions", method: "find", index: "open_by_deadline", bounds: ["expiresAt"] },
      byId("sessions", "bulkWrite"),
      { collection: "sessions", method: "find", index: "ended_by", bounds: ["endedBy"] },
    ],
    run: (store) => store.expireDue(NOW, 50),
  },
  {
    name: "bulk end by user: a batch of open ids, then their conditional ends and read-back",
    calls: [
      {
        collection: "sessions",
        method: "find",
        index: "tenant_user_created",
        bounds: ["tenantId", "user.id", "createdAt"],
      },
      byId("sessions", "bulkWrite"),
      byId("sessions", "find"),
    ],
    run: (store) => store.endSessions(TENANT, { userId: "u63" }, end),
  },
  // Last: they delete what the paths above read.
  purgePath(
    "purge in one tenant: ended sessions by end time, then lapsed ones by deadline",
    "tenant-0",
  ),
  purgePath("purge across tenants: ended sessions by end time, then lapsed ones by deadline"),
];

export { after, BY_ACTIVITY, creationRange, end, NEWEST_FIRST, ofUser, openOnly, page };
