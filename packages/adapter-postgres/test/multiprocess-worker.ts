/**
 * One of the processes of multiprocess.test.ts: with its own pool and ledger on the shared
 * database, it creates, validates (touches), terminates, logs out, sweeps and runs termination
 * tasks until its deadline, then reports what the store acknowledged. Bundled from source by
 * the test and run with plain `node`.
 */
import {
  createSessionLedger,
  createTaskRunner,
  type Filter,
  type SessionStore,
} from "@session-ledger/core";
import pg from "pg";
import { createPostgresStore } from "../src/index.js";
import {
  CAP,
  COLD_USERS,
  emptyReport,
  LEASE_MS,
  TENANT,
  USERS,
  type WorkerReport,
} from "./multiprocess-shared.js";

const [url, schema, workerArg, durationArg, mode] = process.argv.slice(2);
const worker = Number(workerArg);
const deadline = Date.now() + Number(durationArg);

const pool = new pg.Pool({ connectionString: url, max: 4 });
const report: WorkerReport = emptyReport(worker);
const store = createPostgresStore({ pool, schema });

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
  leaseMs: LEASE_MS,
  pollMs: 100,
  batchSize: 4,
  onError: (error) =>
    report.errors.push(`task runner: ${String((error as Error)?.stack ?? error)}`),
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
  const tokens = new Map<string, string>();
  let sequence = 0;
  while (Date.now() < deadline) {
    report.operations++;
    const roll = Math.random();
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
        await ledger.expireDue();
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
    } catch (error) {
      report.errors.push(String((error as Error)?.stack ?? error));
    }
  }
  // Hands a task in progress back to the queue for another runner.
  await runner.stop();
}

main()
  .catch((error: unknown) => {
    report.errors.push(String((error as Error)?.stack ?? error));
  })
  .finally(async () => {
    await pool.end().catch(() => undefined);
    process.send?.(report, () => process.exit(0));
  });
