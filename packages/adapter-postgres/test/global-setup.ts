/**
 * The `postgres` vitest project's global setup: a real server for every test file. With
 * `POSTGRES_URL` set it uses that server; otherwise it starts a throwaway cluster on a free port
 * in a temporary directory and stops it after the run. When neither works, the tests fail with
 * the reason (see `fixture.ts`) — they are never skipped.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startThrowawayCluster, type ThrowawayCluster } from "./throwaway-cluster.js";

export interface PostgresServer {
  /** A connection string, or null when no server could be had. */
  url: string | null;
  /** Which server ran, for the test output: version and whether it was the throwaway one. */
  description: string;
  /** Why there is no server. */
  error: string | null;
}

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PostgresServer;
  }
}

/** The URL without its password, for printing. */
const redact = (url: string) => url.replace(/(\/\/[^:/@]+):[^@]*@/, "$1:***@");

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>("SELECT version() AS version");
    return rows[0]?.version.replace(/ on .*$/, "") ?? "unknown version";
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject) {
  let cluster: ThrowawayCluster | undefined;
  let server: PostgresServer;
  const given = process.env.POSTGRES_URL;
  try {
    if (given) {
      server = {
        url: given,
        description: `${await serverVersion(given)} at POSTGRES_URL ${redact(given)}`,
        error: null,
      };
    } else {
      // Durability is not what the tests are about: without fsync a run is several times faster.
      cluster = await startThrowawayCluster({
        settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
      });
      server = {
        url: cluster.url,
        description: `${await serverVersion(cluster.url)}, a throwaway cluster on 127.0.0.1:${cluster.port} (${cluster.dir})`,
        error: null,
      };
    }
  } catch (error) {
    await cluster?.stop();
    cluster = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    server = {
      url: null,
      description: "no PostgreSQL server",
      error: given
        ? `POSTGRES_URL ${redact(given)} could not be reached: ${reason}`
        : `no throwaway PostgreSQL cluster could be started: ${reason}`,
    };
  }
  console.info(
    server.error
      ? `\npostgres tests: FAILING, ${server.error}\n`
      : `\npostgres tests run on ${server.description}\n`,
  );
  project.provide("postgres", server);
  return async () => {
    await cluster?.stop();
  };
}
