import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreFixture } from "@session-ledger/core/testing";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { createSqliteStore, type SqliteSessionStore } from "../src/index.js";

export interface SqliteFixture extends StoreFixture {
  store: SqliteSessionStore;
  database: Database.Database;
  file: string;
}

/** A fresh temporary database directory, removed by the returned cleanup. */
export function temporaryDirectory(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "session-ledger-sqlite-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A migrated store on a temporary database file. `via: "kysely"` hands the store a Kysely
 * instance instead of the better-sqlite3 connection.
 */
export async function fileStore(
  options: { via?: "database" | "kysely"; tablePrefix?: string } = {},
): Promise<SqliteFixture> {
  const temp = temporaryDirectory();
  const file = join(temp.dir, "sessions.db");
  const database = new Database(file);
  const kysely =
    options.via === "kysely"
      ? new Kysely<unknown>({ dialect: new SqliteDialect({ database }) })
      : undefined;
  const store = createSqliteStore(
    kysely
      ? { kysely, tablePrefix: options.tablePrefix }
      : { database, tablePrefix: options.tablePrefix },
  );
  await store.migrate();
  const prefix = options.tablePrefix ?? "session_ledger_";
  return {
    store,
    database,
    file,
    async reset() {
      for (const table of ["sessions", "policies", "tasks", "task_payloads", "task_outcomes"]) {
        database.prepare(`DELETE FROM ${prefix}${table}`).run();
      }
    },
    // No read workers: closing them would hand the shared connection its WAL checkpoints back.
    another: () =>
      createSqliteStore(
        kysely
          ? { kysely, tablePrefix: options.tablePrefix }
          : { database, tablePrefix: options.tablePrefix, readers: 0 },
      ),
    async teardown() {
      await store.close();
      if (kysely) await kysely.destroy();
      else database.close();
      temp.remove();
    },
  };
}
