import type Database from "better-sqlite3";
import { expect } from "vitest";

export interface ExecutedStatement {
  sql: string;
  parameters: unknown[];
}

/**
 * Wraps a better-sqlite3 connection so every statement the store runs is recorded with its
 * parameters: tests can then ask SQLite how it planned exactly what the store executed.
 */
export function recordingDatabase(database: Database.Database): {
  database: Database.Database;
  executed: ExecutedStatement[];
} {
  const executed: ExecutedStatement[] = [];
  const wrapStatement = (statement: Database.Statement, sql: string) =>
    new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        if (key === "all" || key === "run" || key === "get" || key === "iterate") {
          return (...parameters: unknown[]) => {
            executed.push({ sql, parameters: parameters.flat() });
            return value.apply(target, parameters);
          };
        }
        return value.bind(target);
      },
    });
  const proxy = new Proxy(database, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (key === "prepare") {
        return (sql: string) => wrapStatement(target.prepare(sql), sql);
      }
      return value.bind(target);
    },
  });
  return { database: proxy, executed };
}

export interface PlannedStatement {
  sql: string;
  plan: string[];
}

/**
 * SQLite's plan for each statement (transaction control left out), as `EXPLAIN QUERY PLAN`
 * reports it with the statement's own parameters. `SHOW_PLANS=1` prints them.
 */
export function plansOf(
  database: Database.Database,
  statements: readonly ExecutedStatement[],
): PlannedStatement[] {
  return statements
    .filter(({ sql }) => !/^(BEGIN|COMMIT|ROLLBACK)/.test(sql))
    .map(({ sql, parameters }) => {
      const plan = (
        database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(parameters) as { detail: string }[]
      ).map((row) => row.detail);
      if (process.env.SHOW_PLANS) console.info(`${sql}\n  ${plan.join("\n  ")}`);
      return { sql, plan };
    });
}

/** Every access to `table` in every plan is a SEARCH, and the plans name `index`. */
export function expectIndexed(plans: readonly PlannedStatement[], table: string, index: string) {
  expect(plans.length).toBeGreaterThan(0);
  for (const { sql, plan } of plans) {
    const onTable = plan.filter(
      (line) => line.includes(` ${table} `) || line.endsWith(` ${table}`),
    );
    const context = `${sql}\n${plan.join("\n")}`;
    expect(onTable.length, context).toBeGreaterThan(0);
    for (const line of onTable) expect(line, context).toMatch(/^SEARCH /);
    expect(plan.join("\n"), context).toContain(index);
  }
}
