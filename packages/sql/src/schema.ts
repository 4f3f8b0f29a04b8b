/**
 * What the SQL stores' schemas share: the sessions table's secondary indexes, chosen once for
 * the query shapes they serve, and the loop that applies versioned migrations. Each store writes
 * its own tables in its own database's types (`src/schema.ts` of each store).
 *
 * An index here is part of released migrations: an entry is never edited, a change to an index
 * is a new entry (with a new name) and a new migration in each store.
 */
import { StorageError } from "@session-ledger/core";
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { SqlRows } from "./context.js";
import type { LedgerTables, TableNames } from "./tables.js";

interface IndexDefinition {
  unique?: true;
  /** The indexed columns, fixed text. */
  on: string;
  /** A partial index's condition, fixed text. */
  where?: string;
}

const SESSION_INDEXES = {
  // Listing a tenant newest first (the default order) reads this index without sorting; so do
  // creation ranges, and counts and groups of a tenant.
  sessions_tenant_created: { on: "tenant_id, created_at DESC, id" },
  // A user's sessions: the per-user cap, terminate-by-user and user filters.
  sessions_tenant_user: { on: "tenant_id, user_id, created_at DESC, id" },
  // The sweep walks open rows by deadline across tenants; ended rows never enter it.
  sessions_open_deadline: { on: "expires_at", where: "ended_at IS NULL" },
  // Retention deletes ended rows by end time.
  sessions_ended: { on: "ended_at", where: "ended_at IS NOT NULL" },
  // The host's correlation id: its lookup, and one per tenant.
  sessions_identifier: {
    unique: true,
    on: "tenant_id, session_identifier",
    where: "session_identifier IS NOT NULL",
  },
  // LogScale lists open sessions by last activity (its default); the deadline is in the index
  // so lapsed rows are passed over without reading the table.
  sessions_open_activity: {
    on: "tenant_id, last_activity_at, id, expires_at",
    where: "ended_at IS NULL",
  },
  // … and every session by last activity when asked for ended ones too.
  sessions_tenant_activity: { on: "tenant_id, last_activity_at, id" },
} as const satisfies Record<string, IndexDefinition>;

export type SessionIndex = keyof typeof SESSION_INDEXES;

/** The first indexes: a tenant's listing, a user's sessions, the sweep, retention, lookups. */
export const FIRST_SESSION_INDEXES: readonly SessionIndex[] = [
  "sessions_tenant_created",
  "sessions_tenant_user",
  "sessions_open_deadline",
  "sessions_ended",
  "sessions_identifier",
];

/** The indexes added for LogScale's default order, by last activity. */
export const ACTIVITY_SESSION_INDEXES: readonly SessionIndex[] = [
  "sessions_open_activity",
  "sessions_tenant_activity",
];

/**
 * The CREATE INDEX statements of `indexes` on the sessions table `table`; `name` gives each
 * index's identifier as the store spells it (prefixed, qualified or not).
 */
export function sessionIndexes(
  indexes: readonly SessionIndex[],
  table: RawBuilder<unknown>,
  name: (index: SessionIndex) => RawBuilder<unknown>,
): RawBuilder<unknown>[] {
  return indexes.map((index) => {
    const definition: IndexDefinition = SESSION_INDEXES[index];
    const kind = sql.raw(definition.unique ? "UNIQUE INDEX" : "INDEX");
    const where = definition.where ? sql.raw(` WHERE ${definition.where}`) : sql``;
    return sql`CREATE ${kind} ${name(index)} ON ${table} (${sql.raw(definition.on)})${where}`;
  });
}

export interface Migration<Names> {
  version: number;
  name: string;
  /** The statements to run, in order, inside the migration's transaction. */
  statements(names: Names): RawBuilder<unknown>[];
}

/**
 * Applies on `tx` — the caller's transaction, which it has made exclusive — every migration the
 * migrations table does not record, in version order, recording each; refuses a database
 * recorded at a newer version than `migrations` knows (old code must not run on a newer schema).
 */
export async function applyMigrations<Names>(
  { db, tables, store }: { db: Kysely<LedgerTables>; tables: TableNames; store: string },
  tx: SqlRows,
  migrations: readonly Migration<Names>[],
  names: Names,
): Promise<void> {
  const applied = new Set(
    (
      await tx.all<{ version: number }>(
        db.selectFrom(tables.migrations).select("version").compile(),
      )
    ).map((row) => Number(row.version)),
  );
  const newest = Math.max(0, ...applied);
  const known = migrations.at(-1)?.version ?? 0;
  if (newest > known) {
    throw new StorageError(
      `${store} store: the database is at schema version ${newest}, newer than this package's ${known}`,
    );
  }
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(names)) await tx.all(statement.compile(db));
    await tx.all(
      db
        .insertInto(tables.migrations)
        .values({ version: migration.version, name: migration.name, applied_at: Date.now() })
        .compile(),
    );
  }
}
