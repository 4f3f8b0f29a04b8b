/**
 * Everything the benchmarks take from the workspace, bundled from TypeScript source by
 * `library.mjs` so `pnpm bench` needs no prior build and never measures a stale dist/.
 * The memory store's row map is an internal export: the in-memory table bulk-loads through
 * it, as the SQLite table bulk-loads with hand-written INSERTs.
 */

export { default as Database } from "better-sqlite3";
export { stringify } from "csv-stringify";
export { default as express } from "express";
export { nanoid } from "nanoid";
export { default as pg } from "pg";
export { createPostgresStore } from "../packages/adapter-postgres/src/index.ts";
export { startThrowawayCluster } from "../packages/adapter-postgres/test/throwaway-cluster.ts";
export { createSqliteStore } from "../packages/adapter-sqlite/src/index.ts";
export * from "../packages/core/src/index.ts";
export { createMemoryStoreWithRows } from "../packages/core/src/memory/memory-store.ts";
export { ipSortKey, normalizeIp } from "../packages/core/src/store.ts";
export {
  apiKeyAuthenticator,
  createOctaneRouter,
} from "../packages/express-middleware/src/index.ts";
