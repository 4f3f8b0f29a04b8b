/**
 * The PostgreSQL bench database: a throwaway cluster started for the run (stopped at its end),
 * the store's own schema (`store.migrate()`), and the same deterministic sessions as the SQLite
 * file, loaded by hand-written multi-row INSERTs (loading is not what is measured) with the
 * secondary indexes built after, then VACUUM ANALYZE. Autovacuum is off so no background vacuum
 * lands in a timed sample; the write benchmarks vacuum the table themselves, untimed.
 */
import { bulkRecords, datasetParams, generateSessions, SCRATCH, TABLE, toRow } from "./dataset.mjs";

/** Rows per INSERT while loading: arrays of this many values per column, one statement. */
const LOAD_BATCH = 10_000;

/** Server settings of the bench cluster: PostgreSQL's defaults but for autovacuum. */
const SETTINGS = { autovacuum: "off" };

const INTEGER_COLUMNS = new Set([
  "created_at",
  "last_activity_at",
  "expires_at",
  "absolute_expires_at",
  "ended_at",
]);

/** A loader of whole session records, exactly as the store lays them out. */
export function pgRecordInserter(lib, pool) {
  const columns = Object.keys(toRow(lib, { user: {}, clientIp: null, serverIp: null }));
  const arrays = columns
    .map((column, i) => `$${i + 1}::${INTEGER_COLUMNS.has(column) ? "bigint" : "text"}[]`)
    .join(", ");
  const sql = `INSERT INTO ${TABLE} (${columns.join(", ")}) SELECT * FROM unnest(${arrays})`;
  return async (records) => {
    const values = columns.map(() => []);
    for (const record of records) {
      const row = toRow(lib, record);
      for (const [i, column] of columns.entries()) values[i].push(row[column]);
    }
    await pool.query(sql, values);
  };
}

/** Inserts `records` (any iterable) in batches of LOAD_BATCH. */
async function load(insert, records, log, total) {
  let batch = [];
  let written = 0;
  for (const record of records) {
    batch.push(record);
    if (batch.length === LOAD_BATCH) {
      await insert(batch);
      written += batch.length;
      batch = [];
      if (log && written % 200_000 === 0) log(`  loaded ${written} of ${total} sessions`);
    }
  }
  if (batch.length > 0) await insert(batch);
}

/** Drops the secondary indexes around a bulk load and rebuilds them from their definitions. */
async function withoutIndexes(pool, work) {
  const { rows } = await pool.query(
    `SELECT indexname, indexdef FROM pg_indexes
     WHERE schemaname = 'public' AND tablename = $1 AND indexname NOT LIKE '%_pkey'`,
    [TABLE],
  );
  for (const { indexname } of rows) await pool.query(`DROP INDEX "${indexname}"`);
  await work();
  for (const { indexdef } of rows) await pool.query(indexdef);
}

/**
 * Starts the cluster, migrates and fills it. Resolves to the pool (the library and the baseline
 * share it), the store, the cluster (to stop), and the server's version.
 */
export async function openPgDataset(lib, options, log) {
  const params = datasetParams(options);
  log("starting a throwaway PostgreSQL cluster…");
  const cluster = await lib.startThrowawayCluster({ settings: SETTINGS });
  try {
    const pool = new lib.pg.Pool({ connectionString: cluster.url, max: 8 });
    const store = lib.createPostgresStore({ pool });
    await store.migrate();
    const started = Date.now();
    const insert = pgRecordInserter(lib, pool);
    await withoutIndexes(pool, () =>
      load(
        insert,
        generateSessions({
          count: params.sessions,
          seed: params.seed,
          now: params.now,
          users: params.users,
          spaces: params.tenants,
        }),
        log,
        params.sessions,
      ),
    );
    await pool.query(`VACUUM ANALYZE ${TABLE}`);
    const { rows } = await pool.query("SELECT version() AS version");
    log(
      `  loaded ${params.sessions} sessions into PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return { pool, store, cluster, params, version: rows[0].version.replace(/ on .*$/, "") };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Deletes every scratch tenant's rows. */
export async function clearPgScratch(pool) {
  await pool.query(`DELETE FROM ${TABLE} WHERE tenant_id = ANY($1)`, [Object.values(SCRATCH)]);
}

/** The bulk-terminate tenant, as in the SQLite file. */
export async function fillPgBulkTenant(lib, pool, count) {
  await load(pgRecordInserter(lib, pool), bulkRecords(count));
}
