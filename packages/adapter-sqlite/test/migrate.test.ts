import { createSessionLedger, StorageError, ValidationError } from "@session-ledger/core";
import Database from "better-sqlite3";
import { CamelCasePlugin, Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteStore } from "../src/index.js";
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
      "session_ledger_tasks",
    ]);
    expect(names(database, "index")).toEqual([
      "session_ledger_sessions_ended",
      "session_ledger_sessions_identifier",
      "session_ledger_sessions_open_deadline",
      "session_ledger_sessions_tenant_created",
      "session_ledger_sessions_tenant_user",
      "session_ledger_tasks_status_created",
      "sqlite_autoindex_session_ledger_policies_1",
      "sqlite_autoindex_session_ledger_sessions_1",
      "sqlite_autoindex_session_ledger_tasks_1",
    ]);
    expect(database.prepare("SELECT version, name FROM session_ledger_migrations").all()).toEqual([
      { version: 1, name: "create sessions, policies and tasks" },
    ]);
    expect(database.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(database.pragma("busy_timeout", { simple: true })).toBe(5000);
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
    expect(() => createSqliteStore({})).toThrow(ValidationError);
    expect(() => createSqliteStore({ database, kysely })).toThrow(ValidationError);
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
