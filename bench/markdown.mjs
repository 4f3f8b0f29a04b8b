#!/usr/bin/env node
/**
 * Prints the tables of docs/performance.md as Markdown from the results of full runs
 * (bench/out/results-<sessions>.json): the largest run's tables, how each operation's cost
 * grows across sizes, and the query plans. `node bench/markdown.mjs > /tmp/tables.md`
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { OUT_DIR } from "./dataset.mjs";
import { BUDGET, cost } from "./report.mjs";

const runs = readdirSync(OUT_DIR)
  .filter((name) => /^results-\d+\.json$/.test(name))
  .map((name) => JSON.parse(readFileSync(join(OUT_DIR, name), "utf8")))
  .sort((a, b) => a.params.sessions - b.params.sessions);
if (runs.length === 0) {
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

const sections = [
  `Largest run: \`${largest.command}\`, ${count(largest.params.sessions)} sessions, load average ${largest.load.start} → ${largest.load.end}, ${largest.machine.cpu}, ${largest.machine.cores} cores, Node ${largest.machine.node}.`,
  largest.sqlite && `### SQLite\n\n${ratioSection(largest.sqlite)}`,
  largest.postgres &&
    `### PostgreSQL (${largest.postgres.server})\n\n${ratioSection(largest.postgres.operations)}`,
  largest.memory && `### In-memory store\n\n${memorySection(largest)}`,
  largest.exportMemory && `### Export memory\n\n${exportSection(largest)}`,
  largest.http && `### HTTP\n\n${httpSection(largest)}`,
  `### Scaling\n\n${scalingSection()}`,
  `### Query plans\n\n${plansSection(largest.plans)}`,
  largest.postgres && `### PostgreSQL query plans\n\n${plansSection(largest.postgres.plans)}`,
];
console.log(sections.filter(Boolean).join("\n\n"));
