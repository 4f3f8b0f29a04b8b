/**
 * Host latency under admin load (SPEC §9, issue 11): the library inside a host's process, and
 * what an administrator's work costs the host's users. For each workload, a fresh host
 * (`host-server.mjs`) on a copy of the bench database; one client (`host-user.mjs`) calls
 * `GET /me` in a closed loop for the window while another (`host-admin.mjs`) runs one admin
 * workload in a loop; the host reports its own event-loop delay over the same window.
 *
 * The copy is made once per run, so the shared data set is never changed; the two workloads
 * that write are undone between iterations from here, on a connection of this process, never
 * through the host. While that happens the window is paused: the `/me` loop holds, the host
 * leaves the stretch out of its event-loop delay, and the paused time does not count towards
 * the window.
 */
import { closeSync, copyFileSync, fsyncSync, openSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_WORKLOADS, OCTANE_DAYS, TASK_TIMEOUT_MS } from "./admin-workloads.mjs";
import {
  BENCH_TENANT,
  clearScratch,
  fillBulkTenant,
  NOW,
  OUT_DIR,
  removeDatabase,
  SCRATCH,
  TABLE,
} from "./dataset.mjs";
import { channel, startPeer, startServer } from "./processes.mjs";
import { load } from "./report.mjs";
import { BULK_IDS } from "./workload.mjs";

const DAY = 86_400_000;
export const HOST_LATENCY_WORKLOADS = ADMIN_WORKLOADS.map(({ key }) => key);
/** The measured window of each workload. */
export const WINDOW_SECONDS = 8;
/** SPEC §9: `/me` p99 within 3× its idle p99 or 25 ms, worst within 250 ms, loop max < 50 ms. */
export const HOST_BUDGET = { p99Factor: 3, p99FloorMs: 25, worstMs: 250, eventLoopMaxMs: 50 };

/** Generous bounds on each step, so a stuck process ends the run instead of hanging it. */
const TIMEOUTS = {
  prepare: 300_000,
  // A /me request in hand when the window ends may take its own timeout (10 s) to finish.
  userFinish: 60_000,
  // A host stalled by an admin iteration answers only once the stall is over.
  hostReport: 600_000,
  adminFinish: TASK_TIMEOUT_MS + 120_000,
};

/**
 * Copies the bench database for this run. The source's WAL is folded into its file first, and
 * the copy is flushed to disk before anything is measured, so the kernel's write-back of
 * hundreds of megabytes does not land in a measured window.
 */
export function copyDataset(lib, source, target) {
  const database = new lib.Database(source);
  database.pragma("wal_checkpoint(TRUNCATE)");
  database.close();
  removeDatabase(target);
  copyFileSync(source, target);
  const fd = openSync(target, "r+");
  fsyncSync(fd);
  closeSync(fd);
}

/**
 * What the workloads need in the copy, and how the two that write are undone: 100,000 open
 * sessions in the bulk tenant (each terminate iteration ends them all), and the rows that have
 * lapsed at NOW but were never swept (each sweep expires them all). An undo checks that the
 * iteration really ended every one of them. The CSV export's rows are counted here too, so the
 * admin client can check each file it reads.
 */
