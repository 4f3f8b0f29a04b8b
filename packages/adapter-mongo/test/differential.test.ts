import { runDifferentialTest } from "@session-ledger/core/testing";
import { backendLabel, storeFixture } from "./fixture.js";

runDifferentialTest({
  name: backendLabel,
  setup: storeFixture("differential test (500 runs)"),
  numRuns: 500,
});
