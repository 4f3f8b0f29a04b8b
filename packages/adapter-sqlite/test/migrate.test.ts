import { createSessionLedger, StorageError, ValidationError } from "@session-ledger/core";
import Database from "better-sqlite3";
import { CamelCasePlugin, Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { MIGRATIONS, migrationsTableStatement } from "../src/schema.js";
import { HOST_LOCK_WAIT_MS } from "../src/sql-runner.js";
import { temporaryDirectory } from "./fixture.js";

const temps: { remove(): void }[] = [];
const databaseFile = () => {
  const temp = temporaryDirectory();
  temps.push(temp);
  return `${temp.dir}/ledger.db`;
};
afterEach(() => {
  for (const temp of temps.splice(0)) temp.remove();
});

const names = (database: Database.Database, type: "table" | "index") =>
  database
    .prepare("SELECT name FROM sqlite_master WHERE type = ? ORDER BY name")
    .all(type)
    .map((row) => (row as { name: string }).name);

describe("migrations", () => {
  it("creates the documented tables and indexes once, however often it runs", async () => {
    const database = new Database(databaseFile());
    const store = createSqliteStore({ database });
    await store.migrate();
    await store.migrate();
    await createSqliteStore({ database }).migrate();
    expect(names(database, "table")).toEqual([
      "session_ledger_migrations",
      "session_ledger_policies",
      "session_ledger_sessions",
      "session_ledger_task_outcomes",
      "session_ledger_task_payloads",
      "session_ledger_tasks",
      "sqlite_stat1",
      "sqlite_stat4",
    ]);
    expect(names(database, "index")).toEqual([
      "session_ledger_sessions_ended",
      "session_ledger_sessions_identifier",
      "session_ledger_sessions_open_activity",
      "session_ledger_sessions_open_deadline",
      "session_ledger_sessions_tenant_activity",
      "session_ledger_sessions_tenant_created",
      "session_ledger_sessions_tenant_user",
      "session_ledger_tasks_status_created",
      "sqlite_autoindex_session_ledger_policies_1",
      "sqlite_autoindex_session_ledger_sessions_1",
      "sqlite_autoindex_session_ledger_task_outcomes_1",
      "sqlite_autoindex_session_ledger_task_payloads_1",
      "sqlite_autoindex_session_ledger_tasks_1",
    ]);
    expect(database.prepare("SELECT version, name FROM session_ledger_migrations").all()).toEqual([
      { version: 1, name: "create sessions, policies and tasks" },
      {
        version: 2,
        name: "task outcomes per batch, task payloads apart, ended_by, indexes for the dialects' default orders",
      },
    ]);
    expect(database.pragma("journal_mode", { simple: true })).toBe("wal");
    // The host's connection waits 10 ms inside a statement; the store's retries wait out the rest.
    expect(database.pragma("busy_timeout", { simple: true })).toBe(HOST_LOCK_WAIT_MS);
    database.close();
  });

  it("keeps stores with different prefixes apart in one file", async () => {
    const database = new Database(databaseFile());
    const a = createSqliteStore({ database, tablePrefix: "a_" });
    const b = createSqliteStore({ database, tablePrefix: "b_" });
    await a.migrate();
    await b.migrate();
    await createSessionLedger({ store: a }).create({
      tenantId: "t",
      user: { id: "u", login: "u" },
    });
    expect(await a.countSessions("t", null, Date.now())).toBe(1);
    expect(await b.countSessions("t", null, Date.now())).toBe(0);
    database.close();
  });

  it("seeds the planner's statistics for the sessions table, but never over measured ones", async () => {
    const stats = (database: Database.Database) =>
      database
        .prepare("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'session_ledger_sessions'")
        .all() as { idx: string; stat: string }[];
    const fresh = new Database(databaseFile());
    await createSqliteStore({ database: fresh }).migrate();
    expect(stats(fresh)).toContainEqual({
      idx: "session_ledger_sessions_open_activity",
      stat: "50000 5000 2 1 1",
    });
    fresh.close();

    // A host that analysed its table before upgrading keeps what ANALYZE measured.
    const analysed = new Database(databaseFile());
    const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: analysed }) });
    for (const statement of [
      migrationsTableStatement("session_ledger_"),
      ...MIGRATIONS[0]!.statements("session_ledger_"),
    ]) {
      analysed.prepare(statement.compile(kysely).sql).run();
    }
    analysed.prepare("INSERT INTO session_ledger_migrations VALUES (1, 'v1', 0)").run();
    analysed
      .prepare(
        `INSERT INTO session_ledger_sessions (tenant_id, id, user_id, user_login, client_type, access_type, status, created_at, last_activity_at, expires_at, absolute_expires_at, secret_hash)
         VALUES ('t', 'a', 'u', 'u', 'UI', 'UI', 'ACTIVE', 1, 1, 2, 3, 'h')`,
      )
      .run();
    analysed.prepare("ANALYZE").run();
    const measured = stats(analysed);
    await createSqliteStore({ database: analysed }).migrate();
    expect(stats(analysed)).toEqual(measured);
    analysed.close();
  });

  it("carries a version-1 task's progress and result over to version 2", async () => {
    const database = new Database(databaseFile());
    const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
    for (const statement of [
      migrationsTableStatement("session_ledger_"),
      ...MIGRATIONS[0]!.statements("session_ledger_"),
    ]) {
      database.prepare(statement.compile(kysely).sql).run();
    }
    database.prepare("INSERT INTO session_ledger_migrations VALUES (1, 'v1', 0)").run();
    const task = (id: string, status: string, result: unknown) =>
      database
        .prepare(
          `INSERT INTO session_ledger_tasks (tenant_id, id, kind, status, payload, result, created_at, updated_at)
           VALUES ('t', ?, 'terminate_sessions', ?, '{"ids":["a","b","c","d"]}', ?, 0, 0)`,
        )
        .run(id, status, result === null ? null : JSON.stringify(result));
    task("running", "RUNNING", {
      total: 4,
      processed: 2,
      ended: ["a"],
      alreadyEnded: [],
      notFound: ["b"],
      failed: [],
    });
    task("failed", "FAILED", {
      total: 4,
      processed: 3,
      ended: ["a", "b"],
      alreadyEnded: [],
      notFound: [],
      failed: ["c"],
    });
    task("queued", "QUEUED", null);
    const store = createSqliteStore({ database, readers: 0 });
    await store.migrate();
    expect(await store.getTask("t", "running")).toMatchObject({ progress: 2 });
    expect(await store.getTaskOutcome("t", "running")).toEqual({
      ended: ["a"],
      alreadyEnded: [],
      notFound: ["b"],
    });
    // A failed batch's ids count as not done, which is how version 2 reports them.
    expect(await store.getTask("t", "failed")).toMatchObject({ progress: 2 });
    expect(await store.getTask("t", "queued")).toMatchObject({ progress: 0 });
    expect(await store.getTaskOutcome("t", "queued")).toEqual({
      ended: [],
      alreadyEnded: [],
      notFound: [],
    });
    database.close();
  });

  it("refuses a database migrated by a newer version of the package", async () => {
    const database = new Database(databaseFile());
    const store = createSqliteStore({ database });
    await store.migrate();
    database
      .prepare("INSERT INTO session_ledger_migrations VALUES (99, 'from the future', 0)")
      .run();
    await expect(store.migrate()).rejects.toThrow(/schema version 99/);
    database.close();
  });

  it("reports a store used before migrate() as a StorageError that says so", async () => {
    const database = new Database(databaseFile());
    const error = await createSqliteStore({ database })
      .findSession("t", "x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/has migrate\(\) run\?/);
    database.close();
  });
});

