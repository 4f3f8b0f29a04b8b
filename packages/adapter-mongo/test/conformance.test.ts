import { runStoreConformance } from "@session-ledger/core/testing";
import { backendLabel, faultsLabel, storeFixture } from "./fixture.js";

// Under the recurring cluster faults (stepdowns, chunk migrations) on the in-process collection.
runStoreConformance({
  name: `${backendLabel}${faultsLabel}`,
  setup: storeFixture("conformance suite", { clusterFaults: true }),
});
