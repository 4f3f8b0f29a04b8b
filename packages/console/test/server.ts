/**
 * A demo-like host for the browser tests: the Octane router over a SQLite store filled by the
 * fixtures' generator, and the console mounted with `consoleMiddleware`, on a free port. Keys:
 * an administrator's and a read-only one; the cookie `host_session=<key>` stands for a host's
 * own session cookie (for the console in cookie mode).
 */
import type { AddressInfo } from "node:net";
import { createSessionLedger, createTaskRunner, type SessionLedger } from "@session-ledger/core";
import {
  apiKeyAuthenticator,
  createOctaneRouter,
  type OctaneTerminationEvent,
  type Principal,
} from "@session-ledger/express";
import { generateSessions } from "@session-ledger/fixtures";
import { createSqliteStore } from "@session-ledger/sqlite";
import Database from "better-sqlite3";
import express, { type Request } from "express";
import { consoleMiddleware } from "../src/express.js";
import type { ConsoleHandlerOptions } from "../src/handler.js";

export const ADMIN_KEY = "console-admin-key";
export const READER_KEY = "console-reader-key";

const PRINCIPALS: Record<string, Principal> = {
  [ADMIN_KEY]: {
    id: "console-admin",
    tenants: ["1001", "1002"],
    permissions: ["sessions:read", "sessions:export", "sessions:terminate", "sessions:settings"],
  },
  [READER_KEY]: {
    id: "console-auditor",
    tenants: ["1001", "1002"],
    permissions: ["sessions:read", "sessions:export"],
  },
};

export interface ConsoleServer {
  url: string;
  ledger: SessionLedger;
  terminations: OctaneTerminationEvent[];
  close(): Promise<void>;
}

/** Starts the server; `mounts` are the console's mount points (each its own options). */
export async function startConsoleServer({
  sessions = 20_000,
  mounts,
}: {
  sessions?: number;
  mounts: ConsoleHandlerOptions[];
}): Promise<ConsoleServer> {
  const database = new Database(":memory:");
  const store = createSqliteStore({ database });
  await store.migrate();
  const now = Date.now();
  database.exec("BEGIN");
  for (const record of generateSessions({ count: sessions, seed: 3, now }))
    await store.insertSession(record);
  database.exec("COMMIT");
  const ledger = createSessionLedger({
    store,
    cursorSecret: "console-test-cursor-secret-0123456789",
  });
  const taskRunner = createTaskRunner({ ledger, store });
  taskRunner.start();

  const byKey = apiKeyAuthenticator({ keys: PRINCIPALS });
  const fromCookie = (req: Request): Principal | null => {
    const match = /(?:^|;\s*)host_session=([^;]+)/.exec(req.headers.cookie ?? "");
    return match ? (PRINCIPALS[decodeURIComponent(match[1] as string)] ?? null) : null;
  };
  const terminations: OctaneTerminationEvent[] = [];
  const app = express();
  app.disable("x-powered-by");
  app.use(
    createOctaneRouter({
      ledger,
      taskRunner,
      authenticate: async (req) => (await byKey(req)) ?? fromCookie(req),
      onTerminate: (event) => void terminations.push(event),
    }),
  );
  for (const mount of mounts) app.use(consoleMiddleware(mount));

  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ledger,
    terminations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await taskRunner.stop();
      await store.close();
      database.close();
    },
  };
}
