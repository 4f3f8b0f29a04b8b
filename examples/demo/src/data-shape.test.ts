/**
 * The demo's data has the shape its README's "The data" paragraph describes: a year of the
 * default simulation, as a fill writes it, checked loosely enough to survive a change of seed.
 */
import { createLoginSimulation, recordAt, type SessionPlan } from "@session-ledger/fixtures";
import { beforeAll, describe, expect, it } from "vitest";

const DAY = 86_400_000;
const NOW = Date.parse("2026-03-10T14:00:00Z");
const simulation = createLoginSimulation();
let plans: SessionPlan[];
beforeAll(() => {
  plans = [...simulation.plansBetween(NOW - 365 * DAY, NOW + 1)];
});

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.floor(sorted.length * q)] ?? Number.NaN;

describe("the demo's data", () => {
  it("should hold about the year's sessions of the default rate", () => {
    expect(plans.length).toBeGreaterThan(95_000);
    expect(plans.length).toBeLessThan(105_000);
  });

  it("should spread people's logins heavy-tailed, but with no one holding a large share", () => {
    const perUser = countBy(plans, (plan) => plan.start.user.id);
    const people = simulation.users
      .filter((user) => user.kind === "person")
      .map((user) => perUser.get(user.user.id) ?? 0)
      .sort((a, b) => a - b);
    const median = quantile(people, 0.5);
    expect(median).toBeGreaterThan(60);
    expect(median).toBeLessThan(200);
    expect(quantile(people, 0.99)).toBeGreaterThan(3 * median);
    expect(people.at(-1)! / plans.length).toBeLessThan(0.015);
    const everyone = [...perUser.values()].sort((a, b) => b - a);
    expect(everyone[0]! / plans.length).toBeLessThan(0.015);
  });

  it("should follow the working week: weekdays several times busier than weekends", () => {
    const perWeekday = countBy(plans, (plan) => String(new Date(plan.start.createdAt).getUTCDay()));
    const weekday = (perWeekday.get("2") ?? 0) + (perWeekday.get("3") ?? 0);
    const weekend = (perWeekday.get("0") ?? 0) + (perWeekday.get("6") ?? 0);
    expect(weekday).toBeGreaterThan(4 * weekend);
    const perDay = [
      ...countBy(plans, (plan) =>
        new Date(plan.start.createdAt).toISOString().slice(0, 10),
      ).values(),
    ];
    // No day stands out the way the last hours of the old generator did.
    expect(Math.max(...perDay)).toBeLessThan(
      2 *
        quantile(
          [...perDay].sort((a, b) => a - b),
          0.5,
        ),
    );
  });

  it("should show the most recently active sessions at distinct times", () => {
    const recent = plans
      .map((plan) => recordAt(plan, NOW).lastActivityAt)
      .sort((a, b) => b - a)
      .slice(0, 20);
    expect(new Set(recent).size).toBe(20);
  });

  it("should leave no space without an open session at any moment", () => {
    const ci = plans.filter((plan) => plan.start.clientType === "CI");
    for (const space of new Set(ci.map((plan) => plan.start.tenantId))) {
      const chain = ci.filter((plan) => plan.start.tenantId === space);
      expect(chain.length).toBeGreaterThan(800);
      for (const [i, next] of chain.entries()) {
        const previous = chain[i - 1];
        if (!previous) continue;
        // Each CI session is in use until its successor starts, and lapses only at its
        // absolute deadline, after the successor started.
        expect(previous.activeUntil, space).toBeGreaterThanOrEqual(next.start.createdAt);
        expect(previous.start.absoluteExpiresAt, space).toBeGreaterThan(next.start.createdAt);
      }
    }
  });
});
