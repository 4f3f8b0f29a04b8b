/**
 * WAL checkpoints off the host's thread. SQLite copies the write-ahead log back into the
 * database file once the log passes 1,000 pages, and it does so inside whichever commit crosses
 * that mark: on the host's thread, for tens to hundreds of milliseconds with the fsyncs. With a
 * reader pool, the store turns that off on the host's connection and a thread of its own runs a
 * PASSIVE checkpoint a few times a second instead (a PASSIVE checkpoint never blocks a reader or
 * the writer).
 */
import { Worker } from "node:worker_threads";
import { resolveDriver } from "./read-pool.js";

export interface CheckpointerOptions {
  /** Absolute path of the database file (in WAL mode). */
  filename: string;
  busyTimeoutMs: number;
  /** How often the log is checkpointed. */
  intervalMs: number;
  /** Called when the thread stops on its own (the host's connection then checkpoints again). */
  onStopped(error: unknown): void;
}

const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
db.pragma("wal_autocheckpoint = 0");
const checkpoint = () => {
  // A checkpoint that fails (a full disk, an I/O error) changed nothing: the log stays, and the
  // next one copies it once it can. The thread stays up, so checkpoints resume by themselves.
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {}
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** Starts the checkpoint thread; the returned function stops it (after one last checkpoint). */
export function startCheckpointer(options: CheckpointerOptions): () => Promise<void> {
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: {
      driver: resolveDriver(),
      filename: options.filename,
      busyTimeoutMs: options.busyTimeoutMs,
      intervalMs: options.intervalMs,
    },
  });
  let stopping = false;
  let exited = false;
  worker.unref();
  worker.on("error", (error) => {
    if (!stopping) options.onStopped(error);
  });
  worker.on("exit", (code) => {
    exited = true;
    if (!stopping) options.onStopped(new Error(`the checkpoint thread exited with code ${code}`));
  });
  return async () => {
    if (stopping) return;
    stopping = true;
    // A thread that already ended sends no second 'exit': waiting for one would never end.
    if (exited) return;
    const exit = new Promise((resolve) => worker.once("exit", resolve));
    // Unref'd while it runs; the wait for its last checkpoint must keep the process alive, or
    // a script that awaits close() last ends before the promise settles (exit code 13).
    worker.ref();
    worker.postMessage("stop");
    await exit;
  };
}
