/** How driver failures surface: as the core's `StorageError` or `ConflictError`, never raw. */
import { SessionLedgerError, StorageError } from "@session-ledger/core";

export const describeError = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

/** Our own errors pass through; anything from the driver becomes a `StorageError`. */
export function storageFailure(action: string, error: unknown): never {
  if (error instanceof SessionLedgerError) throw error;
  const message = describeError(error);
  const hint = /no such table/i.test(message) ? " (has migrate() run?)" : "";
  throw new StorageError(`sqlite store: ${action} failed${hint}: ${message}`, { cause: error });
}

export async function guarded<T>(action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    return storageFailure(action, error);
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
