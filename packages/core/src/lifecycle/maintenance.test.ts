import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../memory/memory-store.js";
import { DEFAULT_POLICY } from "../model/policy.js";
import { createSessionLedger } from "./ledger.js";
import { startMaintenance } from "./maintenance.js";

describe("startMaintenance", () => {
  it("should sweep lapsed sessions and purge long-ended ones on its schedule, until stopped", async () => {
    let now = Date.UTC(2026, 2, 1);
    const store = createMemoryStore();
    const expired: string[] = [];
    const ledger = createSessionLedger({
      store,
      clock: () => now,
      hooks: { onEvent: (e) => void (e.type === "expired" && expired.push(e.sessionId)) },
    });
    const old = await ledger.create({ tenantId: "t", user: { id: "u1", login: "a" } });
    await ledger.terminate("t", old.session.id);
    now += 2 * 86_400_000;
    const lapsing = await ledger.create({ tenantId: "t", user: { id: "u2", login: "b" } });
    now += DEFAULT_POLICY.idleTimeoutMs;

    const maintenance = startMaintenance(ledger, {
      sweepEveryMs: 5,
      purgeEveryMs: 5,
      retainEndedMs: 86_400_000,
    });
    await expect.poll(() => expired, { timeout: 2000, interval: 10 }).toEqual([lapsing.session.id]);
    await expect.poll(() => store.findSession("t", old.session.id), { timeout: 2000 }).toBeNull();
    await maintenance.stop();
    // Stopped: a session lapsing now stays stored open.
    const later = await ledger.create({ tenantId: "t", user: { id: "u3", login: "c" } });
    now += DEFAULT_POLICY.idleTimeoutMs;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await store.findSession("t", later.session.id))?.endedAt).toBeNull();
    expect(expired).toEqual([lapsing.session.id]);
  });

  describe("options, checked at the start", () => {
    const ledger = createSessionLedger({ store: createMemoryStore() });

    it("should refuse an interval of 0, a negative one, a string or one too long for a timer", () => {
      for (const name of ["sweepEveryMs", "purgeEveryMs"] as const) {
        for (const value of [0, -1, 1.5, "60000", "1m", Number.NaN, 2 ** 31]) {
          expect(
            () => startMaintenance(ledger, { [name]: value as never }),
            `${name} ${value}`,
          ).toThrow(
            expect.objectContaining({
              target: name,
              message: expect.stringContaining(
                `startMaintenance: ${name} must be a whole number from 1 to 2147483647`,
              ),
            }),
          );
        }
      }
    });

    it("should refuse a retention of 0, saying how to keep ended sessions instead", () => {
      expect(() => startMaintenance(ledger, { retainEndedMs: 0 })).toThrow(
        "retainEndedMs: 0 would delete every ended session at each purge; pass null to keep ended sessions (no purge)",
      );
      expect(() => startMaintenance(ledger, { retainEndedMs: -5 })).toThrow(
        "retainEndedMs must be a whole number of milliseconds of at least 1, or null",
      );
    });

    it("should refuse an unknown option and a missing ledger", () => {
      expect(() => startMaintenance(ledger, { sweepEvery: 1000 } as never)).toThrow(
        "startMaintenance: unknown option 'sweepEvery'; it takes sweepEveryMs, retainEndedMs, purgeEveryMs, onError",
      );
      expect(() => startMaintenance({ sweepEveryMs: 1000 } as never)).toThrow(
        "startMaintenance: 'ledger' must be the ledger from createSessionLedger, as the first argument",
      );
    });

    it("should run no purge with a null retention", async () => {
      let sweeps = 0;
      let purges = 0;
      const counted = {
        ...ledger,
        expireDue: async () => ++sweeps,
        purge: async () => ++purges,
      };
      const maintenance = startMaintenance(counted, {
        retainEndedMs: null,
        sweepEveryMs: 5,
        purgeEveryMs: 5,
      });
      await expect.poll(() => sweeps, { timeout: 2000, interval: 5 }).toBeGreaterThanOrEqual(3);
      await maintenance.stop();
      expect(purges).toBe(0);
    });
  });
});
