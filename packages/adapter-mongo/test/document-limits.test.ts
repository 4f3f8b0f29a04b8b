/**
 * MongoDB caps every document at 16 MiB: stored ones, and those a pipeline stage builds
 * (`$facet` builds one and never spills). The store's largest inputs and outputs must stay
 * apart in many documents; the in-process collection refuses any that would not.
 */
import { describe, expect, it } from "vitest";
import { createMongoStore } from "../src/index.js";
import { createMingoDb, seedMingoCollection } from "./mingo-db.js";

const NOW = Date.UTC(2026, 0, 15);
const TENANT = "t";

describe("documents the server caps at 16 MiB (mingo-evaluated in-process collection)", () => {
  it("group - a page of 60,000 groups of long values should not be built as one document", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    // 60,000 distinct 300-character cities: about 20 MB of group rows, more than one document holds.
    const cities = Array.from({ length: 60_000 }, (_, i) => `${i}`.padStart(300, "c"));
    seedMingoCollection(
      db,
      store.collectionNames.sessions,
      cities.map((city) => ({ tenantId: TENANT, city })),
    );
    const result = await store.groupSessions(TENANT, {
      filter: null,
      field: "city",
      now: NOW,
      limit: 100_000,
    });
    expect(result.totalGroups).toBe(60_000);
    expect(result.groups).toHaveLength(60_000);
    expect(result.groups[0]).toEqual({ value: [...cities].sort()[0], count: 1 });
  });
});
