/**
 * One of the processes of multiprocess.test.ts: with its own pool and ledger on the shared
 * database, it creates, validates (touches), terminates, logs out, sweeps and runs termination
 * tasks until its deadline, then reports what the store acknowledged. Bundled from source by
 * the test and run with plain `node`.
 *
 * In `faults` mode (faults.test.ts) the server restarts and connections are cut under it: every
 * call must then succeed or fail with `StorageError` within the store's timeouts, and the worker
 * runs until the parent says the faults are over and its pool has served `RECOVERED_AFTER`
 * calls in a row.
 */
import {
  createSessionLedger,
  createTaskRunner,
  type Filter,
  type SessionStore,
  StorageError,
} from "@session-ledger/core";
import pg from "pg";
import { createPostgresStore } from "../src/index.js";
import {
  CAP,
  COLD_USERS,
  emptyReport,
  FAULT_LEASE_MS,
  FAULT_TIMEOUTS,
  type FaultMessage,
  LEASE_MS,
  RECOVERED_AFTER,
  TENANT,
  USERS,
  type WorkerReport,
} from "./multiprocess-shared.js";

const [url, schema, workerArg, durationArg, mode] = process.argv.slice(2);
const worker = Number(workerArg);
const deadline = Date.now() + Number(durationArg);

const faults = mode === "faults";
const leaseMs = faults ? FAULT_LEASE_MS : LEASE_MS;
const pool = new pg.Pool({
  connectionString: url,
  max: 4,
  application_name: faults ? `faults-worker-${worker}` : "multiprocess-worker",
});
const report: WorkerReport = emptyReport(worker);
const store = createPostgresStore({ pool, schema, ...(faults ? FAULT_TIMEOUTS : {}) });
// An idle pooled connection the server cut is reported here; the pool drops it by itself.
pool.on("error", () => {});

let faultsOver = false;
process.on("message", (message: FaultMessage) => {
  if ("faults" in message) faultsOver = true;
});
const running = () =>
  faults ? !(faultsOver && report.finalSuccessStreak >= RECOVERED_AFTER) : Date.now() < deadline;

/** A failure the faults may cause (counted), or any other (an error of the run). */
function failed(error: unknown) {
  if (faults && error instanceof StorageError) report.storageErrors++;
  else report.errors.push(String((error as Error)?.stack ?? error));
}

/** Records the task state changes that succeeded: claims, hand-backs and batches. */
function recording(inner: SessionStore, owner: () => string): SessionStore {
  return {
    ...inner,
    async updateTask(tenantId, id, patch, condition) {
      const updated = await inner.updateTask(tenantId, id, patch, condition);
      if (updated && patch.status === "RUNNING" && patch.leaseOwner === owner()) {
        report.claims.push(id);
      }
      if (updated && patch.status === "QUEUED") report.handbacks.push(id);
      return updated;
    },
    async endTaskBatch(tenantId, taskId, batch, change) {
      const outcome = await inner.endTaskBatch(tenantId, taskId, batch, change);
      if (outcome) report.batches.push(`${taskId}@${batch.from}`);
      return outcome;
    },
  };
}

let runnerOwner = "";
const recorded = recording(store, () => runnerOwner);
const ledger = createSessionLedger({
  store: recorded,
  policyCacheMs: 0,
  hooks: {
    onEvent(event) {
      if (event.type === "replaced" || event.type === "revoked" || event.type === "logged_out") {
        report.ended.push(event.sessionId);
      }
      if (event.type === "expired") report.expired.push(event.sessionId);
    },
  },
});
const runner = createTaskRunner({
  ledger,
  store: recorded,
  leaseMs,
  pollMs: 100,
  batchSize: 4,
  onError: failed,
});
runnerOwner = runner.owner;

const pick = <T>(items: readonly T[]): T | undefined =>
  items[Math.floor(Math.random() * items.length)];
const userIs = (id: string): Filter => ({
  kind: "compare",
  field: "user.id",
  op: "EQ",
  value: { kind: "text", value: id },
});
const active: Filter = {
  kind: "compare",
  field: "status",
  op: "EQ",
  value: { kind: "text", value: "ACTIVE" },
};

async function main() {
  await store.migrate();
  if (mode === "migrate-only") return;
  runner.start();
  process.send?.({ running: worker } satisfies FaultMessage);
  const tokens = new Map<string, string>();
  let sequence = 0;
  while (running()) {
    report.operations++;
    const roll = Math.random();
    const started = Date.now();
    const after = faultsOver;
    let touching: string | undefined;
    try {
      if (roll < 0.4 || tokens.size === 0) {
        const user =
          Math.random() < 0.5
            ? `u${Math.floor(Math.random() * USERS)}`
            : `c${Math.floor(Math.random() * COLD_USERS)}`;
        const { session, token } = await ledger.create({
          tenantId: TENANT,
          user: { id: user, login: user },
          sessionIdentifier: `w${worker}-${sequence++}`,
        });
        report.created.push(session.id);
        tokens.set(session.id, token);
        // Every committed state must respect the cap, not just the final one.
        const open = await ledger.count(TENANT, {
          kind: "and",
          items: [active, { kind: "user", filter: userIs(user) }],
        });
        if (open > CAP) report.capViolations.push(`${user} held ${open} open sessions`);
      } else if (roll < 0.7) {
        const id = pick([...tokens.keys()])!;
        touching = id;
        const session = await ledger.validate(TENANT, tokens.get(id)!);
        if (session) report.touched[id] = session.lastActivityAt;
        else tokens.delete(id);
      } else if (roll < 0.74) {
        // Terminate someone's open session, often another process's.
        const page = await ledger.list(TENANT, { filter: active, limit: 20 });
        const target = pick(page.items.map((s) => s.id));
        if (target) await ledger.terminateSessions(TENANT, [target, pick([...tokens.keys()])!]);
      } else if (roll < 0.77) {
        await ledger.logout(TENANT, pick([...tokens.keys()])!);
      } else if (roll < 0.78) {
        await ledger.terminateUserSessions(TENANT, `u${Math.floor(Math.random() * USERS)}`);
      } else if (roll < 0.9) {
        try {
          await ledger.expireDue();
        } catch (error) {
          report.failedSweeps++;
          throw error;
        }
      } else if (roll < 0.92) {
        // A termination task over open sessions of any process, own ones and a missing id.
        const page = await ledger.list(TENANT, { filter: active, limit: 4 });
        const ids = [
          ...page.items.map((s) => s.id),
          ...[...tokens.keys()].slice(-2),
          `missing-${worker}-${sequence++}`,
        ];
        const task = await runner.submitTermination(TENANT, [...new Set(ids)]);
        report.submitted.push(task.id);
      } else {
        await ledger.list(TENANT, { filter: active, limit: 20 });
      }
      if (after) {
        report.callsAfterFaults++;
        report.finalSuccessStreak++;
      }
    } catch (error) {
      failed(error);
      if (touching) report.uncertainTouches.push(touching);
      if (after) {
        report.callsAfterFaults++;
        report.failuresAfterFaults++;
        report.finalSuccessStreak = 0;
      }
    }
    report.maxCallMs = Math.max(report.maxCallMs, Date.now() - started);
  }
  // Hands a task in progress back to the queue for another runner.
  await runner.stop().catch(failed);
}

main()
  .catch((error: unknown) => {
    report.errors.push(String((error as Error)?.stack ?? error));
  })
  .finally(async () => {
    await pool.end().catch(() => undefined);
    process.send?.(report, () => process.exit(0));
  });
