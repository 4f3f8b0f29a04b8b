import { runDifferentialTest } from "@session-ledger/core/testing";
import { backendLabel, faultsLabel, storeFixture } from "./fixture.js";

runDifferentialTest({
  name: `${backendLabel}${faultsLabel}`,
  setup: storeFixture("differential test (500 runs)", { clusterFaults: true }),
  numRuns: 500,
});
