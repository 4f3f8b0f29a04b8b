/**
 * Stores on the test run's PostgreSQL server (see `global-setup.ts`), each in a schema of its
 * own, so test files run in parallel on one server without seeing each other's rows.
 */
import { randomBytes } from "node:crypto";
import type { StoreFixture } from "@session-ledger/core/testing";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { inject } from "vitest";
import type { PostgresSessionStore } from "../src/index.js";
import { createPostgresStoreWith, type StoreInternals } from "../src/postgres-store.js";

export interface PostgresFixture extends StoreFixture {
  store: PostgresSessionStore;
  /** A pool of the fixture's own, for statements the test runs by hand. */
  pool: pg.Pool;
  schema: string;
  prefix: string;
  /** `schema.prefix<name>`, quoted. */
  table(name: string): string;
}

/** The server the run uses; throws (failing the test) when there is none. */
export function postgresServer(): { url: string; description: string } {
  const server = inject("postgres");
  if (server.url === null) {
    throw new Error(
      `the PostgreSQL tests need a server: ${server.error}. Install PostgreSQL (apt-get install postgresql) or set POSTGRES_URL.`,
    );
  }
  return { url: server.url, description: server.description };
}

/** A short description of the server for suite names: its version, and whose it is. */
export function serverLabel(): string {
  const server = inject("postgres");
  if (server.url === null) return "no server";
  const version = /PostgreSQL [\d.]+/.exec(server.description)?.[0] ?? "PostgreSQL";
  return `${version}, ${server.description.includes("throwaway") ? "throwaway cluster" : "POSTGRES_URL"}`;
}

/** `name` becomes the connections' `application_name`, so a test can find its own backends. */
export const newPool = (max = 4, name = "session-ledger-test") =>
  new pg.Pool({
    connectionString: postgresServer().url,
    max,
    idleTimeoutMillis: 5000,
    application_name: name,
  });

/** A fresh schema name (schemas keep parallel test files apart on one server). */
export const freshSchema = (label: string) => `t_${label}_${randomBytes(5).toString("hex")}`;

/**
 * A migrated store in a fresh schema. `via: "kysely"` hands the store a Kysely instance on the
 * same server instead of the pool.
 */
export async function postgresStore(
  options: {
    via?: "pool" | "kysely";
    tablePrefix?: string;
    label?: string;
    poolSize?: number;
  } & StoreInternals = {},
): Promise<PostgresFixture> {
  const schema = freshSchema(options.label ?? "store");
  const pool = newPool(options.poolSize, schema);
  const prefix = options.tablePrefix ?? "session_ledger_";
  const kysely =
    options.via === "kysely"
      ? new Kysely<unknown>({
          dialect: new PostgresDialect({ pool: newPool(options.poolSize, schema) }),
        })
      : undefined;
  const store = createPostgresStoreWith(
    kysely ? { kysely, schema, tablePrefix: prefix } : { pool, schema, tablePrefix: prefix },
    { capLocking: options.capLocking },
  );
  await store.migrate();
  const table = (name: string) => `"${schema}"."${prefix}${name}"`;
  return {
    store,
    pool,
    schema,
    prefix,
    table,
    async reset() {
      await pool.query(
        `TRUNCATE ${["sessions", "policies", "tasks", "task_payloads", "task_outcomes"].map(table).join(", ")}`,
      );
    },
    another: () =>
      createPostgresStoreWith(
        kysely ? { kysely, schema, tablePrefix: prefix } : { pool, schema, tablePrefix: prefix },
        { capLocking: options.capLocking },
      ),
    async teardown() {
      await store.close();
      await kysely?.destroy();
      await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
      await pool.end();
    },
  };
}
