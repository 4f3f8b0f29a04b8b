import { runDifferentialTest } from "@session-ledger/core/testing";
import { fileStore } from "./fixture.js";

runDifferentialTest({
  name: "sqlite (file)",
  setup: () => fileStore(),
  numRuns: Number(process.env.SQLITE_DIFFERENTIAL_RUNS ?? 500),
});
