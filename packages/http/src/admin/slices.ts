/**
 * Work on the host's thread in short slices with the event loop running between them, so an
 * admin request with a large body never holds up the host's own requests (SPEC §9).
 */

import { SLICE_MS, yieldToEventLoop } from "@session-ledger/core/store";

export { SLICE_MS, yieldToEventLoop };

/**
 * Calls `visit` on each item in order, yielding to the event loop whenever the current slice
 * has run {@link SLICE_MS}. A throw from `visit` rejects, and nothing after it is visited.
 */
export async function forEachInSlices<T>(
  items: readonly T[],
  visit: (item: T, index: number) => void,
): Promise<void> {
  let deadline = performance.now() + SLICE_MS;
  for (const [index, item] of items.entries()) {
    if (index % 256 === 255 && performance.now() > deadline) {
      await yieldToEventLoop();
      deadline = performance.now() + SLICE_MS;
    }
    visit(item, index);
  }
}
