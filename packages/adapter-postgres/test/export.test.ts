/**
 * Exports run on a server-side cursor that holds one pooled connection: it must be given back
 * however the export ends, or a few abandoned downloads would starve the pool.
 */
import { StorageError } from "@session-ledger/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresFixture, postgresStore } from "./fixture.js";

const T0 = Date.UTC(2026, 0, 1);
const ROWS = 1800;
const query = {
  filter: null,
  sort: [{ field: "creation_time", direction: "desc" }],
  now: T0,
} as const;

describe("exports through a server-side cursor", () => {
  let fixture: PostgresFixture;

  beforeAll(async () => {
    // Two connections: an export that kept its connection would block the third call.
    fixture = await postgresStore({ label: "export", poolSize: 2 });
    await fixture.pool.query(
      `INSERT INTO ${fixture.table("sessions")} (tenant_id, id, user_id, user_login, client_type,
         access_type, status, created_at, last_activity_at, expires_at, absolute_expires_at, secret_hash)
       SELECT 't', 's' || lpad(i::text, 5, '0'), 'u', 'u', 'UI', 'UI', 'ACTIVE', $1::bigint + i,
         $1::bigint + i, $1::bigint + 1000000, $1::bigint + 2000000, 'h'
       FROM generate_series(1, ${ROWS}) AS i`,
      [T0],
    );
  });
  afterAll(async () => {
    await fixture?.teardown();
  });

  it("streams every row in order, in batches", async () => {
    const ids: string[] = [];
    for await (const row of fixture.store.streamSessions("t", query)) ids.push(row.id);
    expect(ids).toHaveLength(ROWS);
    expect(ids[0]).toBe(`s0${ROWS}`);
    expect(ids.at(-1)).toBe("s00001");
  });

  it("gives the connection back when the consumer stops early", async () => {
    for (let i = 0; i < 5; i++) {
      let taken = 0;
      for await (const _ of fixture.store.streamSessions("t", query)) {
        if (++taken === 700) break;
      }
    }
    // With both connections still held this would wait forever.
    expect(await fixture.store.countSessions("t", null, T0)).toBe(ROWS);
    expect(fixture.pool.totalCount - fixture.pool.idleCount).toBe(0);
  });

  it("reads one snapshot: rows changed while it runs keep the values it started with", async () => {
    const rows = fixture.store.streamSessions("t", query)[Symbol.asyncIterator]();
    const first = await rows.next();
    expect(first.done).toBe(false);
    await fixture.pool.query(`UPDATE ${fixture.table("sessions")} SET user_login = 'changed'`);
    const logins = new Set<string>();
    for (let next = await rows.next(); !next.done; next = await rows.next()) {
      logins.add(next.value.user.login);
    }
    expect(logins).toEqual(new Set(["u"]));
    await fixture.pool.query(`UPDATE ${fixture.table("sessions")} SET user_login = 'u'`);
  });

  it("fails with StorageError when its connection is lost, and the pool recovers", async () => {
    const rows = fixture.store.streamSessions("t", query)[Symbol.asyncIterator]();
    await rows.next();
    // The batch fetched ahead may still be running: wait until the export's connection sits
    // idle in its transaction between fetches, the state this test interrupts.
    const exportBackend = await waitForIdleExport();
    const killed = await fixture.pool.query<{ killed: boolean }>(
      "SELECT pg_terminate_backend($1) AS killed",
      [exportBackend],
    );
    expect(killed.rows[0]?.killed).toBe(true);
    const drain = async () => {
      for (let next = await rows.next(); !next.done; next = await rows.next()) {}
    };
    await expect(drain()).rejects.toBeInstanceOf(StorageError);
    expect(await fixture.store.countSessions("t", null, T0)).toBe(ROWS);
  });

  /** The pid of the one backend idle in a transaction after a FETCH, once there is one. */
  async function waitForIdleExport(): Promise<number> {
    for (;;) {
      const idle = await fixture.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
         WHERE application_name = $1 AND state = 'idle in transaction' AND query LIKE 'FETCH%'`,
        [fixture.schema],
      );
      expect(idle.rows.length).toBeLessThanOrEqual(1);
      const [backend] = idle.rows;
      if (backend) return backend.pid;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
});
