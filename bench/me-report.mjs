/** The "me" section's tables: GET /me through each framework's tracking, and its host latency. */
import { ME_GOAL } from "./me-suite.mjs";
import { table } from "./report.mjs";

const ms = (value) => (value === null || value === undefined ? "–" : `${value.toFixed(2)} ms`);
const rps = (value) => `${Math.round(value).toLocaleString("en-US")}`;
const micros = (value) => (value === null ? "–" : `${value.toFixed(0)} µs`);

/** One row per framework: tracking against the hand-written handler, and the ratio. */
export function meTable(section) {
  const rows = section.results.map((r) => [
    r.framework,
    rps(r.tracking.perSecond),
    rps(r.hand.perSecond),
    r.ratio.toFixed(3),
    r.ratio >= ME_GOAL ? "ok" : "UNDER",
    `${ms(r.tracking.p99)} / ${ms(r.hand.p99)}`,
    `${ms(r.tracking.worst)} / ${ms(r.hand.worst)}`,
    `${micros(r.tracking.cpuMicrosPerRequest)} / ${micros(r.hand.cpuMicrosPerRequest)}`,
    r.cpuRatio.toFixed(3),
    `${r.tracking.failures + r.hand.failures}`,
  ]);
  const problems = section.results.flatMap((r) =>
    [...r.tracking.failureSamples, ...r.hand.failureSamples].map((f) => `${r.framework}: ${f}`),
  );
  return [
    table(
      [
        "framework",
        "tracking req/s",
        "hand req/s",
        "ratio",
        "",
        "p99 (tracking / hand)",
        "worst (tracking / hand)",
        "server CPU per request",
        "CPU ratio",
        "failures",
      ],
      rows,
      new Set([1, 2, 3, 9]),
    ),
    ...problems,
    `ratio = median over ${section.rounds} rounds of tracking / hand-written req/s (goal ≥ ${ME_GOAL}); CPU ratio = hand-written / tracking server CPU per request; ${section.concurrency} keep-alive connections from one load process, ${section.windowSeconds} s windows`,
    `load average ${section.load.start} → ${section.load.end}; ${section.seconds.toFixed(0)} s`,
  ].join("\n");
}
