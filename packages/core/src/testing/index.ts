/**
 * Test helpers for store authors: the shared conformance suite and the differential test
 * against the in-memory reference store. Both register vitest tests; call each once from one
 * test file per store.
 */
export { runStoreConformance } from "./conformance.js";
export { type DifferentialOptions, runDifferentialTest } from "./differential.js";
export type { ConformanceOptions, StoreFixture } from "./harness.js";
export { sessionRecord } from "./records.js";