function prepareWorkloads(lib, database) {
  const exportRows = database
    .prepare(
      `SELECT count(*) FROM ${TABLE} WHERE tenant_id = ? AND lower(client_type) = 'ui' AND created_at > ? AND created_at < ?`,
    )
    .pluck()
    .get(BENCH_TENANT, NOW - OCTANE_DAYS * DAY, NOW);
  clearScratch(database);
  fillBulkTenant(lib, database, BULK_IDS, { allOpen: true });
  const ids = database
    .prepare(`SELECT id FROM ${TABLE} WHERE tenant_id = ? ORDER BY created_at DESC, id`)
    .pluck()
    .all(SCRATCH.bulk);
  database.exec("DROP TABLE IF EXISTS temp.lapsed");
  database
    .prepare(
      `CREATE TEMP TABLE lapsed AS SELECT rowid AS rid FROM ${TABLE} WHERE ended_at IS NULL AND expires_at <= ?`,
    )
    .run(NOW);
  const lapsed = database.prepare("SELECT count(*) FROM temp.lapsed").pluck().get();
  // The harness checkpoints its own writes, so the host never pays for folding them in.
  const checkpoint = () => database.pragma("wal_checkpoint(TRUNCATE)");
  checkpoint();
  const reopen = (where, ...params) =>
    database
      .prepare(
        `UPDATE ${TABLE} SET status = 'ACTIVE', end_reason = NULL, ended_at = NULL WHERE ${where}`,
      )
      .run(...params).changes;
  const reopenBulk = () => reopen("tenant_id = ? AND ended_at IS NOT NULL", SCRATCH.bulk);
  const reopenLapsed = () => reopen("rowid IN (SELECT rid FROM temp.lapsed)");
  const expiredLapsed = database
    .prepare(
      `SELECT count(*) FROM ${TABLE} WHERE rowid IN (SELECT rid FROM temp.lapsed) AND status = 'EXPIRED'`,
    )
    .pluck();
  const check = (what, ended, expected) => {
    if (ended !== expected) throw new Error(`${what} ended ${ended} sessions, not ${expected}`);
  };
  return {
    params: {
      terminate: {
        terminateBody: JSON.stringify({ data: ids.map((id) => ({ id, is_closed: true })) }),
      },
      sweep: { lapsed },
      csv: { rows: exportRows },
    },
    counts: { terminate: ids.length, sweep: lapsed, exportRows },
    checkpoint,
    undo: {
      terminate: () => check("the terminate task", reopenBulk(), ids.length),
      sweep: () => {
        check("the sweep", expiredLapsed.get(), lapsed);
        reopenLapsed();
      },
    },
    /** Puts everything back without checking, whatever state an iteration left. */
    reset() {
      reopenBulk();
      reopenLapsed();
    },
  };
}

/** A window of `ms` measured milliseconds that can be paused; `done` resolves at its end. */
function measuredWindow(ms) {
  let remaining = ms;
  let since = null;
  let timer;
  let pausedMs = 0;
  let pausedAt = 0;
  let end;
  const done = new Promise((resolve) => {
    end = resolve;
  });
  const run = () => {
    since = performance.now();
    timer = setTimeout(() => {
      since = null;
      end();
    }, remaining);
  };
  return {
    done,
    start: run,
    get running() {
      return since !== null;
    },
    pause() {
      clearTimeout(timer);
      remaining -= performance.now() - since;
      since = null;
      pausedAt = performance.now();
    },
    resume() {
      pausedMs += performance.now() - pausedAt;
      run();
    },
    get pausedMs() {
      return pausedMs;
    },
  };
}

