import { createSessionLedger, StorageError, ValidationError } from "@session-ledger/core";
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect } from "kysely";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore } from "../src/index.js";
import { freshSchema, newPool } from "./fixture.js";

let pool: pg.Pool;
const schemas: string[] = [];
const schema = (label: string) => {
  const name = freshSchema(label);
  schemas.push(name);
  return name;
};

beforeAll(() => {
  pool = newPool();
});
afterAll(async () => {
  for (const name of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await pool.end();
});

const names = async (kind: "r" | "i", inSchema: string) =>
  (
    await pool.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = $2 ORDER BY c.relname`,
      [inSchema, kind],
    )
  ).rows.map((row) => row.relname);

describe("migrations", () => {
  it("creates the schema, the documented tables and indexes once, however often it runs", async () => {
    const name = schema("migrate");
    const store = createPostgresStore({ pool, schema: name });
    await store.migrate();
    await store.migrate();
    await createPostgresStore({ pool, schema: name }).migrate();
    expect(await names("r", name)).toEqual([
      "session_ledger_migrations",
      "session_ledger_policies",
      "session_ledger_sessions",
      "session_ledger_task_outcomes",
      "session_ledger_task_payloads",
      "session_ledger_tasks",
    ]);
    expect(await names("i", name)).toEqual([
      "session_ledger_migrations_pkey",
      "session_ledger_policies_pkey",
      "session_ledger_sessions_ended",
      "session_ledger_sessions_identifier",
      "session_ledger_sessions_open_activity",
      "session_ledger_sessions_open_deadline",
      "session_ledger_sessions_pkey",
      "session_ledger_sessions_tenant_activity",
      "session_ledger_sessions_tenant_created",
      "session_ledger_sessions_tenant_user",
      "session_ledger_task_outcomes_pkey",
      "session_ledger_task_payloads_pkey",
      "session_ledger_tasks_pkey",
      "session_ledger_tasks_status_created",
    ]);
    const { rows } = await pool.query(
      `SELECT version, name FROM "${name}".session_ledger_migrations`,
    );
    expect(rows).toEqual([
      { version: 1, name: "create sessions, policies, tasks, task payloads and task outcomes" },
    ]);
  });

  it("gives every text column of the sessions table the C collation", async () => {
    const name = schema("collation");
    await createPostgresStore({ pool, schema: name }).migrate();
    const { rows } = await pool.query<{ column_name: string; collation_name: string | null }>(
      `SELECT column_name, collation_name FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'session_ledger_sessions' AND data_type = 'text'`,
      [name],
    );
    const json = new Set(["client_info", "attributes", "secret_hash"]);
    for (const row of rows) {
      if (!json.has(row.column_name)) expect(row.collation_name, row.column_name).toBe("C");
    }
  });

  it("keeps stores with different schemas or prefixes apart in one database", async () => {
    const name = schema("apart");
    const a = createPostgresStore({ pool, schema: name, tablePrefix: "a_" });
    const b = createPostgresStore({ pool, schema: name, tablePrefix: "b_" });
    const c = createPostgresStore({ pool, schema: schema("apart_c"), tablePrefix: "a_" });
    for (const store of [a, b, c]) await store.migrate();
    await createSessionLedger({ store: a }).create({
      tenantId: "t",
      user: { id: "u", login: "u" },
    });
    expect(await a.countSessions("t", null, Date.now())).toBe(1);
    expect(await b.countSessions("t", null, Date.now())).toBe(0);
    expect(await c.countSessions("t", null, Date.now())).toBe(0);
  });

  it("refuses a database recorded at a newer schema version", async () => {
    const name = schema("newer");
    const store = createPostgresStore({ pool, schema: name });
    await store.migrate();
    await pool.query(
      `INSERT INTO "${name}".session_ledger_migrations VALUES (99, 'from the future', 0)`,
    );
    const failure = await store.migrate().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect(String((failure as Error).message)).toMatch(/schema version 99, newer than .* 1/);
  });

  it("applies a migration all or nothing", async () => {
    const name = schema("atomic");
    // A table in the way makes the migration fail after it has created the sessions table.
    await pool.query(`CREATE SCHEMA "${name}"`);
    await pool.query(`CREATE TABLE "${name}".session_ledger_policies (x int)`);
    const store = createPostgresStore({ pool, schema: name });
    await expect(store.migrate()).rejects.toBeInstanceOf(StorageError);
    expect(await names("r", name)).toEqual(["session_ledger_policies"]);
  });

  it("tells a caller who forgot migrate() what to do", async () => {
    const store = createPostgresStore({ pool, schema: schema("unmigrated") });
    await expect(store.countSessions("t", null, Date.now())).rejects.toThrow(
      /has migrate\(\) run\?/,
    );
  });

  it("runs through a host's Kysely without its plugins", async () => {
    const kysely = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: newPool(2) }),
      plugins: [new CamelCasePlugin()],
    });
    try {
      const store = createPostgresStore({ kysely, schema: schema("camel") });
      await store.migrate();
      const ledger = createSessionLedger({ store });
      const { session, token } = await ledger.create({
        tenantId: "t",
        user: { id: "u", login: "u" },
      });
      expect((await ledger.validate("t", token))?.id).toBe(session.id);
    } finally {
      await kysely.destroy();
    }
  });

  it("checks its options", () => {
    expect(() => createPostgresStore({ pool, schema: 'x"; DROP' })).toThrow(ValidationError);
    expect(() => createPostgresStore({ pool, tablePrefix: "a-b" })).toThrow(ValidationError);
    expect(() => createPostgresStore({})).toThrow(ValidationError);
    const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    expect(() => createPostgresStore({ pool, kysely })).toThrow(ValidationError);
    expect(() => createPostgresStore({ pool: {} as pg.Pool })).toThrow(ValidationError);
    const sqlite = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: {} as never }),
    });
    expect(() => createPostgresStore({ kysely: sqlite })).toThrow(/PostgreSQL dialect/);
  });
});
