/**
 * The in-memory table: the same operations through the ledger over the in-memory store (the
 * reference semantics), on the same generated data. It runs in its own process (`run.mjs`
 * forks it with a larger heap) so its million records do not share a heap with the SQLite run.
 */
import {
  BENCH_TENANT,
  bulkRecords,
  datasetParams,
  fillMemoryStore,
  NOW,
  SCRATCH,
} from "./dataset.mjs";
import { loadLibrary } from "./library.mjs";
import { batchFor, once, repeat, timeOne } from "./timing.mjs";
import {
  BULK_IDS,
  CREATES_PER_SAMPLE,
  createInputs,
  DEEP_PAGE,
  exportCsv,
  FILTER_TEXT,
  manualClock,
  PAGE,
  SORT_TEXT,
  TOUCH_SESSIONS,
  TOUCH_STEP_MS,
} from "./workload.mjs";

const SAMPLE_MS = 80;

async function operations(lib, ledger, sessions, clock) {
  const filter = lib.parseQuery(FILTER_TEXT);
  const sort = lib.parseOrderBy(SORT_TEXT);
  const tenant = BENCH_TENANT;
  const fast = async (call) => repeat(call, await batchFor(call, SAMPLE_MS));
  const ops = [];

  const tokens = [];
  for (const input of createInputs(SCRATCH.touch, TOUCH_SESSIONS, 3))
    tokens.push((await ledger.create(input)).token);
  ops.push({
    key: "validate_touch",
    label: "validate + touch",
    unit: "call",
    run: async () => {
      clock.now += TOUCH_STEP_MS;
      for (const token of tokens) await ledger.validate(SCRATCH.touch, token);
      return tokens.length;
    },
  });

  const inputs = createInputs(SCRATCH.create, CREATES_PER_SAMPLE, 5);
  let serial = 0;
  ops.push({
    key: "create",
    label: "create",
    unit: "call",
    run: async () => {
      clock.now = NOW;
      for (const input of inputs)
        await ledger.create({ ...input, sessionIdentifier: `bench-${serial++}` });
      return inputs.length;
    },
  });

  ops.push({
    key: "list",
    label: "list page of 100, filter + sort",
    unit: "call",
    run: await fast(() => ledger.list(tenant, { filter, sort, limit: PAGE })),
  });

  const matches = await ledger.count(tenant, filter);
  const page = Math.max(2, Math.min(DEEP_PAGE, Math.floor((0.8 * matches) / PAGE)));
  const { nextCursor: cursor } = await ledger.list(tenant, {
    filter,
    sort,
    limit: 1,
    offset: (page - 1) * PAGE - 1,
  });
  ops.push({
    key: "list_cursor",
    label: `same, keyset cursor at page ${page}`,
    unit: "call",
    run: await fast(() => ledger.list(tenant, { filter, sort, limit: PAGE, cursor })),
  });
  ops.push({
    key: "count",
    label: "total count, same filter",
    unit: "call",
    run: await fast(() => ledger.count(tenant, filter)),
  });
  for (const [key, field] of [
    ["group", "license_edition"],
    ["group_user", "user"],
  ]) {
    ops.push({
      key,
      label: `group by ${field}, same filter`,
      unit: "call",
      run: await fast(() => ledger.group(tenant, { field, filter })),
    });
  }
  ops.push({
    key: "export",
    label: "CSV export (rows/s)",
    unit: "row",
    rounds: 5,
    run: async () => (await exportCsv(lib.stringify, ledger.export(tenant))).rows,
  });

  const bulk = new Map();
  for (const record of bulkRecords(BULK_IDS)) bulk.set(record.id, record);
  sessions.set(SCRATCH.bulk, bulk);
  const ids = [...bulk.values()]
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1))
    .map((r) => r.id);
  ops.push({
    key: "terminate",
    label: `bulk terminate ${ids.length} ids`,
    unit: "call",
    rounds: 7,
    run: once(() => ledger.terminateSessions(SCRATCH.bulk, ids)),
    restore: () => reopen(bulk.values(), (record) => record.status === "REVOKED"),
  });

  // Lapsed records of the main data: what the sweep ends, and what is reopened after it.
  const lapsed = [];
  for (const rows of sessions.values()) {
    for (const record of rows.values())
      if (record.endedAt === null && record.expiresAt <= NOW) lapsed.push(record);
  }
  ops.push({
    key: "sweep",
    label: "expiry sweep",
    unit: "call",
    rounds: 7,
    before: () => {
      clock.now = NOW;
    },
    run: once(() => ledger.expireDue()),
    restore: () => reopen(lapsed, () => true),
  });
  return ops;
}

function reopen(records, which) {
  for (const record of records) {
    if (!which(record)) continue;
    record.status = "ACTIVE";
    record.endReason = null;
    record.endedAt = null;
  }
}

async function main() {
  const [sessions, seed, users, rounds] = process.argv.slice(2).map(Number);
  const lib = await loadLibrary();
  const loaded = fillMemoryStore(lib, datasetParams({ sessions, seed, users }));
  const clock = manualClock();
  const ledger = lib.createSessionLedger({
    store: loaded.store,
    clock: clock.read,
    cursorSecret: "bench-cursor-secret-0123456789abcdef",
  });
  const results = [];
  for (const op of await operations(lib, ledger, loaded.sessions, clock)) {
    op.before?.();
    const timing = await timeOne({
      run: op.run,
      restore: op.restore,
      rounds: Math.min(rounds, op.rounds ?? rounds),
      warmup: op.rounds ? 1 : 3,
    });
    results.push({ key: op.key, label: op.label, unit: op.unit, ...timing });
    process.stderr.write(`  ${op.label}…\n`);
  }
  process.send(results);
}

await main();
