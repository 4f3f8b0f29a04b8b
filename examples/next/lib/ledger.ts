/**
 * One ledger per server process, over the memory store, seeded once with generated sessions
 * (and a few open ones, so Octane's open-session query has rows). A real host passes its own
 * store (`@session-ledger/sqlite`, `@session-ledger/postgres`) here instead.
 */
import {
  createMemoryStore,
  createSessionLedger,
  createTaskRunner,
  type SessionLedger,
  type TaskRunner,
} from "@session-ledger/core";
import { generateSessions } from "@session-ledger/fixtures";

/** The tenant the example's requests act in. */
export const TENANT = "1001";

interface Ledger {
  ledger: SessionLedger;
  taskRunner: TaskRunner;
  /** Settles when the seed sessions are stored. */
  seeded: Promise<void>;
}

function start(): Ledger {
  const store = createMemoryStore();
  // Listing cursors are signed; every node of a real deployment shares one secret.
  const cursorSecret = process.env.CURSOR_SECRET ?? "dev-cursor-secret-change-me-32-chars!";
  const ledger = createSessionLedger({ store, cursorSecret });
  const taskRunner = createTaskRunner({ ledger, store });
  const now = Date.now();
  const seeded = (async () => {
    for (const record of generateSessions({ count: 500, now })) await store.insertSession(record);
    for (let i = 0; i < 3; i++) {
      await ledger.create({
        tenantId: TENANT,
        user: { id: `example-user-${i}`, login: `example${i}` },
      });
    }
  })();
  taskRunner.start();
  return { ledger, taskRunner, seeded };
}

// Next may load a route module more than once in one process; the ledger stays one.
const global = globalThis as typeof globalThis & { sessionLedgerExample?: Ledger };
global.sessionLedgerExample ??= start();
export const { ledger, taskRunner, seeded } = global.sessionLedgerExample;
