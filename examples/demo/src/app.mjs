/**
 * The demo server as a function, so tests run the very app `pnpm demo` serves: every admin
 * router of `@session-ledger/express` over the SQLite store, in the spaces of the simulated
 * users, plus login tracking for trying the middleware by hand. The simulated users keep
 * working while it runs (`activity.mjs`), and a start over an existing database first writes
 * what they did while it was stopped.
 */
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { consoleMiddleware } from "@session-ledger/console/express";
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
  signedInPrincipal,
  TENANT_HEADER,
} from "@session-ledger/express";
import { createLoginSimulation, SPACES } from "@session-ledger/fixtures";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import express from "express";
import { createActivity } from "./activity.mjs";
import { FRAMEWORKS, listenerFor } from "./frameworks.mjs";
import { demoHandlers } from "./web.mjs";

const DAY = 86_400_000;
/** Where the demo keeps the simulation's parameters, beside the store's tables. */
const SIMULATION_TABLE = "demo_simulation";
/** `examples/demo/demo.db`, wherever the demo is started from. */
export const DEFAULT_DB_PATH = fileURLToPath(new URL("../demo.db", import.meta.url));
/** The admin key when `DEMO_API_KEY` is unset: fine on 127.0.0.1, never on a shared host. */
export const DEFAULT_API_KEY = "demo-admin-key-local";
/** The read-only key when `DEMO_READONLY_KEY` is unset. */
export const DEFAULT_READONLY_KEY = "demo-readonly-key-local";

/** @type {import("@session-ledger/express").Permission[]} */
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
 * @property {string} [dbPath] the SQLite file (`DEFAULT_DB_PATH`)
 * @property {boolean} [fresh] delete the file first and start over (false)
 * @property {number} [sessions] about how many sessions the simulated users start a year; an
 *   empty database is filled with the year before now. 0: no simulated users (100000)
 * @property {number} [seed] the simulation's seed (1)
 * @property {number} [stepEveryMs] the longest the simulated users wait between two steps (they
 *   also act whenever one of them is due); 0: only when `activity.step()` is called (1000)
 * @property {string} [apiKey] the admin API key, 16 characters at least ("demo-admin-key-local")
 * @property {string} [readOnlyKey] a key that may read and export but not terminate, 16
 *   characters at least ("demo-readonly-key-local")
 * @property {() => number} [now] the clock of the ledger and the simulated users (Date.now)
 * @property {(line: string) => void} [log] progress lines (none)
 * @property {(typeof FRAMEWORKS)[number]} [framework] the framework that serves the routes
 *   ("express")
 */

/**
 * The demo, ready to listen.
 * @typedef {object} Demo
 * @property {import("node:http").RequestListener} app the routes on the chosen framework, as
 *   a Node request listener (`http.createServer(demo.app)`)
 * @property {(typeof FRAMEWORKS)[number]} framework
 * @property {import("@session-ledger/core").SessionLedger} ledger
 * @property {import("@session-ledger/sqlite").SqliteSessionStore} store
 * @property {import("@session-ledger/core").TaskRunner} taskRunner
 * @property {import("./activity.mjs").Activity | null} activity the simulated users, or null
 *   when there are none (`sessions: 0`, or a database the demo did not fill)
 * @property {(base: string) => string} describe the banner with ready-to-paste curl commands
 * @property {() => Promise<void>} close stops the simulated users and the task runner and
 *   closes the database
 */

/**
 * The simulation's parameters as the database remembers them, or null.
 * @param {import("better-sqlite3").Database} database
 * @returns {{ seed: number, sessionsPerYear: number } | null}
 */
