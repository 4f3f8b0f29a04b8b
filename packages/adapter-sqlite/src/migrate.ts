import { StorageError } from "@session-ledger/core";
import { applyMigrations } from "@session-ledger/sql";
import { CompiledQuery } from "kysely";
import { MIGRATIONS, migrationsTableStatement } from "./schema.js";
import type { StoreContext } from "./sql-runner.js";

/**
 * Brings the schema up to the newest migration. The whole upgrade is one IMMEDIATE
 * transaction, so processes starting together serialise: the first migrates, the rest find
 * every version recorded and do nothing.
 */
export async function migrate(
  { db, runner, tables, prefix }: StoreContext,
  pragmas: readonly string[],
): Promise<void> {
  // journal_mode cannot change inside a transaction, so pragmas come first.
  for (const pragma of pragmas) await runner.all(CompiledQuery.raw(`PRAGMA ${pragma}`));
  // Text order and case-insensitive matching rely on lower() folding ASCII only, as SQLite's
  // own build does; the ICU extension would fold more and break both.
  const [probe] = await runner.all<{ folded: string }>(
    CompiledQuery.raw("SELECT lower('ÀB') AS folded"),
  );
  if (probe?.folded !== "Àb") {
    throw new StorageError(
      "sqlite store: lower() folds non-ASCII letters (is the ICU extension loaded?); the store needs SQLite's ASCII-only folding",
    );
  }
  await runner.transaction(async (tx) => {
    await tx.run(migrationsTableStatement(prefix).compile(db));
    await applyMigrations({ db, tables, store: "sqlite" }, tx, MIGRATIONS, prefix);
  });
}
