/**
 * What every part of the store shares: its collections, the options every command carries, and
 * the wrapper that turns driver failures into `StorageError`.
 */
import type { EndReason, SessionStatus } from "@session-ledger/core";
import type { Collection, CollectionOptions, Db } from "mongodb";
import type {
  LoginSequenceDocument,
  PolicyDocument,
  SessionDocument,
  TaskDocument,
  TaskOutcomeDocument,
  TaskPayloadDocument,
} from "./documents.js";
import { isRetryableWrite, storageError } from "./driver-errors.js";
import { SIMPLE_COLLATION } from "./indexes.js";

export interface StoreCollections {
  /** How long each kind of operation may take on the server (`MongoStoreOptions.timeouts`). */
  budgets: TimeBudgets;
  sessions: Collection<SessionDocument>;
  policies: Collection<PolicyDocument>;
  tasks: Collection<TaskDocument>;
  taskOutcomes: Collection<TaskOutcomeDocument>;
  taskPayloads: Collection<TaskPayloadDocument>;
  loginSequences: Collection<LoginSequenceDocument>;
}

/**
 * Server-side time budgets, in milliseconds, per kind of operation. A read past its budget is
 * stopped on the server (`maxTimeMS`), so an admin read whose client left does not keep
 * running; a write whose majority does not acknowledge in time fails (`wtimeoutMS`). Either
 * surfaces as `StorageTimeoutError`.
 */
export interface TimeBudgets {
  /**
   * What a login or a request waits on: inserts, lookups and touches, single ends, the cap; and
   * every write's wait for a majority acknowledgement. @default 5000
   */
  writeMs: number;
  /** An admin listing, count or grouping. @default 30000 */
  readMs: number;
  /**
   * Each statement of bulk work: a batch of an end by user, tenant or filter, of the sweep, of
   * a purge or of a task; and an export's cursor (all its batches). @default 120000
   */
  bulkMs: number;
}

export const DEFAULT_BUDGETS: Readonly<TimeBudgets> = Object.freeze({
  writeMs: 5000,
  readMs: 30_000,
  bulkMs: 120_000,
});

/** Opens the store's collections with the consistency options below. */
export function openCollections(
  db: Db,
  names: Record<Exclude<keyof StoreCollections, "budgets">, string>,
  budgets: TimeBudgets,
): StoreCollections {
  const options = consistency(budgets);
  return {
    budgets,
    sessions: db.collection(names.sessions, options),
    policies: db.collection(names.policies, options),
    tasks: db.collection(names.tasks, options),
    taskOutcomes: db.collection(names.taskOutcomes, options),
    taskPayloads: db.collection(names.taskPayloads, options),
    loginSequences: db.collection(names.loginSequences, options),
  };
}

/**
 * Majority writes and majority reads on the primary: an acknowledged login, end or touch is
 * durable across a failover, and a node that reads after another node's acknowledged write sees
 * it (the conditional writes that guard races always run on the primary anyway). A majority
 * that lags past the write budget fails the write instead of holding the login.
 */
export const consistency = (budgets: TimeBudgets): CollectionOptions => ({
  readConcern: { level: "majority" },
  writeConcern: { w: "majority", wtimeoutMS: budgets.writeMs },
  readPreference: "primary",
});

/** The options of a bulk statement: its server time and its wait for a majority. */
export const bulkOptions = (budgets: TimeBudgets) => ({
  maxTimeMS: budgets.bulkMs,
  writeConcern: { w: "majority" as const, wtimeoutMS: budgets.bulkMs },
});

/** Every command asks for the simple collation, the one all indexes are built with. */
export const COLLATION = { collation: SIMPLE_COLLATION };

/** Runs a driver call, turning its failures into `StorageError` (with the cause kept). */
export async function driver<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw storageError(action, error);
  }
}

/** How many times a write labelled retryable is run again (after the driver's own retry). */
const RETRIES = 2;

/**
 * Runs an idempotent write (conditional single-document writes under one marker), again when
 * it fails with the `RetryableWriteError` label: what a try applied before a stepdown stays
 * applied, and running it again ends (or skips) the rest.
 */
export async function retrying<T>(
  action: string,
  run: () => Promise<T>,
  onRetry: () => void = () => {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= RETRIES || !isRetryableWrite(error)) throw storageError(action, error);
      onRetry();
    }
  }
}

/** The fields an end writes; `endedBy` marks which operation ended the session. */
export const endFields = (
  status: SessionStatus,
  endReason: EndReason,
  endedAt: number,
  by: string,
) => ({
  status,
  endReason,
  endedAt,
  endedOn: new Date(endedAt),
  endedBy: by,
});