function storedSimulation(database) {
  database.exec(
    `CREATE TABLE IF NOT EXISTS ${SIMULATION_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  );
  const row = /** @type {{ value: string } | undefined} */ (
    database.prepare(`SELECT value FROM ${SIMULATION_TABLE} WHERE key = 'parameters'`).get()
  );
  return row ? JSON.parse(row.value) : null;
}

/**
 * When the newest stored session started, or null for an empty ledger.
 * @param {import("@session-ledger/core").SessionLedger} ledger
 */
async function newestStart(ledger) {
  let newest = null;
  for (const space of SPACES) {
    const [session] = (await ledger.list(space, { limit: 1 })).items;
    if (session && (newest === null || session.createdAt > newest)) newest = session.createdAt;
  }
  return newest;
}

/**
 * Opens the demo database (filling it on first start, topping it up to now on the next ones),
 * sets the simulated users to work and builds the express app with every router mounted.
 * @param {DemoOptions} [options]
 * @returns {Promise<Demo>}
 */
export async function createDemo({
  dbPath = DEFAULT_DB_PATH,
  fresh = false,
  sessions = 100_000,
  seed = 1,
  stepEveryMs = 1000,
  apiKey = DEFAULT_API_KEY,
  readOnlyKey = DEFAULT_READONLY_KEY,
  now = Date.now,
  log = (_line) => {},
  framework = "express",
} = {}) {
  if (!FRAMEWORKS.includes(framework)) {
    throw new TypeError(
      `unknown framework ${JSON.stringify(framework)}: use one of ${FRAMEWORKS.join(", ")}`,
    );
  }
  if (fresh) {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${dbPath}${suffix}`, { force: true });
  }
  const database = new Database(dbPath);
  const store = createSqliteStore({ database });
  await store.migrate();
  const ledger = createSessionLedger({
    store,
    clock: now,
    cursorSecret: process.env.DEMO_CURSOR_SECRET ?? `demo-cursor-secret-of-seed-${seed}-local-only`,
  });

  const [home = "1001"] = SPACES;
  const stored = storedSimulation(database);
  const newest = await newestStart(ledger);
  let parameters = stored;
  if (stored && (stored.seed !== seed || stored.sessionsPerYear !== sessions)) {
    log(
      `${dbPath} holds the simulation of seed ${stored.seed} with ${stored.sessionsPerYear} sessions a year; ` +
        "--fresh starts over with the options given",
    );
  } else if (!stored && newest !== null) {
    log(
      `${dbPath} holds sessions the demo did not simulate (or an earlier demo's, which do not move ` +
        "with the clock): serving them as they are, with no simulated users. --fresh starts over.",
    );
  } else if (!stored && sessions > 0) {
    parameters = { seed, sessionsPerYear: sessions };
  }

  /** @type {import("./activity.mjs").Activity | null} */
  let activity = null;
  if (parameters) {
    activity = createActivity({
      ledger,
      store,
      simulation: createLoginSimulation(parameters),
      since: newest ?? now() - 365 * DAY,
      log,
    });
    const started = Date.now();
    // One transaction: a year of sessions is written in seconds, and a fill interrupted halfway
    // leaves the database empty, to be filled again on the next start. Nothing else uses the
    // connection yet.
    database.exec("BEGIN IMMEDIATE");
    try {
      if (!stored) {
        database
          .prepare(`INSERT INTO ${SIMULATION_TABLE} (key, value) VALUES ('parameters', ?)`)
          .run(JSON.stringify(parameters));
      }
      const written = await activity.catchUp();
      database.exec("COMMIT");
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (newest === null) log(`filled ${dbPath} with ${written} sessions in ${seconds} s`);
      else if (written > 0)
        log(`wrote the ${written} sessions started since the last run in ${seconds} s`);
    } catch (error) {
      database.exec("ROLLBACK");
      throw error;
    }
  }

  const taskRunner = createTaskRunner({ ledger, store });
  taskRunner.start();
  const sweep = setInterval(
    () => void ledger.expireDue().catch((e) => log(`sweep failed: ${e}`)),
    60_000,
  );
  sweep.unref();
  // The simulated users act when their next request or logout is due (so each at its own
  // moment), and at least every `stepEveryMs` to start the sessions planned meanwhile.
  /** @type {NodeJS.Timeout | undefined} */
  let working;
  let closed = false;
  const work = () => {
    if (closed || !activity || stepEveryMs <= 0) return;
    const wait = Math.min(stepEveryMs, Math.max(1, activity.nextStep() - now()));
    working = setTimeout(() => {
      activity
        ?.step()
        .catch((e) => log(`simulated users failed: ${e}`))
        .finally(work);
    }, wait);
    working.unref();
  };
  work();

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

  /** @type {import("node:http").RequestListener} */
  let app;
  let closeApp = async () => {};
  if (framework !== "express") {
    const handlers = demoHandlers({ ledger, taskRunner, authenticate, home, log });
    ({ listener: app, close: closeApp } = await listenerFor(framework, handlers));
  } else {
    app = expressApp();
  }

  /** The demo on Express, with the library's Express routers and tracking. */
  function expressApp() {
    const app = express();
    app.set("trust proxy", "loopback");
    // Nothing tells a client which framework answers.
    app.disable("x-powered-by");
    // The admin routers read their own bodies, so a malformed one gets the dialect's own error
    // body; only /login below needs express.json().
    app.use(createOctaneRouter({ ledger, taskRunner, authenticate }));
    // The admin console at /: it asks for one of the keys above and keeps it in the tab.
    app.use(consoleMiddleware({ basePath: "/", auth: "api-key", defaultSpace: home }));

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
    app.use("/graphql", sessionTracking({ ledger, tenant }));
    app.use(
      createLogScaleRouter({
        ledger,
        tenant: space,
        authenticate: async (req) =>
          (await authenticate(req)) ?? signedInPrincipal(req.sessionLedger?.session),
      }),
    );

    // Login tracking, for trying the middleware by hand: POST /login {"login":"…"}, GET /me,
    // POST /logout. Bad input is a JSON 4xx saying what is wrong (see `demoErrors`), never
    // Express's HTML page.
    app.post("/login", express.json({ limit: "16kb", strict: false }), async (req, res) => {
      const login = loginOf(req.body);
      const { session } = await issueSession(req, res, {
        ledger,
        tenantId: tenant(),
        user: { id: `local-${login}`, login },
      });
      res.status(201).json({ id: session.id, expiresAt: session.expiresAt });
    });
    app.get("/me", sessionTracking({ ledger, tenant, required: true }), (req, res) => {
      res.json(req.sessionLedger?.session);
    });
    app.post("/logout", sessionTracking({ ledger, tenant }), async (req, res) => {
      await endSession(req, res, { ledger });
      res.status(204).end();
    });
    app.use((req, res) => {
      res.status(404).json({ message: `no route ${req.method} ${req.path}` });
    });
    app.use(demoErrors(log));
    return app;
  }

  return {
    app,
    framework,
    ledger,
    store,
    taskRunner,
    activity,
    describe: (base) => describe(base, apiKey, readOnlyKey, now()),
    async close() {
      closed = true;
      await closeApp();
      clearInterval(sweep);
      clearTimeout(working);
      await activity?.stop();
      await taskRunner.stop();
      await store.close();
      database.close();
    },
  };
}

