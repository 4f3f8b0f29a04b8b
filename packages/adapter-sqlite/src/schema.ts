/**
 * The store's tables, indexes and versioned migrations. Every identifier is the validated
 * table prefix plus a fixed name; nothing here comes from a caller's value. The row types and
 * column lists are the SQL stores' common ones (`@session-ledger/sql`).
 */
import {
  ACTIVITY_SESSION_INDEXES,
  FIRST_SESSION_INDEXES,
  type Migration,
  sessionIndexes,
} from "@session-ledger/sql";
import { type RawBuilder, sql } from "kysely";

const id = (prefix: string, name: string) => sql.id(`${prefix}${name}`);

/**
 * Every schema version in order. A released migration is never edited: a change to the schema
 * is a new entry with the next version.
 */
export const MIGRATIONS: readonly Migration<string>[] = [
  {
    version: 1,
    name: "create sessions, policies and tasks",
    statements: (p) => {
      const sessions = id(p, "sessions");
      return [
        sql`CREATE TABLE ${sessions} (
          tenant_id TEXT NOT NULL,
          id TEXT NOT NULL,
          session_identifier TEXT,
          user_id TEXT NOT NULL,
          user_login TEXT NOT NULL,
          user_full_name TEXT,
          user_email TEXT,
          client_type TEXT NOT NULL,
          access_type TEXT NOT NULL,
          client_ip TEXT,
          client_ip_key TEXT,
          server_ip TEXT,
          server_ip_key TEXT,
          user_agent TEXT,
          client_info TEXT,
          browser TEXT GENERATED ALWAYS AS (client_info ->> '$.browser') VIRTUAL,
          os TEXT GENERATED ALWAYS AS (client_info ->> '$.os') VIRTUAL,
          device TEXT GENERATED ALWAYS AS (client_info ->> '$.device') VIRTUAL,
          city TEXT,
          country TEXT,
          license_edition TEXT,
          status TEXT NOT NULL,
          end_reason TEXT,
          created_at INTEGER NOT NULL,
          last_activity_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          absolute_expires_at INTEGER NOT NULL,
          ended_at INTEGER,
          attributes TEXT,
          secret_hash TEXT NOT NULL,
          PRIMARY KEY (tenant_id, id)
        ) STRICT`,
        ...sessionIndexes(FIRST_SESSION_INDEXES, sessions, (index) => id(p, index)),
        sql`CREATE TABLE ${id(p, "policies")} (
          tenant_id TEXT NOT NULL PRIMARY KEY,
          policy TEXT NOT NULL
        ) STRICT`,
        sql`CREATE TABLE ${id(p, "tasks")} (
          tenant_id TEXT NOT NULL,
          id TEXT NOT NULL,
          kind TEXT NOT NULL,
          status TEXT NOT NULL,
          payload TEXT,
          result TEXT,
          error TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          lease_owner TEXT,
          lease_expires_at INTEGER,
          PRIMARY KEY (tenant_id, id)
        ) STRICT`,
        sql`CREATE INDEX ${id(p, "tasks_status_created")}
          ON ${id(p, "tasks")} (status, created_at, id)`,
      ];
    },
  },
  {
    version: 2,
    name: "task outcomes per batch, task payloads apart, ended_by, indexes for the dialects' default orders",
    statements: (p) => {
      const sessions = id(p, "sessions");
      const tasks = id(p, "tasks");
      const outcomes = id(p, "task_outcomes");
      return [
        // Which call ended a session: a task's retried batch recognises its own ends by it.
        sql`ALTER TABLE ${sessions} ADD COLUMN ended_by TEXT`,
        // A task's progress and per-batch outcomes replace the one result document that was
        // rewritten whole after every batch (quadratic in the task's size).
        sql`ALTER TABLE ${tasks} ADD COLUMN progress INTEGER NOT NULL DEFAULT 0`,
        sql`CREATE TABLE ${outcomes} (
          tenant_id TEXT NOT NULL,
          task_id TEXT NOT NULL,
          start INTEGER NOT NULL,
          ended TEXT NOT NULL,
          already_ended TEXT NOT NULL,
          not_found TEXT NOT NULL,
          PRIMARY KEY (tenant_id, task_id, start)
        ) STRICT`,
        // A version-1 task's result becomes its first recorded batch. The ids of a failed
        // batch were counted as processed then; now they are what a failed task did not do.
        sql`INSERT INTO ${outcomes} (tenant_id, task_id, start, ended, already_ended, not_found)
          SELECT tenant_id, id, 0,
            coalesce(result -> '$.ended', '[]'),
            coalesce(result -> '$.alreadyEnded', '[]'),
            coalesce(result -> '$.notFound', '[]')
          FROM ${tasks} WHERE result IS NOT NULL`,
        sql`UPDATE ${tasks} SET progress = max(0,
            coalesce(result ->> '$.processed', 0)
            - coalesce(json_array_length(result -> '$.failed'), 0))
          WHERE result IS NOT NULL`,
        sql`ALTER TABLE ${tasks} DROP COLUMN result`,
        // The payload moves to a table of its own: every progress write rewrites the task's
        // row, and with a 100,000-id payload in it that was 2.4 MB copied per batch.
        sql`CREATE TABLE ${id(p, "task_payloads")} (
          tenant_id TEXT NOT NULL,
          task_id TEXT NOT NULL,
          payload TEXT,
          PRIMARY KEY (tenant_id, task_id)
        ) STRICT`,
        sql`INSERT INTO ${id(p, "task_payloads")} (tenant_id, task_id, payload)
          SELECT tenant_id, id, payload FROM ${tasks}`,
        sql`ALTER TABLE ${tasks} DROP COLUMN payload`,
        ...sessionIndexes(ACTIVITY_SESSION_INDEXES, sessions, (index) => id(p, index)),
        ...plannerStatistics(p),
      ];
    },
  },
];

