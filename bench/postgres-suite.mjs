/**
 * The PostgreSQL table: the operations of `suite.mjs` through the ledger over the PostgreSQL
 * store and through the hand-written `pg` statements of `pg-raw.mjs`, on the same pool to the
 * same throwaway cluster (started for the run, stopped at its end).
 */
import { createHash } from "node:crypto";
import { TABLE } from "./dataset.mjs";
import { clearPgScratch, fillPgBulkTenant, openPgDataset } from "./pg-dataset.mjs";
import { pgRawQueries } from "./pg-raw.mjs";
import { planOperations } from "./plans.mjs";
import { runSuite } from "./suite.mjs";

/** The statements the benchmark itself runs, on the shared pool. */
function pgAdapter(lib, pool) {
  const rows = async (sql, params = []) => (await pool.query(sql, params)).rows;
  const digest = async (sql, params) => {
    const hash = createHash("sha256");
    const { rows: found } = await pool.query({ text: sql, values: params, rowMode: "array" });
    for (const row of found) hash.update(JSON.stringify(row));
    return hash.digest("hex");
  };
  return {
    get: async (sql, params) => (await rows(sql, params))[0],
    run: async (sql, params) => {
      await pool.query(sql, params);
    },
    pluck: async (sql, params) =>
      (await pool.query({ text: sql, values: params, rowMode: "array" })).rows.map((r) => r[0]),
    digest,
    fillBulkTenant: (count) => fillPgBulkTenant(lib, pool, count),
    async lapsed(now) {
      await pool.query("DROP TABLE IF EXISTS bench_lapsed");
      await pool.query(
        `CREATE TABLE bench_lapsed (tenant_id text COLLATE "C", id text COLLATE "C", PRIMARY KEY (tenant_id, id))`,
      );
      await pool.query(
        `INSERT INTO bench_lapsed SELECT tenant_id, id FROM ${TABLE} WHERE ended_at IS NULL AND expires_at <= $1`,
        [now],
      );
      const [{ n }] = await rows("SELECT count(*) AS n FROM bench_lapsed");
      return {
        count: Number(n),
        restore: () =>
          pool.query(
            `UPDATE ${TABLE} AS s SET status = 'ACTIVE', end_reason = NULL, ended_at = NULL
             FROM bench_lapsed AS l WHERE s.tenant_id = l.tenant_id AND s.id = l.id`,
          ),
        state: () =>
          digest(
            `SELECT s.id, status, end_reason, ended_at FROM ${TABLE} AS s
             JOIN bench_lapsed AS l ON s.tenant_id = l.tenant_id AND s.id = l.id
             ORDER BY s.tenant_id, s.id`,
            [],
          ),
        done: () => pool.query("DROP TABLE bench_lapsed"),
      };
    },
    // A round of bulk writes leaves 50,000-100,000 dead rows; autovacuum is off in the bench
    // cluster, so the table is vacuumed between rounds, untimed, as autovacuum would soon after.
    settle: () => pool.query(`VACUUM ${TABLE}`),
  };
}

/** A pool that records each statement the store runs on it. */
function recordingPool(pool) {
  const executed = [];
  return {
    executed,
    pool: {
      async connect() {
        const client = await pool.connect();
        return {
          query: (sql, parameters) => {
            executed.push({ sql, parameters });
            return client.query(sql, parameters);
          },
          release: () => client.release(),
        };
      },
      end: () => pool.end(),
    },
  };
}

/** `EXPLAIN` of what the library runs for the list, count and group operations. */
async function pgQueryPlans(lib, pool) {
  const { pool: recording, executed } = recordingPool(pool);
  const operations = await planOperations(lib, lib.createPostgresStore({ pool: recording }));
  const plans = {};
  for (const [name, run] of Object.entries(operations)) {
    executed.length = 0;
    await run();
    plans[name] = [];
    for (const { sql, parameters } of executed) {
      const { rows } = await pool.query(`EXPLAIN ${sql}`, parameters);
      plans[name].push({ sql, plan: rows.map((row) => row["QUERY PLAN"]) });
    }
  }
  return plans;
}

/** Starts the cluster, loads the data, runs every operation, and stops the cluster. */
export async function runPostgresSuite(lib, options, { rounds, only, log }) {
  const dataset = await openPgDataset(lib, options, log);
  const { pool, store } = dataset;
  try {
    const plans = await pgQueryPlans(lib, pool);
    const operations = await runSuite(
      lib,
      {
        store,
        raw: pgRawQueries(lib, pool),
        db: pgAdapter(lib, pool),
        clearScratch: () => clearPgScratch(pool),
      },
      { rounds, only, log },
    );
    return { server: dataset.version, operations, plans };
  } finally {
    await pool.end();
    await dataset.cluster.stop();
  }
}
