/**
 * Runs compiled queries on PostgreSQL, either straight on a `pg` pool or through a caller's
 * `Kysely`. A single statement takes a pooled connection for its own duration; a transaction or
 * an export holds one connection until it ends. A statement or transaction that PostgreSQL
 * aborted to break a deadlock, or as a serialization failure, changed nothing and is run again:
 * every write the store makes is conditional, so running it twice is safe.
 *
 * Every wait is bounded (`RunnerTimeouts`): a server that restarts, a cut connection or a full
 * pool ends in an error within the bound, never a call that hangs.
 */
import type { SqlRows, SqlRunner } from "@session-ledger/sql";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Kysely,
  type PostgresPool,
  type PostgresPoolClient,
} from "kysely";

/** One connection, held until `release()`. */
export interface HeldConnection extends SqlRows {
  release(): void;
}

export interface TransactionOptions {
  /** @default "read committed" */
  isolation?: "read committed" | "repeatable read" | "serializable";
  readOnly?: boolean;
}

export interface PgRunner extends SqlRunner {
  /** Runs a write and returns how many rows it changed. */
  run(query: CompiledQuery): Promise<number>;
  transaction<T>(body: (tx: SqlRows) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Takes one connection for a series of statements (an export's cursor). */
  hold(): Promise<HeldConnection>;
}

interface Connection extends SqlRows {
  run(query: CompiledQuery): Promise<number>;
}

/** Where connections come from. */
interface ConnectionSource {
  /** Any connection, for one statement. */
  statement<T>(work: (connection: Connection) => Promise<T>): Promise<T>;
  /** One connection for a series of statements, returned when `work` settles. */
  session<T>(work: (connection: Connection) => Promise<T>): Promise<T>;
}

/** How long the runner waits for a connection and for each statement's answer. */
export interface RunnerTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/** A driver-level failure (no SQLSTATE): the connection it happened on is not reused. */
class WaitExceeded extends Error {
  override name = "WaitExceeded";
}

/**
 * `work`, or a `WaitExceeded` after `ms`. What `work` yields after that goes to `abandon`, so
 * a connection that arrives late is given back rather than leaked.
 */
function within<T>(
  ms: number,
  what: string,
  work: Promise<T>,
  abandon: (late: T) => void = () => {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new WaitExceeded(`${what} took longer than ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (late) abandon(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!late) reject(error);
      },
    );
  });
}

/** SQLSTATEs of a transaction PostgreSQL rolled back so that another could go on. */
const RETRYABLE = new Set(["40001", "40P01"]);
const RETRIES = 8;

const sqlState = (error: unknown) => (error as { code?: unknown } | null)?.code;
export const isRetryable = (error: unknown) => RETRYABLE.has(sqlState(error) as string);

/**
 * The connection's failure, not the statement's: a driver error without a SQLSTATE (a cut
 * socket, a timeout), a connection exception (class 08) or the server ending the backend
 * (57P01-57P05: terminated, shutting down, restarting).
 */
const isConnectionFailure = (error: unknown) => {
  const state = sqlState(error);
  if (typeof state !== "string" || state.length !== 5) return true;
  return state.startsWith("08") || /^57P0[1-5]$/.test(state);
};

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(100, 2 * 2 ** attempt) * Math.random()));

async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryable(error) || attempt >= RETRIES) throw error;
      await pause(attempt);
    }
  }
}

function beginStatement({ isolation, readOnly }: TransactionOptions): string {
  let statement = "BEGIN";
  if (isolation) statement += ` ISOLATION LEVEL ${isolation.toUpperCase()}`;
  if (readOnly) statement += " READ ONLY";
  return statement;
}

function runnerOn(source: ConnectionSource): PgRunner {
  return {
    all: (query) => retrying(() => source.statement((connection) => connection.all(query))),
    run: (query) => retrying(() => source.statement((connection) => connection.run(query))),
    transaction: (body, options = {}) =>
      retrying(() =>
        source.session(async (connection) => {
          await connection.run(CompiledQuery.raw(beginStatement(options)));
          try {
            const result = await body(connection);
            await connection.run(CompiledQuery.raw("COMMIT"));
            return result;
          } catch (error) {
            await connection.run(CompiledQuery.raw("ROLLBACK")).catch(() => undefined);
            throw error;
          }
        }),
      ),
    hold: () =>
      new Promise<HeldConnection>((resolve, reject) => {
        source
          .session(
            (connection) =>
              new Promise<void>((released) => {
                resolve({ all: (query) => connection.all(query), release: () => released() });
              }),
          )
          .catch(reject);
      }),
  };
}

/** `pg`'s `query(config)`, which takes a per-statement read timeout. */
interface PgQueryClient {
  query<R>(config: {
    text: string;
    values: readonly unknown[];
    query_timeout: number;
  }): Promise<{ rows: R[]; rowCount: number | null }>;
}

type ErrorEvents = {
  on?(event: "error", listener: (error: unknown) => void): void;
  off?(event: "error", listener: (error: unknown) => void): void;
};

/** A runner straight on a `pg` pool (or anything with its `connect()`). */
export function createPoolRunner(pool: PostgresPool, timeouts: RunnerTimeouts): PgRunner {
  // pg's own read timeout fails the statement; its connection, maybe mid-answer, is then
  // destroyed on release (the error has no SQLSTATE).
  const send = async <R>(client: PostgresPoolClient, query: CompiledQuery) => {
    try {
      return await (client as unknown as PgQueryClient).query<R>({
        text: query.sql,
        values: query.parameters,
        query_timeout: timeouts.statementTimeoutMs,
      });
    } catch (error) {
      if ((error as Error | null)?.message !== "Query read timeout") throw error;
      throw new WaitExceeded(
        `a statement (statementTimeoutMs) took longer than ${timeouts.statementTimeoutMs} ms`,
        { cause: error },
      );
    }
  };
  const on = (client: PostgresPoolClient): Connection => ({
    all: async <R>(query: CompiledQuery) => (await send<R>(client, query)).rows,
    run: async (query) => Number((await send(client, query)).rowCount ?? 0),
  });
  async function lend<T>(work: (connection: Connection) => Promise<T>) {
    const client = await within(
      timeouts.connectTimeoutMs,
      "getting a connection from the pool (connectTimeoutMs)",
      pool.connect(),
      (late) => late.release(),
    );
    // A lent connection can fail while no statement of ours is waiting on it (the server
    // restarting between two statements, or between the connect and the first): pg reports
    // that as an 'error' event on the client, which would end the process without a listener.
    let failure: unknown;
    const onError = (error: unknown) => {
      failure = error;
    };
    (client as ErrorEvents).on?.("error", onError);
    try {
      return await work(on(client));
    } catch (error) {
      failure ??= isConnectionFailure(error) ? error : undefined;
      throw error;
    } finally {
      (client as ErrorEvents).off?.("error", onError);
      // pg's `release(error)` destroys the connection instead of returning it to the pool.
      (client.release as (error?: unknown) => void)(failure);
    }
  }
  return runnerOn({ statement: lend, session: lend });
}

/** A runner through a caller's Kysely on the PostgreSQL dialect (its plugins left out). */
export function createKyselyRunner<DB>(kysely: Kysely<DB>, timeouts: RunnerTimeouts): PgRunner {
  // Kysely hands its driver no timeout: the call fails at the bound, while the statement (and
  // its connection) finishes or fails on its own — a server-side `statement_timeout` on the
  // host's pool ends it there too.
  const bounded = <T>(work: Promise<T>) =>
    within(
      timeouts.connectTimeoutMs + timeouts.statementTimeoutMs,
      "a statement, with getting its connection (connectTimeoutMs + statementTimeoutMs)",
      work,
    );
  // Kysely's own `executeQuery` and a connection's are the same call with different generics.
  const on = (executor: Pick<DatabaseConnection, "executeQuery"> | Kysely<DB>): Connection => ({
    all: async <R>(query: CompiledQuery) =>
      (await bounded(executor.executeQuery(query))).rows as R[],
    run: async (query) =>
      Number((await bounded(executor.executeQuery(query))).numAffectedRows ?? 0),
  });
  const direct = on(kysely);
  return runnerOn({
    statement: (work) => work(direct),
    // `connection()` keeps one of the driver's connections until the callback settles.
    session: (work) => kysely.connection().execute((connection) => work(on(connection))),
  });
}
