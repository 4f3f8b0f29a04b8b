/**
 * Admin reads off the host's thread. better-sqlite3 is synchronous: a 300 ms count run on the
 * host's connection is 300 ms in which none of the host's users is served. The pool runs such
 * statements on worker threads, each with its own read-only connection to the same WAL file,
 * and hands the rows back; the host's connection keeps the short hot-path statements.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { StorageError } from "@session-ledger/core";
import type { CompiledQuery } from "kysely";

/** What runs reads: a pool of workers, or the host's own connection. */
export interface SqlReader {
  /** The rows of a read-only query. */
  all<R>(query: CompiledQuery): Promise<R[]>;
  /** The documents of a read-only query whose one column holds JSON text, parsed. */
  documents<R>(query: CompiledQuery): Promise<R[]>;
  /** Ends the workers (if any); calls made after it fail with `StorageError`. */
  close(): Promise<void>;
}

export interface ReadPoolOptions {
  /** Absolute path of the database file (in WAL mode). */
  filename: string;
  /** Most workers running at once; each is started on first need. */
  size: number;
  busyTimeoutMs: number;
  /** `PRAGMA mmap_size` of the workers' connections, in bytes; 0 turns memory mapping off. */
  mmapSize: number;
  /** Sees each worker as it starts (tests use it to stop one mid-query). */
  onWorker?(worker: Worker): void;
}

/**
 * The worker's whole program, run from this string (`eval`) so the same code works from the
 * ESM and CJS builds, from a bundler's output and from TypeScript sources under a test runner.
 * It loads the driver by the absolute path the host resolved, prepares each statement once, and
 * answers each request with its rows or the error's message and code. Listing pages travel as
 * one JSON text (`documents`: each row's record built by SQLite, joined): a string crosses
 * threads in one copy and one `JSON.parse` builds the page. Other rows travel as value arrays
 * (better-sqlite3 makes arrays far faster than objects) in a structured clone, with the column
 * names. Not as JSON: V8's JSON parser internalizes every string value of up to 10 characters,
 * allocating it in old space, so an export of a million rows with 10-character ids left ~45 MB
 * of garbage in old space between full collections; cloned strings are young garbage.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
db.pragma("mmap_size = " + workerData.mmapSize);
const statements = new Map();
function prepare(sql) {
  let entry = statements.get(sql);
  if (entry) {
    statements.delete(sql);
  } else {
    const statement = db.prepare(sql);
    statement.safeIntegers(false);
    statement.raw(true);
    entry = { statement, columns: statement.columns().map((column) => column.name) };
    if (statements.size >= 256) statements.delete(statements.keys().next().value);
  }
  statements.set(sql, entry);
  return entry;
}
parentPort.on("message", (request) => {
  try {
    const { statement, columns } = prepare(request.sql);
    const rows = statement.all(request.parameters);
    if (request.documents) {
      // One JSON text per row already: joined into one array, never serialised again.
      const documents = "[" + rows.map((row) => row[0]).join(",") + "]";
      parentPort.postMessage({ id: request.id, documents });
    } else {
      parentPort.postMessage({ id: request.id, columns, rows });
    }
  } catch (error) {
    parentPort.postMessage({
      id: request.id,
      error: { message: String(error && error.message), code: error && error.code },
    });
  }
});
`;

interface Job {
  id: number;
  query: CompiledQuery;
  documents: boolean;
  resolve(rows: unknown[]): void;
  reject(error: unknown): void;
}

interface Reader {
  worker: Worker;
  job: Job | null;
}

interface Reply {
  id: number;
  columns?: string[];
  /** The rows as arrays of column values. */
  rows?: unknown[][];
  /** For `documents`: the JSON array of the rows' documents. */
  documents?: string;
  error?: { message: string; code: string | undefined };
}

/** Rows as objects keyed by column, from the value arrays a worker sends. */
function objectsOf(columns: readonly string[], arrays: unknown[][]): Record<string, unknown>[] {
  return arrays.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row;
  });
}

/** A driver error from a worker, rebuilt with its SQLite code so busy retries still apply. */
class WorkerQueryError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

let driverPath: string | undefined;
/** The driver the workers load: the one this package resolves (a peer dependency). */
export function resolveDriver(): string {
  driverPath ??= createRequire(import.meta.url).resolve("better-sqlite3");
  return driverPath;
}

/**
 * Runs read-only statements on up to `size` worker threads. Calls queue in order when every
 * worker is busy. A worker that dies fails the call it was running with a `StorageError` and is
 * replaced on the next call; idle workers do not keep the process alive.
 */
export function createReadPool(options: ReadPoolOptions): SqlReader {
  const readers = new Set<Reader>();
  const queue: Job[] = [];
  let nextId = 0;
  let closed: Promise<void> | null = null;

  function start(): Reader {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 },
      workerData: {
        driver: resolveDriver(),
        filename: options.filename,
        busyTimeoutMs: options.busyTimeoutMs,
        mmapSize: options.mmapSize,
      },
    });
    const reader: Reader = { worker, job: null };
    readers.add(reader);
    worker.on("message", (reply: Reply) => {
      const job = reader.job;
      if (!job || job.id !== reply.id) return;
      reader.job = null;
      worker.unref();
      if (reply.error) job.reject(new WorkerQueryError(reply.error.message, reply.error.code));
      else if (reply.documents !== undefined) job.resolve(JSON.parse(reply.documents) as unknown[]);
      else job.resolve(objectsOf(reply.columns ?? [], reply.rows ?? []));
      dispatch();
    });
    const lost = (why: string) => {
      if (!readers.delete(reader)) return;
      const job = reader.job;
      reader.job = null;
      job?.reject(new StorageError(`sqlite store: a read worker stopped (${why})`));
      // Its replacement starts with the next call that needs one.
      dispatch();
    };
    worker.on("error", (error) => lost(error.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    worker.unref();
    options.onWorker?.(worker);
    return reader;
  }

  function enqueue<R>(query: CompiledQuery, documents: boolean): Promise<R[]> {
    if (closed) return Promise.reject(new StorageError("sqlite store: the store is closed"));
    return new Promise<R[]>((resolve, reject) => {
      queue.push({ id: nextId++, query, documents, resolve: resolve as Job["resolve"], reject });
      dispatch();
    });
  }

  function dispatch(): void {
    while (queue.length > 0 && !closed) {
      let reader = [...readers].find((candidate) => candidate.job === null);
      if (!reader) {
        if (readers.size >= options.size) return;
        reader = start();
      }
      const job = queue.shift()!;
      reader.job = job;
      reader.worker.ref();
      reader.worker.postMessage({
        id: job.id,
        sql: job.query.sql,
        parameters: job.query.parameters,
        documents: job.documents,
      });
    }
  }

  return {
    all: <R>(query: CompiledQuery) => enqueue<R>(query, false),
    documents: <R>(query: CompiledQuery) => enqueue<R>(query, true),

    close(): Promise<void> {
      closed ??= (async () => {
        const gone = new StorageError("sqlite store: the store is closed");
        for (const job of queue.splice(0)) job.reject(gone);
        const stopping = [...readers].map(async (reader) => {
          const job = reader.job;
          reader.job = null;
          job?.reject(gone);
          readers.delete(reader);
          // An idle worker is unref'd; the wait for its exit must keep the process alive, or
          // a script that awaits close() last ends before the promise settles (exit code 13).
          reader.worker.ref();
          await reader.worker.terminate();
        });
        await Promise.all(stopping);
      })();
      return closed;
    },
  };
}
