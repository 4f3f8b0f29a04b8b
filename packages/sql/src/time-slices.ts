/**
 * Bulk writes in short slices. better-sqlite3 runs every statement on the host's thread, so a
 * 100,000-row UPDATE is 0.7 s in which the host serves nobody. A bulk write here is a series
 * of short statements, each sized to take about {@link SLICE_MS} ms, with a turn of the event
 * loop between them so the host's requests run in the gaps.
 */
import { performance } from "node:perf_hooks";
import { SLICE_MS, yieldToEventLoop } from "@session-ledger/core/store";

const MIN_SLICE = 16;
const MAX_SLICE = 50_000;

/**
 * Calls `step(size)` until it reports the work done. Each step handles at most `size` rows;
 * the next size aims the step's time at `SLICE_MS` (growing at most twofold at a time).
 */
export async function inSlices(
  step: (size: number) => Promise<{ done: boolean }>,
  initialSize = 256,
): Promise<void> {
  let size = initialSize;
  for (;;) {
    const started = performance.now();
    const { done } = await step(size);
    if (done) return;
    const ms = performance.now() - started;
    const fitting = ms > 0 ? (size * SLICE_MS) / ms : size * 2;
    size = Math.round(Math.min(MAX_SLICE, Math.max(MIN_SLICE, Math.min(fitting, size * 2))));
    await yieldToEventLoop();
  }
}
