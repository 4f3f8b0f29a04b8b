/**
 * A script whose last step is `await store.close()`: a store with a reader thread and the
 * checkpoint thread, both idle (unref'd) when it closes. Prints "closed" once close() settles.
 */
import { createSessionLedger } from "@session-ledger/core";
import Database from "better-sqlite3";
import { createSqliteStore } from "../src/index.js";

const file = process.argv[2];
if (!file) throw new Error("usage: close-last-child <database file>");
const database = new Database(file);
const store = createSqliteStore({ database, readers: 1 });
await store.migrate();
const ledger = createSessionLedger({ store });
await ledger.create({ tenantId: "t", user: { id: "u1", login: "user1" } });
// A read on the worker, so both threads have started and gone idle.
const page = await ledger.list("t", {});
if (page.items.length !== 1) throw new Error(`expected one session, read ${page.items.length}`);
await store.close();
database.close();
console.log("closed");
