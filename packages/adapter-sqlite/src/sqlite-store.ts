import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { type SessionStore, ValidationError } from "@session-ledger/core";
import { closeOnce } from "@session-ledger/core/store";
import {
  DEFAULT_TABLE_PREFIX,
  type LedgerTables,
  ownKysely,
  requireCount,
  requireTablePrefix,
  type TableNames,
  tableNames,
  tasksAndPolicies,
} from "@session-ledger/sql";
import type { Database } from "better-sqlite3";
import { type CompiledQuery, Kysely, SqliteDialect } from "kysely";
import { startCheckpointer } from "./checkpointer.js";
import { migrate } from "./migrate.js";
import { createReadPool, type SqlReader } from "./read-pool.js";
import { sessionLifecycle } from "./session-lifecycle.js";
import { sessionListing } from "./session-listing.js";
import {
  createDatabaseRunner,
  createKyselyRunner,
  HOST_LOCK_WAIT_MS,
  retryBusy,
  type SqlRunner,
} from "./sql-runner.js";
import { compiler } from "./sqlite-dialect.js";
import { errors, guarded, storageFailure } from "./store-errors.js";

/** Where the store's SQL runs: exactly one of `database` or `kysely`. */
/** What both modes of {@link SqliteStoreOptions} take. */
export interface SqliteCommonOptions {
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
   * How long a call waits for another connection's lock before it fails with `StorageError`.
   * The host's own connection waits at most 10 ms at a time inside a statement and retries,
   * with the event loop running in between, until this long has passed, so a lock held
   * elsewhere never stalls the host's thread for longer than that; the reader and checkpoint
   * threads wait inside the statement.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/** The store on a better-sqlite3 connection: the default, and the fast one. */
export interface SqliteDatabaseOptions extends SqliteCommonOptions {
  /**
   * A ready better-sqlite3 connection. The store prepares its statements on it once and
   * reuses them, and sets WAL mode and the busy timeout when it is created.
   */
  database: Database;
  kysely?: never;
  /**
   * Worker threads that run listing, counting, grouping and export reads, each on its own
   * read-only connection to the database file, so an administrator's query never blocks the
   * host's thread. Lookups, the touch and every write stay on the host's connection. Workers
   * start on first use. `0` runs every read on the host's thread. An in-memory or temporary
   * database, or `walMode: false`, always reads on the host's thread.
   * @default one fewer than the machine's cores, from 1 to 4
   */
  readers?: number;
  /**
   * `PRAGMA mmap_size` of the readers' connections, in bytes. Reading pages through a memory
   * map instead of copying them made a count over a million rows 148 → 87 ms (and the
   * benchmark's counts and groups ~20% faster), but every page an export maps counts in the
   * process's resident memory (up to this size), so it is off unless asked for.
   * @default 0
   */
  mmapSize?: number;
}

/**
 * The store on the host's own Kysely instance (SQLite dialect over better-sqlite3). Every read
 * runs on the host's thread, so the reader options of the `database` mode do not exist here.
 */
export interface SqliteKyselyOptions<DB = unknown> extends SqliteCommonOptions {
  /**
   * A Kysely instance on the SQLite dialect (over better-sqlite3). Its plugins are not applied
   * to the store's queries. WAL mode and the busy timeout are set by `migrate()`.
   */
  kysely: Kysely<DB>;
  database?: never;
  readers?: never;
  mmapSize?: never;
}

/** The options of {@link createSqliteStore}: one of the two modes, `database` or `kysely`. */
export type SqliteStoreOptions<DB = unknown> = SqliteDatabaseOptions | SqliteKyselyOptions<DB>;

/** A `SessionStore` on SQLite, plus the schema migrations it owns. */
export interface SqliteSessionStore extends SessionStore {
  /**
   * Creates or upgrades the store's tables and indexes to the schema this version needs.
   * Idempotent and safe to run from several processes at once (one migrates, the others
   * find it done). Call it once at start-up, before any other method.
   */
  migrate(): Promise<void>;
  /**
   * Ends the store's read workers (waiting for none: a read still running fails with
   * `StorageError`). The connection or Kysely instance the store was given stays open; every
   * later call of the store, read or write, fails with `StorageError`.
   */
  close(): Promise<void>;
}

interface Connection {
  prefix: string;
  tables: TableNames;
  kysely: Kysely<LedgerTables>;
  runner: SqlRunner;
  reader: SqlReader;
  /** The pragmas the store sets: now for a `Database`, in `migrate()` for a `Kysely`. */
  pragmas: string[];
}

const DEFAULT_READERS = Math.max(1, Math.min(4, availableParallelism() - 1));
const DEFAULT_MMAP_SIZE = 0;

/** Reads on the host's own connection: for databases no other connection can open. */
const inThread = (runner: SqlRunner): SqlReader => ({
  all: (query) => runner.all(query),
  async documents<R>(query: CompiledQuery) {
    const rows = await runner.all<Record<string, string>>(query);
    return JSON.parse(`[${rows.map((row) => Object.values(row)[0]).join(",")}]`) as R[];
  },
  close: async () => {},
});

/** How often the checkpoint thread copies the write-ahead log into the database file. */
const CHECKPOINT_INTERVAL_MS = 250;

/**
 * Worker threads for the reads when the database is a file the workers can open too, and a
 * thread for the WAL checkpoints the host's commits would otherwise run (see checkpointer.ts).
 */
function readerFor(
  database: Database,
  runner: SqlRunner,
  options: { readers: number; walMode: boolean; busyTimeoutMs: number; mmapSize: number },
): SqlReader {
  if (options.readers === 0 || !options.walMode || database.memory || database.name === "") {
    return inThread(runner);
  }
  const filename = resolve(database.name);
  const pool = createReadPool({
    filename,
    size: options.readers,
    busyTimeoutMs: options.busyTimeoutMs,
    mmapSize: options.mmapSize,
  });
  const defaultCheckpoints = () => database.pragma("wal_autocheckpoint = 1000");
  database.pragma("wal_autocheckpoint = 0");
  const stopCheckpoints = startCheckpointer({
    filename,
    busyTimeoutMs: options.busyTimeoutMs,
    intervalMs: CHECKPOINT_INTERVAL_MS,
    // Without the thread, the host's commits checkpoint again, as SQLite does by default.
    onStopped: () => {
      if (database.open) defaultCheckpoints();
    },
  });
  return {
    all: (query) => retryBusy(() => pool.all(query)),
    documents: (query) => retryBusy(() => pool.documents(query)),
    async close() {
      await Promise.all([pool.close(), stopCheckpoints()]);
      if (database.open) defaultCheckpoints();
    },
  };
}

function connect<DB>(options: SqliteStoreOptions<DB>): Connection {
  if (options === null || typeof options !== "object") {
    throw new ValidationError("createSqliteStore needs options", { target: "options" });
  }
  const prefix = requireTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
  const busyTimeoutMs = requireCount("busyTimeoutMs", options.busyTimeoutMs ?? 5000, 0);
  // The full timeout first, so switching the journal mode (once, at start) waits out another
  // process's lock; then the host's short one, which the runner's retries extend to
  // busyTimeoutMs with the event loop running between them.
  const pragmas = [
    `busy_timeout = ${busyTimeoutMs}`,
    ...(options.walMode === false ? [] : ["journal_mode = WAL"]),
    `busy_timeout = ${Math.min(busyTimeoutMs, HOST_LOCK_WAIT_MS)}`,
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
    const runner = createDatabaseRunner(database, busyTimeoutMs);
    return {
      prefix,
      tables: tableNames(prefix),
      // Kysely only compiles here; the runner executes on the connection directly.
      kysely: new Kysely<LedgerTables>({ dialect: new SqliteDialect({ database }) }),
      runner,
      reader: readerFor(database, runner, {
        readers: requireCount("readers", options.readers ?? DEFAULT_READERS, 0),
        walMode: options.walMode !== false,
        busyTimeoutMs,
        mmapSize: requireCount("mmapSize", options.mmapSize ?? DEFAULT_MMAP_SIZE, 0),
      }),
      pragmas: [],
    };
  }
  // The reader options exist only with a connection of the store's own (JavaScript hosts
  // bypass the types): said, rather than silently ignored.
  for (const name of ["readers", "mmapSize"] as const) {
    if ((options as { readers?: unknown; mmapSize?: unknown })[name] !== undefined) {
      throw new ValidationError(
        `createSqliteStore: ${name} applies only with \`database\` (a kysely instance reads on the host's thread)`,
        { target: name },
      );
    }
  }
  const own = ownKysely(kysely as Kysely<DB>);
  const runner = createKyselyRunner(own, busyTimeoutMs);
  return {
    prefix,
    tables: tableNames(prefix),
    kysely: own,
    runner,
    reader: inThread(runner),
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
  const { prefix, tables, kysely: db, runner, reader, pragmas } = connect(options);

  const context = { db, runner, reader, prefix, tables, compiler, errors };
  return closeOnce(
    {
      migrate: () => guarded("migrate", () => migrate(context, pragmas)),
      ...sessionLifecycle(context),
      ...sessionListing(context),
      ...tasksAndPolicies(context),
      close: () => reader.close(),
    },
    "the SQLite store",
  );
}
