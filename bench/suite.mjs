/**
 * The operations of the SQLite and PostgreSQL tables: each one through the library (the ledger
 * over the store) and through hand-written statements (`raw.mjs`, `pg-raw.mjs`) on the same
 * database. Before an operation is timed, one call of each side is run and their results
 * compared (and, for writes, the rows they left behind): a benchmark of unequal work is
 * worthless. A database adapter (`db`) runs the few statements the benchmark itself needs:
 *
 * - `get(sql, params)` one row, `run(sql, params)` a write, `digest(sql, params)` a hash of the
 *   rows, `pluck(sql, params)` one column; `$1`-style placeholders, used once each, in order;
 * - `fillBulkTenant(count)`, and `lapsed(now)`: the sweep's rows, kept aside so each round can
 *   restore them (`{ count, restore, state, done }`);
 * - `settle()`: untimed upkeep after a round of writes (PostgreSQL vacuums the table).
 */
import { deepStrictEqual } from "node:assert/strict";
import { BENCH_TENANT, NOW, SCRATCH, TABLE } from "./dataset.mjs";
import { batchFor, once, repeat, timePair } from "./timing.mjs";
import {
  BULK_IDS,
  CREATES_PER_SAMPLE,
  createInputs,
  DEEP_PAGE,
  exportCsv,
  FILTER_TEXT,
  manualClock,
  PAGE,
  SINCE,
  SORT_TEXT,
  TOUCH_SESSIONS,
  TOUCH_STEP_MS,
} from "./workload.mjs";

/** Target length of one sample of a fast operation, in ms. */
const SAMPLE_MS = 80;

function equal(label, actual, expected) {
  try {
    deepStrictEqual(actual, expected);
  } catch (error) {
    throw new Error(`${label}: the library and the baseline disagree\n${error.message}`);
  }
}

async function validateTouch({ db, ledger, raw, clock }) {
  const tenant = SCRATCH.touch;
  clock.now = NOW;
  const tokens = [];
  for (const input of createInputs(tenant, TOUCH_SESSIONS, 3))
    tokens.push((await ledger.create(input)).token);
  // Same session, same starting state, same clock: the library's and the baseline's touch.
  const id = tokens[0].split(".")[0];
  const saved = await db.get(
    `SELECT last_activity_at, expires_at FROM ${TABLE} WHERE tenant_id = $1 AND id = $2`,
    [tenant, id],
  );
  const reset = () =>
    db.run(
      `UPDATE ${TABLE} SET last_activity_at = $1, expires_at = $2 WHERE tenant_id = $3 AND id = $4`,
      [saved.last_activity_at, saved.expires_at, tenant, id],
    );
  clock.now += TOUCH_STEP_MS;
  const viaLibrary = await ledger.validate(tenant, tokens[0]);
  await reset();
  const viaRaw = await raw.validate(tenant, tokens[0], clock.now);
  equal("validate+touch", viaLibrary, viaRaw);
  if (viaLibrary?.lastActivityAt !== clock.now)
    throw new Error("validate+touch: no touch was written");
  if ((await ledger.validate(tenant, `${id}.${"A".repeat(43)}`)) !== null)
    throw new Error("validate accepted a wrong secret");
  // Every sample moves the clock past the touch resolution, so every validate writes.
  const round = (validate) => async () => {
    clock.now += TOUCH_STEP_MS;
    for (const token of tokens) {
      if ((await validate(token)) === null)
        throw new Error("validate+touch: a session did not validate");
    }
    return tokens.length;
  };
  return {
    key: "validate_touch",
    label: "validate + touch",
    unit: "call",
    note: `${TOUCH_SESSIONS} sessions, each validate writes`,
    lib: round((token) => ledger.validate(tenant, token)),
    raw: round((token) => raw.validate(tenant, token, clock.now)),
  };
}

async function create({ db, ledger, raw, clock }) {
  const tenant = SCRATCH.create;
  clock.now = NOW;
  const inputs = createInputs(tenant, CREATES_PER_SAMPLE, 5);
  let serial = 0;
  const next = (input) => ({ ...input, sessionIdentifier: `bench-${serial++}` });
  const libCreated = await ledger.create(next(inputs[0]));
  const rawCreated = await raw.create(next(inputs[0]), clock.now);
  const stored = async (id) => {
    const {
      id: _id,
      secret_hash: _hash,
      session_identifier: _sid,
      ...row
    } = await db.get(`SELECT * FROM ${TABLE} WHERE tenant_id = $1 AND id = $2`, [tenant, id]);
    return row;
  };
  equal("create", await stored(libCreated.session.id), await stored(rawCreated.session.id));
  const comparable = ({ session }) => ({ ...session, id: "", sessionIdentifier: "" });
  equal("create: returned session", comparable(libCreated), comparable(rawCreated));
  equal(
    "create: tokens",
    [libCreated.token, rawCreated.token].map((t) => t.length),
    [65, 65],
  );
  if (
    !(await ledger.validate(tenant, rawCreated.token)) ||
    !(await raw.validate(tenant, libCreated.token, clock.now))
  ) {
    throw new Error("create: a token made by one side does not validate on the other");
  }
  const round = (make) => async () => {
    for (const input of inputs) await make(next(input));
    return inputs.length;
  };
  return {
    key: "create",
    label: "create",
    unit: "call",
    note: "no per-user cap",
    lib: round((input) => ledger.create(input)),
    raw: round((input) => raw.create(input, clock.now)),
  };
}

