/**
 * The host of the host-latency benchmark: an Express app as a host would embed the library,
 * in its own process, on a copy of the bench database. Its users' route `GET /me` sits behind
 * `sessionTracking` (required, Bearer token) and answers the session id; the Octane and
 * LogScale routers and a started task runner serve the admin, and an admin-only
 * `POST /bench/sweep` runs `ledger.expireDue()`. The store is `createSqliteStore({ database })`
 * with every option left at its default: what the store does by default is what is measured.
 * The ledger's clock is the data set's NOW, and the user's session is created through it at
 * start-up. The server measures its own event-loop delay and reports it over IPC:
 * "window-start" resets it, "pause"/"resume" leave the harness's restores out, "window-end"
 * reports p99 and max in ms.
 *
 *   node bench/host-server.mjs <db>
 */
import { ADMIN_KEY, ADMIN_TENANTS } from "./admin-workloads.mjs";
import { BENCH_TENANT, NOW } from "./dataset.mjs";
import { eventLoopDelay } from "./event-loop.mjs";
import { loadLibrary } from "./library.mjs";
import { channel, serve } from "./processes.mjs";

const NEEDS = ["sessionTracking", "createOctaneRouter", "createLogScaleRouter", "createTaskRunner"];

async function main() {
  const [path] = process.argv.slice(2);
  const lib = await loadLibrary();
  const missing = NEEDS.filter((name) => typeof lib[name] !== "function");
  if (missing.length > 0) throw new Error(`the library bundle lacks ${missing.join(", ")}`);
  const delay = eventLoopDelay();

  const database = new lib.Database(path);
  const store = lib.createSqliteStore({ database });
  await store.migrate();
  const ledger = lib.createSessionLedger({ store, clock: () => NOW });
  const taskRunner = lib.createTaskRunner({ ledger, store });
  taskRunner.start();
  const authenticate = lib.apiKeyAuthenticator({
    keys: {
      [ADMIN_KEY]: {
        id: "bench-admin",
        tenants: ADMIN_TENANTS,
        permissions: ["sessions:read", "sessions:export", "sessions:terminate"],
      },
    },
  });
  const user = await ledger.create({
    tenantId: BENCH_TENANT,
    user: { id: "host-latency-user", login: "host.user" },
    clientIp: "127.0.0.1",
  });

  const app = lib.express();
  app.get(
    "/me",
    lib.sessionTracking({ ledger, tenant: () => BENCH_TENANT, required: true }),
    (req, res) => res.json({ id: req.sessionLedger.session.id }),
  );
  app.post("/bench/sweep", async (req, res) => {
    if (!(await authenticate(req))) return res.status(401).end();
    res.json({ expired: await ledger.expireDue() });
  });
  app.use(lib.createOctaneRouter({ ledger, taskRunner, authenticate }));
  app.use(lib.createLogScaleRouter({ ledger, authenticate }));

  const harness = channel(process);
  harness.answer("window-start", () => delay.start());
  harness.answer("pause", () => delay.pause());
  harness.answer("resume", () => delay.resume());
  harness.answer("window-end", () => delay.end());
  serve(app, {
    info: { token: user.token, sessionId: user.session.id },
    close: async () => {
      await taskRunner.stop();
      // A store with resources of its own (worker threads, say) releases them here.
      await store.close?.();
      database.close();
    },
  });
}

await main();
