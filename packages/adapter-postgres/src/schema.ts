/**
 * The store's tables, indexes and versioned migrations on PostgreSQL. Every identifier is the
 * validated schema and table prefix plus a fixed name; nothing here comes from a caller's value.
 * The row types and column lists are the SQL stores' common ones (`@session-ledger/sql`).
 *
 * Text columns use the "C" collation: comparisons and sorts are byte order (code-point order in
 * UTF-8, the core's rule) and `lower()` folds ASCII only, as the query language requires — in
 * any other collation PostgreSQL's `lower()` folds beyond ASCII.
 */
import { type Migration, sessionIndexes } from "@session-ledger/sql";
import { type RawBuilder, sql } from "kysely";

/** Where the tables live: a schema and a table prefix, both validated identifiers. */
export interface SchemaNames {
  schema: string;
  prefix: string;
}

const table = ({ schema, prefix }: SchemaNames, name: string) => sql.id(schema, `${prefix}${name}`);
/** Indexes live in their table's schema, so their names are not qualified. */
const index = ({ prefix }: SchemaNames, name: string) => sql.id(`${prefix}${name}`);

/**
 * An open session's deadline, NULL once it has ended: what the sweep and the retention purge
 * look rows up by, through an index no other query's filter can use (see the migration).
 */
export const OPEN_DEADLINE = sql`(CASE WHEN ended_at IS NULL THEN expires_at END)`;

/**
 * The text columns filters compare folded (`lower(col) = $1`, `LIKE`, `IN`). PostgreSQL keeps
 * no statistics on an expression by default and guesses such a filter matches 0.5% of rows;
 * with that guess `client_type = 'UI'` (two thirds of a tenant) made a first page a sort of
 * every match: 12 ms at 100,000 sessions, against 0.36 ms reading the creation index in order
 * once `lower(client_type)` had statistics.
 */
const FOLDED_COLUMNS = [
  "client_type",
  "access_type",
  "user_agent",
  "browser",
  "os",
  "device",
  "city",
  "country",
  "license_edition",
  "user_login",
  "user_full_name",
  "user_email",
];

/** Text in code-point order, folded by `lower()` in ASCII only. */
const TEXT = sql.raw(`text COLLATE "C"`);
/** Epoch milliseconds: `pg` returns int8 as a string, which the row mapping turns into a number. */
const MS = sql.raw("bigint");

/**
 * Every schema version in order. A released migration is never edited: a change to the schema
 * is a new entry with the next version.
 */
