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
  sessions: Collection<SessionDocument>;
  policies: Collection<PolicyDocument>;
  tasks: Collection<TaskDocument>;
  taskOutcomes: Collection<TaskOutcomeDocument>;
  taskPayloads: Collection<TaskPayloadDocument>;
  loginSequences: Collection<LoginSequenceDocument>;
}

/** Opens the store's collections, each with the consistency options below. */
export function openCollections(
  db: Db,
  names: Record<keyof StoreCollections, string>,
): StoreCollections {
  return {
    sessions: db.collection(names.sessions, CONSISTENCY),
    policies: db.collection(names.policies, CONSISTENCY),
    tasks: db.collection(names.tasks, CONSISTENCY),
    taskOutcomes: db.collection(names.taskOutcomes, CONSISTENCY),
    taskPayloads: db.collection(names.taskPayloads, CONSISTENCY),
    loginSequences: db.collection(names.loginSequences, CONSISTENCY),
  };
}

/**
 * Majority writes and majority reads on the primary: an acknowledged login, end or touch is
 * durable across a failover, and a node that reads after another node's acknowledged write sees
 * it (the conditional writes that guard races always run on the primary anyway).
 */
export const CONSISTENCY: CollectionOptions = {
  readConcern: { level: "majority" },
  writeConcern: { w: "majority" },
  readPreference: "primary",
};

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
export async function retrying<T>(action: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= RETRIES || !isRetryableWrite(error)) throw storageError(action, error);
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
