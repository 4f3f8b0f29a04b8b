/**
 * Each dialect's default listing, sent over HTTP to its router on the PostgreSQL store over a
 * seeded table of 200,000 sessions, reads the sessions table only through an index that serves
 * both its filter and its order (and its total, where the dialect reports one), without a sort:
 * what an administrator runs most never scans a tenant. `SHOW_PLANS=1` prints the plans.
 */
import { createSessionLedger, createTaskRunner } from "@session-ledger/core";
import {
  apiKeyAuthenticator,
  createCogniteRouter,
  createFormalRouter,
  createLogScaleRouter,
  createOctaneRouter,
  createSaymonRouter,
} from "@session-ledger/express";
import express from "express";
import type pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore } from "../src/index.js";
import { freshSchema, newPool } from "./fixture.js";
import {
  type ExecutedStatement,
  expectIndexed,
  expectNoSort,
  type PlannedStatement,
  plansOf,
  recordingPool,
} from "./recording-pool.js";
import { seedSessions } from "./seed.js";

const NOW = Date.UTC(2026, 2, 1, 12);
const DAY = 86_400_000;
const KEY = "plan-key-0123456789";
/** A seeded tenant; its user u7 has 100 sessions, 500 of its sessions are open. */
const TENANT = "1007";
const TABLE = "session_ledger_sessions";
const index = (name: string) => `session_ledger_${name}`;

const schema = freshSchema("dialects");
let admin: pg.Pool;
let executed: ExecutedStatement[];
let app: express.Express;

beforeAll(async () => {
  admin = newPool();
  const recording = recordingPool(newPool());
  executed = recording.executed;
  const store = createPostgresStore({ pool: recording.pool, schema });
  await store.migrate();
  await seedSessions(admin, `"${schema}".${TABLE}`, NOW);
  const ledger = createSessionLedger({
    store,
    clock: () => NOW,
    cursorSecret: "plans-cursor-secret-0123456789abcdef",
  });
  const authenticate = apiKeyAuthenticator({
    keys: {
      [KEY]: {
        id: "admin",
        tenants: "*",
        permissions: ["sessions:read", "sessions:export", "read-session-log"],
      },
    },
  });
  const tenant = () => TENANT;
  app = express();
  app.use(
    createOctaneRouter({ ledger, taskRunner: createTaskRunner({ ledger, store }), authenticate }),
  );
  // Cognite's project in the path is "<prefix>-<tenant>" here, as in the SQLite plan test.
  const project = (_req: unknown, _principal: unknown, fromPath: string | null) =>
    fromPath!.slice(6);
  app.use(createCogniteRouter({ ledger, authenticate, tenant: project }));
  app.use(createLogScaleRouter({ ledger, authenticate, tenant }));
  app.use(createFormalRouter({ ledger, authenticate, tenant }));
  app.use(createSaymonRouter({ ledger, authenticate, tenant }));
}, 120_000);

afterAll(async () => {
  await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin?.end();
});

/** The plans of the reads of the sessions table that one request made. */
async function plansOfRequest(send: () => request.Test): Promise<PlannedStatement[]> {
  const from = executed.length;
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (await plansOf(admin, executed.slice(from))).filter(({ sql }) => sql.includes(TABLE));
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The page query is the one that orders; a total is a count over the same filter. */
const page = (plans: PlannedStatement[]) => plans.filter(({ sql }) => /order by/i.test(sql));
const count = (plans: PlannedStatement[]) => plans.filter(({ sql }) => /count\(\*\)/i.test(sql));

function expectServed(plans: PlannedStatement[], name: string, { total = false } = {}) {
  expect(page(plans)).toHaveLength(1);
  expectIndexed(page(plans), TABLE, index(name));
  // The index yields the rows in order: no sort step for the page.
  expectNoSort(page(plans)[0]!);
  if (total) {
    expect(count(plans)).toHaveLength(1);
    expectIndexed(count(plans), TABLE, index(name));
  }
}

describe("each dialect's default listing reads through an index that serves its order", () => {
  it("Octane: a 30-day creation range, newest first, with total_count", async () => {
    const query = `"creation_time>^${iso(NOW - 30 * DAY)}^"`;
    const plans = await plansOfRequest(() =>
      request(app)
        .get(`/api/shared_spaces/${TENANT}/sessions`)
        .query({ query })
        .set("X-API-KEY", KEY),
    );
    expectServed(plans, "sessions_tenant_created", { total: true });
  });

  it("Cognite: one principal's sessions, newest first", async () => {
    const plans = await plansOfRequest(() =>
      request(app).get(`/api/v1/orgs/space-${TENANT}/principals/u7/sessions`).set("X-API-KEY", KEY),
    );
    expectServed(plans, "sessions_tenant_user");
  });

  it("LogScale: the open sessions by last activity, with totalResults", async () => {
    const plans = await plansOfRequest(() =>
      request(app)
        .post("/graphql")
        .set("X-API-KEY", KEY)
        .send({ query: "{ sessions { totalResults results { id } } }" }),
    );
    expectServed(plans, "sessions_open_activity", { total: true });
  });

  it("LogScale: every session by last activity (onlyActiveSessions: false)", async () => {
    const plans = await plansOfRequest(() =>
      request(app).post("/graphql").set("X-API-KEY", KEY).send({
        query: "{ sessions(onlyActiveSessions: false) { totalResults results { id } } }",
      }),
    );
    expectServed(plans, "sessions_tenant_activity");
    expectIndexed(count(plans), TABLE, /^session_ledger_sessions_(tenant_|pkey)/);
  });

  it("Formal: a creation range, newest first", async () => {
    const plans = await plansOfRequest(() =>
      request(app)
        .post("/core.v1.SessionsService/ListSessionsV2")
        .set("X-API-KEY", KEY)
        .send({ limit: 100, startTimestamp: iso(NOW - 2 * DAY), endTimestamp: iso(NOW) }),
    );
    expectServed(plans, "sessions_tenant_created");
  });

  it("SAYMON: a creation window, newest first", async () => {
    const plans = await plansOfRequest(() =>
      request(app)
        .get("/node/api/users/session/log")
        .query({ from: NOW - DAY, to: NOW, limit: 50, skip: 0 })
        .auth("admin", KEY),
    );
    expectServed(plans, "sessions_tenant_created");
  });
});
