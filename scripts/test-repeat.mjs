#!/usr/bin/env node
/**
 * Runs the suites whose outcome could depend on scheduling — several processes, killed
 * processes and workers, database faults, streaming exports, the per-user cap under races, and
 * the generated-input (fuzz and property) tests — N times, and reports every test that did not
 * pass in every run. A test that fails once in N is a flake: CI would pass or fail by chance.
 *
 *   pnpm test:repeat                 10 runs
 *   pnpm test:repeat --times 3       3 runs
 *   pnpm test:repeat --times 3 -- packages/adapter-sqlite/test/faults.test.ts   other files
 *
 * Exits 1 when any test failed (or a file failed to load) in any run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The suites, by why their outcome could vary between runs. */
const SENSITIVE_SUITES = {
  "multi-process": [
    "packages/adapter-sqlite/test/multiprocess.test.ts",
    "packages/adapter-postgres/test/multiprocess.test.ts",
  ],
  "task-crash and restart": [
    "packages/adapter-sqlite/test/task-crash.test.ts",
    // Runners that die mid-batch, a stop during a retry's wait.
    "packages/core/src/lifecycle/task-runner.test.ts",
    "test/task-restart.test.ts",
    "examples/demo/src/start.test.ts",
  ],
  "worker kill and checkpoints": [
    "packages/adapter-sqlite/test/read-pool.test.ts",
    "packages/adapter-sqlite/test/checkpointer.test.ts",
  ],
  "database faults": [
    "packages/adapter-sqlite/test/faults.test.ts",
    "packages/adapter-postgres/test/faults.test.ts",
  ],
  exports: [
    "packages/adapter-postgres/test/export.test.ts",
    "packages/http/src/octane/exports.test.ts",
    // Back-pressure and a client that leaves, through every framework adapter.
    "packages/http/src/adapters/fastify.test.ts",
    "packages/http/src/adapters/hono.test.ts",
    "packages/http/src/adapters/koa.test.ts",
  ],
  caps: [
    "packages/adapter-postgres/test/cap-locking.measure.test.ts",
    "packages/adapter-mongo/test/user-cap.test.ts",
  ],
  fuzz: [
    "packages/http/src/fuzz.test.ts",
    "packages/core/src/query/property.test.ts",
    "packages/adapter-sqlite/test/differential.test.ts",
    "packages/adapter-postgres/test/differential.test.ts",
  ],
};

const { values, positionals } = parseArgs({
  options: { times: { type: "string", default: "10" } },
  allowPositionals: true,
});
const times = Number(values.times);
if (!Number.isInteger(times) || times < 1) {
  console.error(`--times must be a whole number of runs, 1 or more (got '${values.times}')`);
  process.exit(2);
}
const files = positionals.length > 0 ? positionals : Object.values(SENSITIVE_SUITES).flat();

// Vitest runs what matches and says nothing of a filter that matches no file.
const missing = files.filter((file) => !existsSync(join(root, file)));
if (missing.length > 0) {
  console.error(`no such test file: ${missing.join(", ")}`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), "test-repeat-"));
/** Test (`file > suite > name`) → the runs it failed in, with the first line of its error. */
const failures = new Map();
/** Test → how many runs it passed in. */
const passes = new Map();
const started = Date.now();

const record = (map, key, value) => map.set(key, [...(map.get(key) ?? []), value]);

for (let run = 1; run <= times; run++) {
  const report = join(scratch, `run-${run}.json`);
  const runStarted = Date.now();
  const result = spawnSync(
    join(root, "node_modules", ".bin", "vitest"),
    ["run", "--reporter=dot", "--reporter=json", `--outputFile.json=${report}`, ...files],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(report, "utf8"));
  } catch {
    record(failures, "(the run itself)", {
      run,
      error: `vitest exited ${result.status} with no report`,
    });
    console.info(`run ${run}/${times}: no report (vitest exited ${result.status})`);
    continue;
  }
  let failed = 0;
  let passed = 0;
  for (const file of parsed.testResults) {
    const name = relative(root, file.name);
    if (file.assertionResults.length === 0 && file.status === "failed") {
      failed++;
      record(failures, `${name} (did not load)`, { run, error: firstLine(file.message) });
    }
    for (const test of file.assertionResults) {
      const key = `${name} > ${test.fullName}`;
      if (test.status === "passed") {
        passed++;
        passes.set(key, (passes.get(key) ?? 0) + 1);
      } else if (test.status === "failed") {
        failed++;
        record(failures, key, { run, error: firstLine(test.failureMessages?.[0]) });
      }
    }
  }
  const seconds = ((Date.now() - runStarted) / 1000).toFixed(0);
  console.info(`run ${run}/${times}: ${passed} passed, ${failed} failed (${seconds} s)`);
}
rmSync(scratch, { recursive: true, force: true });

function firstLine(text) {
  return (
    String(text ?? "")
      .split("\n")
      .find((line) => line.trim() !== "") ?? ""
  );
}

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.info(`\n${files.length} files, ${passes.size} tests, ${times} runs, ${minutes} min`);
if (failures.size === 0) {
  console.info(`no flake: every test passed in all ${times} runs`);
  process.exit(0);
}
console.info(`${failures.size} tests failed in some run:`);
for (const [test, runs] of failures) {
  console.info(
    `\n  ${test}\n    failed ${runs.length}/${times} runs (${runs.map((r) => r.run).join(", ")})`,
  );
  for (const { run, error } of runs) console.info(`    run ${run}: ${error}`);
}
process.exit(1);