describe("connection options", () => {
  it("needs exactly one of database or kysely", () => {
    const database = new Database(":memory:");
    const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
    // The types refuse both and neither; a JavaScript host that passes them gets an error.
    expect(() => createSqliteStore({} as never)).toThrow(ValidationError);
    expect(() => createSqliteStore({ database, kysely } as never)).toThrow(ValidationError);
    // Reader options belong to the database mode: with kysely they are refused, not ignored.
    expect(() => createSqliteStore({ kysely, readers: 2 } as never)).toThrow(
      "createSqliteStore: readers applies only with `database`",
    );
    expect(() => createSqliteStore({ kysely, mmapSize: 1 } as never)).toThrow(ValidationError);
    expect(() => createSqliteStore({ database: {} as never })).toThrow(ValidationError);
    expect(() => createSqliteStore({ database, busyTimeoutMs: -1 })).toThrow(ValidationError);
    database.close();
  });

  it("works on an in-memory database, where WAL does not apply", async () => {
    const database = new Database(":memory:");
    const store = createSqliteStore({ database });
    await store.migrate();
    expect(await store.countSessions("t", null, 0)).toBe(0);
    database.close();
  });

  it("ignores the host's Kysely plugins and safe-integer mode", async () => {
    const database = new Database(databaseFile());
    database.defaultSafeIntegers(true);
    // A host's own typed instance, with its own plugins.
    const kysely = new Kysely<{ hostUsers: { userId: string } }>({
      dialect: new SqliteDialect({ database }),
      plugins: [new CamelCasePlugin()],
    });
    const viaDatabase = createSqliteStore({ database });
    await viaDatabase.migrate();
    const ledger = createSessionLedger({ store: viaDatabase, clock: () => 1_000 });
    const { session } = await ledger.create({ tenantId: "t", user: { id: "u", login: "u" } });
    expect(await viaDatabase.findSession("t", session.id)).toMatchObject({ createdAt: 1_000 });
    const viaKysely = createSqliteStore({ kysely });
    await viaKysely.migrate();
    expect((await viaKysely.findSession("t", session.id))?.user).toEqual({
      id: "u",
      login: "u",
      fullName: null,
      email: null,
    });
    await kysely.destroy();
  });
});
