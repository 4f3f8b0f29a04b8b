import { type SessionStore, ValidationError } from "@session-ledger/core";
import { closeOnce } from "@session-ledger/core/store";
import type { Db } from "mongodb";
import {
  type ClockReading,
  checkClock,
  emitProcessWarning,
  type MongoStoreWarning,
} from "./clock-check.js";
import { type EnsureIndexesOptions, ensureIndexes } from "./indexes.js";
import { sessionLifecycle } from "./session-lifecycle.js";
import { sessionListing } from "./session-listing.js";
import { DEFAULT_BUDGETS, driver, openCollections, type TimeBudgets } from "./store-context.js";
import { tasksAndPolicies } from "./tasks-and-policies.js";
import { sessionTimeBuckets } from "./time-buckets.js";

export interface MongoStoreOptions {
  /** A connected database of the official driver. The store never closes its client. */
  db: Db;
  /**
   * Prefix of the collection names (`<prefix>sessions`, `<prefix>policies`, `<prefix>tasks`,
   * `<prefix>task_outcomes`, `<prefix>task_payloads`, `<prefix>login_sequences`).
   * @default "session_ledger_"
   */
  collectionPrefix?: string;
  /**
   * The sessions collection is (or will be) sharded on `{ tenantId: 1, id: 1 }`. MongoDB keeps
   * a unique index on a sharded collection only when it starts with the shard key, so
   * `ensureIndexes` then creates `tenant_session_identifier` without `unique`, and an insert
   * checks for another session with its identifier right after it lands (withdrawing itself and
   * throwing `ConflictError` when there is one: two inserts racing with one identifier may both
   * be refused). @default false
   */
  sharded?: boolean;
  /**
   * Server-side time budgets per kind of operation, in ms (see `TimeBudgets`): `writeMs` (a
   * login's or request's own reads and writes, and every write's wait for a majority; 5000),
   * `readMs` (admin listings, counts, groups; 30000), `bulkMs` (each batch of bulk work and an
   * export's cursor; 120000). Past its budget an operation fails with `StorageTimeoutError`.
   */
  timeouts?: Partial<TimeBudgets>;
  /**
   * How far this node's clock may be from the server's before the store warns. The store takes
   * every time from the node (deadlines, activity, ends), so nodes this far apart disagree by
   * up to twice this on when a session lapses. Checked against `hello.localTime` when the
   * store is created, and by `checkClock()`. A whole number of ms from 1 to 2^31 - 1.
   * @default 5000
   */
  maxClockSkewMs?: number;
  /**
   * Receives what the store warns of without failing (a clock beyond `maxClockSkewMs`).
   * @default a process warning with the warning's code (`process.emitWarning`)
   */
  onWarning?: (warning: MongoStoreWarning) => void;
}

/** The default `maxClockSkewMs`: far under the shortest idle timeout a policy allows (1 min). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5000;

/** The budgets with a host's overrides, each a whole number of ms from 1 to 2^31 - 1. */
function resolveBudgets(timeouts: unknown): TimeBudgets {
  if (timeouts === undefined) return { ...DEFAULT_BUDGETS };
  if (timeouts === null || typeof timeouts !== "object" || Array.isArray(timeouts)) {
    throw new ValidationError("createMongoStore: timeouts must be an object", {
      target: "timeouts",
    });
  }
  const budgets = { ...DEFAULT_BUDGETS };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Object.hasOwn(DEFAULT_BUDGETS, name)) {
      throw new ValidationError(
        `createMongoStore: unknown timeouts.${name} (known: ${Object.keys(DEFAULT_BUDGETS).join(", ")})`,
        { target: `timeouts.${name}` },
      );
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 2 ** 31 - 1) {
      throw new ValidationError(
        `createMongoStore: timeouts.${name} must be a whole number of ms from 1 to 2147483647`,
        { target: `timeouts.${name}` },
      );
    }
    budgets[name as keyof TimeBudgets] = value as number;
  }
  return budgets;
}

