/**
 * Where the store's tests run: against a real MongoDB when `MONGODB_URI` is set (a fresh
 * database per test file, dropped afterwards), otherwise against the mingo-evaluated
 * in-process database. Suite names and a console line say which one ran.
 */
import { randomUUID } from "node:crypto";
import type { StoreFixture } from "@session-ledger/core/testing";
import { type Db, MongoClient } from "mongodb";
import { createMongoStore, type MongoSessionStore } from "../src/index.js";
import { createMingoDb } from "./mingo-db.js";

const uri = process.env.MONGODB_URI;

/** Hides credentials: `mongodb://user:secret@host` → `mongodb://…@host`. */
const redacted = (text: string) => text.replace(/\/\/[^@/]*@/, "//…@");

/** Names the backend in suite titles. */
export const backendLabel = uri
  ? `mongo (real server at ${redacted(uri)})`
  : "mongo (mingo-evaluated in-process collection)";

export interface Backend {
  db: Db;
  close(): Promise<void>;
}

export async function openBackend(): Promise<Backend> {
  if (!uri) return { db: createMingoDb(), close: async () => {} };
  const client = await MongoClient.connect(uri);
  const db = client.db(`session_ledger_test_${randomUUID().slice(0, 8)}`);
  return {
    db,
    close: async () => {
      await db.dropDatabase();
      await client.close();
    },
  };
}

/**
 * A conformance fixture on a database: the store with its indexes, emptied (indexes kept)
 * before every case. `wrapDb` lets a test observe the driver calls.
 */
export function storeFixture(
  purpose: string,
  wrapDb: (db: Db) => Db = (db) => db,
): () => Promise<StoreFixture & { store: MongoSessionStore }> {
  return async () => {
    const backend = await openBackend();
    console.info(`[adapter-mongo] ${purpose} running against ${backendLabel}`);
    const store = createMongoStore({ db: wrapDb(backend.db) });
    await store.ensureIndexes();
    const names = Object.values(store.collectionNames);
    return {
      store,
      // Through the unwrapped handle: emptying between cases is the test's doing, not the store's.
      reset: async () => {
        for (const name of names) await backend.db.collection(name).deleteMany({});
      },
      teardown: () => backend.close(),
    };
  };
}
