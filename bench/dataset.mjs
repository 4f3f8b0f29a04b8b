/**
 * The bench database: the store's own schema (`store.migrate()`), filled with the demo's
 * deterministic realistic sessions by hand-written INSERTs in one transaction (loading is not
 * what is measured), and reused while its parameters match. Scratch tenants hold what the
 * write benchmarks create or change, and are rebuilt on every run.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSessions } from "@session-ledger/fixtures";

export const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "out");
export const TABLE = "session_ledger_sessions";
/** The fixed "now" of every benchmark: the data is generated over the year before it. */
export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
export const TENANTS = Array.from({ length: 10 }, (_, i) => String(1001 + i));
/** A typical tenant (the first one also holds the seed's busy user 220001). */
export const BENCH_TENANT = TENANTS[1];
export const SCRATCH = { touch: "bench-touch", create: "bench-create", bulk: "bench-bulk" };
const FORMAT = 3;

/** A session record as a row of the store's table, keyed by column. */
export function toRow(lib, r) {
  const json = (value) => (value == null ? null : JSON.stringify(value));
  return {
    tenant_id: r.tenantId,
    id: r.id,
    session_identifier: r.sessionIdentifier,
    user_id: r.user.id,
    user_login: r.user.login,
    user_full_name: r.user.fullName,
    user_email: r.user.email,
    client_type: r.clientType,
    access_type: r.accessType,
    client_ip: r.clientIp,
    client_ip_key: r.clientIp === null ? null : lib.ipSortKey(r.clientIp),
    server_ip: r.serverIp,
    server_ip_key: r.serverIp === null ? null : lib.ipSortKey(r.serverIp),
    user_agent: r.userAgent,
    client_info: json(r.clientInfo),
    city: r.city,
    country: r.country,
    license_edition: r.licenseEdition,
    status: r.status,
    end_reason: r.endReason,
    created_at: r.createdAt,
    last_activity_at: r.lastActivityAt,
    expires_at: r.expiresAt,
    absolute_expires_at: r.absoluteExpiresAt,
    ended_at: r.endedAt,
    attributes: json(r.attributes),
    secret_hash: r.secretHash,
  };
}

/** A prepared INSERT of whole session records, exactly as the store lays them out. */
export function recordInserter(lib, database) {
  // The row's keys name the columns, so the list of columns and the values cannot drift apart.
  const columns = Object.keys(toRow(lib, { user: {}, clientIp: null, serverIp: null }));
  const insert = database.prepare(
    `INSERT INTO ${TABLE} (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`,
  );
  return (r) => insert.run(toRow(lib, r));
}

/**
 * Drops the session indexes around a bulk load and recreates them from their own DDL after:
 * building an index once over sorted data is several times faster than growing it row by row.
 */
function withoutIndexes(database, load) {
  const indexes = database
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    )
    .all(TABLE);
  for (const { name } of indexes) database.exec(`DROP INDEX "${name}"`);
  load();
  for (const { sql } of indexes) database.exec(sql);
}

export function datasetParams(options) {
  return {
    format: FORMAT,
    sessions: options.sessions,
    seed: options.seed,
    users: options.users,
    tenants: TENANTS,
    now: NOW,
  };
}

function readMeta(path, lib) {
  if (!existsSync(path)) return null;
  const database = new lib.Database(path, { readonly: true });
  try {
    const row = database.prepare("SELECT value FROM bench_meta WHERE key = 'params'").get();
    const state = database.prepare("SELECT value FROM bench_meta WHERE key = 'state'").get();
    return row && state ? { params: row.value, state: state.value } : null;
  } catch {
    return null;
  } finally {
    database.close();
  }
}

/** Deletes a database file with its WAL and shared-memory files. */
export function removeDatabase(path) {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
}

