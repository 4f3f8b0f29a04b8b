/**
 * Runs compiled queries on one SQLite connection, either straight on a better-sqlite3
 * `Database` (statements prepared once and cached) or through a caller's `Kysely`.
 * Both give the same guarantees: a transaction runs alone on the connection, and a
 * `SQLITE_BUSY` from another process is retried rather than surfaced.
 */
import { performance } from "node:perf_hooks";
import type { SqlStoreContext } from "@session-ledger/sql";
import type { Database, Statement } from "better-sqlite3";
import { CompiledQuery, type Kysely } from "kysely";
import type { SqlReader } from "./read-pool.js";

export interface SqlRunner {
  /** The rows of a query (a SELECT, or a write with RETURNING). */
  all<R>(query: CompiledQuery): Promise<R[]>;
  /** Runs a write and returns how many rows it changed. */
  run(query: CompiledQuery): Promise<number>;
  /**
   * Runs `body` inside `BEGIN IMMEDIATE … COMMIT` (rolled back if it throws). IMMEDIATE takes
   * the write lock up front, so two processes never both read a count and then write.
   */
  transaction<T>(body: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/** What the store's parts share: kysely to build and compile queries, a runner to run them. */
export interface StoreContext extends SqlStoreContext {
  runner: SqlRunner;
  /** Where admin reads run: worker threads when the database allows, else `runner`. */
  reader: SqlReader;
  /** The validated table prefix the tables are named with. */
  prefix: string;
}

const BUSY_RETRIES = 8;

/**
 * The longest the host's own connection waits for another connection's lock inside one
 * statement (its `PRAGMA busy_timeout`). better-sqlite3 waits on the thread that calls it, so a
 * longer wait there would stall every request of the host; the store's `busyTimeoutMs` is waited
 * out instead by retries with the event loop running between them (see {@link retryBusy}).
 */
export const HOST_LOCK_WAIT_MS = 10;
const STATEMENT_CACHE_SIZE = 256;

/** True for the errors another connection's lock causes, which are safe to retry. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code === "SQLITE_LOCKED");
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries work that failed on a lock, pausing (the event loop runs) between attempts. The
 * connection's busy timeout waits inside each attempt; this covers what it cannot (a WAL
 * snapshot gone stale, a lock held past the timeout). With `waitMs`, it goes on retrying until
 * that long has passed since the first attempt: that is how the host's connection, whose own
 * busy timeout is only {@link HOST_LOCK_WAIT_MS}, waits out the store's `busyTimeoutMs`.
 */
export async function retryBusy<T>(work: () => T | Promise<T>, waitMs = 0): Promise<T> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const waited = performance.now() - started;
      if (!isBusyError(error) || (attempt >= BUSY_RETRIES && waited >= waitMs)) throw error;
      const backOff = Math.min(waitMs > 0 ? 50 : 200, 5 * 2 ** attempt) * (0.5 + Math.random());
      await pause(waitMs > waited ? Math.min(backOff, waitMs - waited) : backOff);
    }
  }
}

/** A runner straight on better-sqlite3: the fastest path, used when given a `Database`. */
export function createDatabaseRunner(db: Database, lockWaitMs = 0): SqlRunner {
  const statements = new Map<string, Statement>();
  // Set while a transaction owns the connection; everything else waits for it.
  let owner: Promise<void> | undefined;

  const prepare = (text: string): Statement => {
    let statement = statements.get(text);
    if (statement) {
      // Re-inserting keeps the map in least-recently-used order.
      statements.delete(text);
    } else {
      statement = db.prepare(text);
      // Times are epoch ms: plain numbers even when the host turned safe integers on.
      if (statement.reader) statement.safeIntegers(false);
      if (statements.size >= STATEMENT_CACHE_SIZE) {
        statements.delete(statements.keys().next().value as string);
      }
    }
    statements.set(text, statement);
    return statement;
  };

  const allNow = <R>(query: CompiledQuery): R[] => {
    const statement = prepare(query.sql);
    if (statement.reader) return statement.all(query.parameters) as R[];
    statement.run(query.parameters);
    return [];
  };
  const runNow = (query: CompiledQuery): number => prepare(query.sql).run(query.parameters).changes;

  const direct: SqlRunner = {
    all: async (query) => allNow(query),
    run: async (query) => runNow(query),
    transaction: (body) => body(direct),
  };

  // A statement runs at once when no transaction owns the connection (the hot path: no
  // extra awaits). Otherwise it waits; between its last check of `owner` and the statement
  // there is no await, so it never lands inside another caller's transaction.
  const whenFree = <T>(work: () => T): Promise<T> => {
    if (!owner) {
      try {
        return Promise.resolve(work());
      } catch (error) {
        if (!isBusyError(error)) return Promise.reject(error);
      }
    }
    return retryBusy(async () => {
      while (owner) await owner;
      return work();
    }, lockWaitMs);
  };

  return {
    all: <R>(query: CompiledQuery) => whenFree(() => allNow<R>(query)),
    run: (query) => whenFree(() => runNow(query)),
    transaction: <T>(body: (tx: SqlRunner) => Promise<T>) =>
      retryBusy(async () => {
        while (owner) await owner;
        let release = () => {};
        owner = new Promise<void>((resolve) => {
          release = resolve;
        });
        try {
          prepare("BEGIN IMMEDIATE").run();
          try {
            const result = await body(direct);
            prepare("COMMIT").run();
            return result;
          } catch (error) {
            if (db.inTransaction) prepare("ROLLBACK").run();
            throw error;
          }
        } finally {
          owner = undefined;
          release();
        }
      }, lockWaitMs),
  };
}

/**
 * Times are epoch ms, far inside the safe-integer range: a connection in safe-integer mode
 * still hands the store plain numbers.
 */
function withPlainNumbers<R>(rows: readonly R[]): R[] {
  return rows.map((row) => {
    const record = row as Record<string, unknown>;
    if (!Object.values(record).some((value) => typeof value === "bigint")) return row;
    return Object.fromEntries(
      Object.entries(record).map(([key, value]) => [
        key,
        typeof value === "bigint" ? Number(value) : value,
      ]),
    ) as R;
  });
}

/** A runner through a caller's Kysely on the SQLite dialect (its driver serialises access). */
export function createKyselyRunner<DB>(kysely: Kysely<DB>, lockWaitMs = 0): SqlRunner {
  const on = (executor: Kysely<DB>): SqlRunner => ({
    async all<R>(query: CompiledQuery) {
      // The host owns the statements here, so their safe-integer mode is the host's.
      return withPlainNumbers((await executor.executeQuery<R>(query)).rows);
    },
    async run(query) {
      return Number((await executor.executeQuery(query)).numAffectedRows ?? 0);
    },
    transaction: (body) => body(on(executor)),
  });
  const plain = on(kysely);
  return {
    all: (query) => retryBusy(() => plain.all(query), lockWaitMs),
    run: (query) => retryBusy(() => plain.run(query), lockWaitMs),
    transaction: (body) =>
      retryBusy(
        () =>
          // `connection()` holds the driver's single connection, so no other query interleaves.
          kysely.connection().execute(async (connection) => {
            await connection.executeQuery(CompiledQuery.raw("BEGIN IMMEDIATE"));
            try {
              const result = await body(on(connection));
              await connection.executeQuery(CompiledQuery.raw("COMMIT"));
              return result;
            } catch (error) {
              await connection.executeQuery(CompiledQuery.raw("ROLLBACK")).catch(() => undefined);
              throw error;
            }
          }),
        lockWaitMs,
      ),
  };
}
