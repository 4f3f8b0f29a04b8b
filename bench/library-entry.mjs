/**
 * Everything the benchmarks take from the workspace, bundled from TypeScript source by
 * `library.mjs` (the packages' `@session-ledger/source` export condition) so `pnpm bench`
 * needs no prior build and never measures a stale dist/.
 */

export { getRequestListener as honoListener } from "@hono/node-server";
export * from "@session-ledger/core";
export * from "@session-ledger/core/store";
export {
  apiKeyAuthenticator,
  createLogScaleRouter,
  createOctaneRouter,
  sessionTracking,
} from "@session-ledger/express";
// Each framework's adapter, as a namespace: they share their names (sessionTracking, …).
export * as onExpress from "@session-ledger/http/express";
export * as onFastify from "@session-ledger/http/fastify";
export * as onHono from "@session-ledger/http/hono";
export * as onKoa from "@session-ledger/http/koa";
export { createPostgresStore } from "@session-ledger/postgres";
export { createSqliteStore } from "@session-ledger/sqlite";
export { default as Database } from "better-sqlite3";
export { stringify } from "csv-stringify";
export { default as express } from "express";
export { default as Fastify } from "fastify";
export { Hono } from "hono";
export { default as Koa } from "koa";
export { nanoid } from "nanoid";
export { default as pg } from "pg";
// The PostgreSQL table runs on a throwaway cluster, started the way the store's tests start it.
export { startThrowawayCluster } from "../packages/adapter-postgres/test/throwaway-cluster.ts";
// The memory store's row map is not public: the in-memory table bulk-loads through it, as the
// SQLite table bulk-loads with hand-written INSERTs.
export { createMemoryStoreWithRows } from "../packages/core/src/memory/memory-store.ts";
