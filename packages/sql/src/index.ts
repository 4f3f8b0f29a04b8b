/**
 * `@session-ledger/sql`: what session-ledger's SQL stores share — the compiler from checked
 * filters, sorts and keyset positions to kysely expressions over their common sessions schema,
 * parameterised by a small `SqlDialect`, and the time-sliced loop their bulk writes run in.
 * Not meant to be used directly: install `@session-ledger/sqlite` or `@session-ledger/postgres`.
 */
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
export { inSlices, SLICE_MS } from "./time-slices.js";
