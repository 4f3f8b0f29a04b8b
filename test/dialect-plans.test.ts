/**
 * Each dialect's default listing, sent over HTTP to its router on the SQLite store, reads the
 * sessions table only through an index that serves both its filter and its order (and its
 * total, where the dialect reports one): what an administrator runs most never scans a tenant.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSessionLedger, createTaskRunner } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import {
  apiKeyAuthenticator,
  createCogniteRouter,
  createFormalRouter,
  createLogScaleRouter,
  createOctaneRouter,
  createSaymonRouter,
} from "@session-ledger/express";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ExecutedStatement,
  expectIndexed,
  type PlannedStatement,
  plansOf,
  recordingDatabase,
} from "../packages/adapter-sqlite/test/recording-database.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const DAY = 86_400_000;
const KEY = "plan-key-0123456789";
const TENANT = "1001";
const TABLE = "session_ledger_sessions";
const dir = mkdtempSync(join(tmpdir(), "session-ledger-dialect-plans-"));

function seeded(i: number): SessionRecord {
  const createdAt = NOW - (i % 60) * DAY - i * 1000;
  const ended = i % 3 === 0;
  return sessionRecord({
    id: `s${String(i).padStart(6, "0")}`,
    tenantId: ["1001", "1002", "1003"][i % 3]!,
    user: { id: `u${i % 200}`, login: `user${i % 200}`, fullName: null, email: null },
    createdAt,
    lastActivityAt: createdAt + (i % 7) * 60_000,
    expiresAt: ended ? createdAt + 1_800_000 : NOW + (i % 50) * 60_000,
    absoluteExpiresAt: NOW + 36_000_000,
    status: ended ? "REVOKED" : "ACTIVE",
    endReason: ended ? "REVOKED" : null,
    endedAt: ended ? createdAt + 60_000 : null,
  });
}

let raw: Database.Database;
let executed: ExecutedStatement[];
let app: express.Express;

beforeAll(async () => {
  raw = new Database(join(dir, "plans.db"));
  const recording = recordingDatabase(raw);
  executed = recording.executed;
  // Reads on the host's connection so the recording sees them (a worker runs the same SQL).
  const store = createSqliteStore({ database: recording.database, readers: 0 });
  await store.migrate();
  for (let i = 0; i < 6000; i++) await store.insertSession(seeded(i));
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
  // The Cognite org `space-1001` is tenant 1001.
  const org = (_req: unknown, _principal: unknown, fromPath: string | null) => fromPath!.slice(6);
  app.use(createCogniteRouter({ ledger, authenticate, tenant: org }));
  app.use(createLogScaleRouter({ ledger, authenticate, tenant }));
  app.use(createFormalRouter({ ledger, authenticate, tenant }));
  app.use(createSaymonRouter({ ledger, authenticate, tenant }));
});

afterAll(() => {
  raw.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The plans of the reads of the sessions table that one request made. */
async function plansOfRequest(send: () => request.Test): Promise<PlannedStatement[]> {
  const from = executed.length;
  const res = await send();
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return plansOf(raw, executed.slice(from)).filter(({ sql }) => sql.includes(TABLE));
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The page query is the one that orders; a total is a count over the same filter. */
const page = (plans: PlannedStatement[]) => plans.filter(({ sql }) => /order by/i.test(sql));
const count = (plans: PlannedStatement[]) => plans.filter(({ sql }) => /count\(\*\)/i.test(sql));

function expectServed(plans: PlannedStatement[], index: string, { total = false } = {}) {
  expect(page(plans)).toHaveLength(1);
  expectIndexed(page(plans), TABLE, index);
  // The index yields the rows in order: no sort step for the page.
  expect(page(plans)[0]!.plan.join("\n")).not.toContain("USE TEMP B-TREE FOR ORDER BY");
  if (total) {
    expect(count(plans)).toHaveLength(1);
    expectIndexed(count(plans), TABLE, "(tenant_id=?");
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
    expectServed(plans, "session_ledger_sessions_tenant_created", { total: true });
    expectIndexed(count(plans), TABLE, "session_ledger_sessions_tenant_created");
  });

  it("Cognite: one principal's sessions, newest first", async () => {
    const plans = await plansOfRequest(() =>
      request(app).get(`/api/v1/orgs/space-${TENANT}/principals/u7/sessions`).set("X-API-KEY", KEY),
    );
    expectServed(plans, "session_ledger_sessions_tenant_user");
  });

  it("LogScale: the open sessions by last activity, with totalResults", async () => {
    const plans = await plansOfRequest(() =>
      request(app)
        .post("/graphql")
        .set("X-API-KEY", KEY)
        .send({ query: "{ sessions { totalResults results { id } } }" }),
    );
    expectServed(plans, "session_ledger_sessions_open_activity", { total: true });
    expectIndexed(count(plans), TABLE, "session_ledger_sessions_open_activity");
  });

  it("LogScale: every session by last activity (onlyActiveSessions: false)", async () => {
    const plans = await plansOfRequest(() =>
      request(app).post("/graphql").set("X-API-KEY", KEY).send({
        query: "{ sessions(onlyActiveSessions: false) { totalResults results { id } } }",
      }),
    );
    expectServed(plans, "session_ledger_sessions_tenant_activity", { total: true });
  });

  it("Formal: a creation range, newest first", async () => {
    const plans = await plansOfRequest(() =>
      request(app)
        .post("/core.v1.SessionsService/ListSessionsV2")
        .set("X-API-KEY", KEY)
        .send({ limit: 100, startTimestamp: iso(NOW - 2 * DAY), endTimestamp: iso(NOW) }),
    );
    expectServed(plans, "session_ledger_sessions_tenant_created");
  });

  it("SAYMON: a creation window, newest first", async () => {
    const plans = await plansOfRequest(() =>
      request(app)
        .get("/node/api/users/session/log")
        .query({ from: NOW - DAY, to: NOW, limit: 50, skip: 0 })
        .auth("admin", KEY),
    );
    expectServed(plans, "session_ledger_sessions_tenant_created");
  });
});
