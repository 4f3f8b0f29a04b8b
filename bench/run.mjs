#!/usr/bin/env node
/**
 * `pnpm bench`: the performance budgets of SPEC §9 and §10. Builds the library from source,
 * builds (or reuses) a deterministic database, times every operation through the library and
 * through hand-written SQL alternately, then the in-memory store, the export's peak memory, the
 * Octane routes over HTTP, the host's latency under admin load, and GET /me through each
 * framework's tracking (section "me"), and prints the tables.
 * Results go to bench/out/results.json (and results-<sessions>.json, host-latency-<sessions>.json,
 * me-<sessions>.json).
 * `pnpm bench --help` lists the options.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NOW, OUT_DIR, openDataset, openExportDataset } from "./dataset.mjs";
import { HOST_LATENCY_WORKLOADS, runHostLatency, WINDOW_SECONDS } from "./host-latency.mjs";
import { runHttpSuite } from "./http-suite.mjs";
import { buildLibrary, loadLibrary } from "./library.mjs";
import { meTable } from "./me-report.mjs";
import { ME_FRAMEWORKS, runMeSuite } from "./me-suite.mjs";
import { formatPlans, queryPlans } from "./plans.mjs";
import { runPostgresSuite } from "./postgres-suite.mjs";
import { runChild } from "./processes.mjs";
import {
  BUDGET,
  hostLatencyTable,
  httpTable,
  load,
  machine,
  memoryTable,
  sqliteTable,
  table,
} from "./report.mjs";
import { runSoak, SOAK_MINUTES } from "./soak.mjs";
import { runSqliteSuite, SQLITE_OPERATIONS } from "./sqlite-suite.mjs";

const SECTIONS = ["sqlite", "postgres", "memory", "export-memory", "http", "host-latency", "me"];
/** The frameworks whose host latency under admin load the "me" section measures side by side. */
const ME_LATENCY_FRAMEWORKS = ["express", "fastify", "hono"];
const USAGE = `usage: pnpm bench [options]
  --sessions N         sessions in the data set, over 10 tenants (default 1000000)
  --users N            users (default 50000)
  --seed N             generator seed (default 1)
  --rounds N           timed rounds per operation (default 15; heavy ones use fewer)
  --only a,b           only these SQLite and PostgreSQL operations: ${SQLITE_OPERATIONS.map(([key]) => key).join(", ")}
  --skip a,b           leave out sections: ${SECTIONS.join(", ")}
  --export-rows N      rows of the export memory measurement (default 1000000)
  --only-latency a,b   only these host-latency workloads (idle always runs): ${HOST_LATENCY_WORKLOADS.join(", ")}
  --latency-seconds N  measured window of each host-latency workload (default ${WINDOW_SECONDS})
  --only-me a,b        only the "me" section, on these frameworks: ${ME_FRAMEWORKS.join(", ")}
                       (its host latency through Express, Fastify and Hono takes --only-latency too)
  --plans              print the query plans of list, count and group (SQLite and PostgreSQL)
  --soak               instead of the tables: the soak, mixed traffic on SQLite and PostgreSQL
                       at once (bench/soak.mjs); its report goes to bench/out/soak-<start>.md
  --minutes N          the soak's length (default ${SOAK_MINUTES})
  -h, --help
The PostgreSQL table runs on a throwaway cluster the bench starts (initdb and pg_ctl of the
server's binaries: POSTGRES_BIN_DIR, /usr/lib/postgresql/*/bin or the PATH) and stops.
BENCH_LIBRARY_BUNDLE=<file> runs the benchmarks on another bundle of bench/library-entry.mjs's
exports (a candidate fix) instead of building the packages' source.`;

