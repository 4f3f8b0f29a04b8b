/**
 * A measurement, not a timed assertion: what the validate+touch path (find a session by id,
 * then a conditional touch) costs through hand-written prepared statements, through the store,
 * and through kysely building and compiling the same queries on every call. It decided that
 * the store compiles these two queries once (README, "Hot path"). Run it alone to read the
 * numbers: `pnpm vitest run --project sqlite hot-path`.
 */
import type { SessionRecord } from "@session-ledger/core/store";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fileStore, type SqliteFixture } from "./fixture.js";

const ROWS = 10_000;
const ITERATIONS = Number(process.env.SQLITE_MEASURE_ITERATIONS ?? 5_000);
const T0 = Date.UTC(2026, 0, 1);
const TENANT = "tenant-a";
const TABLE = "session_ledger_sessions";

const session = (i: number): SessionRecord => ({
  id: `s${String(i).padStart(8, "0")}`,
  tenantId: TENANT,
  sessionIdentifier: null,
  user: { id: `u${i % 500}`, login: `user${i % 500}`, fullName: "A Person", email: null },
  clientType: "UI",
  accessType: "UI",
  clientIp: "10.0.0.1",
  serverIp: null,
  userAgent: "Mozilla/5.0",
  clientInfo: { browser: "Firefox", os: "Linux", device: null },
  city: null,
  country: "PT",
  licenseEdition: null,
  status: "ACTIVE",
  endReason: null,
  createdAt: T0,
  lastActivityAt: T0,
  expiresAt: T0 + 10 * 3_600_000,
  absoluteExpiresAt: T0 + 10 * 3_600_000,
  endedAt: null,
  attributes: null,
  secretHash: "0".repeat(64),
});

let fixture: SqliteFixture;

beforeAll(async () => {
  fixture = await fileStore();
  for (let i = 0; i < ROWS; i++) await fixture.store.insertSession(session(i));
}, 120_000);
afterAll(() => fixture.teardown());

async function measure(name: string, step: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 2000; i++) await step(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await step(i);
  const micros = Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS;
  console.info(`${name.padEnd(58)} ${micros.toFixed(2).padStart(7)} µs per call`);
  return micros;
}

it("measures kysely's per-call compile against prepared statements on validate+touch", async () => {
  const db = fixture.database;
  const id = (i: number) => `s${String(i % ROWS).padStart(8, "0")}`;
  const now = (i: number) => T0 + 1000 + i;

  const find = db.prepare(`SELECT * FROM ${TABLE} WHERE tenant_id = ? AND id = ?`);
  const touch = db.prepare(
    `UPDATE ${TABLE} SET last_activity_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ? AND ended_at IS NULL AND expires_at > ? RETURNING *`,
  );
  const handWritten = await measure("hand-written better-sqlite3 prepared statements", (i) => {
    find.get(TENANT, id(i));
    touch.get(now(i), now(i) + 1_800_000, TENANT, id(i), now(i));
  });

  const store = await measure("the store (queries compiled once, statements cached)", async (i) => {
    await fixture.store.findSession(TENANT, id(i));
    await fixture.store.updateOpenSession(TENANT, id(i), now(i), {
      lastActivityAt: now(i),
      expiresAt: now(i) + 1_800_000,
    });
  });

  // What the store would pay if it built and compiled both queries with kysely on every call.
  const kysely = new Kysely<Record<string, Record<string, unknown>>>({
    dialect: new SqliteDialect({ database: db }),
  });
  const cache = new Map<string, ReturnType<typeof db.prepare>>();
  const cached = (text: string) => {
    let statement = cache.get(text);
    if (!statement) {
      statement = db.prepare(text);
      cache.set(text, statement);
    }
    return statement;
  };
  const buildFind = (i: number) =>
    kysely
      .selectFrom(TABLE)
      .selectAll()
      .where("tenant_id", "=", TENANT)
      .where("id", "=", id(i))
      .compile();
  const buildTouch = (i: number) =>
    kysely
      .updateTable(TABLE)
      .set({
        last_activity_at: sql`coalesce(${now(i)}, last_activity_at)`,
        expires_at: sql`coalesce(${now(i) + 1_800_000}, expires_at)`,
      })
      .where("tenant_id", "=", TENANT)
      .where("id", "=", id(i))
      .where("ended_at", "is", null)
      .where("expires_at", ">", now(i))
      .returningAll()
      .compile();
  const compiledEachCall = await measure(
    "kysely build+compile per call, cached statements",
    (i) => {
      const f = buildFind(i);
      cached(f.sql).get(f.parameters);
      const t = buildTouch(i);
      cached(t.sql).get(t.parameters);
    },
  );
  const compileOnly = await measure("  of which kysely build+compile alone", (i) => {
    buildFind(i);
    buildTouch(i);
  });
  const throughKysely = await measure(
    "kysely executeQuery (compile + prepare every call)",
    async (i) => {
      await kysely.executeQuery(buildFind(i));
      await kysely.executeQuery(buildTouch(i));
    },
  );

  // Inside the touch resolution window validate only reads: the common case for a busy user.
  const readHandWritten = await measure("read only: hand-written prepared statement", (i) =>
    find.get(TENANT, id(i)),
  );
  const readStore = await measure("read only: the store's findSession", (i) =>
    fixture.store.findSession(TENANT, id(i)),
  );
  const readCompiled = await measure("read only: kysely build+compile per call, cached", (i) => {
    const f = buildFind(i);
    return cached(f.sql).get(f.parameters);
  });

  console.info(
    [
      `read only, store / hand-written:      ${(readStore / readHandWritten).toFixed(2)}×`,
      `read only, compile / hand-written:    ${(readCompiled / readHandWritten).toFixed(2)}×`,
      `store / hand-written:                 ${(store / handWritten).toFixed(2)}×`,
      `compile-per-call / hand-written:      ${(compiledEachCall / handWritten).toFixed(2)}×`,
      `kysely executeQuery / hand-written:   ${(throughKysely / handWritten).toFixed(2)}×`,
      `compile alone / hand-written:         ${(compileOnly / handWritten).toFixed(2)}×`,
    ].join("\n"),
  );
  expect(handWritten).toBeGreaterThan(0);
}, 300_000);
