/**
 * Timing: samples of the library and of the hand-written baseline taken alternately (the
 * order flips every round, so neither side always runs on a warmer cache), after warm-up.
 * Each sample reports how many units (calls or rows) it did; results are medians of the
 * per-unit time. No forced collection between samples: a full GC shrinks the young
 * generation, which then bills extra scavenges to whichever side allocates more — a steady
 * server does not run like that.
 */

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs one sample and returns nanoseconds per unit; `restore` runs afterwards, untimed. */
async function sample(run, restore) {
  const started = process.hrtime.bigint();
  const units = await run();
  const elapsed = Number(process.hrtime.bigint() - started);
  if (restore) await restore();
  if (!(units > 0)) throw new Error("a sample did no work");
  return elapsed / units;
}

/**
 * Times `lib` and `raw` alternately for `rounds` rounds after `warmup` rounds. Each returns
 * the number of units it did. Returns medians in nanoseconds per unit and the ratio lib/raw.
 */
export async function timePair({ lib, raw, restore, rounds, warmup }) {
  const times = { lib: [], raw: [] };
  const sides = [
    ["lib", lib],
    ["raw", raw],
  ];
  for (let round = -warmup; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const [side, run] of order) {
      const nanos = await sample(run, restore);
      if (round >= 0) times[side].push(nanos);
    }
  }
  const library = median(times.lib);
  const handWritten = median(times.raw);
  return { lib: library, raw: handWritten, ratio: library / handWritten, samples: times };
}

/** Times one side only (the in-memory table). */
export async function timeOne({ run, restore, rounds, warmup }) {
  const times = [];
  for (let round = -warmup; round < rounds; round++) {
    const nanos = await sample(run, restore);
    if (round >= 0) times.push(nanos);
  }
  return { median: median(times), samples: times };
}

/** How many calls make a sample of about `targetMs`, from one timed call. */
export async function batchFor(call, targetMs, max = 5000) {
  await call();
  const started = process.hrtime.bigint();
  await call();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return Math.max(1, Math.min(max, Math.round(targetMs / Math.max(ms, 1e-3))));
}

/** Repeats `call` `times` times as one sample. */
export const repeat = (call, times) => async () => {
  for (let i = 0; i < times; i++) await call(i);
  return times;
};

/** One call as a sample of one unit. */
export const once = (call) => async () => {
  await call();
  return 1;
};
