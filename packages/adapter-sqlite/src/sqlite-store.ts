import { type SessionStore, ValidationError } from "@session-ledger/core";
import type { Database } from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { requireCount } from "./arguments.js";
import { migrate } from "./migrate.js";
import {
  DEFAULT_TABLE_PREFIX,
  type LedgerTables,
  requireTablePrefix,
  type TableNames,
  tableNames,
} from "./schema.js";
import { sessionLifecycle } from "./session-lifecycle.js";
import { sessionListing } from "./session-listing.js";
import { createDatabaseRunner, createKyselyRunner, type SqlRunner } from "./sql-runner.js";
import { guarded, storageFailure } from "./store-errors.js";
import { tasksAndPolicies } from "./tasks-and-policies.js";

/** Where the store's SQL runs: exactly one of `database` or `kysely`. */
export interface SqliteStoreOptions<DB = unknown> {
  /**
   * A ready better-sqlite3 connection. The store prepares its statements on it once and
   * reuses them, and sets WAL mode and the busy timeout when it is created.
   */
  database?: Database;
  /**
   * A Kysely instance on the SQLite dialect (over better-sqlite3). Its plugins are not applied
   * to the store's queries. WAL mode and the busy timeout are set by `migrate()`.
   */
  kysely?: Kysely<DB>;
  /**
   * Prepended to every table and index name; letters, digits and `_` only.
   * @default "session_ledger_"
   */
  tablePrefix?: string;
  /**
   * Put the database file in WAL mode, so readers never wait for the writer and several
   * processes can share the file. Has no effect on in-memory databases.
   * @default true
   */
  walMode?: boolean;
  /**
   * How long a statement waits for another connection's lock before it fails (and the store
   * retries it a few times with back-off).
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/** A `SessionStore` on SQLite, plus the schema migrations it owns. */
export interface SqliteSessionStore extends SessionStore {
  /**
   * Creates or upgrades the store's tables and indexes to the schema this version needs.
   * Idempotent and safe to run from several processes at once (one migrates, the others
   * find it done). Call it once at start-up, before any other method.
   */
  migrate(): Promise<void>;
}

interface Connection {
  prefix: string;
  tables: TableNames;
  kysely: Kysely<LedgerTables>;
  runner: SqlRunner;
  /** The pragmas the store sets: now for a `Database`, in `migrate()` for a `Kysely`. */
  pragmas: string[];
}

function connect<DB>(options: SqliteStoreOptions<DB>): Connection {
  if (options === null || typeof options !== "object") {
    throw new ValidationError("createSqliteStore needs options", { target: "options" });
  }
  const prefix = requireTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  const busyTimeoutMs = requireCount("busyTimeoutMs", options.busyTimeoutMs ?? 5000, 0);
  // The timeout first, so switching the journal mode waits out another process's lock.
  const pragmas = [
    `busy_timeout = ${busyTimeoutMs}`,
    ...(options.walMode === false ? [] : ["journal_mode = WAL"]),
  ];
  const { database, kysely } = options;
  if ((database === undefined) === (kysely === undefined)) {
    throw new ValidationError("createSqliteStore needs exactly one of `database` or `kysely`", {
      target: "options",
    });
  }
  if (database !== undefined) {
    if (typeof (database as { prepare?: unknown }).prepare !== "function") {
      throw new ValidationError("database must be a better-sqlite3 Database", {
        target: "database",
      });
    }
    for (const pragma of pragmas) {
      try {
        database.pragma(pragma);
      } catch (error) {
        storageFailure(`PRAGMA ${pragma}`, error);
      }
    }
    return {
      prefix,
      tables: tableNames(prefix),
      // Kysely only compiles here; the runner executes on the connection directly.
      kysely: new Kysely<LedgerTables>({ dialect: new SqliteDialect({ database }) }),
      runner: createDatabaseRunner(database),
      pragmas: [],
    };
  }
  if (typeof (kysely as { withoutPlugins?: unknown }).withoutPlugins !== "function") {
    throw new ValidationError("kysely must be a Kysely instance", { target: "kysely" });
  }
  // The host's plugins (CamelCasePlugin, say) would rename our columns and result keys.
  const own = (kysely as Kysely<DB>).withoutPlugins() as unknown as Kysely<LedgerTables>;
  return {
    prefix,
    tables: tableNames(prefix),
    kysely: own,
    runner: createKyselyRunner(own),
    pragmas,
  };
}

/**
 * A session store on SQLite through kysely and better-sqlite3. Filters, sorts, pages, counts,
 * groups and exports compile to SQL; no tenant's rows are loaded to be filtered in memory.
 *
 * @example
 * const store = createSqliteStore({ database: new Database("sessions.db") });
 * await store.migrate();
 * const ledger = createSessionLedger({ store });
 */
export function createSqliteStore<DB = unknown>(
  options: SqliteStoreOptions<DB>,
): SqliteSessionStore {
  const { prefix, tables, kysely: db, runner, pragmas } = connect(options);

  const context = { db, runner, prefix, tables };
  return {
    migrate: () => guarded("migrate", () => migrate(context, pragmas)),
    ...sessionLifecycle(context),
    ...sessionListing(context),
    ...tasksAndPolicies(context),
  };
}
