/** The SQL compiler as SQLite spells it. */
import { createSqlCompiler } from "@session-ledger/sql";
import { type SqlBool, sql } from "kysely";

export const compiler = createSqlCompiler({
  true: sql<SqlBool>`1`,
  false: sql<SqlBool>`0`,
  same: (expr, value) => sql<SqlBool>`(${expr} IS ${value})`,
  // SQLite sorts NULL lowest by itself, and its indexes are in that order.
  orderItem: (expr, direction) => sql`${expr} ${sql.raw(direction)}`,
});
