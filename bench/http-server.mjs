/**
 * The HTTP benchmark's server: the Octane router over the ledger on the bench database, on
 * 127.0.0.1 with an ephemeral port, in its own process. Tells the parent the port over IPC
 * and serves until it is told to stop.
 *
 *   node bench/http-server.mjs <db>
 */
import { NOW } from "./dataset.mjs";
import { loadLibrary } from "./library.mjs";
import { serve } from "./processes.mjs";
import { API_KEY } from "./workload.mjs";

async function main() {
  const [path] = process.argv.slice(2);
  const lib = await loadLibrary();
  const database = new lib.Database(path);
  const store = lib.createSqliteStore({ database });
  const ledger = lib.createSessionLedger({
    store,
    clock: () => NOW,
    cursorSecret: "bench-cursor-secret-0123456789abcdef",
  });
  // Only read routes are measured: the runner is there because the router needs one.
  const taskRunner = lib.createTaskRunner({ ledger, store });
  const authenticate = lib.apiKeyAuthenticator({
    keys: { [API_KEY]: { id: "bench", tenants: "*", permissions: ["sessions:read"] } },
  });
  const app = lib.express();
  app.use(lib.createOctaneRouter({ ledger, taskRunner, authenticate }));
  serve(app, { keepAliveTimeout: 60_000, close: () => database.close() });
}

await main();
