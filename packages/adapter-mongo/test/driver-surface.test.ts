/**
 * The store may use only the official driver's public API. This file runs the whole
 * conformance suite (and a retention change, the one path the suite does not reach) on a
 * database whose `Db`, `Collection` and cursor objects record every method the store calls,
 * then checks the recorded set against an explicit allowance that exists on the installed
 * driver's classes. A new driver call has to be added here on purpose.
 */
import { runStoreConformance, sessionRecord } from "@session-ledger/core/testing";
import { AggregationCursor, Collection, Db, FindCursor } from "mongodb";
import { describe, expect, it } from "vitest";
import { backendLabel, storeFixture } from "./fixture.js";
import { createMingoDb, mingoIndexSpecs } from "./mingo-db.js";

type Kind = "Db" | "Collection" | "FindCursor" | "AggregationCursor";

const ALLOWED: Record<Kind, readonly (string | symbol)[]> = {
  Db: ["collection", "command"],
  Collection: [
    "aggregate",
    "bulkWrite",
    "countDocuments",
    "createIndexes",
    "deleteOne",
    "dropIndex",
    "find",
    "findOne",
    "findOneAndUpdate",
    "insertOne",
    "updateOne",
  ],
  FindCursor: ["toArray", Symbol.asyncIterator],
  AggregationCursor: ["toArray", Symbol.asyncIterator],
};

const DRIVER_CLASSES: Record<Kind, { prototype: object }> = {
  Db,
  Collection,
  FindCursor,
  AggregationCursor,
};

/** What a call on an object of one kind returns that the store goes on using. */
const RETURNS: Partial<Record<`${Kind}.${string}`, Kind>> = {
  "Db.collection": "Collection",
  "Collection.find": "FindCursor",
  "Collection.aggregate": "AggregationCursor",
};

const calls = new Set<string>();
const propertyReads = new Set<string>();
const label = (kind: Kind, key: string | symbol) =>
  `${kind}.${typeof key === "symbol" ? `[${key.description}]` : key}`;

function recording<T extends object>(target: T, kind: Kind): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== "function") {
        propertyReads.add(label(kind, key));
        return value;
      }
      return (...args: unknown[]) => {
        calls.add(label(kind, key));
        const result: unknown = value.apply(object, args);
        const next = typeof key === "string" ? RETURNS[`${kind}.${key}`] : undefined;
        return next && result !== null && typeof result === "object"
          ? recording(result, next)
          : result;
      };
    },
  });
}

const recordingDb = (db: Db) => recording(db, "Db");

const SESSION = sessionRecord({
  id: "a",
  tenantId: "t",
  user: { id: "u", login: "user", fullName: null, email: null },
  createdAt: Date.UTC(2025, 11, 31),
  expiresAt: Date.UTC(2026, 0, 1),
  absoluteExpiresAt: Date.UTC(2026, 0, 2),
});

runStoreConformance({
  name: `${backendLabel}, driver calls recorded`,
  setup: storeFixture("driver surface check", { wrapDb: recordingDb }),
});

describe("driver surface", () => {
  it("ensureIndexes - should change the retention of an existing TTL index in place", async () => {
    const raw = createMingoDb();
    const { createMongoStore } = await import("../src/index.js");
    const store = createMongoStore({ db: recordingDb(raw) });
    await store.ensureIndexes({ retentionMs: 30 * 86_400_000 });
    await store.ensureIndexes({ retentionMs: 90 * 86_400_000 });
    const ttl = mingoIndexSpecs(raw, store.collectionNames.sessions).find(
      (spec) => spec.expireAfterSeconds !== undefined,
    );
    expect(ttl).toMatchObject({ key: { endedOn: 1 }, expireAfterSeconds: 90 * 86_400 });
  });

  it("stream - sorting by a now-dependent field should stream through an aggregation cursor", async () => {
    const { createMongoStore } = await import("../src/index.js");
    const store = createMongoStore({ db: recordingDb(createMingoDb()) });
    await store.ensureIndexes();
    const now = Date.UTC(2026, 0, 1);
    for (const [id, expiresAt] of [
      ["a", now - 1],
      ["b", now + 1],
    ] as const) {
      await store.insertSession({ ...SESSION, id, expiresAt });
    }
    const query = {
      filter: null,
      sort: [{ field: "status" as const, direction: "asc" as const }],
      now,
    };
    const streamed: string[] = [];
    for await (const row of store.streamSessions("t", query)) streamed.push(row.id);
    expect(streamed).toEqual(["b", "a"]);
  });

  it("should call exactly the allowed driver methods, each public on the driver's classes", () => {
    const allowed = Object.entries(ALLOWED).flatMap(([kind, keys]) =>
      keys.map((key) => label(kind as Kind, key)),
    );
    expect([...calls].sort()).toEqual([...allowed].sort());
    for (const [kind, keys] of Object.entries(ALLOWED)) {
      for (const key of keys) {
        const { prototype } = DRIVER_CLASSES[kind as Kind];
        expect(key in prototype, label(kind as Kind, key)).toBe(true);
        expect(typeof key === "string" && key.startsWith("_"), label(kind as Kind, key)).toBe(
          false,
        );
      }
    }
  });

  it("should read no driver properties, only call methods", () => {
    expect([...propertyReads]).toEqual([]);
  });
});
