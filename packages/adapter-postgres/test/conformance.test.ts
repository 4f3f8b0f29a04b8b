import { runStoreConformance } from "@session-ledger/core/testing";
import { postgresStore, serverLabel } from "./fixture.js";

runStoreConformance({
  name: `postgres (${serverLabel()}, pg Pool)`,
  setup: () => postgresStore({ label: "conformance" }),
});

runStoreConformance({
  name: `postgres (${serverLabel()}, Kysely instance, custom prefix)`,
  setup: () => postgresStore({ via: "kysely", tablePrefix: "ledger_", label: "conformance_k" }),
});
