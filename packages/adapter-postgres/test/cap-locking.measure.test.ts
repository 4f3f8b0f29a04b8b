/**
 * A measurement, not an assertion: inserts under the per-user cap from many connections at
 * once, with the cap kept atomic by a per-user advisory lock (what the store does) or by a
 * SERIALIZABLE transaction retried on serialization failure. Two loads: every insert for one of
 * two users (the cap's worst case), and inserts spread over 1,000 users (the usual case).
 * `POSTGRES_MEASURE_MS=5000 pnpm vitest run --project postgres cap-locking` for longer runs.
 */
import { sessionRecord } from "@session-ledger/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { CapLocking } from "../src/session-lifecycle.js";
import { type PostgresFixture, postgresStore } from "./fixture.js";

const DURATION_MS = Number(process.env.POSTGRES_MEASURE_MS ?? 1500);
const CLIENTS = 16;
const CAP = 3;

interface Measured {
  locking: CapLocking;
  load: string;
  inserts: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Transactions the server rolled back (serialization failures, deadlocks), each retried. */
  rollbacks: number;
  errors: number;
  overCap: number;
}

const results: Measured[] = [];
const fixtures: PostgresFixture[] = [];

afterAll(async () => {
  for (const fixture of fixtures) await fixture.teardown();
  console.info(
    [
      `per-user cap (${CAP}, evict-oldest) under ${CLIENTS} concurrent inserters, ${DURATION_MS} ms each; a shared 2-core machine, timings are noisy:`,
      ...results.map(
        (r) =>
          `${r.locking.padEnd(13)} ${r.load.padEnd(15)} ${String(r.inserts).padStart(6)} inserts  ${r.perSecond.toFixed(0).padStart(5)}/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  rollbacks ${r.rollbacks}  errors ${r.errors}  over cap ${r.overCap}`,
      ),
    ].join("\n"),
  );
});

async function measure(locking: CapLocking, load: string, users: number): Promise<Measured> {
  const fixture = await postgresStore({ label: "cap", capLocking: locking, poolSize: CLIENTS });
  fixtures.push(fixture);
  const { store, pool } = fixture;
  const rollbacks = async () =>
    Number(
      (
        await pool.query<{ n: string }>(
          "SELECT xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()",
        )
      ).rows[0]?.n ?? 0,
    );
  const before = await rollbacks();
  const latencies: number[] = [];
  let errors = 0;
  let serial = 0;
  const deadline = Date.now() + DURATION_MS;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (Date.now() < deadline) {
        const n = serial++;
        const now = Date.now();
        const user = `u${(n * 7 + client) % users}`;
        const started = performance.now();
        try {
          await store.insertSession(
            sessionRecord({
              id: `s${n}`,
              tenantId: "t",
              user: { id: user, login: user, fullName: null, email: null },
              createdAt: now,
              lastActivityAt: now,
              expiresAt: now + 600_000,
              absoluteExpiresAt: now + 3_600_000,
            }),
            { maxOpen: CAP, policy: "evict-oldest", now },
          );
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }),
  );
  const rolledBack = (await rollbacks()) - before;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT user_id FROM ${fixture.table("sessions")}
     WHERE ended_at IS NULL GROUP BY user_id HAVING count(*) > ${CAP}) AS over`,
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const result: Measured = {
    locking,
    load,
    inserts: latencies.length,
    perSecond: (latencies.length / DURATION_MS) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    rollbacks: rolledBack,
    errors,
    overCap: Number(rows[0]?.n ?? 0),
  };
  results.push(result);
  return result;
}

describe("the per-user cap under concurrent inserts (measurement)", () => {
  for (const locking of ["advisory-lock", "serializable"] as const) {
    for (const [load, users] of [
      ["two users", 2],
      ["1,000 users", 1000],
    ] as const) {
      it(`${locking}, ${load}: never over the cap`, async () => {
        const result = await measure(locking, load, users);
        expect(result.overCap).toBe(0);
        expect(result.inserts).toBeGreaterThan(0);
      }, 60_000);
    }
  }
});
