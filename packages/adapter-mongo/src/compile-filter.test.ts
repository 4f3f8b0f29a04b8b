import { Worker } from "node:worker_threads";
import { checkFilter, type Filter } from "@session-ledger/core";
import { FIELDS, foldCase, matchesPattern } from "@session-ledger/core/store";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allOf,
  anyOf,
  compileAfter,
  compileFilter,
  compileSort,
  groupStages,
  not,
  patternSource,
} from "./compile-filter.js";

const NOW = 1_000;
const CHARS = [
  "a",
  "A",
  "b",
  "é",
  "É",
  ".",
  "*",
  "\\",
  "$",
  "^",
  "\n",
  "[",
  "]",
  "(",
  "-",
  "/",
  "|",
  "\0",
];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 6 }).map((c) => c.join(""));

/**
 * How long one `RegExp#test` takes, run on a worker so that a pattern that backtracks
 * exponentially is stopped at `limitMs` instead of hanging the test run.
 */
async function timeMatch(source: string, value: string, limitMs: number): Promise<number> {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const regex = new RegExp(workerData.source);
     const start = performance.now();
     regex.test(workerData.value);
     parentPort.postMessage(performance.now() - start);`,
    { eval: true, workerData: { source, value } },
  );
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), limitMs);
      worker.once("message", (ms: number) => {
        clearTimeout(timer);
        resolve(ms);
      });
      worker.once("error", reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe("patternSource", () => {
  it("should match exactly what the reference pattern matcher matches, on raw text", () => {
    fc.assert(
      fc.property(text, fc.array(text, { minLength: 2, maxLength: 6 }), (value, parts) => {
        const regex = new RegExp(patternSource(parts, false));
        expect(regex.test(value)).toBe(matchesPattern(value, parts));
      }),
      { numRuns: 2000 },
    );
  });

  it("should match exactly what the reference matcher matches, on folded shadow text", () => {
    fc.assert(
      fc.property(text, fc.array(text, { minLength: 2, maxLength: 6 }), (value, parts) => {
        const regex = new RegExp(patternSource(parts, true));
        expect(regex.test(foldCase(value))).toBe(matchesPattern(value, parts));
      }),
      { numRuns: 2000 },
    );
  });

  it("should fail in linear time on a long near miss, however many wildcards the pattern has", async () => {
    // `*a*a*a*a*a*b` against a run of `a`s: each `*` tried at every split is O(n^k) backtracking.
    const parts = ["", "a", "a", "a", "a", "a", "b"];
    const value = "a".repeat(20_000);
    for (const folded of [true, false]) {
      const ms = await timeMatch(patternSource(parts, folded), value, 5_000);
      expect(ms, "matching time in ms").toBeLessThan(100);
    }
  });

  it("should spell NUL as an escape, never as the byte the server refuses in a pattern", () => {
    for (const folded of [true, false]) {
      const source = patternSource(["a\0b", "\0"], folded);
      expect(source).not.toContain("\0");
      expect(new RegExp(source).test("a\0b-\0")).toBe(true);
    }
  });

  it("should anchor at the very end, not before a trailing newline", () => {
    expect(new RegExp(patternSource(["ab", ""], true)).test("ab\n")).toBe(true);
    expect(new RegExp(patternSource(["", "ab"], true)).test("ab\n")).toBe(false);
    expect(patternSource(["", "ab"], true)).toBe("^[\\s\\S]*ab(?![\\s\\S])");
  });
});

describe("compileFilter", () => {
  const compiled = (filter: Filter) => compileFilter(checkFilter(filter), NOW);
  const status = (value: string) =>
    compiled({ kind: "compare", field: "status", op: "EQ", value: { kind: "text", value } });

  it("should compile status ACTIVE to the open-at-now range on stored-open sessions", () => {
    // `status: ACTIVE` adds no condition (stored ACTIVE exactly while endedAt is null); it lets
    // the partial indexes on open sessions serve the query.
    expect(status("ACTIVE")).toEqual({ status: "ACTIVE", expiresAt: { $gt: NOW } });
    expect(status("EXPIRED")).toEqual({
      $or: [
        { $and: [{ endedAt: { $ne: null } }, { status: { $eq: "EXPIRED" } }] },
        { status: "ACTIVE", expiresAt: { $lte: NOW } },
      ],
    });
  });

  it("should fold constants: an empty OR matches nothing, an empty AND everything", () => {
    expect(anyOf([])).toBe(false);
    expect(allOf([])).toBe(true);
    expect(anyOf([false, { a: 1 }])).toEqual({ a: 1 });
    expect(allOf([true, { a: 1 }, false])).toBe(false);
    expect(not(anyOf([]))).toBe(true);
    expect(not({ a: 1 })).toEqual({ $nor: [{ a: 1 }] });
  });

  it("should compare text through the folded shadow key and IPs through their sort key", () => {
    expect(
      compiled({
        kind: "compare",
        field: "client_type",
        op: "GE",
        value: { kind: "text", value: "UI" },
      }),
    ).toEqual({ "k.clientType": { $gte: "ui" } });
    expect(
      compiled({
        kind: "compare",
        field: "client_ip",
        op: "EQ",
        value: { kind: "text", value: "10.0.0.1" },
      }),
    ).toEqual({ "k.clientIp": { $eq: "00000000000000000000ffff0a000001" } });
  });
});

describe("compileSort", () => {
  it("should append the id tie-break and read now-dependent fields from the effective stage", () => {
    expect(compileSort([{ field: "end_time", direction: "desc" }])).toEqual({
      sort: { "effective.endedAt": -1, id: 1 },
      needsEffective: true,
    });
    expect(
      compileSort([
        { field: "user", direction: "asc" },
        { field: "id", direction: "desc" },
      ]),
    ).toEqual({
      sort: { "k.login": 1, id: -1 },
      needsEffective: false,
    });
  });
});

describe("compileAfter", () => {
  it("should bound the first sort key and keep no null branch for a field that is never null", () => {
    const after = compileAfter(
      [{ field: "creation_time", direction: "desc" }],
      { values: [500], id: "x" },
      NOW,
    );
    expect(after).toEqual({
      $and: [
        { createdAt: { $lte: 500 } },
        {
          $or: [
            { createdAt: { $lt: 500 } },
            { $and: [{ createdAt: { $eq: 500 } }, { id: { $gt: "x" } }] },
          ],
        },
      ],
    });
  });

  it("should keep the null branch, and add no bound, after a value descending on a nullable field", () => {
    const after = compileAfter(
      [{ field: "city", direction: "desc" }],
      { values: ["b"], id: "x" },
      NOW,
    );
    expect(JSON.stringify(after)).toContain('{"k.city":{"$eq":null}}');
    expect(JSON.stringify(after)).not.toContain("$lte");
  });

  it("should bound ascending keys from below, nullable or not", () => {
    const after = compileAfter(
      [{ field: "city", direction: "asc" }],
      { values: ["b"], id: "x" },
      NOW,
    );
    expect(after).toMatchObject({ $and: [{ "k.city": { $gte: "b" } }, expect.anything()] });
  });
});

describe("groupStages", () => {
  // Core checks the group field (a groupable catalog field) before a store sees it; the store
  // only translates, so every groupable field must have a stored path to group by.
  it("should group every groupable field by a stored path, with a count", () => {
    for (const def of FIELDS.filter((field) => field.groupable)) {
      const group = groupStages(def.name, NOW, 0, 10).page.find((stage) => "$group" in stage);
      expect(JSON.stringify(group?.$group?._id), def.name).toMatch(/"\$[a-zA-Z.]+"/);
      expect(group?.$group?.count, def.name).toEqual({ $sum: 1 });
    }
  });
});
