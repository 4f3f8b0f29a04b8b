import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../memory/memory-store.js";
import { DEFAULT_POLICY } from "../model/policy.js";
import { createSessionLedger } from "./ledger.js";

describe("the sweep", () => {
  it("should expire every lapsed session in several batches, with event-loop turns between them", async () => {
    let now = Date.UTC(2026, 2, 1);
    const inner = createMemoryStore();
    const limits: number[] = [];
    const store = {
      ...inner,
      expireDue: (at: number, limit: number) => {
        limits.push(limit);
        return inner.expireDue(at, limit);
      },
    };
    const expired: string[] = [];
    const ledger = createSessionLedger({
      store,
      clock: () => now,
      hooks: { onEvent: (event) => void expired.push(event.sessionId) },
    });
    for (let i = 0; i < 3000; i++) {
      await ledger.create({ tenantId: `t${i % 3}`, user: { id: `u${i}`, login: `u${i}` } });
    }
    expired.length = 0;
    now += DEFAULT_POLICY.idleTimeoutMs;
    // Counts event-loop turns: each one runs this once.
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    expect(await ledger.expireDue()).toBe(3000);
    counting = false;
    expect(new Set(expired).size).toBe(3000);
    expect(limits.length).toBeGreaterThan(1);
    expect(turns).toBeGreaterThanOrEqual(limits.length - 1);
    expect(await ledger.expireDue()).toBe(0);
  });
});