/** A `SessionStore` on MongoDB, plus the index set it owns. */
export interface MongoSessionStore extends SessionStore {
  /**
   * Creates the store's indexes (idempotent; run at deploy or start-up). The unique session
   * identifier per tenant is enforced by one of them, so run this before the first insert.
   */
  ensureIndexes(options?: EnsureIndexesOptions): Promise<void>;
  /**
   * Reads the server's clock (`hello.localTime`) against this node's, warning through
   * `onWarning` when they differ by more than `maxClockSkewMs`. The store does this once when
   * it is created; call it again from a health check if clocks may drift.
   */
  checkClock(): Promise<ClockReading>;
  /** The names of the collections the store uses. */
  readonly collectionNames: {
    sessions: string;
    policies: string;
    tasks: string;
    taskOutcomes: string;
    taskPayloads: string;
    loginSequences: string;
  };
  /**
   * Closes the store, not the client it was given (that is the host's): every later call, read
   * or write, fails with `StorageError`.
   */
  close(): Promise<void>;
}

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
  if (options.sharded !== undefined && typeof options.sharded !== "boolean") {
    throw new ValidationError("createMongoStore: sharded must be a boolean", { target: "sharded" });
  }
  const sharded = options.sharded === true;
  const collectionNames = {
    sessions: `${prefix}sessions`,
    policies: `${prefix}policies`,
    tasks: `${prefix}tasks`,
    taskOutcomes: `${prefix}task_outcomes`,
    taskPayloads: `${prefix}task_payloads`,
    loginSequences: `${prefix}login_sequences`,
  };
  const collections = openCollections(db, collectionNames, resolveBudgets(options.timeouts));
  const maxClockSkewMs = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (!Number.isSafeInteger(maxClockSkewMs) || maxClockSkewMs < 1 || maxClockSkewMs > 2 ** 31 - 1) {
    throw new ValidationError(
      "createMongoStore: maxClockSkewMs must be a whole number of ms from 1 to 2147483647",
      { target: "maxClockSkewMs" },
    );
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== "function") {
    throw new ValidationError("createMongoStore: onWarning must be a function", {
      target: "onWarning",
    });
  }
  const warn = options.onWarning ?? emitProcessWarning;
  const readClock = () => checkClock(db, maxClockSkewMs, warn);
  // At start, in the background: a server that cannot answer yet fails the first real call.
  readClock().catch(() => {});

  return closeOnce(
    {
      collectionNames,
      checkClock: readClock,

      ensureIndexes(indexOptions: EnsureIndexesOptions = {}) {
        return driver("ensure indexes", () =>
          ensureIndexes(
            db,
            {
              ...collections,
              sessionsName: collectionNames.sessions,
              tasksName: collectionNames.tasks,
              taskOutcomesName: collectionNames.taskOutcomes,
            },
            { ...indexOptions, sharded },
          ),
        );
      },
      ...sessionLifecycle(collections, { sharded }),
      ...sessionListing(collections),
      ...sessionTimeBuckets(collections),
      ...tasksAndPolicies(collections),
      // The store opens nothing of its own; the client is the host's to close.
      close: async () => {},
    },
    "the MongoDB store",
  );
}

/** What `migrateMongoStore` needs: the store's database and names, and the retention. */
export type MigrateMongoStoreOptions = Pick<
  MongoStoreOptions,
  "db" | "collectionPrefix" | "sharded"
> &
  EnsureIndexesOptions;

/**
 * The deploy step: creates (or completes) the store's indexes and retention, as
 * `ensureIndexes` does, without starting anything else. Run it from a release job, once per
 * deployment and before the application nodes of a version that adds an index start: on a
 * large collection an index build reads every document (on every member of the replica set),
 * which is better done once, ahead of the traffic that needs it, than by the first node to
 * start. An index that stands in the way (IndexOptionsConflict, IndexKeySpecsConflict) fails it
 * with a `StorageError` naming the index and what to drop.
 */
export async function migrateMongoStore(options: MigrateMongoStoreOptions): Promise<void> {
  const { db, collectionPrefix, sharded, ...indexOptions } = options;
  const store = createMongoStore({
    db,
    ...(collectionPrefix !== undefined ? { collectionPrefix } : {}),
    ...(sharded !== undefined ? { sharded } : {}),
  });
  try {
    await store.ensureIndexes(indexOptions);
  } finally {
    await store.close();
  }
}
