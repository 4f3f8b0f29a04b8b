/**
 * Runs compiled queries on PostgreSQL, either straight on a `pg` pool or through a caller's
 * `Kysely`. A single statement takes a pooled connection for its own duration; a transaction or
 * an export holds one connection until it ends. A statement or transaction that PostgreSQL
 * aborted to break a deadlock, or as a serialization failure, changed nothing and is run again:
 * every write the store makes is conditional, so running it twice is safe.
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

/** SQLSTATEs of a transaction PostgreSQL rolled back so that another could go on. */
const RETRYABLE = new Set(["40001", "40P01"]);
const RETRIES = 8;

const sqlState = (error: unknown) => (error as { code?: unknown } | null)?.code;
export const isRetryable = (error: unknown) => RETRYABLE.has(sqlState(error) as string);

/** A driver error without a SQLSTATE is the connection's, not the statement's. */
const isConnectionFailure = (error: unknown) =>
  typeof sqlState(error) !== "string" || (sqlState(error) as string).length !== 5;

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

type ErrorEvents = {
  on?(event: "error", listener: (error: unknown) => void): void;
  off?(event: "error", listener: (error: unknown) => void): void;
};

/** A runner straight on a `pg` pool (or anything with its `connect()`). */
export function createPoolRunner(pool: PostgresPool): PgRunner {
  const on = (client: PostgresPoolClient): Connection => ({
    all: async <R>(query: CompiledQuery) =>
      (await client.query<R>(query.sql, query.parameters)).rows,
    run: async (query) => Number((await client.query(query.sql, query.parameters)).rowCount ?? 0),
  });
  async function lend<T>(work: (connection: Connection) => Promise<T>, held: boolean) {
    const client = await pool.connect();
    // A held connection can fail between statements (the server restarting): pg reports that
    // as an 'error' event, which would end the process without a listener.
    let failure: unknown;
    const onError = (error: unknown) => {
      failure = error;
    };
    if (held) (client as ErrorEvents).on?.("error", onError);
    try {
      return await work(on(client));
    } catch (error) {
      failure ??= isConnectionFailure(error) ? error : undefined;
      throw error;
    } finally {
      if (held) (client as ErrorEvents).off?.("error", onError);
      // pg's `release(error)` destroys the connection instead of returning it to the pool.
      (client.release as (error?: unknown) => void)(failure);
    }
  }
  return runnerOn({
    statement: (work) => lend(work, false),
    session: (work) => lend(work, true),
  });
}

/** A runner through a caller's Kysely on the PostgreSQL dialect (its plugins left out). */
export function createKyselyRunner<DB>(kysely: Kysely<DB>): PgRunner {
  // Kysely's own `executeQuery` and a connection's are the same call with different generics.
  const on = (executor: Pick<DatabaseConnection, "executeQuery"> | Kysely<DB>): Connection => ({
    all: async <R>(query: CompiledQuery) => (await executor.executeQuery(query)).rows as R[],
    run: async (query) => Number((await executor.executeQuery(query)).numAffectedRows ?? 0),
  });
  const direct = on(kysely);
  return runnerOn({
    statement: (work) => work(direct),
    // `connection()` keeps one of the driver's connections until the callback settles.
    session: (work) => kysely.connection().execute((connection) => work(on(connection))),
  });
}
