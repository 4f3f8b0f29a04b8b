/**
 * Four processes, each with its own pool and ledger, on one PostgreSQL database: they create,
 * touch, terminate, log out, sweep and run termination tasks for 10 s (`POSTGRES_MULTIPROCESS_MS`
 * changes it), and the database must then hold exactly what the store acknowledged.
 */
import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSessionLedger, createTaskRunner, DEFAULT_POLICY } from "@session-ledger/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresSessionStore } from "../src/index.js";
import { bundleWorker } from "./bundle-worker.js";
import { freshSchema, newPool, postgresServer } from "./fixture.js";
import {
  CAP,
  IDLE_MS,
  LEASE_MS,
  POLICY,
  TENANT,
  type WorkerReport,
} from "./multiprocess-shared.js";
import { openPerUser, sessionRows, storedTask } from "./stored-state.js";

const DURATION_MS = Number(process.env.POSTGRES_MULTIPROCESS_MS ?? 10_000);
const WORKERS = 4;
const here = dirname(fileURLToPath(import.meta.url));

function runWorker(
  script: string,
  schema: string,
  worker: number,
  mode: "run" | "migrate-only" = "run",
): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    let report: WorkerReport | undefined;
    const args = [postgresServer().url, schema, String(worker), String(DURATION_MS), mode];
    const child = fork(script, args, { stdio: "inherit" });
    child.on("message", (message: WorkerReport | object) => {
      if ("worker" in message) report = message;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (report) resolve(report);
      else reject(new Error(`worker ${worker} exited with ${code} and no report`));
    });
  });
}

let script: string;
let admin: pg.Pool;
beforeAll(async () => {
  admin = newPool();
  script = await bundleWorker(join(here, "multiprocess-worker.ts"));
}, 120_000);
afterAll(async () => {
  await admin?.end();
});

