/**
 * One server process of faults.test.ts, bundled from source and run with plain node: a sweep
 * or a purge on the given file, which the parent kills with SIGKILL part-way.
 *
 *   node maintenance-crash-child.mjs <file> sweep   sweeps, telling the parent each batch's ids
 *   node maintenance-crash-child.mjs <file> purge   purges what ended before <endedBefore>
 */
import { createSessionLedger, type SessionStore } from "@session-ledger/core";
import Database from "better-sqlite3";
import { createSqliteStore } from "../src/index.js";

const [file, mode, endedBefore] = process.argv.slice(2);
const database = new Database(file!);
const store = createSqliteStore({ database });
let batches = 0;
const reporting: SessionStore = {
  ...store,
  async expireDue(now, limit) {
    const expired = await store.expireDue(now, limit);
    process.send?.({ batch: ++batches, ids: expired.map((session) => session.id) });
    return expired;
  },
};
const ledger = createSessionLedger({ store: reporting });
process.send?.({ started: mode });
if (mode === "sweep") await ledger.expireDue();
else await ledger.purge({ endedBefore: Number(endedBefore) });
process.send?.({ done: mode });
await store.close();
database.close();
process.disconnect?.();
