/**
 * One export's peak memory, in a fresh process so nothing else has grown the heap: the
 * resident set after start-up and a short warm-up export, then the peak while every session
 * of the tenant is streamed through csv-stringify into a null sink. `mode` is `lib` (the
 * ledger's export) or `raw` (one better-sqlite3 iterator). Reports to the parent over IPC.
 *
 *   node --expose-gc bench/export-memory.mjs <db> <tenant> <lib|raw>
 */
import { resourceUsage } from "node:process";
import { NOW } from "./dataset.mjs";
import { loadLibrary } from "./library.mjs";
import { rawQueries } from "./raw.mjs";
import { exportCsv } from "./workload.mjs";

const MiB = 2 ** 20;

/** The first `count` sessions of an export, so every code path is loaded and compiled. */
async function* firstRows(sessions, count) {
  let n = 0;
  for await (const session of sessions) {
    if (n++ >= count) return;
    yield session;
  }
}

async function main() {
  const [path, tenant, mode] = process.argv.slice(2);
  const lib = await loadLibrary();
  const database = new lib.Database(path, { readonly: mode === "raw" });
  // One store for the warm-up and the measured export: its reader thread starts in the warm-up.
  const store = mode === "raw" ? null : lib.createSqliteStore({ database });
  const ledger = store && lib.createSessionLedger({ store, clock: () => NOW });
  const sessions = () =>
    ledger ? ledger.export(tenant) : rawQueries(lib, database).exportSessions(tenant, NOW);
  await exportCsv(lib.stringify, firstRows(sessions(), 5000));
  globalThis.gc();
  const baseline = process.memoryUsage().rss;
  // Sampled as well as read from the kernel's peak: the peak is the number that counts.
  let sampled = baseline;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, 5);
  const started = process.hrtime.bigint();
  const { rows, bytes } = await exportCsv(lib.stringify, sessions());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  const peak = Math.max(sampled, resourceUsage().maxRSS * 1024);
  await store?.close();
  database.close();
  process.send({
    mode,
    rows,
    csvMiB: bytes / MiB,
    seconds,
    baselineMiB: baseline / MiB,
    peakMiB: peak / MiB,
    growthMiB: (peak - baseline) / MiB,
  });
}

await main();
