import { SessionLedgerError, StorageError } from "@session-ledger/core";

/**
 * A store operation that ran out of its time budget (`MongoStoreOptions.timeouts`): stopped on
 * the server (MaxTimeMSExpired), not acknowledged by a majority in time (WriteConcernTimeout:
 * the write may still have been applied, and may be retried), or timed out by the driver. A
 * `StorageError`, so hosts that handle those handle this too.
 */
export class StorageTimeoutError extends StorageError {
  override name = "StorageTimeoutError";
}

/** Server codes of a timeout: MaxTimeMSExpired, WriteConcernTimeout, ExceededTimeLimit. */
const TIMEOUT_CODES = new Set([50, 64, 262]);
const TIMEOUT_ERRORS = new Set(["MongoOperationTimeoutError", "MongoNetworkTimeoutError"]);

function isTimeout(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, name, errInfo, writeConcernError } = error as {
    code?: unknown;
    name?: unknown;
    errInfo?: { wtimeout?: unknown };
    writeConcernError?: { code?: unknown };
  };
  return (
    TIMEOUT_CODES.has(code as number) ||
    TIMEOUT_ERRORS.has(name as string) ||
    errInfo?.wtimeout === true ||
    TIMEOUT_CODES.has(writeConcernError?.code as number)
  );
}

/** MongoDB's duplicate-key error code (E11000), on inserts and on updates alike. */
const DUPLICATE_KEY = 11000;

export function isDuplicateKey(error: unknown): boolean {
  return (
    error !== null &&
    typeof error === "object" &&
    (error as { code?: unknown }).code === DUPLICATE_KEY
  );
}

/** The server's answer to a hint naming no index (BadValue, 2): the store's indexes are missing. */
export function isMissingHint(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 2 && typeof message === "string" && message.includes("hint provided");
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
  if (isTimeout(error)) {
    return new StorageTimeoutError(
      `mongo store: could not ${action} within its time budget: ${detail}`,
      { cause: error },
    );
  }
  return new StorageError(`mongo store: could not ${action}: ${detail}`, { cause: error });
}
