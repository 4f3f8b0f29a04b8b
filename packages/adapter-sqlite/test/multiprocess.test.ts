import { fork } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSessionLedger } from "@session-ledger/core";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { bundleScript } from "./bundle-script.js";
import { temporaryDirectory } from "./fixture.js";
import { CAP, TENANT, type WorkerReport } from "./multiprocess-shared.js";

/** How long the four processes run; `SQLITE_MULTIPROCESS_MS` shortens or lengthens it. */
const DURATION_MS = Number(process.env.SQLITE_MULTIPROCESS_MS ?? 10_000);
const WORKERS = 4;
const here = dirname(fileURLToPath(import.meta.url));

function runWorker(
  script: string,
  file: string,
  worker: number,
  mode: "run" | "migrate-only" = "run",
): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    let report: WorkerReport | undefined;
    const child = fork(script, [file, String(worker), String(DURATION_MS), mode], {
      stdio: "inherit",
    });
    child.on("message", (message) => {
      report = message as WorkerReport;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (report) resolve(report);
      else reject(new Error(`worker ${worker} exited with ${code} and no report`));
    });
  });
}

let script: string;
beforeAll(async () => {
  script = await bundleScript(join(here, "multiprocess-worker.ts"), "multiprocess-worker");
}, 120_000);

describe("four processes migrating one fresh database file at once", () => {
  it("all succeed, in WAL mode, and the schema is recorded once", async () => {
    const temp = temporaryDirectory();
    try {
      const file = join(temp.dir, "fresh.db");
      const reports = await Promise.all(
        Array.from({ length: WORKERS }, (_, worker) =>
          runWorker(script, file, worker, "migrate-only"),
        ),
      );
      for (const report of reports) expect(report.errors).toEqual([]);
      const database = new Database(file);
      try {
        expect(database.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(database.prepare("SELECT version FROM session_ledger_migrations").all()).toEqual([
          { version: 1 },
          { version: 2 },
        ]);
      } finally {
        database.close();
      }
    } finally {
      temp.remove();
    }
  }, 60_000);
});

describe(`four processes sharing one database file for ${DURATION_MS} ms`, () => {
  const temp = temporaryDirectory();
  const file = join(temp.dir, "shared.db");
  let reports: WorkerReport[];
  let database: Database.Database;

  beforeAll(async () => {
    // The cap makes concurrent creates race on eviction across processes too.
    database = new Database(file);
    const store = createSqliteStore({ database });
    await store.migrate();
    await createSessionLedger({ store }).setPolicy(TENANT, {
      maxSessionsPerUser: CAP,
      onSessionLimit: "evict-oldest",
      touchResolutionMs: 0,
    });
    reports = await Promise.all(
      Array.from({ length: WORKERS }, (_, worker) => runWorker(script, file, worker)),
    );
  }, DURATION_MS + 120_000);

  afterAll(() => {
    database?.close();
    temp.remove();
  });

  const rows = () =>
    database
      .prepare(
        "SELECT id, user_id, status, ended_at, expires_at, last_activity_at FROM session_ledger_sessions",
      )
      .all() as {
      id: string;
      user_id: string;
      status: string;
      ended_at: number | null;
      expires_at: number;
      last_activity_at: number;
    }[];

  it("every worker did real work without a single error", () => {
    const summary = reports.map(
      (r) =>
        `worker ${r.worker}: ${r.operations} ops, ${r.created.length} created, ${r.ended.length} ended`,
    );
    console.info(summary.join("\n"));
    for (const report of reports) {
      expect(report.errors, `worker ${report.worker}`).toEqual([]);
      expect(report.created.length, `worker ${report.worker}`).toBeGreaterThan(10);
    }
  });

  it("loses no acknowledged create, touch or termination", () => {
    const byId = new Map(rows().map((row) => [row.id, row]));
    for (const report of reports) {
      for (const id of report.created) expect(byId.has(id), id).toBe(true);
      for (const id of report.ended) {
        const row = byId.get(id)!;
        expect(row.ended_at, id).not.toBeNull();
        expect(row.status, id).not.toBe("ACTIVE");
      }
      // Only the creating worker touches a session, so the stored activity is its last touch.
      for (const [id, at] of Object.entries(report.touched)) {
        expect(byId.get(id)!.last_activity_at, id).toBe(at);
      }
    }
  });

  it("ends each session for exactly one caller", () => {
    const ended = reports.flatMap((report) => report.ended);
    expect(new Set(ended).size).toBe(ended.length);
  });

  it("leaves no session both ended and open", () => {
    const torn = rows().filter((row) => (row.ended_at === null) !== (row.status === "ACTIVE"));
    expect(torn).toEqual([]);
  });

  it("never lets a user hold more open sessions than the cap", () => {
    for (const report of reports)
      expect(report.capViolations, `worker ${report.worker}`).toEqual([]);
    const open = new Map<string, number>();
    const now = Date.now();
    for (const row of rows()) {
      if (row.ended_at === null && row.expires_at > now) {
        open.set(row.user_id, (open.get(row.user_id) ?? 0) + 1);
      }
    }
    for (const [user, count] of open) expect(count, user).toBeLessThanOrEqual(CAP);
  });
});
