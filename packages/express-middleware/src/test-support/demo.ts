/**
 * The demo server (`demo/app.mjs`, what `pnpm demo` serves) on a temporary SQLite file, with
 * generated sessions and a settable clock, for the tests that run the seed examples against
 * it. Not part of the package's public surface.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import Database from "better-sqlite3";
import { createDemo, type Demo } from "../../demo/app.mjs";

/** The demo's clock starts here; its generated sessions lie in the year before. */
export const DEMO_NOW = Date.parse("2026-03-01T12:00:00.000Z");
export const DEMO_KEY = "demo-admin-key";
export const DEMO_READONLY_KEY = "demo-readonly-key";
export const DEMO_SPACE = "1001";

export interface TestDemo extends Demo {
  setNow(ms: number): void;
  /** Every session of a tenant as a read at the current clock reports it, newest first. */
  all(tenantId: string): Promise<Session[]>;
  /** Stores a session as given (fixed id and times), for the seeds' literal examples. */
  insert(record: Partial<SessionRecord> & Pick<SessionRecord, "id" | "tenantId">): Promise<void>;
  /** The ids of every task the store holds, whatever its status, read from the file. */
  taskIds(): string[];
}

/** Starts the demo with `sessions` generated sessions (3000 unless told). */
export async function startDemo(sessions = 3000): Promise<TestDemo> {
  const dir = mkdtempSync(join(tmpdir(), "session-ledger-demo-"));
  let now = DEMO_NOW;
  const demo = await createDemo({ dbPath: join(dir, "demo.db"), sessions, now: () => now });
  return {
    ...demo,
    setNow(ms) {
      now = ms;
    },
    async all(tenantId) {
      const found: Session[] = [];
      for await (const session of demo.ledger.export(tenantId)) found.push(session);
      return found;
    },
    async insert(record) {
      await demo.store.insertSession(sessionRecord({ createdAt: now, ...record }));
    },
    taskIds() {
      const file = new Database(join(dir, "demo.db"), { readonly: true });
      try {
        return file
          .prepare("SELECT id FROM session_ledger_tasks ORDER BY created_at, id")
          .pluck()
          .all() as string[];
      } finally {
        file.close();
      }
    },
    async close() {
      await demo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
