/**
 * The demo server as a function, so tests run the very app `pnpm demo` serves: every admin
 * router of `@session-ledger/express` over the SQLite store, in the spaces of the generated
 * sessions, plus login tracking for trying the middleware by hand.
 */
import { createSessionLedger, createTaskRunner } from "@session-ledger/core";
import {
  apiKeyAuthenticator,
  createCogniteRouter,
  createFormalRouter,
  createLogScaleRouter,
  createOctaneRouter,
  createSaymonRouter,
  defaultTenant,
  endSession,
  issueSession,
  sessionTracking,
  TENANT_HEADER,
} from "@session-ledger/express";
import { generateSessions, SPACES } from "@session-ledger/fixtures";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import express from "express";

const ALL = [
  "sessions:read",
  "sessions:terminate",
  "sessions:export",
  "sessions:settings",
  "read-session-log",
];

/**
 * Options of {@link createDemo}.
 * @typedef {object} DemoOptions
 * @property {string} [dbPath] the SQLite file ("./demo.db")
 * @property {number} [sessions] sessions generated on first start, when space 1001 is empty (100000)
 * @property {number} [seed] the generator's seed (1)
 * @property {string} [apiKey] the admin API key ("demo-admin-key")
 * @property {string} [readOnlyKey] a key that may read and export but not terminate ("demo-readonly-key")
 * @property {() => number} [now] the ledger's clock (Date.now)
 * @property {(line: string) => void} [log] progress lines (none)
 */

/**
 * The demo, ready to listen.
 * @typedef {object} Demo
 * @property {import("express").Express} app
 * @property {import("@session-ledger/core").SessionLedger} ledger
 * @property {import("@session-ledger/sqlite").SqliteSessionStore} store
 * @property {import("@session-ledger/core").TaskRunner} taskRunner
 * @property {(base: string) => string} describe the banner with ready-to-paste curl commands
 * @property {() => Promise<void>} close stops the task runner and closes the database
 */

/**
 * Opens (and on first start fills) the demo database and builds the express app with every
 * router mounted.
 * @param {DemoOptions} [options]
 * @returns {Promise<Demo>}
 */
