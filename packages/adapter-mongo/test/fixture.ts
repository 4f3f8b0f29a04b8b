/**
 * Where the store's tests run: against a real MongoDB when `MONGODB_URI` is set (a fresh
 * database per test file, dropped afterwards), otherwise against the mingo-evaluated
 * in-process database. Suite names and a console line say which one ran.
 */
import { randomUUID } from "node:crypto";
import type { StoreFixture } from "@session-ledger/core/testing";
import { type Db, MongoClient } from "mongodb";
import { createMongoStore, type MongoSessionStore } from "../src/index.js";
import { type ClusterFaults, createMingoDb } from "./mingo-db.js";

const uri = process.env.MONGODB_URI;
/** Set (to 1) when `MONGODB_URI` names a mongos: the sharded fixtures then shard for real. */
const shardedServer = process.env.MONGODB_SHARDED === "1";

/** The shard key the README recommends for the sessions collection. */
export const SESSIONS_SHARD_KEY = { tenantId: 1, id: 1 } as const;

/** Hides credentials: `mongodb://user:secret@host` → `mongodb://…@host`. */
const redacted = (text: string) => text.replace(/\/\/[^@/]*@/, "//…@");

/** Names the backend in suite titles. */
export const backendLabel = uri
  ? `mongo (real server at ${redacted(uri)})`
  : "mongo (mingo-evaluated in-process collection)";

/** Names the recurring cluster faults in suite titles, where they apply (not on a real server). */
export const faultsLabel = uri ? "" : ", under recurring stepdowns and chunk migrations";

export interface Backend {
  db: Db;
  /** Shards the sessions collection (on a real mongos; the in-process one is sharded from the start). */
  shard(sessionsName: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A fresh database. `shardedSessions` names a sessions collection the in-process database
 * treats as sharded on `SESSIONS_SHARD_KEY` from the start.
 */
export async function openBackend(
  shardedSessions?: string,
  faults?: ClusterFaults,
): Promise<Backend> {
  if (!uri) {
    const shardKeys = shardedSessions ? { [shardedSessions]: SESSIONS_SHARD_KEY } : {};
    return {
      db: createMingoDb({ shardKeys, ...(faults ? { faults } : {}) }),
      shard: async () => {},
      close: async () => {},
    };
  }
  const client = await MongoClient.connect(uri);
  const db = client.db(`session_ledger_test_${randomUUID().slice(0, 8)}`);
  return {
    db,
    shard: async (sessionsName) => {
      if (!shardedServer) {
        console.info(
          "[adapter-mongo] MONGODB_SHARDED is not set: the sharded suite runs unsharded on this server",
        );
        return;
      }
      const admin = client.db("admin");
      await admin.command({ enableSharding: db.databaseName });
      await admin.command({
        shardCollection: `${db.databaseName}.${sessionsName}`,
        key: SESSIONS_SHARD_KEY,
      });
    },
    close: async () => {
      await db.dropDatabase();
      await client.close();
    },
  };
}

export interface FixtureOptions {
  /** Lets a test observe the driver calls. */
  wrapDb?: (db: Db) => Db;
  /** Shard the sessions collection as the README recommends, with a store told so. */
  sharded?: boolean;
  /**
   * Run under the recurring cluster faults (`CLUSTER_FAULTS`) on the in-process database: a
   * real server has its own. Resets between cases run without them.
   */
  clusterFaults?: boolean;
}

/**
 * The faults a store must survive, recurring through a whole suite: every third write
 * (updateMany, deleteMany, bulkWrite) is cut short by a stepdown after applying half, and every
 * other multi-document write skips the documents of a migrating chunk (those whose `id` ends
 * in a character of odd code). Writes no majority acknowledges and stalled reads are not here:
 * the store fails those by design, within its budgets (`cluster-faults.test.ts`).
 */
export const CLUSTER_FAULTS = (): ClusterFaults => ({
  stepDownEvery: 3,
  migrationEvery: {
    every: 2,
    chunk: (doc) => typeof doc.id === "string" && doc.id.charCodeAt(doc.id.length - 1) % 2 === 1,
  },
});

/**
 * A conformance fixture on a database: the store with its indexes, emptied (indexes kept)
 * before every case.
 */
export function storeFixture(
  purpose: string,
  options: FixtureOptions = {},
): () => Promise<StoreFixture & { store: MongoSessionStore }> {
  const { wrapDb = (db: Db) => db, sharded = false, clusterFaults = false } = options;
  return async () => {
    const sessionsName = "session_ledger_sessions";
    const faults = clusterFaults ? CLUSTER_FAULTS() : undefined;
    const backend = await openBackend(sharded ? sessionsName : undefined, faults);
    console.info(`[adapter-mongo] ${purpose} running against ${backendLabel}`);
    const store = createMongoStore({ db: wrapDb(backend.db), sharded });
    // The order a deployment follows: the store's indexes (the shard key's among them), then
    // shardCollection, which refuses a unique index the shard key does not start.
    await store.ensureIndexes();
    if (sharded) await backend.shard(store.collectionNames.sessions);
    const names = Object.values(store.collectionNames);
    return {
      store,
      // Through the unwrapped handle: emptying between cases is the test's doing, not the store's.
      reset: async () => {
        const recurring = faults ? { ...faults } : undefined;
        if (faults)
          for (const key of Object.keys(faults)) delete faults[key as keyof ClusterFaults];
        for (const name of names) await backend.db.collection(name).deleteMany({});
        if (faults && recurring) Object.assign(faults, recurring);
      },
      teardown: () => backend.close(),
      another: () => createMongoStore({ db: wrapDb(backend.db), sharded }),
    };
  };
}
