/**
 * A termination task killed with SIGKILL at many points of its run — between batches, and at
 * moments that fall inside a batch's transaction — and finished by a fresh process on the same
 * file reports exactly what a run that never crashed reports, and leaves the same sessions.
 */
import { fork } from "node:child_process";
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSessionLedger, type TaskView } from "@session-ledger/core";
import { sessionRecord } from "@session-ledger/core/testing";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { bundleScript } from "./bundle-script.js";
import { temporaryDirectory } from "./fixture.js";
import { CRASH_TASK, CRASH_TENANT } from "./task-crash-shared.js";

const here = dirname(fileURLToPath(import.meta.url));
const temp = temporaryDirectory();
const base = join(temp.dir, "base.db");
const T0 = Date.now() - 60_000;

interface Finished {
  task: TaskView;
  sessions: Record<string, string>;
}

let script: string;
beforeAll(async () => {
  script = await bundleScript(join(here, "task-crash-child.ts"), "task-crash-child");
  // 3,000 open sessions, 100 of them already revoked, 20 of another tenant, 50 unknown ids.
  const database = new Database(base);
  const store = createSqliteStore({ database, readers: 0 });
  await store.migrate();
  const ids: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const id = `s${String(i).padStart(5, "0")}`;
    await store.insertSession(
      sessionRecord({
        id,
        tenantId: CRASH_TENANT,
        createdAt: T0,
        expiresAt: T0 + 3_600_000,
        absoluteExpiresAt: T0 + 36_000_000,
        user: { id: `u${i % 40}`, login: `user${i % 40}`, fullName: null, email: null },
      }),
    );
    ids.push(id);
  }
  for (let i = 0; i < 20; i++) {
    const id = `f${i}`;
    await store.insertSession(sessionRecord({ id, tenantId: "1002", createdAt: T0 }));
    ids.splice(i * 100, 0, id);
  }
  for (let i = 0; i < 50; i++) ids.splice(i * 60 + 7, 0, `unknown-${i}`);
  const ledger = createSessionLedger({ store });
  await ledger.terminateSessions(
    CRASH_TENANT,
    ids.filter((id) => id.startsWith("s")).slice(0, 100),
  );
  await store.insertTask({
    id: CRASH_TASK,
    tenantId: CRASH_TENANT,
    kind: "terminate_sessions",
    status: "QUEUED",
    payload: { ids },
    progress: 0,
    error: null,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    leaseOwner: null,
    leaseExpiresAt: null,
  });
  database.pragma("wal_checkpoint(TRUNCATE)");
  database.close();
}, 120_000);
afterAll(() => temp.remove());

/** Runs the child on `file`; `killAt` decides, per message, whether to SIGKILL it now. */
function runChild(
  file: string,
  mode: "run" | "finish",
  killAt: (message: { batch?: number }) => boolean = () => false,
  killAfterMs?: number,
): Promise<{ finished?: Finished; killed: boolean; batches: number; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [file, mode], { stdio: "inherit" });
    let finished: Finished | undefined;
    let batches = 0;
    const errors: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    child.on("message", (message: { batch?: number; error?: string } & Partial<Finished>) => {
      if (message.batch !== undefined) {
        batches = message.batch;
        if (batches === 1 && killAfterMs !== undefined) {
          timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        }
      }
      if (message.error) errors.push(message.error);
      if (message.task) finished = message as Finished;
      if (killAt(message)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      resolve({ finished, killed: signal === "SIGKILL", batches, errors });
    });
  });
}

let runs = 0;
async function crashAndFinish(
  killAt: (message: { batch?: number }) => boolean,
  killAfterMs?: number,
): Promise<{ finished: Finished; batchesBeforeKill: number }> {
  const file = join(temp.dir, `run-${runs++}.db`);
  copyFileSync(base, file);
  const first = await runChild(file, "run", killAt, killAfterMs);
  expect(first.killed, "the first process should have been killed mid-task").toBe(true);
  expect(first.errors).toEqual([]);
  const second = await runChild(file, "finish");
  expect(second.errors).toEqual([]);
  expect(second.finished).toBeDefined();
  return { finished: second.finished!, batchesBeforeKill: first.batches };
}

describe("a termination task killed with SIGKILL and finished by the next process", () => {
  let reference: Finished;

  beforeAll(async () => {
    const file = join(temp.dir, "uncrashed.db");
    copyFileSync(base, file);
    const run = await runChild(file, "finish");
    reference = run.finished!;
  }, 60_000);

  it("the uncrashed run ends every open session it names and reports each id once", () => {
    const result = reference.task.result!;
    expect(reference.task.status).toBe("SUCCESS");
    expect(result).toMatchObject({ total: 3070, processed: 3070, failed: [] });
    expect(result.ended).toHaveLength(2900);
    expect(result.alreadyEnded).toHaveLength(100);
    expect(result.notFound).toHaveLength(70);
    expect(Object.values(reference.sessions).filter((s) => s === "ACTIVE")).toEqual([]);
  });

  const afterBatches = [1, 2, 7, 16, 30];
  for (const batch of afterBatches) {
    it(`reports the same result when killed right after batch ${batch}`, async () => {
      const { finished } = await crashAndFinish((message) => message.batch === batch);
      expect(finished.task.result).toEqual(reference.task.result);
      expect(finished.task.status).toBe("SUCCESS");
      expect(finished.sessions).toEqual(reference.sessions);
    });
  }

  const afterMs = [0, 1, 3, 6];
  for (const ms of afterMs) {
    it(`reports the same result when killed ${ms} ms into the run, inside or between batches`, async () => {
      const { finished, batchesBeforeKill } = await crashAndFinish(() => false, ms);
      expect(batchesBeforeKill).toBeLessThan(31);
      expect(finished.task.result).toEqual(reference.task.result);
      expect(finished.sessions).toEqual(reference.sessions);
    });
  }
});
