/**
 * The collections and indexes the store owns. `ensureIndexes` is idempotent: run it at deploy
 * time or at every start. All indexes use the simple (binary) collation, which is also what
 * every query asks for, so a default collation on a host-made collection changes nothing.
 */

import { StorageError, ValidationError } from "@session-ledger/core";
import type { Db, IndexDescription } from "mongodb";

export const SIMPLE_COLLATION = { locale: "simple" } as const;

/** The largest `expireAfterSeconds` the server accepts on a TTL index (a 32-bit signed integer). */
const MAX_TTL_SECONDS = 2_147_483_647;

/** Name of the TTL index that purges long-ended sessions. */
export const RETENTION_INDEX = "purge_ended";

/**
 * The partial filter of the indexes over optional strings. The planner uses a partial index only
 * for a query that implies its filter, and it implies `$type` from nothing but the very same
 * condition, so every read through these indexes carries it (`identifierIs`, `endedByIs`).
 */
const IS_STRING = { $type: "string" } as const;

/** The session identifier condition that `tenant_session_identifier` serves. */
export const identifierIs = (sessionIdentifier: string) => ({
  sessionIdentifier: { $eq: sessionIdentifier, ...IS_STRING },
});

/** The end-marker condition that `ended_by` serves. */
export const endedByIs = (by: string) => ({ endedBy: { $eq: by, ...IS_STRING } });

/** Only ended sessions hold a number in `endedAt`; an open one holds null. */
const IS_NUMBER = { $type: "number" } as const;

/** The end-time condition that `ended_at` serves. */
export const endedBeforeIs = (time: number) => ({ endedAt: { $lt: time, ...IS_NUMBER } });

const simple = (indexes: IndexDescription[]): readonly IndexDescription[] =>
  indexes.map((index) => ({ ...index, collation: SIMPLE_COLLATION }));

export const SESSION_INDEXES = simple([
  // Every read and write addresses a session by tenant and id (and a shard key of the same).
  { name: "tenant_id", key: { tenantId: 1, id: 1 }, unique: true },
  // The host's correlation id is unique per tenant when present (null is not a value).
  {
    name: "tenant_session_identifier",
    key: { tenantId: 1, sessionIdentifier: 1 },
    unique: true,
    partialFilterExpression: { sessionIdentifier: IS_STRING },
  },
  // Listings by tenant newest first: the default order of Octane, Formal and SAYMON, and
  // creation-time ranges in any order.
  { name: "tenant_created", key: { tenantId: 1, createdAt: -1, id: 1 } },
  // A user's sessions newest first (Cognite's listing), terminate-by-user, the user filter.
  { name: "tenant_user_created", key: { tenantId: 1, "user.id": 1, createdAt: -1, id: 1 } },
  // The cap: a user's open sessions, newest login first.
  {
    name: "open_user_logins",
    key: { tenantId: 1, "user.id": 1, loginSeq: -1, createdAt: -1, id: -1 },
    partialFilterExpression: { status: "ACTIVE" },
  },
  // LogScale's default listing: the open sessions by last activity, oldest first.
  {
    name: "open_tenant_activity",
    key: { tenantId: 1, lastActivityAt: 1, id: 1 },
    partialFilterExpression: { status: "ACTIVE" },
  },
  // LogScale's total and every count of open sessions: covered (status by the partial filter,
  // the deadline from the key), so counting reads no session document.
  {
    name: "open_tenant_deadline",
    key: { tenantId: 1, expiresAt: 1 },
    partialFilterExpression: { status: "ACTIVE" },
  },
  // LogScale's listing with onlyActiveSessions false: every session by last activity.
  { name: "tenant_activity", key: { tenantId: 1, lastActivityAt: 1, id: 1 } },
  // The sweep: only stored-open sessions, by deadline, across tenants.
  {
    name: "open_by_deadline",
    key: { expiresAt: 1 },
    partialFilterExpression: { status: "ACTIVE" },
  },
  // The purge of ended sessions, across tenants or in one (the tenant read from the index).
  {
    name: "ended_at",
    key: { endedAt: 1, tenantId: 1 },
    partialFilterExpression: { endedAt: IS_NUMBER },
  },
  // Which sessions one end operation ended, so bulk ends report exactly their own.
  {
    name: "ended_by",
    key: { endedBy: 1 },
    partialFilterExpression: { endedBy: IS_STRING },
  },
]);

