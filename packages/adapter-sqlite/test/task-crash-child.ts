/**
 * One server process of task-crash.test.ts, bundled from source and run with plain node.
 *
 *   node task-crash-child.mjs <file> run      runs the task, telling the parent after each batch
 *   node task-crash-child.mjs <file> finish   waits out a dead runner's lease, runs the task to
 *                                            its end and sends back the task and every session
 */
import { createSessionLedger, createTaskRunner, type SessionStore } from "@session-ledger/core";
import Database from "better-sqlite3";
import { createSqliteStore } from "../src/index.js";
import { CRASH_LEASE_MS, CRASH_TASK, CRASH_TENANT } from "./task-crash-shared.js";

const [file, mode] = process.argv.slice(2);
const database = new Database(file!);
const store = createSqliteStore({ database });
let batches = 0;
const reporting: SessionStore = {
  ...store,
  async endTaskBatch(...args) {
    const outcome = await store.endTaskBatch(...args);
    process.send?.({ batch: ++batches });
    return outcome;
  },
};
const ledger = createSessionLedger({ store: reporting });
const runner = createTaskRunner({
  ledger,
  store,
  owner: `${mode}-${process.pid}`,
  leaseMs: CRASH_LEASE_MS,
  batchSize: 100,
  onError: (error) => process.send?.({ error: String(error) }),
});

if (mode === "finish") {
  await new Promise((resolve) => setTimeout(resolve, CRASH_LEASE_MS + 50));
}
await runner.runPending();
if (mode === "finish") {
  const sessions: Record<string, string> = {};
  for await (const session of ledger.export(CRASH_TENANT)) sessions[session.id] = session.status;
  process.send?.({ task: await runner.getTask(CRASH_TENANT, CRASH_TASK), sessions });
}
await store.close();
database.close();
process.disconnect?.();
