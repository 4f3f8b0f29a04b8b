/**
 * The store's tables, indexes and versioned migrations. Every identifier is the validated
 * table prefix plus a fixed name; nothing here comes from a caller's value.
 */
import { ValidationError } from "@session-ledger/core";
import { type ColumnType, type RawBuilder, sql } from "kysely";

export interface SessionsTable {
  tenant_id: string;
  id: string;
  session_identifier: string | null;
  user_id: string;
  user_login: string;
  user_full_name: string | null;
  user_email: string | null;
  client_type: string;
  access_type: string;
  client_ip: string | null;
  /** `ipSortKey(client_ip)`: fixed-width hex whose text order is the numeric order. */
  client_ip_key: string | null;
  server_ip: string | null;
  server_ip_key: string | null;
  user_agent: string | null;
  /** JSON of `clientInfo`, null when there is none. */
  client_info: string | null;
  browser: ColumnType<string | null, never, never>;
  os: ColumnType<string | null, never, never>;
  device: ColumnType<string | null, never, never>;
  city: string | null;
  country: string | null;
  license_edition: string | null;
  status: string;
  end_reason: string | null;
  created_at: number;
  last_activity_at: number;
  expires_at: number;
  absolute_expires_at: number;
  ended_at: number | null;
  /** JSON of `attributes`, null when there are none. */
  attributes: string | null;
  secret_hash: string;
  /** `EndChange.endedBy` of the call that ended the session (a task's id), else null. */
  ended_by: ColumnType<string | null, never, string | null>;
}

export interface PoliciesTable {
  tenant_id: string;
  /** JSON of the `TenantPolicy`. */
  policy: string;
}

export interface TasksTable {
  tenant_id: string;
  id: string;
  kind: string;
  status: string;
  /** Items done, in payload order; advanced only together with their outcome. */
  progress: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

/**
 * A task's payload, apart from the task's row: SQLite rewrites a whole row on every update, and
 * a 100,000-id payload is megabytes that a progress write would otherwise copy each time.
 */
export interface TaskPayloadsTable {
  tenant_id: string;
  task_id: string;
  /** JSON of the payload. */
  payload: string | null;
}

/** One recorded batch of a termination task: its per-id outcome, as JSON arrays of ids. */
export interface TaskOutcomesTable {
  tenant_id: string;
  task_id: string;
  /** The batch's first item (its place in the task's id list). */
  start: number;
  ended: string;
  already_ended: string;
  not_found: string;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** The logical table names queries are written against; `tablePrefix` is applied at compile. */
export interface LedgerTables {
  sessions: SessionsTable;
  policies: PoliciesTable;
  tasks: TasksTable;
  task_payloads: TaskPayloadsTable;
  task_outcomes: TaskOutcomesTable;
  migrations: MigrationsTable;
}

export type LogicalTable = keyof LedgerTables;
export const LOGICAL_TABLES: readonly LogicalTable[] = [
  "sessions",
  "policies",
  "tasks",
  "task_payloads",
  "task_outcomes",
  "migrations",
];

export const DEFAULT_TABLE_PREFIX = "session_ledger_";
const TABLE_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,30}$/;

/** Checks a table prefix: it becomes part of identifiers, so only a plain name is accepted. */
export function requireTablePrefix(prefix: unknown): string {
  if (typeof prefix !== "string" || !TABLE_PREFIX.test(prefix)) {
    throw new ValidationError(
      "tablePrefix must match /^[A-Za-z_][A-Za-z0-9_]{0,30}$/ (a letter or underscore, then up to 30 letters, digits or underscores)",
      { target: "tablePrefix" },
    );
  }
  return prefix;
}

/** The session columns every read returns (the generated browser/os/device are left out). */
export const SESSION_COLUMNS = [
  "tenant_id",
  "id",
  "session_identifier",
  "user_id",
  "user_login",
  "user_full_name",
  "user_email",
  "client_type",
  "access_type",
  "client_ip",
  "client_ip_key",
  "server_ip",
  "server_ip_key",
  "user_agent",
  "client_info",
  "city",
  "country",
  "license_edition",
  "status",
  "end_reason",
  "created_at",
  "last_activity_at",
  "expires_at",
  "absolute_expires_at",
  "ended_at",
  "attributes",
  "secret_hash",
] as const satisfies readonly (keyof SessionsTable)[];

/**
 * The columns reads return: all but the IP sort keys, which only filters and sorts use inside
 * SQL. better-sqlite3 spends ~0.2 µs a row on each text column it hands back.
 */
export const SESSION_READ_COLUMNS = SESSION_COLUMNS.filter(
  (column) => column !== "client_ip_key" && column !== "server_ip_key",
) as readonly Exclude<(typeof SESSION_COLUMNS)[number], "client_ip_key" | "server_ip_key">[];

/**
 * The physical table names, typed as the logical names queries are written against. Naming the
 * prefixed table directly replaces a plugin that rebuilt every query's tree on each compile
 * (~12 µs of the ~28 µs a listing query takes to build and compile).
 */
export type TableNames = { readonly [T in LogicalTable]: T };

export function tableNames(prefix: string): TableNames {
  return Object.fromEntries(
    LOGICAL_TABLES.map((name) => [name, `${requireTablePrefix(prefix)}${name}`]),
  ) as unknown as TableNames;
}

export interface Migration {
  version: number;
  name: string;
  /** The statements to run, in order, inside the migration's transaction. */
  statements(prefix: string): RawBuilder<unknown>[];
}

const id = (prefix: string, name: string) => sql.id(`${prefix}${name}`);

/**
 * Every schema version in order. A released migration is never edited: a change to the schema
 * is a new entry with the next version.
 */
export const MIGRATIONS: readonly Migration[] = [
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
        // Listing a tenant newest first (the default order) reads this index without sorting.
        sql`CREATE INDEX ${id(p, "sessions_tenant_created")}
          ON ${sessions} (tenant_id, created_at DESC, id)`,
        // A user's sessions: the per-user cap, terminate-by-user and user filters.
        sql`CREATE INDEX ${id(p, "sessions_tenant_user")}
          ON ${sessions} (tenant_id, user_id, created_at DESC, id)`,
        // The sweep walks open rows by deadline across tenants; ended rows never enter it.
        sql`CREATE INDEX ${id(p, "sessions_open_deadline")}
          ON ${sessions} (expires_at) WHERE ended_at IS NULL`,
        // Retention deletes ended rows by end time.
        sql`CREATE INDEX ${id(p, "sessions_ended")}
          ON ${sessions} (ended_at) WHERE ended_at IS NOT NULL`,
        sql`CREATE UNIQUE INDEX ${id(p, "sessions_identifier")}
          ON ${sessions} (tenant_id, session_identifier) WHERE session_identifier IS NOT NULL`,
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
    name: "task outcomes per batch, ended_by, indexes for the dialects' default orders",
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
        // LogScale lists open sessions by last activity (its default); the deadline is in the
        // index so lapsed rows are passed over without reading the table.
        sql`CREATE INDEX ${id(p, "sessions_open_activity")}
          ON ${sessions} (tenant_id, last_activity_at, id, expires_at) WHERE ended_at IS NULL`,
        // … and every session by last activity when asked for ended ones too.
        sql`CREATE INDEX ${id(p, "sessions_tenant_activity")}
          ON ${sessions} (tenant_id, last_activity_at, id)`,
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
