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
});