describe("four processes migrating one fresh schema at once", () => {
  it("all succeed, and the schema is recorded once", async () => {
    const schema = freshSchema("migrate4");
    try {
      const reports = await Promise.all(
        Array.from({ length: WORKERS }, (_, worker) =>
          runWorker(script, schema, worker, "migrate-only"),
        ),
      );
      for (const report of reports) expect(report.errors).toEqual([]);
      const { rows } = await admin.query(
        `SELECT version FROM "${schema}".session_ledger_migrations`,
      );
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }, 60_000);
});

describe(`four processes sharing one database for ${DURATION_MS} ms`, () => {
  const schema = freshSchema("multiprocess");
  let store: PostgresSessionStore;
  let reports: WorkerReport[];
  /** What this process's final sweep and task drain did after the workers stopped. */
  const final = { expired: [] as string[], ended: [] as string[], claims: [] as string[] };

  beforeAll(async () => {
    store = createPostgresStore({ pool: admin, schema });
    await store.migrate();
    // Written through the store: an idle timeout this short is under the ledger's one-minute
    // minimum for hosts, and lets sessions lapse while the workers run.
    await store.putPolicy(TENANT, { ...DEFAULT_POLICY, ...POLICY });
    reports = await Promise.all(
      Array.from({ length: WORKERS }, (_, worker) => runWorker(script, schema, worker)),
    );
    // Finish what the workers left: queued tasks (handed back on stop) and lapsed sessions.
    const recorded: PostgresSessionStore = {
      ...store,
      async updateTask(tenantId, id, patch, condition) {
        const updated = await store.updateTask(tenantId, id, patch, condition);
        if (updated && patch.status === "RUNNING") final.claims.push(id);
        return updated;
      },
    };
    const ledger = createSessionLedger({
      store: recorded,
      hooks: {
        onEvent(event) {
          if (event.type === "expired") final.expired.push(event.sessionId);
          if (event.type === "revoked") final.ended.push(event.sessionId);
        },
      },
    });
    await createTaskRunner({ ledger, store: recorded, leaseMs: LEASE_MS }).runPending();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 100));
    await ledger.expireDue();
  }, DURATION_MS + 180_000);

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  const rows = () => sessionRows(admin, schema);

  it("every worker did real work without a single error", () => {
    const summary = reports.map(
      (r) =>
        `worker ${r.worker}: ${r.operations} ops, ${r.created.length} created, ${r.ended.length} ended, ${r.expired.length} swept, ${r.submitted.length} tasks submitted, ${r.batches.length} task batches`,
    );
    console.info(summary.join("\n"));
    for (const report of reports) {
      expect(report.errors, `worker ${report.worker}`).toEqual([]);
      expect(report.created.length, `worker ${report.worker}`).toBeGreaterThan(10);
    }
    expect(reports.flatMap((r) => r.expired).length).toBeGreaterThan(0);
    expect(reports.flatMap((r) => r.batches).length).toBeGreaterThan(0);
  });

  it("loses no acknowledged create, touch or end", async () => {
    const byId = new Map((await rows()).map((row) => [row.id, row]));
    for (const report of reports) {
      for (const id of report.created) expect(byId.has(id), id).toBe(true);
      for (const id of report.ended) {
        const row = byId.get(id)!;
        expect(row.ended_at, id).not.toBeNull();
        expect(row.status, id).not.toBe("ACTIVE");
      }
      // Only the creating worker touches a session, so the stored activity is its last touch.
      for (const [id, at] of Object.entries(report.touched)) {
        expect(Number(byId.get(id)!.last_activity_at), id).toBe(at);
      }
    }
  });

  it("ends each session for exactly one caller", () => {
    const ended = [...reports.flatMap((report) => report.ended), ...final.ended];
    expect(ended.length - new Set(ended).size).toBe(0);
  });

  it("leaves no session both ended and open", async () => {
    const torn = (await rows()).filter(
      (row) => (row.ended_at === null) !== (row.status === "ACTIVE"),
    );
    expect(torn).toEqual([]);
  });

  it("never lets a user hold more open sessions than the cap", async () => {
    for (const report of reports)
      expect(report.capViolations, `worker ${report.worker}`).toEqual([]);
    const open = openPerUser(await rows());
    for (const [user, count] of open) expect(count, user).toBeLessThanOrEqual(CAP);
  });

  it("sweeps each lapsed session exactly once", async () => {
    const swept = [...reports.flatMap((report) => report.expired), ...final.expired];
    expect(swept.length - new Set(swept).size).toBe(0);
    const all = await rows();
    const expired = all.filter((row) => row.status === "EXPIRED").map((row) => row.id);
    expect(new Set(swept)).toEqual(new Set(expired));
    // Nothing lapsed is left unswept.
    const now = Date.now();
    expect(all.filter((row) => row.ended_at === null && Number(row.expires_at) <= now)).toEqual([]);
  });

  it("lets one runner at a time hold a task, and records each batch once", async () => {
    const submitted = reports.flatMap((report) => report.submitted);
    expect(submitted.length).toBeGreaterThan(0);
    const count = (items: string[]) => {
      const counts = new Map<string, number>();
      for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
      return counts;
    };
    // A claim is a compare-and-set: a task is claimed once, and once more each time a runner
    // hands it back — never by two runners from the same state.
    const claims = count([...reports.flatMap((report) => report.claims), ...final.claims]);
    const handbacks = count(reports.flatMap((report) => report.handbacks));
    for (const id of submitted) {
      expect(claims.get(id), id).toBe(1 + (handbacks.get(id) ?? 0));
    }
    const batches = reports.flatMap((report) => report.batches);
    expect(batches.length - new Set(batches).size).toBe(0);
    // Every task finished, and its outcome names each of its ids once, in order.
    for (const id of submitted) {
      const task = await storedTask(admin, schema, id);
      expect(task.status, id).toBe("SUCCESS");
      const outcome = await store.getTaskOutcome(TENANT, id);
      const reported = [...outcome.ended, ...outcome.alreadyEnded, ...outcome.notFound];
      expect([...reported].sort(), id).toEqual([...task.ids].sort());
      expect(task.endedBy, id).toEqual(new Set(outcome.ended));
    }
  });
});
