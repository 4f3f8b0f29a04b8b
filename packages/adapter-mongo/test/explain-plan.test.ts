/**
 * The real-server lane reads plans out of `explain` outputs; these are shaped like the outputs
 * MongoDB 7 and 8 return (classic and slot-based engines, aggregations, mongos), so a mistake in
 * reading them shows here rather than as a lane that passes because it saw nothing.
 */
import { describe, expect, it } from "vitest";
import { shardsTargeted, winningStages } from "./explain-plan.js";

const ixscan = { stage: "IXSCAN", indexName: "tenant_created", keyPattern: { tenantId: 1 } };

describe("reading explain outputs", () => {
  it("should read a find's winning plan and ignore the rejected ones", () => {
    const explain = {
      queryPlanner: {
        winningPlan: { stage: "LIMIT", inputStage: { stage: "FETCH", inputStage: ixscan } },
        rejectedPlans: [{ stage: "SORT", inputStage: { stage: "COLLSCAN" } }],
      },
      executionStats: { executionStages: { stage: "LIMIT" } },
    };
    expect(winningStages(explain)).toEqual(["LIMIT", "FETCH", "IXSCAN"]);
  });

  it("should read the slot-based engine's query plan, not its slot plan", () => {
    const explain = {
      queryPlanner: {
        winningPlan: {
          queryPlan: { stage: "SORT", inputStage: { stage: "COLLSCAN" } },
          slotBasedPlan: { slots: "…", stages: "[1] sort …" },
        },
        rejectedPlans: [],
      },
    };
    expect(winningStages(explain)).toEqual(["SORT", "COLLSCAN"]);
  });

  it("should read an aggregation's cursor stage and every shard's plan behind a mongos", () => {
    const aggregate = {
      stages: [
        { $cursor: { queryPlanner: { winningPlan: { stage: "FETCH", inputStage: ixscan } } } },
        { $group: { _id: "$country" } },
      ],
    };
    expect(winningStages(aggregate)).toEqual(["FETCH", "IXSCAN"]);
    const merged = {
      queryPlanner: {
        winningPlan: {
          stage: "SHARD_MERGE",
          shards: [
            { shardName: "a", winningPlan: { stage: "FETCH", inputStage: ixscan } },
            { shardName: "b", winningPlan: { stage: "COLLSCAN" } },
          ],
        },
      },
    };
    expect(winningStages(merged)).toEqual(["SHARD_MERGE", "FETCH", "IXSCAN", "COLLSCAN"]);
    expect(shardsTargeted(merged)).toBe(2);
  });

  it("should count one shard for a targeted write and for a replica set", () => {
    const targeted = {
      queryPlanner: {
        winningPlan: {
          stage: "SHARD_WRITE",
          shards: [{ shardName: "a", winningPlan: { stage: "UPDATE", inputStage: ixscan } }],
        },
      },
    };
    expect(shardsTargeted(targeted)).toBe(1);
    expect(winningStages(targeted)).toEqual(["SHARD_WRITE", "UPDATE", "IXSCAN"]);
    expect(shardsTargeted({ queryPlanner: { winningPlan: { stage: "EXPRESS_IXSCAN" } } })).toBe(1);
  });
});