/** One workload's window: a fresh host, the `/me` client and (unless idle) the admin client. */
async function measure(workload, path, fixtures, windowMs, server) {
  const host = await startServer(server.script, [path, ...server.args]);
  const hostChannel = channel(host.child);
  const user = startPeer("host-user.mjs");
  const admin = workload.run ? startPeer("host-admin.mjs", [workload.key]) : null;
  const window = measuredWindow(windowMs);
  try {
    // Between two iterations of a write workload: hold /me and the host's delay, undo, go on.
    const undo = () => {
      fixtures.undo[workload.key]();
      fixtures.checkpoint();
    };
    admin?.answer("restore", async () => {
      if (!window.running) return undo();
      window.pause();
      try {
        await user.ask("pause", {}, TIMEOUTS.userFinish);
        await hostChannel.ask("pause");
        undo();
      } finally {
        // Whatever failed, the window goes on to its end; a broken child shows at "finish".
        await hostChannel.ask("resume").catch(() => {});
        await user.ask("resume").catch(() => {});
        window.resume();
      }
    });
    const me = {
      url: `http://127.0.0.1:${host.port}/me`,
      token: host.token,
      sessionId: host.sessionId,
    };
    await user.ask("prepare", me, TIMEOUTS.prepare);
    const base = `http://127.0.0.1:${host.port}`;
    await admin?.ask("prepare", { base, params: fixtures.params[workload.key] }, TIMEOUTS.prepare);
    const loadStart = load();
    await hostChannel.ask("window-start");
    await Promise.all([user.ask("go"), admin?.ask("go")]);
    window.start();
    await window.done;
    // No admin iteration starts after the window; the one in hand completes, and counts.
    const adminFinished = admin
      ?.ask("finish", {}, TIMEOUTS.adminFinish)
      .catch((error) => ({ iterations: 0, iterationMs: null, errors: [error.message] }));
    const meStats = await user.ask("finish", {}, TIMEOUTS.userFinish);
    const eventLoop = await hostChannel
      .ask("window-end", {}, TIMEOUTS.hostReport)
      .catch((error) => ({ p99: null, max: null, error: error.message }));
    const adminStats = (await adminFinished) ?? null;
    return {
      key: workload.key,
      label: workload.label,
      me: meStats,
      eventLoop,
      admin: adminStats,
      pausedMs: window.pausedMs,
      load: { start: loadStart, end: load() },
    };
  } finally {
    await Promise.all([host.stop(), user.stop(), admin?.stop()]);
    if (workload.writes) {
      fixtures.reset();
      fixtures.checkpoint();
    }
  }
}

/**
 * Which of SPEC §9's limits a workload broke: `/me` p99 against the idle run's, worst request,
 * failures, event-loop delay max; or why it was not measured.
 */
export function hostBudget(result, idle) {
  if (result.admin && (result.admin.errors.length > 0 || result.admin.iterations === 0)) {
    return { pass: false, broken: ["admin workload failed"], p99LimitMs: null };
  }
  const p99LimitMs = Math.max(HOST_BUDGET.p99Factor * idle.me.p99, HOST_BUDGET.p99FloorMs);
  const broken = [];
  if (!(result.me.p99 <= p99LimitMs)) broken.push("p99");
  if (!(result.me.worst <= HOST_BUDGET.worstMs)) broken.push("worst");
  if (result.me.failures > 0) broken.push("failures");
  if (!(result.eventLoop.max < HOST_BUDGET.eventLoopMaxMs)) broken.push("event loop");
  return { pass: broken.length === 0, broken, p99LimitMs };
}

/**
 * Runs the section: `only` picks workloads (idle always runs: every budget is relative to it).
 * `server` is the host (default: host-server.mjs, the Express host), e.g.
 * `{ script: "framework-server.mjs", args: ["fastify", "tracking", "admin"] }`.
 */
export async function runHostLatency(
  lib,
  datasetPath,
  { only, windowSeconds, log, server = { script: "host-server.mjs", args: [] } },
) {
  const started = performance.now();
  const loadStart = load();
  const copy = join(OUT_DIR, "host-latency.db");
  log("  copying the data set…");
  copyDataset(lib, datasetPath, copy);
  const database = new lib.Database(copy);
  try {
    const fixtures = prepareWorkloads(lib, database);
    const results = [];
    for (const workload of ADMIN_WORKLOADS) {
      if (only && workload.key !== "idle" && !only.includes(workload.key)) continue;
      log(`  ${workload.label} (load average ${load()})…`);
      results.push(await measure(workload, copy, fixtures, windowSeconds * 1000, server));
    }
    const idle = results[0];
    for (const result of results) result.budget = hostBudget(result, idle);
    return {
      windowSeconds,
      counts: { ...fixtures.counts, tenant: BENCH_TENANT },
      results,
      load: { start: loadStart, end: load() },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    database.close();
    removeDatabase(copy);
  }
}
