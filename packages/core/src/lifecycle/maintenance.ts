import type { SessionLedger } from "./ledger.js";

export interface MaintenanceOptions {
  /** How often lapsed sessions are stored as `EXPIRED` (`ledger.expireDue()`). @default 60_000 */
  sweepEveryMs?: number;
  /**
   * How long ended sessions are kept before `ledger.purge()` deletes them; null keeps them.
   * @default 2_592_000_000 (30 days)
   */
  retainEndedMs?: number | null;
  /** How often the retention purge runs. @default 3_600_000 */
  purgeEveryMs?: number;
  /** Receives a failed sweep's or purge's error (the schedule goes on). @default console.error */
  onError?(error: unknown): void;
}

export interface Maintenance {
  /** Stops both schedules and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * The periodic work a ledger needs: the sweep, which stores lapsed sessions as `EXPIRED` (reads
 * report them so at once anyway; the sweep makes it durable and sends the `expired` events), and
 * retention, which deletes sessions ended long ago. Runs of one kind never overlap, the timers
 * do not keep the process alive, and every node may run it (both are safe concurrently).
 */
export function startMaintenance(
  ledger: SessionLedger,
  options: MaintenanceOptions = {},
): Maintenance {
  const onError = options.onError ?? ((e) => console.error("session-ledger: maintenance", e));
  const retainEndedMs = options.retainEndedMs === undefined ? 30 * DAY : options.retainEndedMs;
  const running = new Set<Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];

  const every = (ms: number, work: () => Promise<unknown>) => {
    let current: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      if (current) return;
      current = work()
        .catch(onError)
        .finally(() => {
          running.delete(current!);
          current = null;
        });
      running.add(current);
    }, ms);
    timer.unref();
    timers.push(timer);
  };

  every(options.sweepEveryMs ?? 60_000, () => ledger.expireDue());
  if (retainEndedMs !== null) {
    every(options.purgeEveryMs ?? 3_600_000, () =>
      ledger.purge({ endedBefore: ledger.now() - retainEndedMs }),
    );
  }

  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