/**
 * Planner statistics for a sessions table that has none: the shape of a large deployment
 * (a million rows, tenants of 100,000, one session in twenty open). Without statistics SQLite
 * cannot tell a partial index on open rows from the full one beside it and picks the full one,
 * so LogScale's open sessions by last activity would walk every ended session first. With these
 * figures plans are those of a large table from the first row on; `ANALYZE` replaces them with
 * measured ones (which keep the same preferences). Only `sqlite_stat1` rows of this table are
 * written, and only when it has none.
 */
function plannerStatistics(p: string): RawBuilder<unknown>[] {
  const table = `${p}sessions`;
  const figures: [index: string, stat: string][] = [
    [`sqlite_autoindex_${table}_1`, "1000000 100000 1"],
    [`${table}_tenant_created`, "1000000 100000 2 1"],
    [`${table}_tenant_user`, "1000000 100000 20 2 1"],
    [`${table}_tenant_activity`, "1000000 100000 2 1"],
    [`${table}_open_activity`, "50000 5000 2 1 1"],
    [`${table}_open_deadline`, "50000 2"],
    [`${table}_ended`, "950000 2"],
    [`${table}_identifier`, "1000000 100000 1"],
  ];
  return [
    // Creates sqlite_stat1 when missing, without analysing any table.
    sql`ANALYZE sqlite_schema`,
    sql`INSERT INTO sqlite_stat1 (tbl, idx, stat)
      SELECT ${table}, column1, column2 FROM (VALUES ${sql.join(
        figures.map(([index, stat]) => sql`(${index}, ${stat})`),
      )})
      WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = ${table})`,
    // Loads them into this connection's planner (others load them when they open).
    sql`ANALYZE sqlite_schema`,
  ];
}

/** The bookkeeping table; created before any migration runs, so it is not one itself. */
export function migrationsTableStatement(prefix: string): RawBuilder<unknown> {
  return sql`CREATE TABLE IF NOT EXISTS ${id(prefix, "migrations")} (
    version INTEGER NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`;
}
