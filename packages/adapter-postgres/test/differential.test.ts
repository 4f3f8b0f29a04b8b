import { runDifferentialTest } from "@session-ledger/core/testing";
import { postgresStore, serverLabel } from "./fixture.js";

runDifferentialTest({
  name: `postgres (${serverLabel()})`,
  setup: () => postgresStore({ label: "differential" }),
  numRuns: Number(process.env.POSTGRES_DIFFERENTIAL_RUNS ?? 500),
});