/**
 * The login of a `POST /login` body: `{"login": "…"}`, a non-empty string (core's `create`
 * then holds it to the text rule).
 * @param {unknown} body
 * @returns {string}
 */
function loginOf(body) {
  const login =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? /** @type {Record<string, unknown>} */ (body).login
      : undefined;
  if (typeof login !== "string" || login.trim() === "") {
    throw new BadRequest('the body must be JSON {"login": "…"} with a non-empty string login');
  }
  return login.trim();
}

class BadRequest extends Error {
  status = 400;
}

/** The statuses of core's codes that a demo route can meet. */
const STATUS_OF_CODE = /** @type {Record<string, number>} */ ({
  INVALID_ARGUMENT: 400,
  CONFLICT: 409,
  SESSION_LIMIT_REACHED: 409,
});

/**
 * The demo's own error handler: a JSON body for every failure of its own routes. Bad input
 * (a body that is not JSON or too large, a login of the wrong type, text core refuses) is a 4xx
 * saying what; anything else a 500 whose details go to the log, not to the client.
 * @param {(line: string) => void} log
 * @returns {import("express").ErrorRequestHandler}
 */
function demoErrors(log) {
  return (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const code = error?.code;
    const status =
      typeof code === "string" && Object.hasOwn(STATUS_OF_CODE, code)
        ? /** @type {number} */ (STATUS_OF_CODE[code])
        : Number.isInteger(error?.status) && error.status >= 400 && error.status < 500
          ? error.status
          : 500;
    if (status >= 500) log(`demo route failed: ${error?.stack ?? error}`);
    res.status(status).json({ message: status >= 500 ? "internal error" : messageOf(error) });
  };
}

/**
 * What a 4xx says: body-parser's failures in our words, the others' own messages.
 * @param {any} error
 */
function messageOf(error) {
  switch (error?.type) {
    case "entity.parse.failed":
      return "the body is not valid JSON";
    case "entity.too.large":
      return "the body must be at most 16 KiB";
    case "encoding.unsupported":
    case "charset.unsupported":
      return "the body must be JSON in UTF-8";
    default:
      return String(error?.message ?? error);
  }
}

/**
 * @param {string} base the server's URL
 * @param {string} key the admin key
 * @param {string} readOnlyKey the read-only key
 * @param {number} at the demo's time now
 */
function describe(base, key, readOnlyKey, at) {
  const from = new Date(at - 29 * DAY).toISOString();
  const range = `creation_time>^${from}^;creation_time<^${new Date(at).toISOString()}^`;
  const h = `-H "X-API-KEY: ${key}"`;
  return `session-ledger demo on ${base} (spaces ${SPACES.join(", ")}; admin key "${key}", read-only key "${readOnlyKey}")
Simulated users log in, work and log out while it runs. The commands below carry this start's dates.

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
  # Formal: the sessions that started in the last 24 hours, 100 a page (pass listMetadata.nextCursor back as "cursor")
  curl -s -X POST ${h} -H "Content-Type: application/json" "${base}/core.v1.SessionsService/ListSessionsV2" -d '{"limit":100,"startTimestamp":"${new Date(at - DAY).toISOString()}"}'
  # SAYMON: the 50 newest records of the session log of the last 24 hours
  curl -s -u admin:${key} "${base}/node/api/users/session/log?from=${at - DAY}&limit=50&skip=0"
`;
}
