import { runStoreConformance } from "@session-ledger/core/testing";
import { backendLabel, faultsLabel, storeFixture } from "./fixture.js";

// The sessions collection sharded on { tenantId: 1, id: 1 }, as the README recommends: every
// single-document write must name the whole key (the in-process collection refuses any that
// does not, as MongoDB 7.0 does), and the session identifier cannot have a unique index.
runStoreConformance({
  name: `${backendLabel}, sessions sharded on { tenantId: 1, id: 1 }${faultsLabel}`,
  setup: storeFixture("conformance suite, sharded sessions", {
    sharded: true,
    clusterFaults: true,
  }),
});
