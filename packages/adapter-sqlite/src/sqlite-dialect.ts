/** The SQL compiler as SQLite spells it. */
import { createSqlCompiler } from "@session-ledger/sql";
import { type SqlBool, sql } from "kysely";

export const compiler = createSqlCompiler({
  true: sql<SqlBool>`1`,
  false: sql<SqlBool>`0`,
  same: (expr, value) => sql<SqlBool>`(${expr} IS ${value})`,
  // SQLite sorts NULL lowest by itself, and its indexes are in that order.
  orderItem: (expr, direction) => sql`${expr} ${sql.raw(direction)}`,
  // One JSON parameter carries any number of ids: no bound-variable limit, no SQL per id.
  inList: (expr, values) =>
    sql<SqlBool>`${expr} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  // SQLite takes bare columns from the row holding a query's only max(): the newest row by
  // (created_at, id), as one fixed-width text key (the offset keeps negative times in order).
  // One grouping pass, where row_number() sorted every matching row.
  newestOfUser: [
    sql`user_login`.as("login"),
    sql`user_full_name`.as("full_name"),
    sql`max(printf('%020d', created_at + 9007199254740991) || id)`.as("newest"),
  ],
});
