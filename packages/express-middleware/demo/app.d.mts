import type { SessionLedger, TaskRunner } from "@session-ledger/core";
import type { SqliteSessionStore } from "@session-ledger/sqlite";
import type { Express } from "express";

export interface DemoOptions {
  /** The SQLite file. @default "./demo.db" */
  dbPath?: string;
  /** Sessions generated on first start (when space 1001 is empty). @default 100000 */
  sessions?: number;
  /** Seed of the generator. @default 1 */
  seed?: number;
  /** The admin API key. @default "demo-admin-key" */
  apiKey?: string;
  /** A key that may read and export but not terminate. @default "demo-readonly-key" */
  readOnlyKey?: string;
  /** The ledger's clock. @default Date.now */
  now?: () => number;
  log?: (line: string) => void;
}

export interface Demo {
  app: Express;
  ledger: SessionLedger;
  store: SqliteSessionStore;
  taskRunner: TaskRunner;
  /** The banner with ready-to-paste curl commands for a base URL. */
  describe(base: string): string;
  close(): Promise<void>;
}

export function createDemo(options?: DemoOptions): Promise<Demo>;