function options() {
  const { values } = parseArgs({
    // `pnpm bench -- --sessions 10000` hands node a lone `--` first: both spellings work.
    args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--")),
    options: {
      sessions: { type: "string", default: "1000000" },
      users: { type: "string", default: "50000" },
      seed: { type: "string", default: "1" },
      rounds: { type: "string", default: "15" },
      only: { type: "string" },
      skip: { type: "string", default: "" },
      "export-rows": { type: "string", default: "1000000" },
      "only-latency": { type: "string" },
      "latency-seconds": { type: "string", default: String(WINDOW_SECONDS) },
      "only-me": { type: "string" },
      plans: { type: "boolean", default: false },
      soak: { type: "boolean", default: false },
      minutes: { type: "string", default: String(SOAK_MINUTES) },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const fail = (message) => {
    console.error(`${message}\n${USAGE}`);
    process.exit(2);
  };
  const integer = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min)
      fail(`--${name} must be an integer of at least ${min}, got '${values[name]}'`);
    return value;
  };
  const list = (text, known, name) => {
    const items = text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    const unknown = items.filter((item) => !known.includes(item));
    if (unknown.length > 0) fail(`--${name}: unknown ${unknown.join(", ")}`);
    return items;
  };
  const only =
    values.only === undefined
      ? undefined
      : list(
          values.only,
          SQLITE_OPERATIONS.map(([key]) => key),
          "only",
        );
  const onlyLatency =
    values["only-latency"] === undefined
      ? undefined
      : list(values["only-latency"], HOST_LATENCY_WORKLOADS, "only-latency");
  const onlyMe =
    values["only-me"] === undefined ? undefined : list(values["only-me"], ME_FRAMEWORKS, "only-me");
  const development = only || onlyLatency || onlyMe;
  return {
    // Below this, the benchmark tenant has too few matches for a page behind a cursor.
    sessions: integer("sessions", 5000),
    users: integer("users", 1),
    seed: integer("seed", 0),
    rounds: integer("rounds", 1),
    exportRows: integer("export-rows", 1000),
    latencySeconds: integer("latency-seconds", 1),
    only,
    onlyLatency,
    onlyMe,
    // A development run keeps only the sections it names: the SQL tables for --only (less any
    // --skip), host latency for --only-latency.
    skip: development
      ? SECTIONS.filter(
          (section) =>
            !(["sqlite", "postgres"].includes(section) && only) &&
            !(section === "host-latency" && onlyLatency && !onlyMe) &&
            !(section === "me" && onlyMe),
        ).concat(only ? list(values.skip, SECTIONS, "skip") : [])
      : list(values.skip, SECTIONS, "skip"),
    plans: values.plans,
    soak: values.soak,
    minutes: integer("minutes", 1),
  };
}

const log = (line) => console.error(line);

async function exportMemory(lib, opts) {
  const path = await openExportDataset(lib, opts.exportRows, log);
  const results = [];
  for (const mode of ["lib", "raw"]) {
    log(`  export of ${opts.exportRows} rows (${mode}) in a fresh process…`);
    results.push(
      await runChild("export-memory.mjs", [path, "export", mode], { execArgv: ["--expose-gc"] }),
    );
  }
  return results;
}

function exportMemoryTable(results) {
  return table(
    ["export", "rows", "rows/s", "RSS before", "peak RSS", "growth"],
    results.map((r) => [
      r.mode === "lib" ? "library (ledger.export)" : "hand-written (iterate)",
      r.rows,
      `${(r.rows / r.seconds / 1000).toFixed(1)}k`,
      `${r.baselineMiB.toFixed(0)} MiB`,
      `${r.peakMiB.toFixed(0)} MiB`,
      `${r.growthMiB.toFixed(1)} MiB`,
    ]),
    new Set([1, 2, 3, 4, 5]),
  );
}

async function main() {
  const opts = options();
  const run = (section) => !opts.skip.includes(section);
  if (!process.env.BENCH_LIBRARY_BUNDLE) {
    log("building the library from source…");
    await buildLibrary();
  }
  const lib = await loadLibrary();
  if (opts.soak) {
    const command = `pnpm bench ${process.argv.slice(2).join(" ")}`.trim();
    const { report } = await runSoak(lib, { minutes: opts.minutes, command, log });
    process.exitCode = report.stores.every((store) => store.goals?.pass) ? 0 : 1;
    return;
  }
  const dataset = await openDataset(lib, opts, log);
  const results = {
    command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
    library: process.env.BENCH_LIBRARY_BUNDLE ?? "packages/*/src (bundled by bench/library.mjs)",
    machine: machine(),
    params: dataset.params,
    now: new Date(NOW).toISOString(),
    load: { start: load() },
  };
  const print = (title, text) => console.log(`\n${title}\n${text}`);

  results.plans = await queryPlans(lib, dataset.path);
  if (opts.plans)
    print("Query plans (EXPLAIN QUERY PLAN of what the library runs)", formatPlans(results.plans));

  if (run("sqlite")) {
    log(`SQLite, ${opts.sessions} sessions (load average ${load()})`);
    results.sqlite = await runSqliteSuite(lib, dataset, {
      rounds: opts.rounds,
      only: opts.only,
      log,
    });
    results.load.afterSqlite = load();
    print(
      `SQLite, ${opts.sessions} sessions — median per operation; ratio = library / hand-written (budget ≤ ${BUDGET})`,
      sqliteTable(results.sqlite),
    );
  }
  dataset.database.close();

  if (run("postgres")) {
    log(`PostgreSQL, ${opts.sessions} sessions (load average ${load()})`);
    results.postgres = await runPostgresSuite(lib, opts, {
      rounds: opts.rounds,
      only: opts.only,
      log,
    });
    results.load.afterPostgres = load();
    if (opts.plans)
      print(
        "PostgreSQL query plans (EXPLAIN of what the library runs)",
        formatPlans(results.postgres.plans),
      );
    print(
      `PostgreSQL (${results.postgres.server}), ${opts.sessions} sessions — median per operation; ratio = library / hand-written pg (budget ≤ ${BUDGET})`,
      sqliteTable(results.postgres.operations),
    );
  }

  if (run("memory")) {
    log(`in-memory store, ${opts.sessions} sessions…`);
    const args = [opts.sessions, opts.seed, opts.users, opts.rounds];
    const memory = await runChild("memory-suite.mjs", args, {
      execArgv: ["--max-old-space-size=12288"],
    });
    const raw = new Map((results.sqlite ?? []).map((r) => [r.key, r.raw]));
    results.memory = memory.map((r) => ({ ...r, sqliteRaw: raw.get(r.key) ?? null }));
    print(
      `In-memory store, ${opts.sessions} sessions — median per operation`,
      memoryTable(results.memory),
    );
  }

  if (run("export-memory")) {
    log("export memory…");
    results.exportMemory = await exportMemory(lib, opts);
    print(
      `Export memory: ${opts.exportRows} rows of one tenant to CSV, each in a fresh process (budget: growth < 64 MiB)`,
      exportMemoryTable(results.exportMemory),
    );
  }

  if (run("http")) {
    log("HTTP: Octane list and groups routes…");
    results.http = await runHttpSuite(dataset.path, log);
    print(
      "HTTP: Octane routes on 127.0.0.1, load from a second process, keep-alive",
      httpTable(results.http),
    );
  }

  if (run("host-latency")) {
    log(`host latency under admin load, ${opts.sessions} sessions…`);
    results.hostLatency = await runHostLatency(lib, dataset.path, {
      only: opts.onlyLatency,
      windowSeconds: opts.latencySeconds,
      log,
    });
    print(
      `Host latency under admin load: GET /me for ${opts.latencySeconds} s while one admin workload runs in a loop (budget: SPEC §9)`,
      hostLatencyTable(results.hostLatency),
    );
  }

  if (run("me")) {
    log(`GET /me through each framework's tracking, ${opts.sessions} sessions…`);
    results.me = await runMeSuite(lib, dataset.path, { frameworks: opts.onlyMe, log });
    print(
      "GET /me through each framework's native tracking against a hand-written handler in the same framework (same SQLite file)",
      meTable(results.me),
    );
    results.meHostLatency = {};
    for (const framework of ME_LATENCY_FRAMEWORKS) {
      if (opts.onlyMe && !opts.onlyMe.includes(framework)) continue;
      log(`host latency under admin load through ${framework}…`);
      const section = await runHostLatency(lib, dataset.path, {
        only: opts.onlyLatency,
        windowSeconds: opts.latencySeconds,
        log,
        // Express's host is the host-latency section's own.
        ...(framework !== "express" && {
          server: { script: "framework-server.mjs", args: [framework, "tracking", "admin"] },
        }),
      });
      results.meHostLatency[framework] = section;
      print(
        `Host latency under admin load through ${framework}: GET /me for ${opts.latencySeconds} s while one admin workload runs in a loop (budget: SPEC §9)`,
        hostLatencyTable(section),
      );
    }
  }

  results.load.end = load();
  console.log(
    `\nload average: ${results.load.start} at start, ${results.load.end} at the end (1, 5, 15 min)`,
  );
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(OUT_DIR, "results.json"), json);
  // The per-size files feed the scaling table of docs/performance.md: full runs only, and a
  // run on another bundle (a candidate fix) never replaces the library's own.
  const candidate = process.env.BENCH_LIBRARY_BUNDLE ? "-candidate" : "";
  const others = SECTIONS.filter((section) => section !== "host-latency" && section !== "me");
  if (!opts.only && others.some(run))
    writeFileSync(join(OUT_DIR, `results-${opts.sessions}${candidate}.json`), json);
  // Host latency has a file of its own, so a run of that section alone replaces no other
  // table's results; only a run of every workload over the standard window writes it.
  if (results.hostLatency && !opts.onlyLatency && opts.latencySeconds === WINDOW_SECONDS)
    writeFileSync(join(OUT_DIR, `host-latency-${opts.sessions}${candidate}.json`), json);
  // So does the "me" section, when it ran on every framework.
  if (results.me && !opts.onlyMe)
    writeFileSync(join(OUT_DIR, `me-${opts.sessions}${candidate}.json`), json);
  log(`results written to ${join(OUT_DIR, "results.json")}`);
}

await main();
