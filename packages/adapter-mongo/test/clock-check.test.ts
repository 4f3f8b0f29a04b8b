/**
 * The store takes every time from its node's clock, so it checks that clock against the
 * server's (`hello.localTime`) when it is created, and warns past `maxClockSkewMs`.
 */
import { ValidationError } from "@session-ledger/core";
import { describe, expect, it } from "vitest";
import { createMongoStore, type MongoStoreWarning } from "../src/index.js";
import { createMingoDb } from "./mingo-db.js";

/** A store on a server whose clock runs `aheadMs` ahead, and the first warning it gives. */
function storeWithServerClock(aheadMs: number, maxClockSkewMs?: number) {
  const warnings: MongoStoreWarning[] = [];
  let warned: (warning: MongoStoreWarning) => void = () => {};
  const firstWarning = new Promise<MongoStoreWarning>((resolve) => {
    warned = resolve;
  });
  const store = createMongoStore({
    db: createMingoDb({ faults: { serverClockAheadMs: aheadMs } }),
    ...(maxClockSkewMs !== undefined ? { maxClockSkewMs } : {}),
    onWarning: (warning) => {
      warnings.push(warning);
      warned(warning);
    },
  });
  return { store, warnings, firstWarning };
}

describe("clock skew: the node's clock against the server's (mingo-evaluated in-process collection)", () => {
  it("should warn when it starts on a node whose clock is 30 s behind the server's", async () => {
    const { firstWarning } = storeWithServerClock(30_000);
    const warning = await firstWarning;
    expect(warning.code).toBe("SESSION_LEDGER_MONGO_CLOCK_SKEW");
    expect(warning.skewMs).toBeGreaterThan(29_000);
    expect(warning.skewMs).toBeLessThan(31_000);
    expect(warning.message).toContain("behind the server's");
    expect(warning.message).toContain("maxClockSkewMs (5000)");
  });

  it("should warn when the node's clock is ahead, and checkClock should report the reading", async () => {
    const { store, firstWarning, warnings } = storeWithServerClock(-20_000);
    expect((await firstWarning).message).toContain("ahead of the server's");
    const reading = await store.checkClock();
    expect(reading.skewMs).toBeLessThan(-19_000);
    expect(warnings).toHaveLength(2);
  });

  it("should not warn within the bound", async () => {
    const { store, warnings } = storeWithServerClock(10_000, 60_000);
    // The start check was sent first, so it has been answered once this one has.
    const reading = await store.checkClock();
    await store.checkClock();
    expect(reading.skewMs).toBeGreaterThan(9000);
    expect(warnings).toEqual([]);
  });

  it("should refuse a bound that is not a whole number of ms, and an onWarning that is not a function", () => {
    const db = createMingoDb();
    for (const maxClockSkewMs of [0, 1.5, 2 ** 31, Number.NaN]) {
      expect(() => createMongoStore({ db, maxClockSkewMs })).toThrow(ValidationError);
    }
    expect(() =>
      createMongoStore({ db, onWarning: "log" as unknown as (w: MongoStoreWarning) => void }),
    ).toThrow(ValidationError);
  });
});
