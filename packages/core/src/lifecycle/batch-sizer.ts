import { performance } from "node:perf_hooks";

/**
 * The host-thread time one slice of work aims at, everywhere work runs on the host's thread in
 * slices (a task's batch, a sweep's batch, a store's bulk write, a large body parsed, an export
 * encoded): short enough that the host's users never notice it (SPEC §9).
 */
export const SLICE_MS = 4;
const MIN_BATCH = 50;

/** Lets the event loop run (I/O, timers, other requests) before going on. */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

export interface BatchSizerOptions {
  /** A fixed size instead of one sized by time. */
  fixed?: number;
  /** The first batch's size. */
  initial: number;
  /** The largest batch. */
  max: number;
}

/**
 * Sizes batches by the time they keep this thread busy: event-loop active time, so the wait for
 * a networked store's reply does not count, while an embedded store's synchronous work does.
 * Each next batch aims at `SLICE_MS`, growing at most twofold at a time.
 */
export function createBatchSizer(options: BatchSizerOptions) {
  let size = options.fixed ?? options.initial;
  return {
    get size() {
      return size;
    },
    /** Runs one batch of `items` and sizes the next one from the time it took. */
    async measure<T>(items: number, work: () => Promise<T>): Promise<T> {
      const start = performance.eventLoopUtilization();
      const result = await work();
      if (options.fixed === undefined && items === size) {
        const activeMs = performance.eventLoopUtilization(start).active;
        const fitting = activeMs > 0 ? (size * SLICE_MS) / activeMs : size * 2;
        size = Math.round(Math.min(options.max, Math.max(MIN_BATCH, Math.min(fitting, size * 2))));
      }
      return result;
    },
  };
}
