/** `ensureIndexes`: what it creates, and the options a real server would refuse. */
import { ValidationError } from "@session-ledger/core";
import { describe, expect, it } from "vitest";
import { createMongoStore } from "../src/index.js";
import { createMingoDb, mingoIndexSpecs } from "./mingo-db.js";
import { MAX_TTL_SECONDS } from "./server-rules.js";

describe("ensureIndexes (mingo-evaluated in-process collection)", () => {
  it("upgrade - should replace an index an earlier version created and keep running when it is gone", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    const sessions = db.collection(store.collectionNames.sessions);
    await sessions.createIndexes([
      { name: "tenant_user", key: { tenantId: 1, "user.id": 1, createdAt: -1 } },
    ]);
    await store.ensureIndexes();
    await store.ensureIndexes();
    const names = mingoIndexSpecs(db, store.collectionNames.sessions).map((spec) => spec.name);
    expect(names).toContain("tenant_user_created");
    expect(names).not.toContain("tenant_user");
  });

  it("retention - should refuse a retention the server's TTL cannot hold, before creating anything", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    const error = await store.ensureIndexes({ retentionMs: (MAX_TTL_SECONDS + 1) * 1000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain("retentionMs");
    expect(mingoIndexSpecs(db, store.collectionNames.sessions)).toEqual([]);
  });

  it("retention - should accept the longest retention the server's TTL can hold", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    await store.ensureIndexes({ retentionMs: MAX_TTL_SECONDS * 1000 + 999 });
    const ttl = mingoIndexSpecs(db, store.collectionNames.sessions).find(
      (spec) => spec.expireAfterSeconds !== undefined,
    );
    expect(ttl?.expireAfterSeconds).toBe(MAX_TTL_SECONDS);
  });
});
