/** How driver failures surface: as the core's `StorageError` or `ConflictError`, never raw. */
import { describeError, storeErrors } from "@session-ledger/sql";

const code = (error: unknown) => (error as { code?: unknown } | null)?.code;

export const errors = storeErrors({
  store: "sqlite",
  isUniqueViolation: (error) =>
    code(error) === "SQLITE_CONSTRAINT_UNIQUE" || code(error) === "SQLITE_CONSTRAINT_PRIMARYKEY",
  isMissingTable: (error) => /no such table/i.test(describeError(error)),
});

export const { guarded, failure: storageFailure } = errors;
