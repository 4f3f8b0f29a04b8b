/**
 * `@session-ledger/sql`: what session-ledger's SQL stores share — the compiler from checked
 * filters, sorts and keyset positions to kysely expressions over their common sessions schema,
 * parameterised by a small `SqlDialect`; the tables, column lists and row mapping; the reads,
 * writes, tasks and policies whose SQL is the same on every database; and the time-sliced loop
 * an embedded store's bulk writes run in. Not meant to be used directly: install
 * `@session-ledger/sqlite` or `@session-ledger/postgres`.
 */
export * from "./arguments.js";
export {
  type Condition,
  createSqlCompiler,
  type FieldSql,
  fieldSql,
  type OrderKey,
  orderKeys,
  type SqlCompiler,
  type SqlDialect,
} from "./compile-filter.js";
export type { SqlRows, SqlRunner, SqlStoreContext } from "./context.js";
export { ownKysely, requireConnection, type SqlStoreOptions } from "./options.js";
export {
  fromSessionListRow,
  fromSessionRow,
  fromTaskRow,
  type SessionArray,
  type SessionListRow,
  type SessionReadRow,
  type SessionRow,
  sessionsOf,
  type TaskReadRow,
  toSessionRow,
  toTaskRow,
  type WireInteger,
} from "./rows.js";
export {
  ACTIVITY_SESSION_INDEXES,
  applyMigrations,
  FIRST_SESSION_INDEXES,
  type Migration,
  type SessionIndex,
  sessionIndexes,
} from "./schema.js";
export {
  endedBefore,
  endedSessionOf,
  endIdsIn,
  endWhere,
  lapsedAt,
  type SessionLifecycle,
  type SessionWrites,
  sqlSessionLifecycle,
} from "./session-lifecycle.js";
export { orderedQuery, pageQuery, pageRows, sessionReads } from "./session-reads.js";
export { compiledOnce, type SessionStatements, sessionStatements } from "./statements.js";
export { describeError, type StoreErrors, storeErrors } from "./store-errors.js";
export {
  DEFAULT_TABLE_PREFIX,
  type LedgerTables,
  LOGICAL_TABLES,
  type LogicalTable,
  type MigrationsTable,
  type PoliciesTable,
  requireSchemaName,
  requireTablePrefix,
  SESSION_COLUMNS,
  SESSION_LIST_COLUMNS,
  SESSION_READ_COLUMNS,
  type SessionsTable,
  type TableNames,
  type TaskOutcomesTable,
  type TasksTable,
  tableNames,
} from "./tables.js";
export { tasksAndPolicies } from "./tasks-and-policies.js";
export { inSlices } from "./time-slices.js";
