/**
 * What a host sees when PostgreSQL fails under it. The four processes of multiprocess.test.ts
 * create, touch, end, sweep and run termination tasks while the server (a throwaway cluster of
 * this file's own) restarts with `-m immediate`, or while random backends are terminated every
 * few hundred ms. Every call must succeed or fail with `StorageError` within the store's
 * timeouts, each pool must recover by itself once the faults stop, and the database must then
 * hold what the store acknowledged.
 */
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createSessionLedger,
  createTaskRunner,
  DEFAULT_POLICY,
  StorageError,
} from "@session-ledger/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore } from "../src/index.js";
import { bundleWorker } from "./bundle-worker.js";
import { freshSchema, postgresServer, postgresStore } from "./fixture.js";
import {
  CAP,
  FAULT_LEASE_MS,
  FAULT_TIMEOUTS,
  type FaultMessage,
  IDLE_MS,
  POLICY,
  TENANT,
  type WorkerReport,
} from "./multiprocess-shared.js";
import { openPerUser, sessionRows, storedTask } from "./stored-state.js";
import { startThrowawayCluster, type ThrowawayCluster } from "./throwaway-cluster.js";

const WORKERS = 4;
const here = dirname(fileURLToPath(import.meta.url));
const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: ThrowawayCluster;
let script: string;
beforeAll(async () => {
  [cluster, script] = await Promise.all([
    startThrowawayCluster({ settings: { fsync: "off", full_page_writes: "off" } }),
    bundleWorker(join(here, "multiprocess-worker.ts")),
  ]);
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

/** Waits until the server answers a query on a fresh connection. */
async function serverAnswers(): Promise<void> {
  for (;;) {
    const client = new pg.Client({ connectionString: cluster.url });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch {
      await until(50);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

interface FaultRun {
  schema: string;
  reports: WorkerReport[];
  final: { expired: string[]; ended: string[] };
  faults: number;
}

/**
 * Runs the four workers, calls `inject` once they all run, tells them the faults are over when
 * it resolves and the server answers again, and collects their reports when each has served
 * its recovery calls. Then finishes the queued tasks and lapsed sessions, as a host would.
 */
async function underFaults(inject: () => Promise<number>): Promise<FaultRun> {
  const schema = freshSchema("faults");
  const setup = new pg.Pool({ connectionString: cluster.url, max: 1 });
  const store = createPostgresStore({ pool: setup, schema });
  await store.migrate();
  // Through the store: this idle timeout is under the ledger's one-minute minimum for hosts.
  await store.putPolicy(TENANT, { ...DEFAULT_POLICY, ...POLICY });
  await setup.end();

  let runningWorkers = 0;
  let allRunning!: () => void;
  const started = new Promise<void>((resolve) => {
    allRunning = resolve;
  });
  const children = Array.from({ length: WORKERS }, (_, worker) =>
    fork(script, [cluster.url, schema, String(worker), "0", "faults"], { stdio: "inherit" }),
  );
  const reports = children.map(
    (child, worker) =>
      new Promise<WorkerReport>((resolve, reject) => {
        let report: WorkerReport | undefined;
        child.on("message", (message: WorkerReport | FaultMessage) => {
          if ("worker" in message) report = message;
          else if ("running" in message && ++runningWorkers === WORKERS) allRunning();
        });
        child.on("error", reject);
        child.on("exit", (code) =>
          report ? resolve(report) : reject(new Error(`worker ${worker} exited with ${code}`)),
        );
      }),
  );
  await started;
  const faults = await inject();
  await serverAnswers();
  for (const child of children) child.send({ faults: "over" } satisfies FaultMessage);
  const done = await Promise.all(reports);

  // What a host does next: its runners finish the tasks (those cut off resume after their
  // lease), and its sweeps end what lapsed.
  const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
  const final = { expired: [] as string[], ended: [] as string[] };
  const ledger = createSessionLedger({
    store: createPostgresStore({ pool, schema }),
    hooks: {
      onEvent(event) {
        if (event.type === "expired") final.expired.push(event.sessionId);
        if (event.type === "revoked") final.ended.push(event.sessionId);
      },
    },
  });
  await until(Math.max(FAULT_LEASE_MS, IDLE_MS) + 100);
  await createTaskRunner({
    ledger,
    store: createPostgresStore({ pool, schema }),
    leaseMs: FAULT_LEASE_MS,
  }).runPending();
  await ledger.expireDue();
  await pool.end();
  return { schema, reports: done, final, faults };
}

/** The four-process test's invariants, for what the store acknowledged through the faults. */
function acknowledgedStateHolds(run: () => FaultRun) {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS "${run().schema}" CASCADE`);
    await pool?.end();
  });
  const rows = () => sessionRows(pool, run().schema);

  it("every call succeeded or failed with StorageError, within the store's timeouts", () => {
    const { reports, faults } = run();
    console.info(
      `${faults} faults; ${reports
        .map(
          (r) =>
            `worker ${r.worker}: ${r.operations} calls, ${r.storageErrors} StorageErrors, longest ${r.maxCallMs} ms`,
        )
        .join("; ")}`,
    );
    for (const report of reports) {
      expect(report.errors, `worker ${report.worker}`).toEqual([]);
      expect(report.created.length, `worker ${report.worker}`).toBeGreaterThan(10);
      // A call is a few statements, each bounded, plus a wait for its connection.
      expect(report.maxCallMs, `worker ${report.worker}`).toBeLessThan(
        FAULT_TIMEOUTS.connectTimeoutMs + 3 * FAULT_TIMEOUTS.statementTimeoutMs,
      );
    }
    // The faults reached the library: some calls failed.
    expect(reports.reduce((sum, r) => sum + r.storageErrors, 0)).toBeGreaterThan(0);
  });

  it("the pools recover by themselves once the faults stop", () => {
    for (const report of run().reports) {
      // At most one failure per pooled connection cut just before the end of the faults.
      expect(report.failuresAfterFaults, `worker ${report.worker}`).toBeLessThanOrEqual(4);
      expect(report.callsAfterFaults - report.failuresAfterFaults).toBeGreaterThan(0);
    }
  });

  it("loses no acknowledged create, touch or end", async () => {
    const byId = new Map((await rows()).map((row) => [row.id, row]));
    for (const report of run().reports) {
      for (const id of report.created) expect(byId.has(id), id).toBe(true);
      for (const id of report.ended) {
        expect(byId.get(id)?.ended_at, id).not.toBeNull();
        expect(byId.get(id)?.status, id).not.toBe("ACTIVE");
      }
      const uncertain = new Set(report.uncertainTouches);
      for (const [id, at] of Object.entries(report.touched)) {
        const stored = Number(byId.get(id)!.last_activity_at);
        // A touch that failed may still have committed: then the stored one is newer.
        if (uncertain.has(id)) expect(stored, id).toBeGreaterThanOrEqual(at);
        else expect(stored, id).toBe(at);
      }
    }
  });

  it("ends each session for exactly one caller and leaves none both ended and open", async () => {
    const ended = [...run().reports.flatMap((report) => report.ended), ...run().final.ended];
    expect(ended.length - new Set(ended).size).toBe(0);
    const torn = (await rows()).filter(
      (row) => (row.ended_at === null) !== (row.status === "ACTIVE"),
    );
    expect(torn).toEqual([]);
  });

  it("never lets a user hold more open sessions than the cap", async () => {
    for (const report of run().reports) expect(report.capViolations).toEqual([]);
    const open = openPerUser(await rows());
    for (const [user, count] of open) expect(count, user).toBeLessThanOrEqual(CAP);
  });

  it("sweeps each lapsed session once, and the next sweep finishes what a failed one left", async () => {
    const { reports, final } = run();
    const swept = [...reports.flatMap((report) => report.expired), ...final.expired];
    expect(swept.length - new Set(swept).size).toBe(0);
    const all = await rows();
    const expired = new Set(all.filter((row) => row.status === "EXPIRED").map((row) => row.id));
    for (const id of swept) expect(expired.has(id), id).toBe(true);
    // A sweep whose commit went through but whose answer was lost ended sessions nobody
    // reported; only a failed sweep may leave such rows.
    const unreported = [...expired].filter((id) => !swept.includes(id));
    if (unreported.length > 0) {
      expect(reports.reduce((sum, r) => sum + r.failedSweeps, 0)).toBeGreaterThan(0);
    }
    const now = Date.now();
    expect(all.filter((row) => row.ended_at === null && Number(row.expires_at) <= now)).toEqual([]);
  });

  it("finishes every task, as an uninterrupted run would, each outcome matching the sessions its batches ended", async () => {
    const submitted = run().reports.flatMap((report) => report.submitted);
    expect(submitted.length).toBeGreaterThan(0);
    const batches = run().reports.flatMap((report) => report.batches);
    expect(batches.length - new Set(batches).size).toBe(0);
    const statuses = new Map<string, number>();
    for (const id of submitted) {
      const task = await storedTask(pool, run().schema, id);
      statuses.set(String(task.status), (statuses.get(String(task.status)) ?? 0) + 1);
      // A batch that failed with StorageError is retried once the server is back (the
      // runner's waits, about 16 s in all), and a runner cut off is replaced after its lease:
      // every task finishes, and reports what an uninterrupted run would.
      expect(task.status, id).toBe("SUCCESS");
      const done = task.ids;
      const outcome = await createPostgresStore({ pool, schema: run().schema }).getTaskOutcome(
        TENANT,
        id,
      );
      const reported = [...outcome.ended, ...outcome.alreadyEnded, ...outcome.notFound];
      expect([...reported].sort(), id).toEqual([...done].sort());
      expect(task.endedBy, id).toEqual(new Set(outcome.ended));
    }
    console.info(`tasks: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });
}

describe("four processes while PostgreSQL restarts with -m immediate", () => {
  let result: FaultRun;
  beforeAll(async () => {
    result = await underFaults(async () => {
      const restarts = 2;
      for (let i = 0; i < restarts; i++) {
        // Load between restarts: the pools refill and the workers get going again.
        await until(1500);
        await cluster.restartImmediately();
      }
      await until(500);
      return restarts;
    });
  }, 240_000);
  acknowledgedStateHolds(() => result);
});

describe("four processes while random backends are terminated every few hundred ms", () => {
  let result: FaultRun;
  beforeAll(async () => {
    result = await underFaults(async () => {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      const terminated: number[] = [];
      try {
        for (let i = 0; i < 30; i++) {
          await until(150 + Math.random() * 250);
          const { rows } = await admin.query<{ pid: number }>(
            `SELECT pid FROM (SELECT pid FROM pg_stat_activity
              WHERE application_name LIKE 'faults-worker-%' ORDER BY random() LIMIT 1) AS victim
              WHERE pg_terminate_backend(pid)`,
          );
          terminated.push(...rows.map((row) => row.pid));
        }
        // A backend ends on its own time after the signal: wait until none is left.
        for (;;) {
          const { rows } = await admin.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])",
            [terminated],
          );
          if (rows[0]?.n === 0) break;
          await until(20);
        }
      } finally {
        await admin.end();
      }
      return terminated.length;
    });
  }, 240_000);
  acknowledgedStateHolds(() => result);
});

