/**
 * MongoDB caps every document at 16 MiB: stored ones, and those a pipeline stage builds
 * (`$facet` builds one and never spills). The store's largest inputs and outputs must stay
 * apart in many documents; the in-process collection refuses any that would not.
 */
import { type BackgroundTask, ConflictError } from "@session-ledger/core";
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

describe("task documents (mingo-evaluated in-process collection)", () => {
  const task = (ids: string[]): BackgroundTask => ({
    id: "task-1",
    tenantId: TENANT,
    kind: "terminate_sessions",
    status: "QUEUED",
    payload: { ids },
    progress: 0,
    error: null,
    createdAt: NOW,
    updatedAt: NOW,
    leaseOwner: null,
    leaseExpiresAt: null,
  });
  /** `count` distinct ids of 256 characters, each `char` 3 bytes in UTF-8 (the longest ids). */
  const longIds = (count: number, char = "€") =>
    Array.from({ length: count }, (_, i) => `${i}-`.padEnd(256, char));

  it("tasks - a termination of 100,000 ids of 256 characters should be stored and read back whole", async () => {
    const store = createMongoStore({ db: createMingoDb() });
    await store.ensureIndexes();
    const ids = longIds(100_000);
    await store.insertTask(task(ids));
    expect((await store.getTask(TENANT, "task-1"))?.payload).toEqual({ ids });
    const [claimable] = await store.findClaimableTasks(NOW, 10);
    expect(claimable).toMatchObject({ id: "task-1", status: "QUEUED" });
    expect(claimable).not.toHaveProperty("payload");
    const claimed = await store.updateTask(
      TENANT,
      "task-1",
      { status: "RUNNING", updatedAt: NOW, leaseOwner: "r", leaseExpiresAt: NOW + 1000 },
      { statuses: ["QUEUED"] },
    );
    expect(claimed).toMatchObject({ status: "RUNNING", leaseOwner: "r" });
    await expect(store.insertTask(task(["x"]))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.getTask(TENANT, "task-1"))?.payload).toEqual({ ids });
  });

  it("tasks - a payload cut into parts should keep characters outside the BMP whole", async () => {
    const store = createMongoStore({ db: createMingoDb() });
    await store.ensureIndexes();
    // Emoji are surrogate pairs in JavaScript; a part boundary inside one would lose it in BSON.
    const ids = longIds(10_000, "😀");
    for (let pad = 0; pad < 2; pad++) {
      const padded = [`${"p".repeat(pad + 1)}`, ...ids];
      await store.insertTask({ ...task(padded), id: `task-${pad}` });
      expect((await store.getTask(TENANT, `task-${pad}`))?.payload).toEqual({ ids: padded });
    }
  });

  it("tasks - a batch's outcome should be recorded in parts of bounded size however large the batch", async () => {
    const store = createMongoStore({ db: createMingoDb() });
    await store.ensureIndexes();
    const ids = longIds(30_000);
    await store.insertTask({
      ...task(ids),
      status: "RUNNING",
      leaseOwner: "r",
      leaseExpiresAt: NOW + 60_000,
    });
    const batch = { owner: "r", from: 0, ids, leaseExpiresAt: NOW + 60_000, updatedAt: NOW };
    const change = { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW } as const;
    const outcome = await store.endTaskBatch(TENANT, "task-1", batch, change);
    expect(outcome?.notFound).toHaveLength(30_000);
    expect(await store.getTaskOutcome(TENANT, "task-1")).toEqual({
      ended: [],
      alreadyEnded: [],
      notFound: ids,
    });
    expect((await store.getTask(TENANT, "task-1"))?.progress).toBe(30_000);
  });
});