/**
 * Indexes earlier versions created that these replace, dropped once their replacements exist:
 * `tenant_user` (`tenantId, user.id, createdAt -1`) could not give Cognite's order, which ends
 * in `id`.
 */
export const SUPERSEDED_SESSION_INDEXES = ["tenant_user"] as const;

export const TASK_INDEXES = simple([
  { name: "tenant_id", key: { tenantId: 1, id: 1 }, unique: true },
  { name: "status_created", key: { status: 1, createdAt: 1, id: 1 } },
]);

/** A task's recorded batch outcomes, read together. (Payload parts are read by `_id`.) */
export const TASK_OUTCOME_INDEXES = simple([
  { name: "tenant_task", key: { tenantId: 1, taskId: 1 } },
]);

/** The part of a collection index management needs. */
interface IndexedCollection {
  createIndexes(indexes: IndexDescription[]): Promise<string[]>;
  dropIndex(name: string): Promise<unknown>;
}

/** MongoDB's IndexNotFound: dropping an index that is not there. */
const INDEX_NOT_FOUND = 27;
/** An index of that name, or on those keys, exists with other options (or another name). */
const INDEX_OPTIONS_CONFLICT = 85;
/** An index of that name exists on other keys. */
const INDEX_KEY_SPECS_CONFLICT = 86;

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;
const isConflict = (error: unknown) =>
  codeOf(error) === INDEX_OPTIONS_CONFLICT || codeOf(error) === INDEX_KEY_SPECS_CONFLICT;

/**
 * The error for an index the server will not create because one it has stands in the way,
 * saying what to do: the store never drops an index it did not create (it cannot tell a
 * host's from a half-finished migration's), and a rebuild reads the whole collection.
 */
function indexConflict(collection: string, spec: IndexDescription, cause: unknown): StorageError {
  const name = spec.name ?? "";
  const detail = cause instanceof Error ? cause.message : String(cause);
  const wanted = JSON.stringify({
    key: spec.key,
    ...(spec.unique ? { unique: true } : {}),
    ...(spec.partialFilterExpression
      ? { partialFilterExpression: spec.partialFilterExpression }
      : {}),
    ...(spec.expireAfterSeconds !== undefined
      ? { expireAfterSeconds: spec.expireAfterSeconds }
      : {}),
  });
  return new StorageError(
    `mongo store: cannot create index ${name} on ${collection}: an existing index conflicts with it ` +
      `(${codeOf(cause) === INDEX_KEY_SPECS_CONFLICT ? "IndexKeySpecsConflict: the same name on other keys" : "IndexOptionsConflict: the same name with other options, or the same keys under another name"}). ` +
      `The store needs ${wanted} (simple collation). Find the other index with ` +
      `db.getCollection("${collection}").getIndexes(), drop it with dropIndex("<its name>") ` +
      `(the store's queries need ${name}; plan it as a deploy step, the build reads every document), ` +
      `then run ensureIndexes again. Server said: ${detail}`,
    { cause },
  );
}

/**
 * Creates indexes in one command (the server builds them in one pass over the collection);
 * when one conflicts with an existing index, finds which, one at a time (each already there
 * is a no-op), and names it.
 */