/** Writes the generated sessions; `log` receives progress lines. */
function fill(lib, database, params, log) {
  const insert = recordInserter(lib, database);
  const started = Date.now();
  // No fsync while loading; the connection's own setting is put back for the benchmarks.
  const synchronous = database.pragma("synchronous", { simple: true });
  database.pragma("synchronous = OFF");
  withoutIndexes(database, () => {
    database.transaction(() => {
      let written = 0;
      for (const record of generateSessions({
        count: params.sessions,
        seed: params.seed,
        now: params.now,
        users: params.users,
        spaces: params.tenants,
      })) {
        insert(record);
        if (++written % 200_000 === 0) log(`  loaded ${written} of ${params.sessions} sessions`);
      }
    })();
  });
  // Planner statistics, as `PRAGMA optimize` keeps them on a long-lived database.
  database.exec("ANALYZE");
  database.pragma(`synchronous = ${synchronous}`);
  database.pragma("wal_checkpoint(TRUNCATE)");
  log(`  loaded ${params.sessions} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Opens bench/out/bench-<sessions>.db, building it first when it is missing, was made with
 * other parameters, or was left mid-change by an interrupted run.
 */
export async function openDataset(lib, options, log) {
  mkdirSync(OUT_DIR, { recursive: true });
  const params = datasetParams(options);
  const path = join(OUT_DIR, `bench-${options.sessions}.db`);
  const meta = readMeta(path, lib);
  const reusable = meta && meta.params === JSON.stringify(params) && meta.state === "clean";
  if (!reusable) {
    log(`building ${path} (${params.sessions} sessions, ${params.users} users, 10 tenants)`);
    removeDatabase(path);
  }
  const database = new lib.Database(path);
  const store = lib.createSqliteStore({ database });
  await store.migrate();
  if (!reusable) {
    database.exec("CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    fill(lib, database, params, log);
    database
      .prepare("INSERT INTO bench_meta (key, value) VALUES ('params', ?), ('state', 'clean')")
      .run(JSON.stringify(params));
  } else {
    log(`reusing ${path}`);
  }
  return { path, database, store, params };
}

/** Marks the file as being changed, so a run killed before it restores the rows rebuilds it. */
export function markState(database, state) {
  database.prepare("UPDATE bench_meta SET value = ? WHERE key = 'state'").run(state);
}

/** Deletes every scratch tenant's rows (left over from an interrupted run, or at the end). */
export function clearScratch(database) {
  const remove = database.prepare(`DELETE FROM ${TABLE} WHERE tenant_id = ?`);
  database.transaction(() => {
    for (const tenant of Object.values(SCRATCH)) remove.run(tenant);
  })();
}

/**
 * The bulk-terminate tenant: `count` sessions, 95% open at NOW and 5% already logged out, so
 * the per-id outcome has both kinds (or all open, with `allOpen`).
 */
export function* bulkRecords(count, { allOpen = false } = {}) {
  const hour = 3_600_000;
  let i = 0;
  for (const record of generateSessions({
    count,
    seed: 7,
    now: NOW,
    users: 2000,
    spaces: [SCRATCH.bulk],
  })) {
    const createdAt = NOW - 1000 - (i % (8 * hour));
    const ended = i++ % 20 === 0 && !allOpen;
    yield {
      ...record,
      createdAt,
      lastActivityAt: NOW - 1000,
      expiresAt: NOW + 29 * 60_000,
      absoluteExpiresAt: createdAt + 10 * hour,
      status: ended ? "LOGGED_OUT" : "ACTIVE",
      endReason: ended ? "LOGOUT" : null,
      endedAt: ended ? NOW - 500 : null,
    };
  }
}

/** Inserts the bulk-terminate tenant by hand, like the main data. */
export function fillBulkTenant(lib, database, count, options) {
  const insert = recordInserter(lib, database);
  database.transaction(() => {
    for (const record of bulkRecords(count, options)) insert(record);
  })();
}

/** Single-tenant database for the export memory measurement (1,000,000 rows by default). */
export async function openExportDataset(lib, rows, log) {
  mkdirSync(OUT_DIR, { recursive: true });
  const params = {
    format: FORMAT,
    sessions: rows,
    seed: 11,
    users: 50_000,
    tenants: ["export"],
    now: NOW,
  };
  const path = join(OUT_DIR, `export-${rows}.db`);
  const meta = readMeta(path, lib);
  if (meta?.params === JSON.stringify(params) && meta.state === "clean") return path;
  log(`building ${path} (${rows} sessions in one tenant, for the export memory measurement)`);
  removeDatabase(path);
  const database = new lib.Database(path);
  const store = lib.createSqliteStore({ database });
  await store.migrate();
  database.exec("CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  fill(lib, database, params, log);
  database
    .prepare("INSERT INTO bench_meta (key, value) VALUES ('params', ?), ('state', 'clean')")
    .run(JSON.stringify(params));
  database.close();
  return path;
}

/** Loads the same generated sessions into a memory store's row map (its bulk path). */
export function fillMemoryStore(lib, params) {
  const { store, sessions } = lib.createMemoryStoreWithRows();
  for (const record of generateSessions({
    count: params.sessions,
    seed: params.seed,
    now: params.now,
    users: params.users,
    spaces: params.tenants,
  })) {
    let rows = sessions.get(record.tenantId);
    if (!rows) {
      rows = new Map();
      sessions.set(record.tenantId, rows);
    }
    rows.set(record.id, record);
  }
  return { store, sessions };
}

export { generateSessions };
