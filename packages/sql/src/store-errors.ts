/** How driver failures surface: as the core's `StorageError` or `ConflictError`, never raw. */
import { SessionLedgerError, StorageError } from "@session-ledger/core";

export const describeError = (error: unknown) =>
  error instanceof Error ? error.message : String(error);

export interface StoreErrorsOptions {
  /** The store's name in messages: `"sqlite"`, `"postgres"`. */
  store: string;
  /** A uniqueness violation of the driver (a duplicate id or session identifier). */
  isUniqueViolation(error: unknown): boolean;
  /** Whether the error says the store's tables are missing (then the message asks for `migrate()`). */
  isMissingTable(error: unknown): boolean;
}

export interface StoreErrors {
  /** Our own errors pass through; anything from the driver becomes a `StorageError`. */
  failure(action: string, error: unknown): never;
  /** Runs `work`, turning a driver failure into a `StorageError` naming `action`. */
  guarded<T>(action: string, work: () => Promise<T>): Promise<T>;
  isUniqueViolation(error: unknown): boolean;
}

export function storeErrors(options: StoreErrorsOptions): StoreErrors {
  const failure = (action: string, error: unknown): never => {
    if (error instanceof SessionLedgerError) throw error;
    const hint = options.isMissingTable(error) ? " (has migrate() run?)" : "";
    throw new StorageError(
      `${options.store} store: ${action} failed${hint}: ${describeError(error)}`,
      { cause: error },
    );
  };
  return {
    failure,
    async guarded(action, work) {
      try {
        return await work();
      } catch (error) {
        return failure(action, error);
      }
    },
    isUniqueViolation: options.isUniqueViolation,
  };
}
