/**
 * A ledger over a memory store (or a given one) on a settable clock, with a task runner that
 * polls every 10 ms: what the test apps are built on. Not part of the package's public surface.
 */
import {
  createMemoryStore,
  createSessionLedger,
  createTaskRunner,
  type Session,
  type SessionLedger,
  type SessionStore,
  type TaskRunner,
} from "@session-ledger/core";

export interface TestLedger {
  ledger: SessionLedger;
  store: SessionStore;
  taskRunner: TaskRunner;
  /** Moves the ledger's clock. */
  setNow(ms: number): void;
  now(): number;
  /** Every session of a tenant as a read at the current clock reports it, newest first. */
  all(tenantId: string): Promise<Session[]>;
  /** Stops the task runner. */
  close(): Promise<void>;
}

export interface TestLedgerOptions {
  /** Where the clock starts. */
  now: number;
  /** @default a memory store */
  store?: SessionStore;
  /** Replaces the ledger the task runner works with (to inject failures). */
  runnerLedger?: (ledger: SessionLedger) => SessionLedger;
  /** @default 1000 */
  batchSize?: number;
  /** The runner's waits before it retries a batch that failed with StorageError. */
  batchRetryDelaysMs?: readonly number[];
}

/** Builds the ledger and starts its task runner; `close()` stops it. */
export function createTestLedger(options: TestLedgerOptions): TestLedger {
  let now = options.now;
  const store = options.store ?? createMemoryStore();
  const ledger = createSessionLedger({ store, clock: () => now });
  const taskRunner = createTaskRunner({
    ledger: options.runnerLedger ? options.runnerLedger(ledger) : ledger,
    store,
    pollMs: 10,
    batchSize: options.batchSize ?? 1000,
    ...(options.batchRetryDelaysMs ? { batchRetryDelaysMs: options.batchRetryDelaysMs } : {}),
    onError: () => {},
  });
  taskRunner.start();
  return {
    ledger,
    store,
    taskRunner,
    setNow(ms) {
      now = ms;
    },
    now: () => now,
    async all(tenantId) {
      const sessions: Session[] = [];
      for await (const session of ledger.export(tenantId)) sessions.push(session);
      return sessions;
    },
    close: () => taskRunner.stop(),
  };
}
