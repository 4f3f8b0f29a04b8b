import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../memory/memory-store.js";
import { createSessionLedger } from "./ledger.js";
import type { TerminationResult } from "./task-runner.js";
import { createTaskRunner } from "./task-runner.js";

function setup() {
  let now = Date.UTC(2026, 2, 1);
  const clock = () => now;
  const store = createMemoryStore();
  const ledger = createSessionLedger({ store, clock });
  const advance = (ms: number) => {
    now += ms;
  };
  return { ledger, store, advance };
}

async function openSessions(
  ledger: ReturnType<typeof setup>["ledger"],
  tenantId: string,
  count: number,
) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { session } = await ledger.create({
      tenantId,
      user: { id: `u${i % 500}`, login: `user${i % 500}` },
    });
    ids.push(session.id);
  }
  return ids;
}

describe("task runner", () => {
  it("should end 9,970 of 10,000 ids and report the 20 unknown and 10 foreign ones individually", async () => {
    const { ledger } = setup();
    const mine = await openSessions(ledger, "space-1", 9970);
    const foreign = await openSessions(ledger, "space-2", 10);
    const unknown = Array.from({ length: 20 }, (_, i) => `unknown-${i}`);
    const ids = [...mine.slice(0, 5000), ...unknown, ...foreign, ...mine.slice(5000)];
    const runner = createTaskRunner({ ledger, batchSize: 700 });
    const queued = await runner.submitTermination("space-1", ids);
    expect(queued.status).toBe("QUEUED");
    await runner.runPending();
    const task = await runner.getTask("space-1", queued.id);
    const result = task?.result as TerminationResult;
    expect(task?.status).toBe("SUCCESS");
    expect(result.ended).toHaveLength(9970);
    expect(result.notFound).toEqual([...unknown, ...foreign]);
    expect(result.processed).toBe(10_000);
    expect(await ledger.count("space-2")).toBe(10);
    expect((await ledger.group("space-2", { field: "status" })).groups).toEqual([
      { value: "ACTIVE", count: 10 },
    ]);
    expect(await runner.getTask("space-2", queued.id)).toBeNull();
  });

  it("should resume a task whose runner died mid-way once its lease runs out", async () => {
    const { ledger, store, advance } = setup();
    const ids = await openSessions(ledger, "space-1", 50);
    const dead = createTaskRunner({ ledger, owner: "dead", batchSize: 10, leaseMs: 5000 });
    const task = await dead.submitTermination("space-1", ids);
    // The dead runner claimed the task and finished one batch before its process ended.
    const firstBatch = await ledger.terminateSessions("space-1", ids.slice(0, 10));
    const progress: TerminationResult = {
      total: 50,
      processed: 10,
      ended: firstBatch.ended,
      alreadyEnded: [],
      notFound: [],
      failed: [],
    };
    await store.updateTask("space-1", task.id, {
      status: "RUNNING",
      leaseOwner: "dead",
      leaseExpiresAt: ledger.now() + 5000,
      result: progress,
      updatedAt: ledger.now(),
    });

    const survivor = createTaskRunner({ ledger, owner: "survivor", batchSize: 10, leaseMs: 5000 });
    await survivor.runPending();
    expect((await survivor.getTask("space-1", task.id))?.status).toBe("RUNNING");

    advance(5000);
    await survivor.runPending();
    const done = await survivor.getTask("space-1", task.id);
    expect(done).toMatchObject({ status: "SUCCESS", leaseOwner: null });
    const result = done!.result as TerminationResult;
    expect([...result.ended].sort()).toEqual([...ids].sort());
    expect(
      await ledger.count("space-1", {
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "ACTIVE" },
      }),
    ).toBe(0);
  });

  it("should mark a task FAILED with its partial result when the store fails mid-way", async () => {
    const { ledger, store } = setup();
    const ids = await openSessions(ledger, "space-1", 30);
    let calls = 0;
    const failing = createSessionLedger({
      store: {
        ...store,
        endSessions: (...args) =>
          ++calls === 2 ? Promise.reject(new Error("disk full")) : store.endSessions(...args),
      },
      clock: ledger.now,
    });
    const logged: unknown[] = [];
    const runner = createTaskRunner({
      ledger: failing,
      batchSize: 10,
      onError: (e) => void logged.push(e),
    });
    const task = await runner.submitTermination("space-1", ids);
    await runner.runPending();
    const failed = await runner.getTask("space-1", task.id);
    const result = failed?.result as TerminationResult;
    expect(failed).toMatchObject({
      status: "FAILED",
      error: "the session store failed; see the server log",
      leaseOwner: null,
    });
    expect(logged).toEqual([expect.objectContaining({ message: "disk full" })]);
    expect(result.ended).toEqual(ids.slice(0, 10));
    expect(result.failed).toEqual(ids.slice(10, 20));
  });

  it("should reject an empty id list or an empty id with a ValidationError", async () => {
    const { ledger } = setup();
    const runner = createTaskRunner({ ledger });
    await expect(runner.submitTermination("space-1", [])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(runner.submitTermination("space-1", ["a", ""])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
