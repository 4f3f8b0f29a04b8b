/**
 * The real-server lane of the plan checks: with `MONGODB_URI` set, every hot path of
 * `hot-paths.ts` runs against the server over seeded data, each driver call it made is replayed
 * through `explain("executionStats")`, and a winning plan with a COLLSCAN or an in-memory SORT
 * stage fails. With `MONGODB_SHARDED=1` (a mongos) the sessions collection is sharded on
 * `{ tenantId: 1, id: 1 }` and every single-document write must target one shard.
 * Without `MONGODB_URI` it is skipped, saying so.
 */
import { type Db, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMongoStore, type MongoSessionStore } from "../src/index.js";
import {
  explainCall,
  type RecordedCall,
  recordingDb,
  shardsTargeted,
  winningStages,
} from "./explain-plan.js";
import { SESSIONS_SHARD_KEY } from "./fixture.js";
import { type CollectionKey, HOT_PATHS, type PlannedCall, seedSessions } from "./hot-paths.js";

const uri = process.env.MONGODB_URI;
const sharded = process.env.MONGODB_SHARDED === "1";
const SEEDED = 2000;
const SINGLE_DOCUMENT_WRITES = new Set(["updateOne", "bulkWrite", "findOneAndUpdate", "deleteOne"]);

if (!uri) {
  console.warn(
    "[adapter-mongo] explain lane SKIPPED: MONGODB_URI is not set. The plan shapes were checked " +
      "on the in-process collection only (plan-shape.test.ts); run " +
      "`MONGODB_URI=mongodb://… pnpm vitest run --project mongo` to ask a real server.",
  );
}

describe.skipIf(!uri)(`explain on a real server${sharded ? " (sharded)" : ""}`, () => {
  const calls: RecordedCall[] = [];
  let client: MongoClient;
  let raw: Db;
  let store: MongoSessionStore;
  let keyOf: Map<string, CollectionKey>;

  beforeAll(async () => {
    client = await MongoClient.connect(uri!);
    raw = client.db(`session_ledger_explain_${Date.now().toString(36)}`);
    store = createMongoStore({ db: recordingDb(raw, calls), sharded });
    keyOf = new Map(
      Object.entries(store.collectionNames).map(([key, name]) => [name, key as CollectionKey]),
    );
    await store.ensureIndexes();
    if (sharded) {
      const admin = client.db("admin");
      await admin.command({ enableSharding: raw.databaseName });
      await admin.command({
        shardCollection: `${raw.databaseName}.${store.collectionNames.sessions}`,
        key: SESSIONS_SHARD_KEY,
      });
    }
    await seedSessions(store, SEEDED);
    console.info(
      `[adapter-mongo] explain lane running against ${uri!.replace(/\/\/[^@/]*@/, "//…@")}`,
    );
  }, 300_000);

  afterAll(async () => {
    await raw?.dropDatabase();
    await client?.close();
  });

  for (const path of HOT_PATHS) {
    it(path.name, async () => {
      calls.length = 0;
      await path.run(store);
      const replayed = calls.filter(
        (call) => !["insertOne", "createIndexes"].includes(call.method),
      );
      expect(replayed.map((call) => `${keyOf.get(call.collection)}.${call.method}`)).toEqual(
        path.calls.map((call: PlannedCall) => `${call.collection}.${call.method}`),
      );
      for (const call of replayed) {
        for (const explain of await explainCall(raw, call)) {
          const stages = winningStages(explain);
          const context = `${call.collection}.${call.method} ${JSON.stringify(call.args[0])}: ${stages.join(" < ")}`;
          expect(
            stages.length,
            `no winning plan in the explain output of ${context}`,
          ).toBeGreaterThan(0);
          expect(stages, context).not.toContain("COLLSCAN");
          expect(stages, context).not.toContain("SORT");
          if (
            sharded &&
            keyOf.get(call.collection) === "sessions" &&
            SINGLE_DOCUMENT_WRITES.has(call.method)
          ) {
            expect(shardsTargeted(explain), `shards targeted by ${context}`).toBe(1);
          }
        }
      }
    });
  }
});

describe.skipIf(Boolean(uri))("explain on a real server", () => {
  it.skip("is skipped: set MONGODB_URI (and MONGODB_SHARDED=1 for a mongos) to run explain(executionStats) on the hot paths", () => {});
});
