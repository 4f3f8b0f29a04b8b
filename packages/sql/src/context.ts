/** What the shared parts of a SQL store work with: kysely to build, a runner to run. */
import type { CompiledQuery, Kysely } from "kysely";
import type { SqlCompiler } from "./compile-filter.js";
import type { StoreErrors } from "./store-errors.js";
import type { LedgerTables, TableNames } from "./tables.js";

/** Runs a compiled query and hands back its rows (a SELECT, or a write with RETURNING). */
export interface SqlRows {
  all<R>(query: CompiledQuery): Promise<R[]>;
}

/** A connection's worth of statements, and transactions on it. */
export interface SqlRunner extends SqlRows {
  /**
   * Runs `body` in one transaction (rolled back if it throws). No other call of the store's
   * runs inside it, and what the body reads stays true until it commits: each store says how
   * (SQLite takes the write lock up front; PostgreSQL locks the rows or keys it decides on).
   */
  transaction<T>(body: (tx: SqlRows) => Promise<T>): Promise<T>;
}

export interface SqlStoreContext {
  /** Builds and compiles queries (never runs them). */
  db: Kysely<LedgerTables>;
  /** The physical table names, typed as the logical ones. */
  tables: TableNames;
  compiler: SqlCompiler;
  errors: StoreErrors;
  /** The hot path and every write. */
  runner: SqlRunner;
  /** Admin reads: listing, counting, grouping, task outcomes. */
  reader: SqlRows;
}
