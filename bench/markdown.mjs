#!/usr/bin/env node
/**
 * Prints the tables of docs/performance.md as Markdown from the results of full runs
 * (bench/out/results-<sessions>.json): the largest run's tables, how each operation's cost
 * grows across sizes, and the query plans; and the host-latency table of the largest run of
 * that section (bench/out/host-latency-<sessions>.json). `node bench/markdown.mjs > /tmp/tables.md`
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OUT_DIR } from "./dataset.mjs";
import { BUDGET, cost, hostLatencyRows } from "./report.mjs";

/** The results files whose names match, smallest data set first. */
const resultsOf = (pattern) =>
  readdirSync(OUT_DIR)
    .filter((name) => pattern.test(name))
    .map((name) => JSON.parse(readFileSync(join(OUT_DIR, name), "utf8")))
    .sort((a, b) => a.params.sessions - b.params.sessions);
const runs = resultsOf(/^results-\d+\.json$/);
const hostLatencyRun = resultsOf(/^host-latency-\d+\.json$/).at(-1);
if (runs.length === 0 && !hostLatencyRun) {
  console.error("no bench/out/results-<sessions>.json yet: run `pnpm bench` first");
  process.exit(1);
}
const largest = runs.at(-1);

const row = (cells) => `| ${cells.join(" | ")} |`;
const markdownTable = (header, rows, right = new Set()) =>
  [row(header), row(header.map((_, i) => (right.has(i) ? "---:" : "---"))), ...rows.map(row)].join(
    "\n",
  );
const count = (n) => n.toLocaleString("en-US");
const escapePipes = (text) => String(text).replaceAll("|", "\\|");

/** A table of library against hand-written timings (SQLite's or PostgreSQL's). */
function ratioSection(results) {
  return markdownTable(
    ["operation", "library", "hand-written", "ratio", "workload"],
    results.map((r) => [
      r.label,
      cost(r.unit, r.lib),
      cost(r.unit, r.raw),
      r.ratio <= BUDGET ? r.ratio.toFixed(2) : `**${r.ratio.toFixed(2)}**`,
      escapePipes(r.note),
    ]),
    new Set([1, 2, 3]),
  );
}

function memorySection(run) {
  return markdownTable(
    ["operation", "in-memory store", "÷ SQLite hand-written"],
    run.memory.map((r) => [
      r.label,
      cost(r.unit, r.median),
      r.sqliteRaw ? `${(r.median / r.sqliteRaw).toFixed(2)}×` : "",
    ]),
    new Set([1, 2]),
  );
}

function exportSection(run) {
  return markdownTable(
    ["export", "rows", "rows/s", "RSS before", "peak RSS", "growth"],
    run.exportMemory.map((r) => [
      r.mode === "lib" ? "library (`ledger.export`)" : "hand-written (`iterate()`)",
      count(r.rows),
      `${(r.rows / r.seconds / 1000).toFixed(1)}k`,
      `${r.baselineMiB.toFixed(0)} MiB`,
      `${r.peakMiB.toFixed(0)} MiB`,
      `${r.growthMiB.toFixed(1)} MiB`,
    ]),
    new Set([1, 2, 3, 4, 5]),
  );
}

function httpSection(run) {
  return markdownTable(
    ["route", "requests", "req/s", "p50", "p99", "errors"],
    run.http.map((r) => [
      escapePipes(r.label),
      count(r.completed),
      r.perSecond.toFixed(0),
      `${r.p50.toFixed(1)} ms`,
      `${r.p99.toFixed(1)} ms`,
      r.errors,
    ]),
    new Set([1, 2, 3, 4, 5]),
  );
}

/** Each operation's library and hand-written cost at every size, and the growth end to end. */
function scalingSection() {
  const sizes = runs.filter((run) => run.sqlite);
  const first = sizes[0];
  const last = sizes.at(-1);
  const header = ["operation", ...sizes.map((run) => `${count(run.params.sessions)} (lib / raw)`)];
  header.push(`growth ${count(first.params.sessions)} → ${count(last.params.sessions)} (lib)`);
  const rows = last.sqlite.map((op) => {
    const at = (run) => run.sqlite.find((r) => r.key === op.key);
    const cells = sizes.map((run) => {
      const r = at(run);
      return r ? `${cost(r.unit, r.lib)} / ${cost(r.unit, r.raw)}` : "";
    });
    const start = at(first);
    return [op.key, ...cells, start ? `${(at(last).lib / start.lib).toFixed(1)}×` : ""];
  });
  return markdownTable(header, rows, new Set(header.map((_, i) => i).slice(1)));
}

function hostLatencySection(run) {
  const section = run.hostLatency;
  const { header, rows, right } = hostLatencyRows(section);
  const limit = section.results[0].budget.p99LimitMs;
  return [
    `\`${run.command}\`, ${count(run.params.sessions)} sessions, ${section.windowSeconds} s per workload, ${section.seconds.toFixed(0)} s in all; load average ${section.load.start} → ${section.load.end}, ${run.machine.cores} cores, Node ${run.machine.node}.`,
    markdownTable(
      header,
      rows.map((cells) => cells.map(escapePipes)),
      right,
    ),
    `Budget (SPEC §9): \`/me\` p99 ≤ ${limit.toFixed(1)} ms (3 × idle p99, at least 25 ms), worst ≤ 250 ms, no failed request, event-loop delay max < 50 ms.`,
  ].join("\n\n");
}

function plansSection(plans) {
  const blocks = [];
  for (const [name, statements] of Object.entries(plans)) {
    for (const { sql, plan } of statements) {
      blocks.push(
        `**${name}**\n\n\`\`\`sql\n${sql.replace(/\s+/g, " ").trim()}\n\`\`\`\n\n\`\`\`\n${plan.join("\n")}\n\`\`\``,
      );
    }
  }
  return blocks.join("\n\n");
}

const sections = largest
  ? [
      `Largest run: \`${largest.command}\`, ${count(largest.params.sessions)} sessions, load average ${largest.load.start} → ${largest.load.end}, ${largest.machine.cpu}, ${largest.machine.cores} cores, Node ${largest.machine.node}.`,
      largest.sqlite &&
        `### SQLite

${ratioSection(largest.sqlite)}`,
      largest.postgres &&
        `### PostgreSQL (${largest.postgres.server})

${ratioSection(largest.postgres.operations)}`,
      largest.memory &&
        `### In-memory store

${memorySection(largest)}`,
      largest.exportMemory &&
        `### Export memory

${exportSection(largest)}`,
      largest.http &&
        `### HTTP

${httpSection(largest)}`,
      runs.some((run) => run.sqlite) &&
        `### Scaling

${scalingSection()}`,
      `### Query plans

${plansSection(largest.plans)}`,
      largest.postgres &&
        `### PostgreSQL query plans

${plansSection(largest.postgres.plans)}`,
    ]
  : [];
if (hostLatencyRun)
  sections.push(`### Host latency under admin load

${hostLatencySection(hostLatencyRun)}`);
console.log(sections.filter(Boolean).join("\n\n"));
