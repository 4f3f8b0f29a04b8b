/** The host's own event-loop delay, as the host-latency servers measure it over a window. */
import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * The host thread's event-loop delay over a window, leaving out the stretches in which the
 * harness paused it. Node's histograms cannot be merged, so each stretch is read when it ends:
 * the max is exact; the p99 reported is the highest stretch's p99, never below the true one.
 */
export function eventLoopDelay() {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let stretches = [];
  // A reset also drops the timer's last tick, so the next delay would go unrecorded until
  // the timer has ticked once more: wait for that before measuring.
  const restart = async () => {
    histogram.reset();
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const close = () => {
    if (histogram.count > 0) {
      stretches.push({
        samples: histogram.count,
        p99: histogram.percentile(99) / 1e6,
        max: histogram.max / 1e6,
      });
    }
  };
  return {
    async start() {
      stretches = [];
      await restart();
    },
    pause: close,
    resume: restart,
    end() {
      close();
      return {
        p99: Math.max(0, ...stretches.map((stretch) => stretch.p99)),
        max: Math.max(0, ...stretches.map((stretch) => stretch.max)),
        samples: stretches.reduce((sum, stretch) => sum + stretch.samples, 0),
        stretches: stretches.length,
      };
    },
  };
}
