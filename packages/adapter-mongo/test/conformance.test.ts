import { runStoreConformance } from "@session-ledger/core/testing";
import { backendLabel, storeFixture } from "./fixture.js";

runStoreConformance({ name: backendLabel, setup: storeFixture("conformance suite") });
