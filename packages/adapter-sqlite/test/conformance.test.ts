import { runStoreConformance } from "@session-ledger/core/testing";
import { fileStore } from "./fixture.js";

runStoreConformance({ name: "sqlite (file, better-sqlite3 Database)", setup: () => fileStore() });

runStoreConformance({
  name: "sqlite (file, Kysely instance, custom prefix)",
  setup: () => fileStore({ via: "kysely", tablePrefix: "ledger_" }),
});
