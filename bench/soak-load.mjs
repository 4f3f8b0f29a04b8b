/**
 * The load of the soak, in its own process, against one host. Two roles, each its own process
 * so neither's work delays the other's timings:
 *   - `me`: the measured user — `GET /me` with one long-lived session every PACE_MS.me, each
 *     request timed (a failed one counts, with its time until it failed);
 *   - `traffic`: everything else at the paces of `soak-workload.mjs` — logins whose sessions
 *     touch twice and then log out, are queued for an admin terminate task, or lapse; admin list
 *     pages and groups; CSV exports; terminate tasks; sweeps.
 * "go" starts the loops; "tick" reports the stretch since the last tick (counts, errors with a
 * few samples, and for `me` the p50/p99/worst) and starts the next; "finish" stops the loops,
 * waits for the steps in flight and reports the last stretch.
 *
 *   node bench/soak-load.mjs <me|traffic> <base url>
 */
import { Agent } from "node:http";
import { percentile } from "./http-client.mjs";
import { channel, exitOnStop } from "./processes.mjs";
import {
  adminRead,
  csvExport,
  FATES,
  login,
  logout,
  me,
  PACE_MS,
  sweep,
  terminate,
  USERS,
} from "./soak-workload.mjs";

const ERROR_SAMPLES = 3;
/** Ids one terminate task ends at most. */
const TASK_IDS = 1000;

/** Per-stretch counters: steps done per kind, errors per kind and their first messages. */
function counters() {
  let counts = {};
  let errors = {};
  let samples = [];
  return {
    count(kind, n = 1) {
      counts[kind] = (counts[kind] ?? 0) + n;
    },
    error(kind, error) {
      errors[kind] = (errors[kind] ?? 0) + 1;
      if (samples.length < ERROR_SAMPLES) samples.push(`${kind}: ${error?.message ?? error}`);
    },
    take() {
      const taken = { counts, errors, errorSamples: samples };
      counts = {};
      errors = {};
      samples = [];
      return taken;
    },
  };
}

/**
 * Runs `step` every `periodMs` (from start to start), one at a time, until `stop()`, which
 * cuts the wait short and resolves once the step in flight has finished.
 */
function pacedLoop(periodMs, step) {
  let stopped = false;
  let wake = () => {};
  const sleep = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const running = (async () => {
    let next = performance.now();
    while (!stopped) {
      await step();
      next += periodMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
  })();
  return async () => {
    stopped = true;
    wake();
    await running;
  };
}

function meRole(host, stats, session) {
  let timings = [];
  return {
    loops: () => [
      pacedLoop(PACE_MS.me, async () => {
        try {
          timings.push(await me(host, session));
          stats.count("me");
        } catch (error) {
          // A failed request counts in the errors, and its time until it failed in the timings.
          if (typeof error?.ms === "number") timings.push(error.ms);
          stats.error("me", error);
        }
      }),
    ],
    report() {
      const sorted = timings.sort((a, b) => a - b);
      timings = [];
      return {
        p50: percentile(sorted, 50) ?? null,
        p99: percentile(sorted, 99) ?? null,
        worst: sorted.at(-1) ?? null,
      };
    },
  };
}

function trafficRole(host, stats) {
  const lives = new Set();
  const toTerminate = [];
  let round = 0;
  const attempt = async (kind, work) => {
    try {
      await work();
      return true;
    } catch (error) {
      stats.error(kind, error);
      return false;
    }
  };
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A logged-in session: two touches a second apart, then its fate. */
  const live = async (session) => {
    for (let i = 0; i < 2; i++) {
      await wait(PACE_MS.touch);
      if (!(await attempt("touch", () => me(host, session)))) return;
      stats.count("touch");
    }
    const draw = Math.random();
    const [fate] = FATES.find(([, share]) => draw < share);
    if (fate === "logout") {
      if (await attempt("logout", () => logout(host, session))) stats.count("logout");
    } else if (fate === "terminate") toTerminate.push(session.id);
    else stats.count("left to lapse");
  };
  return {
    loops: () => [
      pacedLoop(PACE_MS.login, async () => {
        const userId = `user-${Math.floor(Math.random() * USERS)}`;
        let session;
        if (!(await attempt("login", async () => (session = await login(host, userId))))) return;
        stats.count("login");
        const life = live(session).finally(() => lives.delete(life));
        lives.add(life);
      }),
      pacedLoop(PACE_MS.read, async () => {
        const which = round++;
        await attempt("admin read", async () => stats.count(await adminRead(host, which)));
      }),
      pacedLoop(PACE_MS.export, async () => {
        await attempt("export", async () => {
          stats.count("export rows", await csvExport(host));
          stats.count("export");
        });
      }),
      pacedLoop(PACE_MS.terminate, async () => {
        if (toTerminate.length === 0) return;
        const ids = toTerminate.splice(0, TASK_IDS);
        await attempt("terminate task", async () => {
          await terminate(host, ids);
          stats.count("terminate task");
          stats.count("terminated", ids.length);
        });
      }),
      pacedLoop(PACE_MS.sweep, async () => {
        await attempt("sweep", async () => {
          stats.count("swept", await sweep(host));
          stats.count("sweep");
        });
      }),
    ],
    async settle() {
      await Promise.all([...lives]);
    },
    report: () => ({}),
  };
}

function main() {
  const parent = channel(process);
  // Idle sockets are closed from this side after 4 s, before the host's keep-alive timeout
  // (Node's 5 s) closes them from its side: a request sent on a socket the host is closing at
  // that moment fails with ECONNRESET, an error of the harness, not of the host.
  const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: 4000 });
  const stats = counters();
  let role;
  let stops = [];
  parent.answer("prepare", ({ kind, base, session }) => {
    const host = { base, agent };
    role = kind === "me" ? meRole(host, stats, session) : trafficRole(host, stats);
    return { ready: true };
  });
  parent.answer("go", () => {
    stops = role.loops();
  });
  const report = () => ({ ...stats.take(), ...role.report() });
  parent.answer("tick", report);
  parent.answer("finish", async () => {
    await Promise.all(stops.map((stop) => stop()));
    await role.settle?.();
    agent.destroy();
    return report();
  });
  exitOnStop();
}

main();
