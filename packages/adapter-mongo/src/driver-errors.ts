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

/**
 * The error a store method throws for a failed driver call: the library's own errors pass
 * through, anything else becomes a `StorageError` that keeps the driver error as `cause`.
 */
export function storageError(action: string, error: unknown): SessionLedgerError {
  if (error instanceof SessionLedgerError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError(`mongo store: could not ${action}: ${detail}`, { cause: error });
}