export const MIGRATIONS: readonly Migration<SchemaNames>[] = [
  {
    version: 1,
    name: "create sessions, policies, tasks, task payloads and task outcomes",
    statements: (n) => {
      const sessions = table(n, "sessions");
      const tasks = table(n, "tasks");
      return [
        sql`CREATE TABLE ${sessions} (
          tenant_id ${TEXT} NOT NULL,
          id ${TEXT} NOT NULL,
          session_identifier ${TEXT},
          user_id ${TEXT} NOT NULL,
          user_login ${TEXT} NOT NULL,
          user_full_name ${TEXT},
          user_email ${TEXT},
          client_type ${TEXT} NOT NULL,
          access_type ${TEXT} NOT NULL,
          client_ip ${TEXT},
          client_ip_key ${TEXT},
          server_ip ${TEXT},
          server_ip_key ${TEXT},
          user_agent ${TEXT},
          client_info text,
          browser ${TEXT} GENERATED ALWAYS AS (client_info::json ->> 'browser') STORED,
          os ${TEXT} GENERATED ALWAYS AS (client_info::json ->> 'os') STORED,
          device ${TEXT} GENERATED ALWAYS AS (client_info::json ->> 'device') STORED,
          city ${TEXT},
          country ${TEXT},
          license_edition ${TEXT},
          status ${TEXT} NOT NULL,
          end_reason ${TEXT},
          created_at ${MS} NOT NULL,
          last_activity_at ${MS} NOT NULL,
          expires_at ${MS} NOT NULL,
          absolute_expires_at ${MS} NOT NULL,
          ended_at ${MS},
          attributes text,
          secret_hash text NOT NULL,
          ended_by ${TEXT},
          PRIMARY KEY (tenant_id, id)
        )`,
        // The SQL stores' indexes (`@session-ledger/sql`), chosen for the same query shapes…
        ...sessionIndexes(
          [
            "sessions_tenant_created",
            "sessions_tenant_user",
            "sessions_tenant_activity",
            "sessions_identifier",
            "sessions_ended",
          ],
          sessions,
          (name) => index(n, name),
        ),
        // … and two of PostgreSQL's own. The planner multiplies the selectivities of
        // `ended_at IS NULL`, `expires_at > now` and `status = 'ACTIVE'` as if they were
        // independent, while each nearly implies the others; it then estimates LogScale's open
        // sessions of a tenant at ~1 row and read them through an index on `expires_at` of open
        // rows with a sort: every open session of every tenant (3.6 ms a page at 200,000 rows).
        // So the sweep's index is on an expression only the sweep and the purge name (an open
        // session's deadline, NULL once ended), and LogScale's index also keys on `status`, so
        // it alone decides the whole filter (0.1 ms, and the total is an index-only scan).
        sql`CREATE INDEX ${index(n, "sessions_open_deadline")}
          ON ${sessions} (${OPEN_DEADLINE}) WHERE ended_at IS NULL`,
        sql`CREATE INDEX ${index(n, "sessions_open_activity")}
          ON ${sessions} (tenant_id, last_activity_at, id, expires_at, status)
          WHERE ended_at IS NULL`,
        // ANALYZE gathers statistics on each folded column (PostgreSQL 14 and newer).
        ...FOLDED_COLUMNS.map(
          (column) =>
            sql`CREATE STATISTICS ${table(n, `sessions_lower_${column}`)}
              ON (lower(${sql.ref(column)})) FROM ${sessions}`,
        ),
        sql`CREATE TABLE ${table(n, "policies")} (
          tenant_id ${TEXT} NOT NULL PRIMARY KEY,
          policy text NOT NULL
        )`,
        sql`CREATE TABLE ${tasks} (
          tenant_id ${TEXT} NOT NULL,
          id ${TEXT} NOT NULL,
          kind ${TEXT} NOT NULL,
          status ${TEXT} NOT NULL,
          progress integer NOT NULL DEFAULT 0,
          error text,
          created_at ${MS} NOT NULL,
          updated_at ${MS} NOT NULL,
          lease_owner ${TEXT},
          lease_expires_at ${MS},
          PRIMARY KEY (tenant_id, id)
        )`,
        // Runners resuming after a restart look for queued and abandoned tasks, oldest first.
        sql`CREATE INDEX ${index(n, "tasks_status_created")} ON ${tasks} (status, created_at, id)`,
        // A task's payload (100,000 ids is megabytes) apart from the row progress writes update.
        sql`CREATE TABLE ${table(n, "task_payloads")} (
          tenant_id ${TEXT} NOT NULL,
          task_id ${TEXT} NOT NULL,
          payload text,
          PRIMARY KEY (tenant_id, task_id)
        )`,
        sql`CREATE TABLE ${table(n, "task_outcomes")} (
          tenant_id ${TEXT} NOT NULL,
          task_id ${TEXT} NOT NULL,
          start integer NOT NULL,
          ended text NOT NULL,
          already_ended text NOT NULL,
          not_found text NOT NULL,
          PRIMARY KEY (tenant_id, task_id, start)
        )`,
      ];
    },
  },
];

/** The bookkeeping table; created before any migration runs, so it is not one itself. */
export function migrationsTableStatement(names: SchemaNames): RawBuilder<unknown> {
  return sql`CREATE TABLE IF NOT EXISTS ${table(names, "migrations")} (
    version integer NOT NULL PRIMARY KEY,
    name text NOT NULL,
    applied_at ${MS} NOT NULL
  )`;
}
