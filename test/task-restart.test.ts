/**
 * A bulk termination survives its server: one process's runner stops answering mid-task (as
 * a killed process would: no further writes, no lease renewal), and a fresh server on the
 * same SQLite file resumes the task from its last progress once the lease runs out. Both
 * servers read one manual clock, so the lease runs out when the test moves the clock, not when
 * a loaded machine happens to be slow.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessionLedger, createTaskRunner, type SessionStore } from "@session-ledger/core";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "session-ledger-restart-"));
const file = join(dir, "ledger.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LEASE_MS = 300;
let now = Date.parse("2026-03-01T12:00:00Z");
const clock = () => now;

/** Polls until `done()` holds: the state the test means, however long the machine takes. */
async function until(what: string, done: () => boolean) {
  for (let polls = 0; !done(); polls++) {
    if (polls > 6000) throw new Error(`still waiting for ${what} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function server(store: SessionStore, owner: string) {
  const ledger = createSessionLedger({ store, clock });
  const runner = createTaskRunner({
    ledger,
    store,
    owner,
    leaseMs: LEASE_MS,
    batchSize: 100,
    onError: () => {},
  });
  return { ledger, runner };
}

describe("a termination task across a server restart", () => {
  it("should be resumed by the next server and finish, never left RUNNING", async () => {
    const first = createSqliteStore({ database: new Database(file) });
    await first.migrate();
    let batches = 0;
    const dying: SessionStore = {
      ...first,
      // After three batches this server stops answering: the fourth never completes.
      endTaskBatch: (...args) =>
        ++batches > 3 ? new Promise(() => {}) : first.endTaskBatch(...args),
    };
    const a = await server(dying, "server-a");
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const { session } = await a.ledger.create({
        tenantId: "1001",
        user: { id: `u${i % 50}`, login: `user${i % 50}` },
      });
      ids.push(session.id);
    }
    const task = await a.runner.submitTermination("1001", ids);
    void a.runner.runPending();
    await until("the fourth batch, which never completes", () => batches > 3);

    const stuck = await a.runner.getTask("1001", task.id);
    expect(stuck?.status).toBe("RUNNING");
    expect(stuck?.result?.processed).toBe(300);

    // The next server opens the same file with its own connection.
    const second = createSqliteStore({ database: new Database(file) });
    await second.migrate();
    const b = await server(second, "server-b");
    await b.runner.runPending();
    expect((await second.getTask("1001", task.id))?.status).toBe("RUNNING"); // lease still held

    now += LEASE_MS + 1;
    await b.runner.runPending();
    const done = await b.runner.getTask("1001", task.id);
    expect(done).toMatchObject({ status: "SUCCESS", leaseOwner: null });
    expect(done?.result).toEqual({
      total: 1000,
      processed: 1000,
      ended: ids,
      alreadyEnded: [],
      notFound: [],
      failed: [],
    });
    expect(
      await b.ledger.count("1001", {
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "ACTIVE" },
      }),
    ).toBe(0);
  });
});
