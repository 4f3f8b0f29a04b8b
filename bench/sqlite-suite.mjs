/**
 * The SQLite table: the operations of `suite.mjs` through the ledger over the SQLite store and
 * through the hand-written better-sqlite3 statements of `raw.mjs`, on the same connection to
 * the same file.
 */
import { createHash } from "node:crypto";
import { clearScratch, fillBulkTenant, markState, TABLE } from "./dataset.mjs";
import { rawQueries } from "./raw.mjs";
import { OPERATIONS, runSuite } from "./suite.mjs";

export const SQLITE_OPERATIONS = OPERATIONS;

/** `$1`-style placeholders (each used once, in order) as SQLite's `?`. */
const positional = (sql) => sql.replace(/\$\d+/g, "?");

/** The statements the benchmark itself runs, on the bench file's connection. */
function sqliteAdapter(lib, database) {
  const prepare = (sql) => database.prepare(positional(sql));
  const digest = (sql, params = []) => {
    const hash = createHash("sha256");
    for (const row of prepare(sql)
      .raw()
      .iterate(...params))
      hash.update(JSON.stringify(row));
    return hash.digest("hex");
  };
  return {
    get: async (sql, params) => prepare(sql).get(...params),
    run: async (sql, params) => {
      prepare(sql).run(...params);
    },
    pluck: async (sql, params) =>
      prepare(sql)
        .pluck()
        .all(...params),
    digest: async (sql, params) => digest(sql, params),
    fillBulkTenant: async (count) => fillBulkTenant(lib, database, count),
    async lapsed(now) {
      // Marked as changing, so a run killed before it restores the rows rebuilds the file.
      markState(database, "sweeping");
      database.exec("DROP TABLE IF EXISTS temp.lapsed");
      database
        .prepare(
          `CREATE TEMP TABLE lapsed AS SELECT rowid AS rid FROM ${TABLE} WHERE ended_at IS NULL AND expires_at <= ?`,
        )
        .run(now);
      return {
        count: database.prepare("SELECT count(*) FROM temp.lapsed").pluck().get(),
        restore: async () =>
          database.exec(
            `UPDATE ${TABLE} SET status = 'ACTIVE', end_reason = NULL, ended_at = NULL WHERE rowid IN (SELECT rid FROM temp.lapsed)`,
          ),
        state: async () =>
          digest(
            `SELECT id, status, end_reason, ended_at FROM ${TABLE} WHERE rowid IN (SELECT rid FROM temp.lapsed) ORDER BY rowid`,
          ),
        done: async () => markState(database, "clean"),
      };
    },
    settle: async () => {},
  };
}

export function runSqliteSuite(lib, dataset, options) {
  const { database, store } = dataset;
  return runSuite(
    lib,
    {
      store,
      raw: rawQueries(lib, database),
      db: sqliteAdapter(lib, database),
      clearScratch: async () => clearScratch(database),
    },
    options,
  );
}
