import { describe, expect, it, vi } from "vitest";
import { StorageError } from "../errors.js";
import { createMemoryStore } from "../memory/memory-store.js";
import type { SessionStore } from "../storage.js";
import { createSessionLedger } from "./ledger.js";
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
    const { ledger, store } = setup();
    const mine = await openSessions(ledger, "space-1", 9970);
    const foreign = await openSessions(ledger, "space-2", 10);
    const unknown = Array.from({ length: 20 }, (_, i) => `unknown-${i}`);
    const ids = [...mine.slice(0, 5000), ...unknown, ...foreign, ...mine.slice(5000)];
    const runner = createTaskRunner({ ledger, store, batchSize: 700 });
    const queued = await runner.submitTermination("space-1", ids);
    expect(queued.status).toBe("QUEUED");
    await runner.runPending();
    const task = await runner.getTask("space-1", queued.id);
    expect(task?.status).toBe("SUCCESS");
    expect(task?.result).toEqual({
      total: 10_000,
      processed: 10_000,
      ended: [...mine.slice(0, 5000), ...mine.slice(5000)],
      alreadyEnded: [],
      notFound: [...unknown, ...foreign],
      failed: [],
    });
    expect(await ledger.count("space-2")).toBe(10);
    expect((await ledger.group("space-2", { field: "status" })).groups).toEqual([
      { value: "ACTIVE", count: 10 },
    ]);
    expect(await runner.getTask("space-2", queued.id)).toBeNull();
  });

  it("should resume a task whose runner died mid-way once its lease runs out", async () => {
    const { ledger, store, advance } = setup();
    const ids = await openSessions(ledger, "space-1", 50);
    const dead = createTaskRunner({ ledger, store, owner: "dead", batchSize: 10, leaseMs: 5000 });
    const task = await dead.submitTermination("space-1", ids);
    // The dead runner claimed the task and finished one batch before its process ended.
    await store.updateTask("space-1", task.id, {
      status: "RUNNING",
      leaseOwner: "dead",
      leaseExpiresAt: ledger.now() + 5000,
      updatedAt: ledger.now(),
    });
    await ledger.terminateTaskBatch("space-1", task.id, {
      owner: "dead",
      from: 0,
      ids: ids.slice(0, 10),
      leaseExpiresAt: ledger.now() + 5000,
    });

    const survivor = createTaskRunner({
      ledger,
      store,
      owner: "survivor",
      batchSize: 10,
      leaseMs: 5000,
    });
    await survivor.runPending();
    expect(await survivor.getTask("space-1", task.id)).toMatchObject({
      status: "RUNNING",
      leaseOwner: "dead",
      result: { processed: 10, ended: ids.slice(0, 10) },
    });

    advance(5000);
    await survivor.runPending();
    const done = await survivor.getTask("space-1", task.id);
    expect(done).toMatchObject({ status: "SUCCESS", leaseOwner: null });
    expect(done!.result).toEqual({
      total: 50,
      processed: 50,
      ended: ids,
      alreadyEnded: [],
      notFound: [],
      failed: [],
    });
    expect(
      await ledger.count("space-1", {
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "ACTIVE" },
      }),
    ).toBe(0);
  });

  it("should report the same result after a runner dies between a batch's ends and its record", async () => {
    const run = async (crash: boolean) => {
      const { ledger, store, advance } = setup();
      const ids = await openSessions(ledger, "space-1", 40);
      await ledger.terminate("space-1", ids[25]!);
      const unknown = ["gone-1", "gone-2"];
      const all = [...ids.slice(0, 20), ...unknown, ...ids.slice(20)];
      let batches = 0;
      // The second batch's sessions end, then the process dies: nothing else is written.
      const dying: SessionStore = {
        ...store,
        endTaskBatch: async (tenantId, taskId, batch, change) => {
          if (!crash || ++batches < 2) return store.endTaskBatch(tenantId, taskId, batch, change);
          await store.endSessions(tenantId, { ids: batch.ids }, { ...change, endedBy: taskId });
          return new Promise<never>(() => {});
        },
      };
      const first = createTaskRunner({
        ledger: createSessionLedger({ store: dying, clock: ledger.now }),
        store,
        batchSize: 15,
        leaseMs: 5000,
      });
      const task = await first.submitTermination("space-1", all);
      const firstRun = first.runPending();
      // The crash is the state this test is about: wait until the first runner has died in its
      // second batch (a fixed pause could end before it got there, and the run would then
      // compare two uncrashed runs); without a crash, until it has finished.
      if (crash) {
        while (batches < 2) await new Promise((resolve) => setImmediate(resolve));
      } else {
        await firstRun;
      }
      advance(5000);
      const second = createTaskRunner({ ledger, store, batchSize: 15, leaseMs: 5000 });
      await second.runPending();
      // Each run has its own session ids: compare results by the ids' places in the list.
      const place = (list: string[]) => list.map((id) => all.indexOf(id));
      const result = (await second.getTask("space-1", task.id))?.result;
      return (
        result && {
          ...result,
          ended: place(result.ended),
          alreadyEnded: place(result.alreadyEnded),
          notFound: place(result.notFound),
        }
      );
    };
    const uncrashed = await run(false);
    expect(uncrashed).toMatchObject({ processed: 42, alreadyEnded: [27], notFound: [20, 21] });
    expect(uncrashed?.ended).toHaveLength(39);
    expect(await run(true)).toEqual(uncrashed);
  });

  it("should mark a task FAILED and list the ids it did not get to when the store fails", async () => {
    const fixture = setup();
    const { ledger, store } = fixture;
    const ids = await openSessions(ledger, "space-1", 30);
    const failing = flakyLedger(fixture, (call) => call === 2, new Error("disk full"));
    const logged: unknown[] = [];
    const runner = createTaskRunner({
      ledger: failing,
      store,
      batchSize: 10,
      onError: (e) => void logged.push(e),
    });
    const task = await runner.submitTermination("space-1", ids);
    await runner.runPending();
    const failed = await runner.getTask("space-1", task.id);
    expect(failed).toMatchObject({
      status: "FAILED",
      error: "the session store failed; see the server log",
      leaseOwner: null,
    });
    expect(logged).toEqual([expect.objectContaining({ message: "disk full" })]);
    expect(failed?.result).toMatchObject({ processed: 10, ended: ids.slice(0, 10) });
    expect(failed?.result?.failed).toEqual(ids.slice(10));
  });

  /** A ledger whose task batches fail with `error` (a StorageError) while `failing(call)` says so. */
  function flakyLedger(
    { ledger, store }: ReturnType<typeof setup>,
    failing: (call: number) => boolean,
    error: Error = new StorageError("memory store: the connection was cut"),
  ) {
    let calls = 0;
    return createSessionLedger({
      store: {
        ...store,
        endTaskBatch: (...args) =>
          failing(++calls) ? Promise.reject(error) : store.endTaskBatch(...args),
      },
      clock: ledger.now,
    });
  }

  it("should retry a batch that failed with StorageError and report what an uninterrupted run reports", async () => {
    const fixture = setup();
    const { ledger, store } = fixture;
    const ids = await openSessions(ledger, "space-1", 30);
    // The second batch fails twice (a restarting database), then goes through.
    const flaky = flakyLedger(fixture, (call) => call === 2 || call === 3);
    const logged: unknown[] = [];
    const runner = createTaskRunner({
      ledger: flaky,
      store,
      batchSize: 10,
      onError: (e) => void logged.push(e),
    });
    const task = await runner.submitTermination("space-1", ids);
    await runner.runPending();
    expect(await runner.getTask("space-1", task.id)).toMatchObject({
      status: "SUCCESS",
      error: null,
      result: { processed: 30, ended: ids, alreadyEnded: [], notFound: [], failed: [] },
    });
    expect(logged).toHaveLength(2);
    expect(logged.every((e) => e instanceof StorageError)).toBe(true);
  });

  it("should mark a task FAILED once a batch has failed with StorageError past every retry", async () => {
    const fixture = setup();
    const { ledger, store } = fixture;
    const ids = await openSessions(ledger, "space-1", 30);
    const flaky = flakyLedger(fixture, (call) => call >= 2);
    const logged: unknown[] = [];
    const runner = createTaskRunner({
      ledger: flaky,
      store,
      batchSize: 10,
      onError: (e) => void logged.push(e),
    });
    const task = await runner.submitTermination("space-1", ids);
    // The retry waits (about 16 s in all) pass on a fake clock, moved until the run is over.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      let over = false;
      const running = runner.runPending().finally(() => {
        over = true;
      });
      while (!over) await vi.advanceTimersByTimeAsync(250);
      await running;
    } finally {
      vi.useRealTimers();
    }
    expect(await runner.getTask("space-1", task.id)).toMatchObject({
      status: "FAILED",
      error: "the session store failed; see the server log",
      result: { processed: 10, ended: ids.slice(0, 10), failed: ids.slice(10) },
    });
    // Six retries, each logged, then the failure itself.
    expect(logged).toHaveLength(7);
  });

  it("should leave a task RUNNING for a takeover when the store fails outside a batch", async () => {
    const { ledger, store, advance } = setup();
    const ids = await openSessions(ledger, "space-1", 30);
    let reads = 0;
    // Reading the task's payload fails once (the connection was cut), then works.
    const flaky: SessionStore = {
      ...store,
      getTask: (...args) =>
        ++reads === 1
          ? Promise.reject(new StorageError("memory store: the connection was cut"))
          : store.getTask(...args),
    };
    const logged: unknown[] = [];
    const first = createTaskRunner({
      ledger,
      store: flaky,
      leaseMs: 5000,
      onError: (e) => void logged.push(e),
    });
    const task = await first.submitTermination("space-1", ids);
    await first.runPending();
    expect(await store.getTaskState("space-1", task.id)).toMatchObject({ status: "RUNNING" });
    expect(logged).toEqual([expect.any(StorageError)]);
    advance(5001);
    await first.runPending();
    expect(await first.getTask("space-1", task.id)).toMatchObject({
      status: "SUCCESS",
      result: { processed: 30, ended: ids, failed: [] },
    });
  });

  it("should fail a task at its first StorageError with batchRetryDelaysMs: []", async () => {
    const fixture = setup();
    const { ledger, store } = fixture;
    const ids = await openSessions(ledger, "space-1", 30);
    const flaky = flakyLedger(fixture, (call) => call === 2);
    const runner = createTaskRunner({
      ledger: flaky,
      store,
      batchSize: 10,
      batchRetryDelaysMs: [],
      onError: () => {},
    });
    const task = await runner.submitTermination("space-1", ids);
    await runner.runPending();
    expect(await runner.getTask("space-1", task.id)).toMatchObject({
      status: "FAILED",
      result: { processed: 10, failed: ids.slice(10) },
    });
  });

  it("should hand a task back to the queue at once when stopped while it waits to retry a batch", async () => {
    const fixture = setup();
    const { ledger, store } = fixture;
    const ids = await openSessions(ledger, "space-1", 30);
    const flaky = flakyLedger(fixture, (call) => call >= 2);
    let failures = 0;
    let firstFailure!: () => void;
    const failed = new Promise<void>((resolve) => {
      firstFailure = resolve;
    });
    const runner = createTaskRunner({
      ledger: flaky,
      store,
      batchSize: 10,
      onError: () => {
        if (++failures === 1) firstFailure();
      },
    });
    const task = await runner.submitTermination("space-1", ids);
    // On a fake clock that never moves, the wait before the retry ends only if stop() ends it.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      runner.start();
      await failed;
      await runner.stop();
    } finally {
      vi.useRealTimers();
    }
    expect(await runner.getTask("space-1", task.id)).toMatchObject({
      status: "QUEUED",
      leaseOwner: null,
      progress: 10,
    });
    expect(failures).toBe(1);
  });

  it("should yield to the event loop between batches and touch each id once", async () => {
    const { ledger, store } = setup();
    const ids = await openSessions(ledger, "space-1", 3000);
    const sizes: number[] = [];
    const counting = createSessionLedger({
      store: {
        ...store,
        endTaskBatch: (tenantId, taskId, batch, change) => {
          sizes.push(batch.ids.length);
          return store.endTaskBatch(tenantId, taskId, batch, change);
        },
      },
      clock: ledger.now,
    });
    const runner = createTaskRunner({ ledger: counting, store });
    const task = await runner.submitTermination("space-1", ids);
    // Counts event-loop turns: each one runs this once.
    let turns = 0;
    let running = true;
    const count = () => {
      turns++;
      if (running) setImmediate(count);
    };
    setImmediate(count);
    await runner.runPending();
    running = false;
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(sizes.length).toBeGreaterThan(1);
    expect(turns).toBeGreaterThanOrEqual(sizes.length - 1);
    expect((await runner.getTask("space-1", task.id))?.result?.ended).toEqual(ids);
  });

  it("should hand its task back to the queue on stop, for another runner to finish", async () => {
    const { ledger, store } = setup();
    const ids = await openSessions(ledger, "space-1", 100);
    const leaving = createTaskRunner({ ledger, store, batchSize: 10 });
    const task = await leaving.submitTermination("space-1", ids);
    leaving.start();
    await new Promise((resolve) => setImmediate(resolve));
    await leaving.stop();
    const handedBack = await leaving.getTask("space-1", task.id);
    expect(handedBack).toMatchObject({ status: "QUEUED", leaseOwner: null });
    expect(handedBack?.progress).toBeLessThan(100);
    const next = createTaskRunner({ ledger, store, batchSize: 10 });
    await next.runPending();
    expect((await next.getTask("space-1", task.id))?.result?.ended).toEqual(ids);
  });

  it("should reject an empty id list or an empty id with a ValidationError", async () => {
    const { ledger, store } = setup();
    const runner = createTaskRunner({ ledger, store });
    await expect(runner.submitTermination("space-1", [])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(runner.submitTermination("space-1", ["a", ""])).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});

describe("createTaskRunner - options and start-up", () => {
  it("should take the ledger's store when none is given", async () => {
    const { ledger, store } = setup();
    const runner = createTaskRunner({ ledger });
    const task = await runner.submitTermination("space-1", ["missing"]);
    expect((await store.getTaskState("space-1", task.id))?.status).toBe("QUEUED");
  });

  it("should refuse a missing or unusable store or ledger", () => {
    const { ledger, store } = setup();
    const { insertTask: _, ...withoutTasks } = store;
    expect(() => createTaskRunner({ ledger, store: withoutTasks as never })).toThrow(
      "createTaskRunner: 'store' must be a session store, got an object without insertTask",
    );
    expect(() => createTaskRunner({ ledger, store: Promise.resolve(store) as never })).toThrow(
      "got a promise (await the store factory first)",
    );
    expect(() => createTaskRunner({ store } as never)).toThrow(
      "createTaskRunner: 'ledger' must be the ledger from createSessionLedger, got nothing",
    );
    // A wrapped ledger has no store the runner can find: it must name one.
    expect(() => createTaskRunner({ ledger: { ...ledger } })).toThrow(
      "createTaskRunner: 'store' must be a session store (createMemoryStore(), createSqliteStore({ database })…), got nothing",
    );
    expect(() => createTaskRunner(ledger as never)).toThrow("createTaskRunner: unknown options");
  });

  it("should refuse leases, polls and batch sizes that are not whole positive numbers", () => {
    const { ledger, store } = setup();
    for (const name of ["leaseMs", "pollMs", "batchSize"]) {
      for (const value of [0, -1, 2.5, "1000"]) {
        expect(
          () => createTaskRunner({ ledger, store, [name]: value }),
          `${name} ${value}`,
        ).toThrow(`createTaskRunner: ${name} must be a whole number from 1 to 2147483647`);
      }
    }
    for (const value of [[0], [250, -1], [1.5], ["250"], [undefined], [null]]) {
      expect(
        () => createTaskRunner({ ledger, store, batchRetryDelaysMs: value as never }),
        `batchRetryDelaysMs ${JSON.stringify(value)}`,
      ).toThrow(/createTaskRunner: batchRetryDelaysMs\[\d\] must be a whole number from 1 to/);
    }
    for (const value of [250, "250", null, Array.from({ length: 21 }, () => 1)]) {
      expect(() => createTaskRunner({ ledger, store, batchRetryDelaysMs: value as never })).toThrow(
        "createTaskRunner: batchRetryDelaysMs must be an array of at most 20 waits in ms",
      );
    }
    expect(() => createTaskRunner({ ledger, store, owner: "" })).toThrow(
      "createTaskRunner: 'owner' must be a string of 1 to 256 characters",
    );
    expect(() => createTaskRunner({ ledger, store, lease: 5 } as never)).toThrow(
      "createTaskRunner: unknown option 'lease'",
    );
  });

  it("should warn once when a task waits a lease as QUEUED and the runner was never started", async () => {
    const { ledger, store } = setup();
    const [id] = await openSessions(ledger, "space-1", 1);
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const runner = createTaskRunner({ ledger, store, leaseMs: 20 });
      const task = await runner.submitTermination("space-1", [id!]);
      await runner.submitTermination("space-1", [id!]);
      await expect.poll(() => warn.mock.calls.length, { timeout: 5000, interval: 10 }).toBe(1);
      expect(warn).toHaveBeenCalledWith(
        `task ${task.id} of tenant 'space-1' has waited 20 ms as QUEUED and no task runner runs it: call taskRunner.start() at start-up (on at least one node)`,
        { code: "SESSION_LEDGER_TASK_RUNNER_NOT_STARTED" },
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("should not warn about a task that another runner ran within the lease", async () => {
    const { ledger, store } = setup();
    const [id] = await openSessions(ledger, "space-1", 1);
    let stateReads = 0;
    const watched: SessionStore = {
      ...store,
      getTaskState: (tenantId, taskId) => {
        stateReads++;
        return store.getTaskState(tenantId, taskId);
      },
    };
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const submitter = createTaskRunner({ ledger, store: watched, leaseMs: 20 });
      const task = await submitter.submitTermination("space-1", [id!]);
      // Another node's runner takes it.
      await createTaskRunner({ ledger, store }).runPending();
      expect((await submitter.getTask("space-1", task.id))?.status).toBe("SUCCESS");
      // The check a lease later reads the task's state, finds it run, and says nothing.
      await expect.poll(() => stateReads, { timeout: 5000, interval: 10 }).toBe(1);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
