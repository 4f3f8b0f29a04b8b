/** `ensureIndexes`: what it creates, and the options a real server would refuse. */
import { StorageError, ValidationError } from "@session-ledger/core";
import { describe, expect, it } from "vitest";
import { createMongoStore, migrateMongoStore } from "../src/index.js";
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

describe("ensureIndexes - conflicts with indexes already there (mingo-evaluated in-process collection)", () => {
  const failure = async (run: Promise<unknown>) => {
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  };

  it("should name an index of the store's name on other keys (IndexKeySpecsConflict) and say what to do", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    await db
      .collection(store.collectionNames.sessions)
      .createIndexes([{ name: "tenant_created", key: { tenantId: 1, createdAt: 1 } }]);
    const error = await failure(store.ensureIndexes());
    expect(error.message).toContain(
      "cannot create index tenant_created on session_ledger_sessions",
    );
    expect(error.message).toContain("IndexKeySpecsConflict");
    expect(error.message).toContain('dropIndex("<its name>")');
    expect(error.message).toContain("run ensureIndexes again");
    expect((error.cause as { code?: number }).code).toBe(86);
  });

  it("should name an index of the store's name with other options (IndexOptionsConflict)", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    // What a store created with `sharded: true` leaves: the identifier index without `unique`.
    await createMongoStore({ db, sharded: true }).ensureIndexes();
    const error = await failure(store.ensureIndexes());
    expect(error.message).toContain("cannot create index tenant_session_identifier");
    expect(error.message).toContain("IndexOptionsConflict");
    expect((error.cause as { code?: number }).code).toBe(85);
  });

  it("should name a store index whose keys a host's index holds under another name", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    await db.collection(store.collectionNames.tasks).createIndexes([
      {
        name: "by_status",
        key: { status: 1, createdAt: 1, id: 1 },
        collation: { locale: "simple" },
      },
    ]);
    const error = await failure(store.ensureIndexes());
    expect(error.message).toContain("cannot create index status_created on session_ledger_tasks");
    expect(error.message).toContain("under another name");
  });

  it("retention - should change only the retention in place, and refuse a TTL index that differs otherwise", async () => {
    const db = createMingoDb();
    const store = createMongoStore({ db });
    await store.ensureIndexes({ retentionMs: 86_400_000 });
    await store.ensureIndexes({ retentionMs: 2 * 86_400_000 });
    const ttl = () =>
      mingoIndexSpecs(db, store.collectionNames.sessions).find(
        (spec) => spec.name === "purge_ended",
      );
    expect(ttl()?.expireAfterSeconds).toBe(2 * 86_400);

    const other = createMingoDb();
    const otherStore = createMongoStore({ db: other });
    await other
      .collection(otherStore.collectionNames.sessions)
      .createIndexes([{ name: "purge_ended", key: { endedOn: 1 }, expireAfterSeconds: 60 }]);
    const error = await failure(otherStore.ensureIndexes({ retentionMs: 86_400_000 }));
    expect(error.message).toContain("cannot create index purge_ended");
    expect(error.message).toContain('"expireAfterSeconds":86400');

    const moved = createMingoDb();
    const movedStore = createMongoStore({ db: moved });
    await moved.collection(movedStore.collectionNames.sessions).createIndexes([
      {
        name: "host_ttl",
        key: { endedOn: 1 },
        expireAfterSeconds: 60,
        partialFilterExpression: { endedOn: { $type: "date" } },
        collation: { locale: "simple" },
      },
    ]);
    const movedError = await failure(movedStore.ensureIndexes({ retentionMs: 86_400_000 }));
    expect(movedError.message).toContain("cannot create index purge_ended");
  });
});

describe("migrateMongoStore - the deploy step", () => {
  it("should create the indexes and retention a store then finds in place, and refuse unknown retention", async () => {
    const db = createMingoDb();
    await migrateMongoStore({ db, collectionPrefix: "app_", retentionMs: 86_400_000 });
    const names = mingoIndexSpecs(db, "app_sessions").map((spec) => spec.name);
    expect(names).toEqual(expect.arrayContaining(["tenant_id", "tenant_created", "purge_ended"]));
    expect(mingoIndexSpecs(db, "app_tasks").map((spec) => spec.name)).toContain("status_created");
    // A store started afterwards finds them as asked: its own ensureIndexes is a no-op.
    await createMongoStore({ db, collectionPrefix: "app_" }).ensureIndexes({
      retentionMs: 86_400_000,
    });
    await expect(migrateMongoStore({ db, retentionMs: 5 })).rejects.toThrow(ValidationError);
  });
});
