/**
 * The tables every SQL store lays out alike: their row types, the column lists reads and
 * inserts use, and the validated names queries are built on. Each store's schema file creates
 * them in its own database's types; identifiers only ever come from the checks below.
 */
import { ValidationError } from "@session-ledger/core";
import type { ColumnType } from "kysely";

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
 * A task's payload, apart from the task's row: SQLite rewrites a whole row on every update, and a
 * 100,000-id payload is megabytes that each progress write would otherwise copy.
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

/** The logical table names queries are written against; `tableNames` gives the physical ones. */
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

/**
 * A check for a name that becomes part of identifiers: only a plain name of a letter or
 * underscore and then up to `rest` letters, digits or underscores is accepted.
 */
function plainName(option: string, rest: number): (value: unknown) => string {
  const pattern = new RegExp(`^[A-Za-z_][A-Za-z0-9_]{0,${rest}}$`);
  return (value) => {
    if (typeof value !== "string" || !pattern.test(value)) {
      throw new ValidationError(
        `${option} must match ${pattern} (a letter or underscore, then up to ${rest} letters, digits or underscores)`,
        { target: option },
      );
    }
    return value;
  };
}

/** Checks a table prefix (short enough that every index name stays within 63 bytes). */
export const requireTablePrefix = plainName("tablePrefix", 30);

/** Checks a schema name (PostgreSQL's). */
export const requireSchemaName = plainName("schema", 62);

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

/** The columns admin reads (pages, exports) return: no secret hash (see `listSessions`). */
export const SESSION_LIST_COLUMNS = SESSION_READ_COLUMNS.filter(
  (column) => column !== "secret_hash",
) as readonly Exclude<(typeof SESSION_READ_COLUMNS)[number], "secret_hash">[];

/**
 * The physical table names, typed as the logical names queries are written against. Naming the
 * prefixed table directly replaces a plugin that rebuilt every query's tree on each compile
 * (~12 µs of the ~28 µs a listing query takes to build and compile). A schema-qualified name
 * (`schema.table`) is split by kysely into its two identifiers.
 */
export type TableNames = { readonly [T in LogicalTable]: T };

/** The tables' names under `prefix`, qualified by `schema` when one is given (validated too). */
export function tableNames(prefix: string, schema?: string): TableNames {
  const qualifier = schema === undefined ? "" : `${requireSchemaName(schema)}.`;
  return Object.fromEntries(
    LOGICAL_TABLES.map((name) => [name, `${qualifier}${requireTablePrefix(prefix)}${name}`]),
  ) as unknown as TableNames;
}
