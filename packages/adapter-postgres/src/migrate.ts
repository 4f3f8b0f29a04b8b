import { StorageError } from "@session-ledger/core";
import { applyMigrations } from "@session-ledger/sql";
import { sql } from "kysely";
import type { PgStoreContext } from "./context.js";
import { MIGRATIONS, migrationsTableStatement } from "./schema.js";

/** The oldest server the schema runs on (statistics on expressions came in 14). */
const OLDEST_SERVER = 140000;

/**
 * Brings the schema up to the newest migration, in one transaction. Nodes starting together
 * serialise on an advisory lock keyed by schema and prefix: the first migrates, the others wait
 * for its commit and then find every version recorded. PostgreSQL's DDL is transactional, so a
 * failed upgrade leaves the schema as it was.
 */
export async function migrate({ db, runner, tables, names }: PgStoreContext): Promise<void> {
  const { schema, prefix } = names;
  await runner.transaction(async (tx) => {
    await tx.all(
      sql`SELECT pg_advisory_xact_lock(hashtext('session-ledger:migrate'), hashtext(${`${schema}.${prefix}`}))`.compile(
        db,
      ),
    );
    const [server] = await tx.all<{ encoding: string; version: number; folded: string }>(
      sql`SELECT current_setting('server_encoding') AS encoding,
        current_setting('server_version_num')::integer AS version,
        lower('ÀB' COLLATE "C") AS folded`.compile(db),
    );
    if (!server || server.version < OLDEST_SERVER) {
      throw new StorageError("postgres store: the server must be PostgreSQL 14 or newer");
    }
    // Text order and case folding are defined on UTF-8 code points.
    if (server.encoding !== "UTF8" || server.folded !== "Àb") {
      throw new StorageError(
        `postgres store: the database must be UTF8-encoded (it is ${server.encoding}), so that text compares in code-point order`,
      );
    }
    const [found] = await tx.all(
      sql`SELECT 1 AS found FROM pg_namespace WHERE nspname = ${schema}`.compile(db),
    );
    if (!found) await tx.all(sql`CREATE SCHEMA ${sql.id(schema)}`.compile(db));
    await tx.all(migrationsTableStatement(names).compile(db));
    await applyMigrations({ db, tables, store: "postgres" }, tx, MIGRATIONS, names);
  });
}