async function createAll(
  collection: IndexedCollection,
  name: string,
  specs: IndexDescription[],
): Promise<void> {
  try {
    await collection.createIndexes(specs);
  } catch (error) {
    if (!isConflict(error)) throw error;
    for (const spec of specs) {
      try {
        await collection.createIndexes([spec]);
      } catch (single) {
        if (isConflict(single)) throw indexConflict(name, spec, single);
        throw single;
      }
    }
    // Each is there now: whatever stood in the way is gone.
  }
}

export interface EnsureIndexesOptions {
  /**
   * Keep ended sessions this long after they ended, then let MongoDB's TTL monitor delete them.
   * Only ended sessions carry the date the TTL index reads, so an open session is never purged.
   * Omit to create no TTL index (and leave an existing one as it is). Whole seconds, from 1 s to
   * 2^31 - 1 s (the server's bound on a TTL index, about 68 years).
   */
  retentionMs?: number;
}

/**
 * The session indexes for a collection sharded on `{ tenantId, id }` or not: a sharded
 * collection keeps a unique index only when the shard key starts it.
 */
const sessionIndexes = (sharded: boolean): IndexDescription[] =>
  SESSION_INDEXES.map((index) =>
    sharded && index.name === "tenant_session_identifier" ? { ...index, unique: false } : index,
  );

/** Creates the store's indexes, and creates or adjusts the retention TTL index when asked. */
export async function ensureIndexes(
  db: Db,
  collections: {
    sessions: IndexedCollection;
    sessionsName: string;
    tasks: IndexedCollection;
    tasksName: string;
    taskOutcomes: IndexedCollection;
    taskOutcomesName: string;
  },
  options: EnsureIndexesOptions & { sharded: boolean },
): Promise<void> {
  const { sessions, tasks, taskOutcomes } = collections;
  const { retentionMs } = options;
  if (
    retentionMs !== undefined &&
    (typeof retentionMs !== "number" ||
      !Number.isInteger(retentionMs) ||
      retentionMs < 1000 ||
      Math.floor(retentionMs / 1000) > MAX_TTL_SECONDS)
  ) {
    throw new ValidationError(
      `retentionMs must be an integer number of ms from 1000 to ${MAX_TTL_SECONDS * 1000 + 999} (a TTL index holds at most 2^31 - 1 seconds, about 68 years)`,
      { target: "retentionMs" },
    );
  }
  const { sessionsName } = collections;
  await createAll(sessions, sessionsName, sessionIndexes(options.sharded));
  for (const name of SUPERSEDED_SESSION_INDEXES) {
    try {
      await sessions.dropIndex(name);
    } catch (error) {
      if (codeOf(error) !== INDEX_NOT_FOUND) throw error;
    }
  }
  await createAll(tasks, collections.tasksName, [...TASK_INDEXES]);
  await createAll(taskOutcomes, collections.taskOutcomesName, [...TASK_OUTCOME_INDEXES]);
  if (retentionMs === undefined) return;
  const retention: IndexDescription = {
    name: RETENTION_INDEX,
    key: { endedOn: 1 },
    expireAfterSeconds: Math.floor(retentionMs / 1000),
    partialFilterExpression: { endedOn: { $type: "date" } },
    collation: SIMPLE_COLLATION,
  };
  try {
    await sessions.createIndexes([retention]);
    return;
  } catch (error) {
    if (codeOf(error) !== INDEX_OPTIONS_CONFLICT) {
      throw isConflict(error) ? indexConflict(sessionsName, retention, error) : error;
    }
  }
  // The index may exist with another retention: change that in place (collMod), then ask
  // again, which is a no-op unless something besides the retention differs too.
  try {
    await db.command({
      collMod: sessionsName,
      index: { name: RETENTION_INDEX, expireAfterSeconds: retention.expireAfterSeconds },
    });
    await sessions.createIndexes([retention]);
  } catch (error) {
    // IndexNotFound: the conflict is an index on `endedOn` under another name.
    if (isConflict(error) || codeOf(error) === INDEX_NOT_FOUND) {
      throw indexConflict(sessionsName, retention, error);
    }
    throw error;
  }
}
