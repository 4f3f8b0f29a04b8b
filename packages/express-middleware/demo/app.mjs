/**
 * The demo server as a function, so tests run the very app `pnpm demo` serves.
 */
import { createSessionLedger, createTaskRunner } from "@session-ledger/core";
import {
  apiKeyAuthenticator,
  createOctaneRouter,
  endSession,
  issueSession,
  sessionTracking,
} from "@session-ledger/express";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import express from "express";
import { SPACES, generateSessions } from "./sessions.mjs";

const ALL = ["sessions:read", "sessions:terminate", "sessions:export", "sessions:settings", "read-session-log"];

/**
 * Opens (and on first start fills) the demo database and builds the express app with every
 * router mounted. `close()` stops the task runner and closes the database.
 */
export async function createDemo({
  dbPath = "./demo.db",
  sessions = 100_000,
  seed = 1,
  apiKey = "demo-admin-key",
  readOnlyKey = "demo-readonly-key",
  now = Date.now,
  log = () => {},
} = {}) {
  const database = new Database(dbPath);
  const store = createSqliteStore({ database });
  await store.migrate();
  const ledger = createSessionLedger({
    store,
    clock: now,
    cursorSecret: process.env.DEMO_CURSOR_SECRET ?? `demo-cursor-secret-${seed}`,
  });

  if (sessions > 0 && (await ledger.count(SPACES[0])) === 0) {
    const started = Date.now();
    let written = 0;
    for (const record of generateSessions({ count: sessions, seed, now: now() })) {
      await store.insertSession(record);
      if (++written % 20_000 === 0) log(`  filled ${written} of ${sessions} sessions…`);
    }
    log(`filled ${dbPath} with ${written} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  const taskRunner = createTaskRunner({ ledger });
  taskRunner.start();
  const sweep = setInterval(() => void ledger.expireDue().catch((e) => log(`sweep failed: ${e}`)), 60_000);
  sweep.unref();

  const admin = { id: "demo-admin", tenants: "*", permissions: ALL };
  const authenticate = apiKeyAuthenticator({
    keys: {
      [apiKey]: admin,
      [readOnlyKey]: { id: "demo-auditor", tenants: "*", permissions: ["sessions:read", "sessions:export", "read-session-log"] },
    },
  });

  const app = express();
  app.set("trust proxy", "loopback");
  app.use(express.json({ limit: "2mb" }));
  app.use(createOctaneRouter({ ledger, taskRunner, authenticate }));

  // Login tracking, for trying the middleware by hand: POST /login {"login":"…"}, GET /me.
  const tenant = () => SPACES[0];
  app.post("/login", async (req, res, next) => {
    try {
      const login = String(req.body?.login ?? "").trim();
      if (!login) return res.status(400).json({ message: "body must be {\"login\": \"…\"}" });
      const { session } = await issueSession(req, res, { ledger, tenantId: tenant(), user: { id: `local-${login}`, login } });
      res.status(201).json({ id: session.id, expiresAt: session.expiresAt });
    } catch (error) {
      next(error);
    }
  });
  app.get("/me", sessionTracking({ ledger, tenant, required: true }), (req, res) => {
    res.json(req.sessionLedger.session);
  });
  app.post("/logout", sessionTracking({ ledger, tenant }), async (req, res, next) => {
    try {
      await endSession(req, res, { ledger });
      res.status(204).end();
    } catch (error) {
      next(error);
    }
  });

  return {
    app,
    ledger,
    store,
    taskRunner,
    describe: (base) => describe(base, apiKey),
    async close() {
      clearInterval(sweep);
      await taskRunner.stop();
      database.close();
    },
  };
}

function describe(base, key) {
  const day = 86_400_000;
  const to = new Date().toISOString();
  const from = new Date(Date.now() - 29 * day).toISOString();
  const range = `creation_time>^${from}^;creation_time<^${to}^`;
  const h = `-H "X-API-KEY: ${key}"`;
  return `session-ledger demo on ${base} (spaces ${SPACES.join(", ")}; admin key "${key}")

  # Octane: open sessions of space 1001
  curl -sG ${h} "${base}/api/shared_spaces/1001/sessions" --data-urlencode 'query="(end_time=null)"' --data-urlencode 'limit=5'
  # Octane: user 220001's sessions of the last 30 days, newest first
  curl -sG ${h} "${base}/api/shared_spaces/1001/sessions" --data-urlencode 'fields=session_identifier,client_type,user,creation_time,access_type,license_edition,end_time,client_ip,id' --data-urlencode 'query="(${range};(user={id=220001}))"' --data-urlencode 'order_by=-creation_time'
  # Octane: sessions per license edition
  curl -sG ${h} "${base}/api/shared_spaces/1001/sessions/groups" --data-urlencode 'group_by=license_edition' --data-urlencode 'query="(${range})"'
  # Octane: CSV export
  curl -sG ${h} "${base}/api/shared_spaces/1001/sessions/csv_exports" --data-urlencode 'fields=id,user,client_type,client_ip,creation_time,end_time' --data-urlencode 'query="(${range})"' -o sessions.csv
  # Octane: terminate, then poll the background task
  curl -s -X PUT ${h} -H "Content-Type: application/json" "${base}/api/shared_spaces/1001/sessions?query=%22(id='<id>')%22" -d '{"data":[{"is_closed":true}]}'
  curl -sG ${h} "${base}/api/shared_spaces/1001/background_tasks" --data-urlencode 'fields=status,result' --data-urlencode 'query="id=<task id>"'
`;
}
