import type { PostgresPool, PostgresPoolClient } from "kysely";
import type pg from "pg";
import { expect } from "vitest";

/** What `pg`'s `query(config)` takes. */
type QueryConfig = pg.QueryConfig & { values?: readonly unknown[] };

export interface ExecutedStatement {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Wraps a `pg` pool so every statement the store runs is recorded with its parameters: tests
 * can then ask PostgreSQL how it planned exactly what the store executed.
 */
export function recordingPool(pool: pg.Pool): {
  pool: PostgresPool;
  executed: ExecutedStatement[];
} {
  const executed: ExecutedStatement[] = [];
  return {
    executed,
    pool: {
      async connect() {
        const client = await pool.connect();
        const recording: PostgresPoolClient = {
          // The store sends `query({ text, values, query_timeout })`; kysely's own calls (the
          // migrations) send `query(sql, parameters)`.
          query: ((statement: string | QueryConfig, parameters?: readonly unknown[]) => {
            const config = typeof statement === "string" ? null : statement;
            executed.push({
              sql: config ? config.text : (statement as string),
              parameters: config ? (config.values ?? []) : (parameters ?? []),
            });
            return config
              ? client.query(config)
              : client.query(statement as string, parameters as unknown[]);
          }) as unknown as PostgresPoolClient["query"],
          release: () => client.release(),
        };
        return recording;
      },
      end: () => pool.end(),
    },
  };
}

/** A node of PostgreSQL's JSON plan. */
interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

export interface PlannedStatement {
  sql: string;
  /** Every node of the plan, depth first. */
  nodes: PlanNode[];
  /** The plan as EXPLAIN prints it, for failure messages and `SHOW_PLANS=1`. */
  text: string;
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

/**
 * PostgreSQL's plan for each statement (transaction control, cursor fetches and locks left out),
 * from `EXPLAIN` with the statement's own parameters. A cursor is explained as declared: the
 * planner favours plans that start fast for it (`cursor_tuple_fraction`).
 */
export async function plansOf(
  pool: pg.Pool,
  statements: readonly ExecutedStatement[],
): Promise<PlannedStatement[]> {
  const planned: PlannedStatement[] = [];
  for (const { sql, parameters } of statements) {
    if (/^(BEGIN|COMMIT|ROLLBACK|FETCH|CLOSE)\b/.test(sql)) continue;
    if (/pg_advisory_xact_lock/.test(sql)) continue;
    const query = sql;
    const json = await pool.query(`EXPLAIN (FORMAT JSON) ${query}`, parameters as unknown[]);
    const text = await pool.query(`EXPLAIN ${query}`, parameters as unknown[]);
    const plan = (json.rows[0] as { "QUERY PLAN": [{ Plan: PlanNode }] })["QUERY PLAN"][0].Plan;
    const printed = text.rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
    if (process.env.SHOW_PLANS) console.info(`${sql}\n${printed}\n`);
    planned.push({ sql, nodes: flatten(plan), text: printed });
  }
  return planned;
}

const SCANS = /Scan$/;

/**
 * Every plan reads `table`, only ever through an index (no sequential scan of it), and one of
 * its index scans uses `index`.
 */
export function expectIndexed(
  plans: readonly PlannedStatement[],
  table: string,
  index: string | RegExp,
) {
  expect(plans.length).toBeGreaterThan(0);
  for (const { sql, nodes, text } of plans) {
    const context = `${sql}\n${text}`;
    const scans = nodes.filter(
      (node) => SCANS.test(node["Node Type"]) && node["Relation Name"] === table,
    );
    const indexScans = nodes.filter((node) => node["Index Name"] !== undefined);
    expect(scans.length + indexScans.length, context).toBeGreaterThan(0);
    for (const scan of scans) expect(scan["Node Type"], context).not.toBe("Seq Scan");
    const names = indexScans.map((node) => node["Index Name"] as string);
    expect(
      names.some((name) => (typeof index === "string" ? name === index : index.test(name))),
      `${context}\nexpected an index scan on ${index}`,
    ).toBe(true);
  }
}

/** The plan orders nothing itself: rows come in order from the index. */
export function expectNoSort(plan: PlannedStatement) {
  expect(
    plan.nodes.map((node) => node["Node Type"]),
    `${plan.sql}\n${plan.text}`,
  ).not.toContain("Sort");
}
