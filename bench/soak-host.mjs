/**
 * The host of the soak (`pnpm bench --soak`): an Express app embedding the library as a host
 * would, in its own process, on one store — a fresh SQLite file or a PostgreSQL database — with
 * every store option at its default. Its users' routes: `POST /login` (ledger.create),
 * `GET /me` behind `sessionTracking` (validate + throttled touch), `POST /logout`; its admin's:
 * the Octane router (lists, groups, CSV exports, terminate tasks run by a started task runner)
 * and an admin-only `POST /bench/sweep` (ledger.expireDue()). The ledger runs on the real clock.
 *
 * Every second it samples its own RSS, heap and (SQLite) the WAL file's size; its event-loop
 * delay is recorded throughout. "tick" over IPC reports the stretch since the last tick (max
 * and last RSS, event-loop delay p99 and max, WAL max and last) and starts the next one.
 *
 *   node bench/soak-host.mjs sqlite <file>
 *   node bench/soak-host.mjs postgres <url>
 */
import { statSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadLibrary } from "./library.mjs";
import { channel, serve } from "./processes.mjs";
import { SOAK_ADMIN_KEY, SOAK_POLICY, SOAK_TENANT } from "./soak-workload.mjs";

const MiB = 1024 * 1024;
const SAMPLE_MS = 1000;

/** What the store needs: the SQLite file, or a pool to the PostgreSQL database. */
async function openStore(lib, kind, target) {
  if (kind === "sqlite") {
    const database = new lib.Database(target);
    const store = lib.createSqliteStore({ database });
    const wal = `${target}-wal`;
    const fileSize = (path) => {
      try {
        return statSync(path).size;
      } catch {
        return 0;
      }
    };
    return {
      store,
      walBytes: () => fileSize(wal),
      dataBytes: () => fileSize(target),
      close: () => database.close(),
    };
  }
  if (kind === "postgres") {
    const pool = new lib.pg.Pool({ connectionString: target });
    // An idle client's connection error (a server restart) is the pool's to handle, not a crash.
    pool.on("error", () => {});
    const store = lib.createPostgresStore({ pool });
    return { store, walBytes: () => null, dataBytes: () => null, close: () => pool.end() };
  }
  throw new Error(`soak-host: unknown store '${kind}' (sqlite or postgres)`);
}

/** Samples of one stretch between two ticks. */
function stretchMonitor(opened) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let rss = [];
  let heap = [];
  let wal = [];
  const sample = () => {
    const memory = process.memoryUsage();
    rss.push(memory.rss / MiB);
    heap.push(memory.heapUsed / MiB);
    const walBytes = opened.walBytes();
    if (walBytes !== null) wal.push(walBytes / MiB);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  timer.unref();
  return {
    tick() {
      sample();
      const dataBytes = opened.dataBytes();
      const report = {
        rssMiB: { max: Math.max(...rss), last: rss.at(-1) },
        heapMiB: { max: Math.max(...heap), last: heap.at(-1) },
        eventLoop: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, samples: delay.count },
        walMiB: wal.length > 0 ? { max: Math.max(...wal), last: wal.at(-1) } : null,
        dataMiB: dataBytes === null ? null : dataBytes / MiB,
      };
      rss = [];
      heap = [];
      wal = [];
      delay.reset();
      return report;
    },
    stop: () => clearInterval(timer),
  };
}

/** Answers 500 with the error's class and message, so the load counts and names it. */
const guarded = (handler) => async (req, res) => {
  try {
    await handler(req, res);
  } catch (error) {
    res.status(500).json({ error: error?.name ?? "Error", message: String(error?.message) });
  }
};

async function main() {
  const [kind, target] = process.argv.slice(2);
  const lib = await loadLibrary();
  const opened = await openStore(lib, kind, target);
  const { store } = opened;
  await store.migrate();
  const ledger = lib.createSessionLedger({ store });
  await ledger.setPolicy(SOAK_TENANT, SOAK_POLICY);
  const taskRunner = lib.createTaskRunner({ ledger, store });
  taskRunner.start();
  const authenticate = lib.apiKeyAuthenticator({
    keys: {
      [SOAK_ADMIN_KEY]: {
        id: "soak-admin",
        tenants: [SOAK_TENANT],
        permissions: ["sessions:read", "sessions:export", "sessions:terminate"],
      },
    },
  });
  const user = await ledger.create({
    tenantId: SOAK_TENANT,
    user: { id: "soak-me-user", login: "soak.me" },
    clientIp: "127.0.0.1",
  });

  const app = lib.express();
  const tracking = lib.sessionTracking({ ledger, tenant: () => SOAK_TENANT, required: true });
  app.post(
    "/login",
    lib.express.json(),
    guarded(async (req, res) => {
      const { userId, userAgent } = req.body ?? {};
      const created = await ledger.create({
        tenantId: SOAK_TENANT,
        user: { id: String(userId), login: `login.${userId}` },
        clientIp: req.socket.remoteAddress ?? null,
        userAgent: userAgent ?? null,
      });
      res.json({ id: created.session.id, token: created.token });
    }),
  );
  app.get("/me", tracking, (req, res) => res.json({ id: req.sessionLedger.session.id }));
  app.post(
    "/logout",
    tracking,
    guarded(async (req, res) => {
      res.json({ ended: await ledger.logout(SOAK_TENANT, req.sessionLedger.session.id) });
    }),
  );
  app.post(
    "/bench/sweep",
    guarded(async (req, res) => {
      if (!(await authenticate(req))) return res.status(401).end();
      res.json({ expired: await ledger.expireDue() });
    }),
  );
  app.use(lib.createOctaneRouter({ ledger, taskRunner, authenticate }));

  const monitor = stretchMonitor(opened);
  const harness = channel(process);
  harness.answer("tick", () => monitor.tick());
  serve(app, {
    info: { token: user.token, sessionId: user.session.id },
    close: async () => {
      monitor.stop();
      await taskRunner.stop();
      await store.close?.();
      await opened.close();
    },
  });
}

await main();
