/** Aligned text tables for stdout, and the machine description that goes with them. */
import { cpus, loadavg, totalmem } from "node:os";

export const BUDGET = 1.25;

/** A duration in nanoseconds, in the unit that keeps 3 significant digits readable. */
export function duration(nanos) {
  // A value that rounds up to 1000 of one unit is shown in the next (1.00 s, not 1.00e+3 ms).
  for (const [scale, unit] of [
    [1e9, "s"],
    [1e6, "ms"],
    [1e3, "µs"],
  ]) {
    if (nanos >= scale * 0.9995) return `${(nanos / scale).toPrecision(3)} ${unit}`;
  }
  return `${nanos.toFixed(0)} ns`;
}

/** Rows per second from nanoseconds per row. */
export function rate(nanosPerRow) {
  const perSecond = 1e9 / nanosPerRow;
  return perSecond >= 1e6
    ? `${(perSecond / 1e6).toPrecision(3)}M rows/s`
    : `${(perSecond / 1e3).toPrecision(3)}k rows/s`;
}

export const cost = (unit, nanos) => (unit === "row" ? rate(nanos) : duration(nanos));

/** Pads columns to their widest cell; numbers (right-aligned) are the columns in `right`. */
export function table(header, rows, right = new Set()) {
  const widths = header.map((_, i) =>
    Math.max(...[header, ...rows].map((row) => String(row[i]).length)),
  );
  const line = (row) =>
    row
      .map((cell, i) =>
        right.has(i) ? String(cell).padStart(widths[i]) : String(cell).padEnd(widths[i]),
      )
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function sqliteTable(results) {
  return table(
    ["operation", "library", "hand-written", "ratio", "", "workload"],
    results.map((r) => [
      r.label,
      cost(r.unit, r.lib),
      cost(r.unit, r.raw),
      r.ratio.toFixed(2),
      r.ratio <= BUDGET ? "ok" : "OVER",
      r.note,
    ]),
    new Set([1, 2, 3]),
  );
}

export function memoryTable(results) {
  return table(
    ["operation", "in-memory store", "÷ SQLite hand-written"],
    results.map((r) => [
      r.label,
      cost(r.unit, r.median),
      r.sqliteRaw ? `${(r.median / r.sqliteRaw).toFixed(2)}×` : "",
    ]),
    new Set([1, 2]),
  );
}

export function httpTable(results) {
  return table(
    ["route", "requests", "req/s", "p50", "p99", "errors", "concurrency"],
    results.map((r) => [
      r.label,
      r.completed,
      r.perSecond.toFixed(0),
      `${r.p50.toFixed(1)} ms`,
      `${r.p99.toFixed(1)} ms`,
      r.errors,
      r.concurrency,
    ]),
    new Set([1, 2, 3, 4, 5, 6]),
  );
}

export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

const ms = (value) => (value === null || value === undefined ? "—" : duration(value * 1e6));

/**
 * The host-latency table's header and rows, for stdout and for Markdown: `/me` latency, the
 * host's event-loop delay, the admin iterations completed (median time of one) and the
 * harness's verdict on SPEC §9's budget.
 */
export function hostLatencyRows(section) {
  const header = [
    "admin workload",
    "/me p50",
    "/me p99",
    "/me worst",
    "requests",
    "failures",
    "loop p99",
    "loop max",
    "admin iterations",
    "budget",
  ];
  const rows = section.results.map((r) => [
    r.label,
    ms(r.me.p50),
    ms(r.me.p99),
    ms(r.me.worst),
    r.me.requests,
    r.me.failures,
    ms(r.eventLoop.p99),
    ms(r.eventLoop.max),
    r.admin ? `${r.admin.iterations} × ${ms(r.admin.iterationMs?.median)}` : "—",
    r.budget.pass ? "pass" : `FAIL: ${r.budget.broken.join(", ")}`,
  ]);
  return { header, rows, right: new Set([1, 2, 3, 4, 5, 6, 7, 8]) };
}

export function hostLatencyTable(section) {
  const { header, rows, right } = hostLatencyRows(section);
  const limit = section.results[0]?.budget.p99LimitMs;
  // What went wrong, where something did: the first failures of each kind.
  const problems = section.results.flatMap((r) => [
    ...(r.admin?.errors ?? []).map((error) => `${r.key}: admin: ${error}`),
    ...r.me.failureSamples.map((failure) => `${r.key}: /me: ${failure}`),
    ...(r.eventLoop.error ? [`${r.key}: event loop: ${r.eventLoop.error}`] : []),
  ]);
  return [
    table(header, rows, right),
    ...problems,
    `budget: /me p99 ≤ ${ms(limit)} (3 × idle p99, at least 25 ms), worst ≤ 250 ms, no failures, loop max < 50 ms`,
    `load average ${section.load.start} → ${section.load.end}; ${section.seconds.toFixed(0)} s`,
  ].join("\n");
}
