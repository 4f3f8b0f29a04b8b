import { type SessionStore, ValidationError } from "@session-ledger/core";
import { closeOnce } from "@session-ledger/core/store";
import {
  DEFAULT_TABLE_PREFIX,
  type LedgerTables,
  requireConnection,
  requireCount,
  requireSchemaName,
  requireTablePrefix,
  type SqlStoreOptions,
  tableNames,
  tasksAndPolicies,
} from "@session-ledger/sql";
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  type PostgresPool,
  PostgresQueryCompiler,
} from "kysely";
import type { PgStoreContext } from "./context.js";
import { migrate } from "./migrate.js";
import { createKyselyRunner, createPoolRunner } from "./pg-runner.js";
import { compiler } from "./postgres-dialect.js";
import { type CapLocking, sessionLifecycle } from "./session-lifecycle.js";
import { sessionListing } from "./session-listing.js";
import { errors, guarded } from "./store-errors.js";

/** Where the store's SQL runs: exactly one of `pool` or `kysely` (on the PostgreSQL dialect). */
export interface PostgresStoreOptions<DB = unknown> extends SqlStoreOptions<DB> {
  /**
   * A `pg` `Pool` (or anything with its `connect()`). The store runs its statements on it
   * directly; it never ends the pool. Size it for the host's requests plus concurrent exports,
   * each of which holds one connection while it runs (see the README, "Pool sizing").
   */
  pool?: PostgresPool;
  /**
   * The PostgreSQL schema the tables live in, created by `migrate()` when missing; letters,
   * digits and `_` only.
   * @default "public"
   */
  schema?: string;
  /**
   * How long a call waits for a connection from the pool (a full pool, or a server that does
   * not answer the connect) before it fails with `StorageError`.
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /**
   * How long a call waits for the answer to each statement (a page, a count, one fetch of an
   * export, a batch) before it fails with `StorageError` and its connection is closed rather
   * than reused. Bounds a call when the server or the network stops answering.
   * @default 30_000
   */
  statementTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/** A `SessionStore` on PostgreSQL, plus the schema migrations it owns. */
export interface PostgresSessionStore extends SessionStore {
  /**
   * Creates or upgrades the store's schema, tables and indexes to what this version needs, in
   * one transaction. Idempotent and safe to run from several nodes at once (they serialise on
   * an advisory lock: one migrates, the others find it done). Refuses a database whose schema
   * is newer than this package. Call it once at start-up, before any other method.
   */
  migrate(): Promise<void>;
  /**
   * Resolves at once: the store opens nothing of its own, and the pool or Kysely stays open.
   * Every later call of the store, read or write, fails with `StorageError`.
   */
  close(): Promise<void>;
}

/** Compiles PostgreSQL without a connection: the runner executes what it compiles. */
const compileOnly = () =>
  new Kysely<LedgerTables>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });

function connect<DB>(
  options: PostgresStoreOptions<DB>,
): Pick<PgStoreContext, "db" | "runner" | "names"> {
  const given = requireConnection<PostgresPool, DB>(
    "createPostgresStore",
    options as PostgresStoreOptions<DB> & Record<string, unknown>,
    { option: "pool", method: "connect", is: "a pg Pool" },
  );
  const timeouts = {
    connectTimeoutMs: requireCount(
      "connectTimeoutMs",
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      1,
    ),
    statementTimeoutMs: requireCount(
      "statementTimeoutMs",
      options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      1,
    ),
  };
  const names = {
    schema: requireSchemaName(options.schema ?? "public"),
    prefix: requireTablePrefix(options.tablePrefix ?? DEFAULT_TABLE_PREFIX),
  };
  if (given.kysely === undefined) {
    return { db: compileOnly(), runner: createPoolRunner(given.connection, timeouts), names };
  }
  const probe = given.kysely.selectFrom("sessions").select("id").where("id", "=", "x").compile();
  if (!probe.sql.includes("$1")) {
    throw new ValidationError("kysely must use the PostgreSQL dialect", { target: "kysely" });
  }
  return { db: given.kysely, runner: createKyselyRunner(given.kysely, timeouts), names };
}

/** Internal knobs the tests measure; not part of the public options. */
export interface StoreInternals {
  capLocking?: CapLocking;
}

export function createPostgresStoreWith<DB>(
  options: PostgresStoreOptions<DB>,
  internals: StoreInternals,
): PostgresSessionStore {
  const { db, runner, names } = connect(options);
  const context: PgStoreContext = {
    db,
    runner,
    reader: runner,
    names,
    tables: tableNames(names.prefix, names.schema),
    compiler,
    errors,
  };
  return closeOnce(
    {
      migrate: () => guarded("migrate", () => migrate(context)),
      ...sessionLifecycle(context, internals.capLocking),
      ...sessionListing(context),
      ...tasksAndPolicies(context),
      close: async () => {},
    },
    "the PostgreSQL store",
  );
}

/**
 * A session store on PostgreSQL through kysely and `pg`, for many application nodes sharing one
 * database. Filters, sorts, pages, counts, groups and exports compile to SQL; no tenant's rows
 * are loaded to be filtered in memory.
 *
 * @example
 * const store = createPostgresStore({ pool: new pg.Pool({ connectionString }) });
 * await store.migrate();
 * const ledger = createSessionLedger({ store });
 */
export function createPostgresStore<DB = unknown>(
  options: PostgresStoreOptions<DB>,
): PostgresSessionStore {
  return createPostgresStoreWith(options, {});
}
