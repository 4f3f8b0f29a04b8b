/**
 * The "me" section (issue 21): what the host's own per-request check costs through each
 * framework's native tracking. For each framework, two hosts on one copy of the bench
 * database (framework-server.mjs): `GET /me` through the adapter's `sessionTracking`, and
 * through a hand-written handler in the same framework that reads the Bearer header and calls
 * `ledger.validate` itself. One load process (me-load.mjs) drives each in turn for a window,
 * alternating which goes first, for `rounds` rounds after a warm-up of each; each server
 * reports its CPU time, so its cost per request is known even where the load process, not the
 * server, sets the pace. The ratio is the median of the rounds' tracking / hand-written req/s.
 */
import { join } from "node:path";
import { OUT_DIR, removeDatabase } from "./dataset.mjs";
import { copyDataset } from "./host-latency.mjs";
import { channel, startPeer, startServer } from "./processes.mjs";
import { load } from "./report.mjs";
import { median } from "./timing.mjs";

export const ME_FRAMEWORKS = ["express", "fastify", "hono", "koa"];
/** The goal: tracking serves at least this share of the hand-written handler's req/s. */
export const ME_GOAL = 0.9;
/** Rounds of alternating windows, and each window's length. */
export const ME_ROUNDS = 10;
export const ME_WINDOW_SECONDS = 3;
const CONCURRENCY = 8;
const WARMUP_MS = 2000;
const MODES = ["tracking", "hand"];

/** One window of load on one server: the client's figures and the server's CPU per request. */
async function window(server, loader, durationMs) {
  const before = await server.channel.ask("cpu");
  const figures = await loader.ask(
    "run",
    {
      url: `http://127.0.0.1:${server.port}/me`,
      token: server.token,
      sessionId: server.sessionId,
      concurrency: CONCURRENCY,
      durationMs,
    },
    durationMs + 60_000,
  );
  const after = await server.channel.ask("cpu");
  const cpuMicros = after.user + after.system - (before.user + before.system);
  const answered = after.answered - before.answered;
  return { ...figures, cpuMicrosPerRequest: answered > 0 ? cpuMicros / answered : null };
}

/** Both hosts of one framework, `rounds` alternating windows of each. */
async function measureFramework(framework, path, loader, { rounds, seconds, log }) {
  const servers = {};
  try {
    for (const mode of MODES) {
      const server = await startServer("framework-server.mjs", [path, framework, mode]);
      servers[mode] = { ...server, channel: channel(server.child) };
    }
    for (const mode of MODES) await window(servers[mode], loader, WARMUP_MS);
    const windows = { tracking: [], hand: [] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order)
        windows[mode].push(await window(servers[mode], loader, seconds * 1000));
    }
    const summary = (list) => ({
      perSecond: median(list.map((w) => w.perSecond)),
      p50: median(list.map((w) => w.p50)),
      p99: median(list.map((w) => w.p99)),
      worst: Math.max(...list.map((w) => w.worst)),
      cpuMicrosPerRequest: median(list.map((w) => w.cpuMicrosPerRequest)),
      requests: list.reduce((sum, w) => sum + w.requests, 0),
      failures: list.reduce((sum, w) => sum + w.failures, 0),
      failureSamples: list.flatMap((w) => w.failureSamples).slice(0, 3),
    });
    const ratios = windows.tracking.map((w, i) => w.perSecond / windows.hand[i].perSecond);
    const cpuRatios = windows.tracking.map(
      (w, i) => windows.hand[i].cpuMicrosPerRequest / w.cpuMicrosPerRequest,
    );
    const result = {
      framework,
      tracking: summary(windows.tracking),
      hand: summary(windows.hand),
      ratio: median(ratios),
      ratios,
      cpuRatio: median(cpuRatios),
      windows,
    };
    log(
      `  ${framework}: ${result.tracking.perSecond.toFixed(0)} vs ${result.hand.perSecond.toFixed(0)} req/s, ratio ${result.ratio.toFixed(3)}`,
    );
    return result;
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
  }
}

/** Runs the section over `frameworks` (default all) on a copy of the data set. */
export async function runMeSuite(
  lib,
  datasetPath,
  { frameworks = ME_FRAMEWORKS, rounds = ME_ROUNDS, windowSeconds = ME_WINDOW_SECONDS, log },
) {
  const started = performance.now();
  const loadStart = load();
  const copy = join(OUT_DIR, "me.db");
  copyDataset(lib, datasetPath, copy);
  const loader = startPeer("me-load.mjs");
  try {
    const results = [];
    for (const framework of frameworks) {
      log(`  GET /me on ${framework} (load average ${load()})…`);
      results.push(
        await measureFramework(framework, copy, loader, { rounds, seconds: windowSeconds, log }),
      );
    }
    return {
      concurrency: CONCURRENCY,
      rounds,
      windowSeconds,
      results,
      load: { start: loadStart, end: load() },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await loader.stop();
    removeDatabase(copy);
  }
}
