/** How driver failures surface: as the core's `StorageError` or `ConflictError`, never raw. */
import { storeErrors } from "@session-ledger/sql";

const field = (error: unknown, name: "code" | "constraint") =>
  (error as Record<string, unknown> | null)?.[name];

export const errors = storeErrors({
  store: "postgres",
  // unique_violation and undefined_table.
  isUniqueViolation: (error) => field(error, "code") === "23505",
  isMissingTable: (error) => field(error, "code") === "42P01",
});

/** Whether a unique violation was on the session-identifier index (not the primary key). */
export const isIdentifierClash = (error: unknown) =>
  String(field(error, "constraint") ?? "").endsWith("sessions_identifier");

export const { guarded } = errors;