/** The list, count and group operations share one filter over one tenant. */
function listing(lib, ledger, raw) {
  const filter = lib.parseQuery(FILTER_TEXT);
  const sort = lib.parseOrderBy(SORT_TEXT);
  const params = { tenant: BENCH_TENANT, clientType: "ui", since: SINCE };
  return { filter, sort, params, tenant: BENCH_TENANT, ledger, raw };
}

async function listPage({ lib, ledger, raw }) {
  const { filter, sort, params, tenant } = listing(lib, ledger, raw);
  const viaLibrary = await ledger.list(tenant, { filter, sort, limit: PAGE });
  const viaRaw = await raw.list({ ...params, limit: PAGE }, NOW);
  equal("list", viaLibrary.items, viaRaw.items);
  equal("list: next page", viaLibrary.nextCursor !== null, viaRaw.next !== null);
  const libCall = () => ledger.list(tenant, { filter, sort, limit: PAGE });
  const rawCall = () => raw.list({ ...params, limit: PAGE }, NOW);
  const batch = await batchFor(libCall, SAMPLE_MS);
  return {
    key: "list",
    label: "list page of 100, filter + sort",
    unit: "call",
    note: `${FILTER_TEXT} order_by=${SORT_TEXT}`,
    lib: repeat(libCall, batch),
    raw: repeat(rawCall, batch),
  };
}

async function listDeep({ lib, ledger, raw }) {
  const { filter, sort, params, tenant } = listing(lib, ledger, raw);
  const matches = await ledger.count(tenant, filter);
  // Page 500 at scale; on a small data set, the page four fifths into the list.
  const page = Math.max(2, Math.min(DEEP_PAGE, Math.floor((0.8 * matches) / PAGE)));
  const before = (page - 1) * PAGE;
  // A page of one row ending just before the deep page yields the cursor to it.
  const lead = await ledger.list(tenant, { filter, sort, limit: 1, offset: before - 1 });
  const position = { at: lead.items[0].createdAt, id: lead.items[0].id };
  const cursor = lead.nextCursor;
  const viaLibrary = await ledger.list(tenant, { filter, sort, limit: PAGE, cursor });
  const viaRaw = await raw.listAfter({ ...params, ...position, limit: PAGE }, NOW);
  const viaOffset = await ledger.list(tenant, { filter, sort, limit: PAGE, offset: before });
  equal("list after cursor", viaLibrary.items, viaRaw.items);
  equal("list after cursor = offset page", viaLibrary.items, viaOffset.items);
  const libCall = () => ledger.list(tenant, { filter, sort, limit: PAGE, cursor });
  const rawCall = () => raw.listAfter({ ...params, ...position, limit: PAGE }, NOW);
  const batch = await batchFor(libCall, SAMPLE_MS);
  return {
    key: "list_cursor",
    label: `same, keyset cursor at page ${page}`,
    unit: "call",
    note: `rows ${before + 1}-${Math.min(before + PAGE, matches)} of ${matches}`,
    lib: repeat(libCall, batch),
    raw: repeat(rawCall, batch),
  };
}

async function count({ lib, ledger, raw }) {
  const { filter, params, tenant } = listing(lib, ledger, raw);
  const n = await ledger.count(tenant, filter);
  equal("count", n, await raw.count(params));
  const libCall = () => ledger.count(tenant, filter);
  const rawCall = () => raw.count(params);
  const batch = await batchFor(libCall, SAMPLE_MS);
  return {
    key: "count",
    label: "total count, same filter",
    unit: "call",
    note: `${n} of the tenant's rows match`,
    lib: repeat(libCall, batch),
    raw: repeat(rawCall, batch),
  };
}

async function group({ lib, ledger, raw }, field) {
  const { filter, params, tenant } = listing(lib, ledger, raw);
  const rawGroup = field === "user" ? raw.groupUser : raw.groupEdition;
  const viaLibrary = await ledger.group(tenant, { field, filter });
  equal(`group by ${field}`, viaLibrary, await rawGroup({ ...params, limit: 1000 }));
  const libCall = () => ledger.group(tenant, { field, filter });
  const rawCall = () => rawGroup({ ...params, limit: 1000 });
  const batch = await batchFor(libCall, SAMPLE_MS);
  return {
    key: field === "user" ? "group_user" : "group",
    label: `group by ${field}, same filter`,
    unit: "call",
    note: `${viaLibrary.totalGroups} groups`,
    lib: repeat(libCall, batch),
    raw: repeat(rawCall, batch),
  };
}

