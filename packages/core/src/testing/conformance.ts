import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import {
  type ConformanceCase,
  type ConformanceOptions,
  createCaseContext,
  type StoreFixture,
} from "./harness.js";
import { lifecycleCases } from "./lifecycle-cases.js";
import { listingCases } from "./listing-cases.js";
import { timeBucketCases } from "./time-bucket-cases.js";

/** Every conformance case, lifecycle first. Exposed for the suite's own self-check. */
export const conformanceCases: readonly ConformanceCase[] = [
  ...lifecycleCases,
  ...listingCases,
  ...timeBucketCases,
];

/**
 * Registers the shared store conformance suite with vitest. Call it once from one test file
 * per store; `setup` runs once, `reset` before every case, `teardown` after the last.
 */
export function runStoreConformance(options: ConformanceOptions): void {
  describe(`store conformance: ${options.name}`, () => {
    let fixture: StoreFixture;
    beforeAll(async () => {
      fixture = await options.setup();
    });
    beforeEach(async () => {
      await fixture.reset();
    });
    afterAll(async () => {
      await fixture?.teardown();
    });
    for (const testCase of conformanceCases) {
      it(testCase.name, () =>
        testCase.run(createCaseContext(fixture.store, () => fixture.another())),
      );
    }
  });
}
