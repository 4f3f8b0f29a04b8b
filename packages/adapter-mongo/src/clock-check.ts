/**
 * The store takes every time from the application node's clock (the `now` the ledger passes),
 * never from the server's: deadlines, activity, ends and the TTL's `endedOn` are app-node
 * times. So nodes whose clocks disagree disagree about when a session lapses. The store relies
 * on every node being within `maxClockSkewMs` of the server (and so within twice that of each
 * other), and checks its own node against the server's `hello.localTime` when it is created.
 */
import type { Db } from "mongodb";
import { driver } from "./store-context.js";

/** What the store tells its host without failing: today only a clock beyond the bound. */
export interface MongoStoreWarning {
  code: "SESSION_LEDGER_MONGO_CLOCK_SKEW";
  message: string;
  /** How far the server's clock is ahead of this node's (negative: behind), in ms. */
  skewMs: number;
}

/** One reading of the server's clock against this node's. */
export interface ClockReading {
  /** Server clock minus node clock at the midpoint of the round trip, in ms. */
  skewMs: number;
  /** Half the round trip: the reading is good to within this, in ms. */
  uncertaintyMs: number;
}

/** The default warning: a process warning with its code, as the ledger's own warnings are. */
export const emitProcessWarning = (warning: MongoStoreWarning): void => {
  process.emitWarning(warning.message, { code: warning.code });
};

/**
 * Reads the server's `hello.localTime` against this node's clock, and warns when they differ
 * by more than `maxSkewMs` beyond the reading's own uncertainty.
 */
export async function checkClock(
  db: Db,
  maxSkewMs: number,
  warn: (warning: MongoStoreWarning) => void,
): Promise<ClockReading> {
  const sent = Date.now();
  const reply = await driver("read the server's clock", () => db.command({ hello: 1 }));
  const received = Date.now();
  const localTime: unknown = reply.localTime;
  if (!(localTime instanceof Date)) {
    return { skewMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
  }
  const reading = {
    skewMs: Math.round(localTime.getTime() - (sent + received) / 2),
    uncertaintyMs: Math.ceil((received - sent) / 2),
  };
  if (Math.abs(reading.skewMs) - reading.uncertaintyMs > maxSkewMs) {
    const direction = reading.skewMs > 0 ? "behind" : "ahead of";
    warn({
      code: "SESSION_LEDGER_MONGO_CLOCK_SKEW",
      skewMs: reading.skewMs,
      message:
        `mongo store: this node's clock is ${Math.abs(reading.skewMs)} ms ${direction} the server's ` +
        `(hello.localTime, ±${reading.uncertaintyMs} ms), more than maxClockSkewMs (${maxSkewMs}): ` +
        "sessions lapse early or late by that much between nodes; synchronise the clocks (NTP)",
    });
  }
  return reading;
}
