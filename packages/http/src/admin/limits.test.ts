import { createMemoryStore, createSessionLedger } from "@session-ledger/core";
import { describe, expect, it } from "vitest";
import { DIALECT_LIMITS, resolveAdminLimits } from "./limits.js";

describe("one set of bounds: a dialect's limits inside the ledger's", () => {
  it("should narrow a dialect's defaults to the ledger's bounds", () => {
    const ledger = createSessionLedger({
      store: createMemoryStore(),
      limits: { maxPageSize: 50, maxLength: 1000 },
    });
    const octane = resolveAdminLimits(DIALECT_LIMITS.octane, {}, ledger.limits);
    expect(octane.maxPageSize).toBe(50);
    expect(octane.defaultPageSize).toBe(50);
    expect(octane.maxLength).toBe(1000);
    // A bound the dialect keeps tighter than the ledger's stays the dialect's.
    const wide = createSessionLedger({ store: createMemoryStore() });
    expect(resolveAdminLimits(DIALECT_LIMITS.octane, {}, wide.limits).maxPageSize).toBe(2000);
    expect(Object.isFrozen(wide.limits)).toBe(true);
  });
});
