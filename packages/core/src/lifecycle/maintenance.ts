import { ValidationError } from "../errors.js";
import { quote } from "./arguments.js";
import type { SessionLedger } from "./ledger.js";
import { checkOptions, MAX_INTERVAL_MS, missingOption, optionalWholeNumber } from "./options.js";

export interface MaintenanceOptions {
  /**
   * How often lapsed sessions are stored as `EXPIRED` (`ledger.expireDue()`), in whole
   * milliseconds from 1 to {@link MAX_INTERVAL_MS}. @default 60_000
   */
  sweepEveryMs?: number;
  /**
   * How long ended sessions are kept before `ledger.purge()` deletes them, in whole milliseconds
   * of at least 1; null keeps them forever (no purge runs). 0 is refused: it would read as "no
   * retention" but delete every ended session. @default 2_592_000_000 (30 days)
   */
  retainEndedMs?: number | null;
  /** How often the retention purge runs, like `sweepEveryMs`. @default 3_600_000 */
  purgeEveryMs?: number;
  /** Receives a failed sweep's or purge's error (the schedule goes on). @default console.error */
  onError?(error: unknown): void;
}

export interface Maintenance {
  /** Stops both schedules and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

const DAY = 86_400_000;
const FACTORY = "startMaintenance";

/**
 * The retention: whole milliseconds of at least 1, or null for none.
 * @throws ValidationError for 0 (say what to pass instead) and anything else
 */
function retention(value: unknown): number | null {
  if (value === undefined) return 30 * DAY;
  if (value === null) return null;
  if (value === 0) {
    throw new ValidationError(
      "startMaintenance: retainEndedMs: 0 would delete every ended session at each purge; pass null to keep ended sessions (no purge), or the time to keep them, e.g. 30 * 86_400_000",
      { target: "retainEndedMs" },
    );
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ValidationError(
      `startMaintenance: retainEndedMs must be a whole number of milliseconds of at least 1, or null to keep ended sessions, got ${quote(value)}`,
      { target: "retainEndedMs" },
    );
  }
  return value;
}

/**
 * The periodic work a ledger needs: the sweep, which stores lapsed sessions as `EXPIRED` (reads
 * report them so at once anyway; the sweep makes it durable and sends the `expired` events), and
 * retention, which deletes sessions ended long ago. Runs of one kind never overlap, the timers
 * do not keep the process alive, and every node may run it (both are safe concurrently).
 * @throws ValidationError (target: the option) for an interval that is not 1 ms to
 *   {@link MAX_INTERVAL_MS}, or a retention of 0 or below; TypeError for a missing ledger or an
 *   unknown option (in development)
 */
export function startMaintenance(
  ledger: SessionLedger,
  options: MaintenanceOptions = {},
): Maintenance {
  checkOptions(FACTORY, options, ["sweepEveryMs", "retainEndedMs", "purgeEveryMs", "onError"]);
  if (typeof ledger?.expireDue !== "function" || typeof ledger.purge !== "function") {
    throw missingOption(
      "startMaintenance",
      "ledger",
      "the ledger from createSessionLedger, as the first argument",
    );
  }
  if (options.onError !== undefined && typeof options.onError !== "function") {
    throw missingOption(FACTORY, "onError", "a function (error) => void");
  }
  const sweepEveryMs = optionalWholeNumber(FACTORY, "sweepEveryMs", options.sweepEveryMs) ?? 60_000;
  const purgeEveryMs =
    optionalWholeNumber(FACTORY, "purgeEveryMs", options.purgeEveryMs) ?? 3_600_000;
  const retainEndedMs = retention(options.retainEndedMs);
  const onError = options.onError ?? ((e) => console.error("session-ledger: maintenance", e));
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

  every(sweepEveryMs, () => ledger.expireDue());
  if (retainEndedMs !== null) {
    every(purgeEveryMs, () => ledger.purge({ endedBefore: ledger.now() - retainEndedMs }));
  }

  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
