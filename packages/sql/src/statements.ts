/**
 * The hot path's statements, compiled once: building and compiling a query with kysely costs
 * ~4 µs (more for the 27-column INSERT), a large share of a primary-key read, so the validate,
 * touch and create paths rebind compiled queries instead (see the SQLite README, "Hot path").
 */
import { type CompiledQuery, type SqlBool, sql } from "kysely";
import type { SqlStoreContext } from "./context.js";
import type { SessionRow } from "./rows.js";
import { SESSION_COLUMNS, SESSION_READ_COLUMNS } from "./tables.js";

/**
 * A query compiled once with named placeholders as its values, rebound to each call's values
 * by name, so the order kysely emits parameters in does not matter.
 */
export function compiledOnce<K extends string>(
  compiled: CompiledQuery,
  names: readonly K[],
): (values: Record<K, unknown>) => CompiledQuery {
  const slots = compiled.parameters.map((parameter) => {
    if (!names.includes(parameter as K)) throw new Error(`unnamed parameter in ${compiled.sql}`);
    return parameter as K;
  });
  return (values) => ({ ...compiled, parameters: slots.map((name) => values[name]) });
}

export interface SessionStatements {
  /** A session by tenant and id. */
  findById(values: { ":tenant": string; ":id": string }): CompiledQuery;
  /** The conditional touch: null values leave a column as it is; an ended or lapsed row matches nothing. */
  touchOpen(values: {
    ":lastActivityAt": number | null;
    ":expiresAt": number | null;
    ":absoluteExpiresAt": number | null;
    ":tenant": string;
    ":id": string;
    ":now": number;
  }): CompiledQuery;
  /** Inserts one whole row. */
  insertRow(row: SessionRow): CompiledQuery;
}

export function sessionStatements({ db, tables }: SqlStoreContext): SessionStatements {
  const findById = compiledOnce(
    db
      .selectFrom(tables.sessions)
      .select(SESSION_READ_COLUMNS)
      .where("tenant_id", "=", ":tenant")
      .where("id", "=", ":id")
      .compile(),
    [":tenant", ":id"],
  );
  const touchOpen = compiledOnce(
    db
      .updateTable(tables.sessions)
      .set({
        last_activity_at: sql`coalesce(${":lastActivityAt"}, last_activity_at)`,
        expires_at: sql`coalesce(${":expiresAt"}, expires_at)`,
        absolute_expires_at: sql`coalesce(${":absoluteExpiresAt"}, absolute_expires_at)`,
      })
      .where("tenant_id", "=", ":tenant")
      .where("id", "=", ":id")
      .where("ended_at", "is", null)
      .where(sql<SqlBool>`expires_at > ${":now"}`)
      .returning(SESSION_READ_COLUMNS)
      .compile(),
    [":lastActivityAt", ":expiresAt", ":absoluteExpiresAt", ":tenant", ":id", ":now"],
  );
  const insertRow = compiledOnce(
    db
      .insertInto(tables.sessions)
      .values(
        Object.fromEntries(
          SESSION_COLUMNS.map((column) => [column, column]),
        ) as unknown as SessionRow,
      )
      .compile(),
    SESSION_COLUMNS,
  );
  return {
    findById: (values) => findById(values),
    touchOpen: (values) => touchOpen(values),
    insertRow: (row) => insertRow(row),
  };
}
