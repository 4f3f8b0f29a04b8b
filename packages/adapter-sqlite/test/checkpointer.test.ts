import { statSync } from "node:fs";
import { createSessionLedger } from "@session-ledger/core";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { temporaryDirectory } from "./fixture.js";

const temp = temporaryDirectory();
afterAll(() => temp.remove());

async function fill(readers: number) {
  const file = `${temp.dir}/checkpoints-${readers}.db`;
  const database = new Database(file);
  const store = createSqliteStore({ database, readers });
  await store.migrate();
  const size = () => statSync(file).size;
  const before = size();
  const ledger = createSessionLedger({ store });
  for (let i = 0; i < 3000; i++) {
    await ledger.create({ tenantId: "t", user: { id: `u${i}`, login: `user${i}` } });
  }
  return { database, store, before, size };
}

describe("WAL checkpoints", () => {
  it("run on a thread of their own while the store has readers, not in the host's commits", async () => {
    const { database, store, before, size } = await fill(1);
    expect(database.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    // The log reaches the database file without any commit of the host's checkpointing it.
    await expect.poll(size, { timeout: 5000, interval: 100 }).toBeGreaterThan(before);
    await store.close();
    expect(database.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    database.close();
  });

  it("stay with the host's commits, as SQLite does by default, without readers", async () => {
    const { database, store } = await fill(0);
    expect(database.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await store.close();
    database.close();
  });
});