describe("the store's timeouts", () => {
  it("a statement that gets no answer fails with StorageError at statementTimeoutMs, and its connection is not reused", async () => {
    const fixture = await postgresStore({ label: "stmt_timeout", poolSize: 2 });
    const locker = new pg.Client({ connectionString: postgresServer().url });
    await locker.connect();
    try {
      const store = createPostgresStore({
        pool: fixture.pool,
        schema: fixture.schema,
        statementTimeoutMs: 300,
      });
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE ${fixture.table("sessions")} IN ACCESS EXCLUSIVE MODE`);
      // The lock is held until COMMIT below: without the timeout this would wait for ever.
      const error = await store.countSessions("t", null, Date.now()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(/statementTimeoutMs\) took longer than 300 ms/);
      await locker.query("COMMIT");
      expect(await store.countSessions("t", null, Date.now())).toBe(0);
    } finally {
      await locker.end();
      await fixture.teardown();
    }
  });

  it("a call that gets no connection fails with StorageError at connectTimeoutMs, and the pool serves it later", async () => {
    const fixture = await postgresStore({ label: "connect_timeout", poolSize: 1 });
    try {
      const store = createPostgresStore({
        pool: fixture.pool,
        schema: fixture.schema,
        connectTimeoutMs: 200,
      });
      const held = await fixture.pool.connect();
      const error = await store.countSessions("t", null, Date.now()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(/connectTimeoutMs\) took longer than 200 ms/);
      held.release();
      // The connection that arrived after the bound went back to the pool.
      expect(await store.countSessions("t", null, Date.now())).toBe(0);
      expect(fixture.pool.waitingCount).toBe(0);
    } finally {
      await fixture.teardown();
    }
  });

  it("rejects a timeout that is not a positive integer", async () => {
    const pool = new pg.Pool({ max: 1 });
    for (const bad of [0, -1, 1.5, "10", Number.NaN]) {
      expect(() => createPostgresStore({ pool, statementTimeoutMs: bad as number })).toThrow(
        /statementTimeoutMs must be an integer of at least 1/,
      );
      expect(() => createPostgresStore({ pool, connectTimeoutMs: bad as number })).toThrow(
        /connectTimeoutMs must be an integer of at least 1/,
      );
    }
    await pool.end();
  });
});
