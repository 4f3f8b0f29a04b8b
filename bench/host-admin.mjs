/**
 * The administrator of the host-latency benchmark, in its own process: one admin workload of
 * `admin-workloads.mjs` against the host in a closed loop, from "go" until "finish" (the
 * iteration in hand is completed first, so the harness can restore what it changed). A read
 * workload runs one iteration before "go" as a warm-up. After each iteration of a workload
 * that writes, the harness is asked to restore the database before the next one. The first
 * failed iteration ends the loop: the workload is then reported as not measured.
 *
 *   node bench/host-admin.mjs <workload>
 */
import { Agent } from "node:http";
import { ADMIN_WORKLOADS } from "./admin-workloads.mjs";
import { closedLoop } from "./closed-loop.mjs";
import { channel, exitOnStop } from "./processes.mjs";
import { median } from "./timing.mjs";

/** How long the harness may take to restore the database between two iterations. */
const RESTORE_TIMEOUT_MS = 120_000;

function main() {
  const [key] = process.argv.slice(2);
  const workload = ADMIN_WORKLOADS.find((candidate) => candidate.key === key);
  if (!workload?.run) throw new Error(`no admin workload '${key}'`);
  const parent = channel(process);
  const agent = new Agent({ keepAlive: true });
  let admin;
  const durations = [];
  const errors = [];
  let restores = 0;

  const loop = closedLoop(async () => {
    const started = performance.now();
    try {
      await workload.run(admin);
      durations.push(performance.now() - started);
      if (workload.writes) {
        await parent.ask("restore", {}, RESTORE_TIMEOUT_MS);
        restores++;
      }
      return true;
    } catch (error) {
      errors.push(String(error?.message ?? error));
      return false;
    }
  });

  parent.answer("prepare", async ({ base, params }) => {
    admin = { base, agent, params };
    try {
      if (!workload.writes) await workload.run(admin);
    } catch (error) {
      errors.push(`warm-up: ${error?.message ?? error}`);
    }
    return { ready: true };
  });
  // A workload that failed its warm-up is not run: the window measures /me alone, and the
  // harness reports the workload as not measured.
  parent.answer("go", () => errors.length === 0 && loop.start());
  parent.answer("finish", async () => {
    await loop.finish();
    agent.destroy();
    return {
      iterations: durations.length,
      iterationMs: durations.length
        ? { median: median(durations), max: Math.max(...durations) }
        : null,
      restores,
      errors,
    };
  });
  exitOnStop();
}

main();
