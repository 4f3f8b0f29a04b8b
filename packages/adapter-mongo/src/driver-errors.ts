import { SessionLedgerError, StorageError } from "@session-ledger/core";

/** MongoDB's duplicate-key error code (E11000), on inserts and on updates alike. */
const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return (
    error !== null &&
    typeof error === "object" &&
    (error as { code?: unknown }).code === DUPLICATE_KEY
  );
}

/** Whether the driver labels a failed write safe to run again (`MongoError.hasErrorLabel`). */
export function isRetryableWrite(error: unknown): boolean {
  const labelled = error as { hasErrorLabel?: unknown } | null;
  return (
    labelled !== null &&
    typeof labelled === "object" &&
    typeof labelled.hasErrorLabel === "function" &&
    labelled.hasErrorLabel("RetryableWriteError") === true
  );
}

/**
 * The error a store method throws for a failed driver call: the library's own errors pass
 * through, anything else becomes a `StorageError` that keeps the driver error as `cause`.
 */
export function storageError(action: string, error: unknown): SessionLedgerError {
  if (error instanceof SessionLedgerError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError(`mongo store: could not ${action}: ${detail}`, { cause: error });
}
