/** What the store's parts share. */
import type { SqlStoreContext } from "@session-ledger/sql";
import type { PgRunner } from "./pg-runner.js";
import type { SchemaNames } from "./schema.js";

export interface PgStoreContext extends SqlStoreContext {
  runner: PgRunner;
  /** The validated schema and table prefix. */
  names: SchemaNames;
}
