/** The SQL compiler as PostgreSQL spells it. */
import { createSqlCompiler } from "@session-ledger/sql";
import { type SqlBool, sql } from "kysely";

/** The newest row of a user group as one array: max() compares its unique key first. */
const newest = sql`max(ARRAY[lpad((created_at + 9007199254740991)::text, 20, '0') || id COLLATE "C", user_login, user_full_name])`;

export const compiler = createSqlCompiler({
  true: sql<SqlBool>`TRUE`,
  false: sql<SqlBool>`FALSE`,
  same: (expr, value) => sql<SqlBool>`(${expr} IS NOT DISTINCT FROM ${value})`,
  // PostgreSQL sorts NULL highest; the core's order puts it lowest. A key that cannot be NULL
  // keeps the plain direction, so ORDER BY matches the indexes' own order (`created_at DESC`).
  orderItem: (expr, direction, nullable) =>
    !nullable
      ? sql`${expr} ${sql.raw(direction)}`
      : direction === "asc"
        ? sql`${expr} ASC NULLS FIRST`
        : sql`${expr} DESC NULLS LAST`,
  // One text[] parameter carries any number of ids; `= ANY` over the primary key seeks each.
  inList: (expr, values) => sql<SqlBool>`${expr} = ANY(${[...values]}::text[])`,
  // max() of [key, login, name] per user, where the key — creation time as fixed-width digits
  // (offset so negative times keep their order), then the id — decides: one grouping pass.
  newestOfUser: [sql`(${newest})[2]`.as("login"), sql`(${newest})[3]`.as("full_name")],
});