export async function createDemo({
  dbPath = "./demo.db",
  sessions = 100_000,
  seed = 1,
  apiKey = "demo-admin-key",
  readOnlyKey = "demo-readonly-key",
  now = Date.now,
  log = (_line) => {},
} = {}) {
  const database = new Database(dbPath);
  const store = createSqliteStore({ database });
  await store.migrate();
  const ledger = createSessionLedger({
    store,
    clock: now,
    cursorSecret: process.env.DEMO_CURSOR_SECRET ?? `demo-cursor-secret-${seed}`,
  });

  const [home = "1001"] = SPACES;
  if (sessions > 0 && (await ledger.count(home)) === 0) {
    const started = Date.now();
    let written = 0;
    for (const record of generateSessions({ count: sessions, seed, now: now() })) {
      await store.insertSession(record);
      if (++written % 20_000 === 0) log(`  filled ${written} of ${sessions} sessions…`);
    }
    log(
      `filled ${dbPath} with ${written} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  const taskRunner = createTaskRunner({ ledger, store });
  taskRunner.start();
  const sweep = setInterval(
    () => void ledger.expireDue().catch((e) => log(`sweep failed: ${e}`)),
    60_000,
  );
  sweep.unref();

  /** @type {import("@session-ledger/express").Principal} */
  const admin = { id: "demo-admin", tenants: "*", permissions: ALL };
  const authenticate = apiKeyAuthenticator({
    keys: {
      [apiKey]: admin,
      [readOnlyKey]: {
        id: "demo-auditor",
        tenants: "*",
        permissions: ["sessions:read", "sessions:export", "read-session-log"],
      },
    },
  });

  const app = express();
  app.set("trust proxy", "loopback");
  // Nothing tells a client which framework answers.
  app.disable("x-powered-by");
  // The admin routers read their own bodies, so a malformed one gets the dialect's own error
  // body; only /login below needs express.json().
  app.use(createOctaneRouter({ ledger, taskRunner, authenticate }));

  // Cognite's org ids need a letter first, so space 1001 is the org `space-1001`; any other
  // valid org id is a tenant of its own.
  /** @type {import("@session-ledger/express").TenantResolver} */
  const org = (_req, _principal, fromPath) => {
    const id = /** @type {string} */ (fromPath); // Cognite's routes always name the org
    return id.startsWith("space-") ? id.slice("space-".length) : id;
  };
  app.use(createCogniteRouter({ ledger, authenticate, tenant: org }));

  // LogScale, Formal and SAYMON do not name a tenant in the request: space 1001, unless the
  // X-Tenant-Id header names another (read and checked by the library's default resolver).
  /** @type {import("@session-ledger/express").TenantResolver} */
  const space = (req, principal, fromPath) =>
    req.get(TENANT_HEADER) === undefined ? home : defaultTenant(req, principal, fromPath);
  app.use(createFormalRouter({ ledger, authenticate, tenant: space }));
  app.use(createSaymonRouter({ ledger, authenticate, tenant: space }));

  // LogScale also serves users signed in through /login (the session cookie or its token as
  // a Bearer), for the "my sessions" parts: level: User, isCurrentSession, logoutOfSession.
  const tenant = () => home;
  /** @type {(session: import("@session-ledger/core").Session | undefined) => import("@session-ledger/express").Principal | null} */
  const signedInUser = (session) =>
    session
      ? {
          id: `user:${session.user.id}`,
          tenants: [session.tenantId],
          permissions: [],
          userId: session.user.id,
          sessionId: session.id,
        }
      : null;
  app.use("/graphql", sessionTracking({ ledger, tenant }));
  app.use(
    createLogScaleRouter({
      ledger,
      tenant: space,
      authenticate: async (req) =>
        (await authenticate(req)) ?? signedInUser(req.sessionLedger?.session),
    }),
  );

  // Login tracking, for trying the middleware by hand: POST /login {"login":"…"}, GET /me.
  app.post("/login", express.json({ limit: "16kb" }), async (req, res, next) => {
    try {
      const login = String(req.body?.login ?? "").trim();
      if (!login) return res.status(400).json({ message: 'body must be {"login": "…"}' });
      const { session } = await issueSession(req, res, {
        ledger,
        tenantId: tenant(),
        user: { id: `local-${login}`, login },
      });
      res.status(201).json({ id: session.id, expiresAt: session.expiresAt });
    } catch (error) {
      next(error);
    }
  });
  app.get("/me", sessionTracking({ ledger, tenant, required: true }), (req, res) => {
    res.json(req.sessionLedger?.session);
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
      await store.close();
      database.close();
    },
  };
}

/**
 * @param {string} base the server's URL
 * @param {string} key the admin key
 */
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

  # Cognite: user 220001's login sessions in space 1001 (org space-1001), two a page; then revoke one
  curl -s ${h} "${base}/api/v1/orgs/space-1001/principals/220001/sessions?limit=2"
  curl -s -X POST ${h} -H "Content-Type: application/json" "${base}/api/v1/orgs/space-1001/principals/220001/sessions/revoke" -d '{"items":[{"id":"<id>"}]}'
  # LogScale: the organization's five most recently active sessions, open or not
  curl -s -X POST -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" "${base}/graphql" -d '{"query":"{ sessions(onlyActiveSessions: false, sortBy: LastActivityTime, orderBy: DESC, limit: 5) { totalResults results { id ip clientInfo user { username } lastActivityAt } } }"}'
  # Formal: the sessions that started yesterday, 100 a page (pass listMetadata.nextCursor back as "cursor")
  curl -s -X POST ${h} -H "Content-Type: application/json" "${base}/core.v1.SessionsService/ListSessionsV2" -d '{"limit":100,"startTimestamp":"${dayStart(-1)}","endTimestamp":"${dayStart(0)}"}'
  # SAYMON: the 50 newest records of the session log of the last 24 hours
  curl -s -u admin:${key} "${base}/node/api/users/session/log?from=${Date.now() - day}&to=${Date.now()}&limit=50&skip=0"
`;
}

/**
 * Midnight UTC of today plus `days`, as RFC 3339.
 * @param {number} days
 */
function dayStart(days) {
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  return new Date(today.getTime() + days * 86_400_000).toISOString().replace(".000Z", "Z");
}