async function csvExport({ lib, ledger, raw }) {
  const tenant = BENCH_TENANT;
  const viaLibrary = await exportCsv(lib.stringify, ledger.export(tenant), { hashed: true });
  const viaRaw = await exportCsv(lib.stringify, raw.exportSessions(tenant, NOW), { hashed: true });
  equal("CSV export", viaLibrary, viaRaw);
  return {
    key: "export",
    label: "CSV export (rows/s)",
    unit: "row",
    note: `${viaLibrary.rows} rows, ${(viaLibrary.bytes / 1048576).toFixed(1)} MiB of CSV`,
    rounds: 7,
    lib: async () => (await exportCsv(lib.stringify, ledger.export(tenant))).rows,
    raw: async () => (await exportCsv(lib.stringify, raw.exportSessions(tenant, NOW))).rows,
  };
}

async function bulkTerminate({ db, ledger, raw }) {
  const tenant = SCRATCH.bulk;
  await db.fillBulkTenant(BULK_IDS);
  const ids = await db.pluck(
    `SELECT id FROM ${TABLE} WHERE tenant_id = $1 ORDER BY created_at DESC, id`,
    [tenant],
  );
  const restore = async () => {
    await db.run(
      `UPDATE ${TABLE} SET status = 'ACTIVE', end_reason = NULL, ended_at = NULL
       WHERE tenant_id = $1 AND status = 'REVOKED'`,
      [tenant],
    );
    await db.settle();
  };
  const state = () =>
    db.digest(
      `SELECT id, status, end_reason, ended_at FROM ${TABLE} WHERE tenant_id = $1 ORDER BY id`,
      [tenant],
    );
  const viaLibrary = await ledger.terminateSessions(tenant, ids);
  const libState = await state();
  await restore();
  const viaRaw = await raw.terminateIds(tenant, ids, NOW);
  equal("bulk terminate", viaLibrary, { ...viaRaw, ended: viaRaw.ended.map((ended) => ended.id) });
  equal("bulk terminate: stored state", libState, await state());
  await restore();
  return {
    key: "terminate",
    label: `bulk terminate ${ids.length} ids`,
    unit: "call",
    note: `${viaLibrary.ended.length} end, ${viaLibrary.alreadyEnded.length} already ended`,
    rounds: 7,
    warmup: 1,
    restore,
    lib: once(() => ledger.terminateSessions(tenant, ids)),
    raw: once(() => raw.terminateIds(tenant, ids, NOW)),
  };
}

async function sweep({ db, ledger, raw }) {
  const lapsed = await db.lapsed(NOW);
  const restore = async () => {
    await lapsed.restore();
    await db.settle();
  };
  const viaLibrary = await ledger.expireDue();
  const libState = await lapsed.state();
  await restore();
  equal("expiry sweep", viaLibrary, (await raw.sweep(NOW)).length);
  equal("expiry sweep: stored state", libState, await lapsed.state());
  await restore();
  return {
    key: "sweep",
    label: "expiry sweep",
    unit: "call",
    note: `${lapsed.count} lapsed rows across tenants`,
    rounds: 7,
    warmup: 1,
    restore,
    lib: once(() => ledger.expireDue()),
    raw: once(() => raw.sweep(NOW)),
    done: () => lapsed.done(),
  };
}

/** Every operation, by the key `--only` selects it with. */
export const OPERATIONS = [
  ["validate_touch", validateTouch],
  ["create", create],
  ["list", listPage],
  ["list_cursor", listDeep],
  ["count", count],
  ["group", (context) => group(context, "license_edition")],
  ["group_user", (context) => group(context, "user")],
  ["export", csvExport],
  ["terminate", bulkTerminate],
  ["sweep", sweep],
];

/**
 * Runs every operation on one database; `only` limits it to some keys (for development).
 * `context` holds the store, the baseline (`raw`), the database adapter (`db`) and `clearScratch`.
 */
export async function runSuite(lib, context, { rounds, only, log }) {
  const clock = manualClock();
  const ledger = lib.createSessionLedger({
    store: context.store,
    clock: clock.read,
    cursorSecret: "bench-cursor-secret-0123456789abcdef",
  });
  const operationContext = { lib, ledger, clock, raw: context.raw, db: context.db };
  await context.clearScratch();
  const results = [];
  try {
    for (const [key, define] of OPERATIONS) {
      if (only && !only.includes(key)) continue;
      const op = await define(operationContext);
      log(`  ${op.label}…`);
      const timing = await timePair({
        lib: op.lib,
        raw: op.raw,
        restore: op.restore,
        rounds: Math.min(rounds, op.rounds ?? rounds),
        warmup: op.warmup ?? 5,
      });
      await op.done?.();
      results.push({ key: op.key, label: op.label, unit: op.unit, note: op.note, ...timing });
    }
  } finally {
    await context.clearScratch();
  }
  return results;
}
