/** The plan-shape checker itself: it must accept what the planner serves and refuse the rest. */
import { describe, expect, it } from "vitest";
import { type Access, fitIndex } from "./plan-shape.js";

const access = (filter: Access["filters"][number], sort?: Access["sort"]): Access => ({
  collection: "c",
  method: "find",
  filters: [filter],
  sort,
});
const verdict = (a: Access, index: Parameters<typeof fitIndex>[1]) => {
  const fit = fitIndex(a, index);
  return fit.ok ? fit.bounds : fit.reason;
};

describe("plan-shape checker", () => {
  const created = { key: { t: 1, c: -1, id: 1 } };

  it("should accept equality, then a range on the first sort key, then the sort", () => {
    expect(verdict(access({ t: "x", c: { $lte: 5 } }, { c: -1, id: 1 }), created)).toEqual([
      "t",
      "c",
    ]);
    expect(verdict(access({ t: "x" }, { c: 1, id: -1 }), created)).toEqual(["t"]);
    expect(verdict(access({ $and: [{ t: "x" }, { c: { $gt: 1 } }] }), created)).toEqual(["t", "c"]);
  });

  it("should refuse a sort the index order does not give, and an unbounded first key", () => {
    expect(verdict(access({ t: "x" }, { c: -1, id: -1 }), created)).toMatch(/in-memory SORT/);
    expect(verdict(access({ t: "x" }, { id: 1 }), created)).toMatch(/in-memory SORT/);
    expect(verdict(access({ c: { $gt: 1 } }), created)).toMatch(/not bounded/);
    expect(verdict(access({ t: { $in: ["x", "y"] } }, { c: -1, id: 1 }), created)).toMatch(/\$in/);
  });

  it("should imply a partial filter only as the planner does", () => {
    const partial = (expr: object) => ({ key: { t: 1, s: 1 }, partialFilterExpression: expr });
    const typed = partial({ s: { $type: "string" } });
    expect(verdict(access({ t: "x", s: "a" }), typed)).toMatch(/does not imply/);
    expect(verdict(access({ t: "x", s: { $eq: "a", $type: "string" } }), typed)).toEqual([
      "t",
      "s",
    ]);
    expect(verdict(access({ t: "x", s: "A" }), partial({ s: "A" }))).toEqual(["t", "s"]);
    expect(verdict(access({ t: "x", s: "B" }), partial({ s: "A" }))).toMatch(/does not imply/);
    expect(verdict(access({ t: "x", s: { $gt: 5 } }), partial({ s: { $gte: 5 } }))).toEqual([
      "t",
      "s",
    ]);
    expect(verdict(access({ t: "x", s: { $gte: 4 } }), partial({ s: { $gte: 5 } }))).toMatch(
      /does not imply/,
    );
  });

  it("should serve a rooted $or branch by branch when each branch fits", () => {
    const status = { key: { status: 1, c: 1, id: 1 } };
    const or = { $or: [{ status: "Q" }, { status: "R", lease: { $lte: 3 } }] };
    expect(verdict(access(or, { c: 1, id: 1 }), status)).toEqual(["status"]);
    expect(verdict(access({ $or: [{ status: "Q" }, { lease: 1 }] }, { c: 1 }), status)).toMatch(
      /branch/,
    );
  });

  it("should refuse a sort on computed fields", () => {
    expect(verdict({ ...access({ t: "x" }, { c: -1 }), computedSort: true }, created)).toMatch(
      /computes/,
    );
  });
});
