/**
 * The query plans of what the library actually runs: a connection that records every
 * statement the store executes, with its parameters, then `EXPLAIN QUERY PLAN` of each.
 */
import { BENCH_TENANT, NOW } from "./dataset.mjs";
import { FILTER_TEXT, PAGE, SORT_TEXT } from "./workload.mjs";

/** A better-sqlite3 connection that records each statement run on it. */
function recording(database) {
  const executed = [];
  const wrap = (statement, sql) =>
    new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        if (key === "all" || key === "get" || key === "run" || key === "iterate") {
          return (...parameters) => {
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
      if (key === "prepare") return (sql) => wrap(target.prepare(sql), sql);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { proxy, executed };
}

/**
 * The read operations whose plans the bench reports, on a ledger over `store`: the list, a page
 * behind its cursor, the count and the two groups of the SQL tables.
 */
export async function planOperations(lib, store) {
  const ledger = lib.createSessionLedger({
    store,
    clock: () => NOW,
    cursorSecret: "plans-cursor-secret-0123456789abcdef",
  });
  const filter = lib.parseQuery(FILTER_TEXT);
  const sort = lib.parseOrderBy(SORT_TEXT);
  const tenant = BENCH_TENANT;
  const first = await ledger.list(tenant, { filter, sort, limit: PAGE });
  return {
    list: () => ledger.list(tenant, { filter, sort, limit: PAGE }),
    "list after a cursor": () =>
      ledger.list(tenant, { filter, sort, limit: PAGE, cursor: first.nextCursor }),
    count: () => ledger.count(tenant, filter),
    "group by license_edition": () => ledger.group(tenant, { field: "license_edition", filter }),
    "group by user": () => ledger.group(tenant, { field: "user", filter }),
  };
}

/** Runs each read operation once through a recording store and explains what it ran. */
export async function queryPlans(lib, path) {
  const database = new lib.Database(path);
  try {
    const { proxy, executed } = recording(database);
    // Reads on this connection, so the recording sees them (a worker runs the same SQL).
    const store = lib.createSqliteStore({ database: proxy, readers: 0 });
    const operations = await planOperations(lib, store);
    const plans = {};
    for (const [name, run] of Object.entries(operations)) {
      executed.length = 0;
      await run();
      plans[name] = executed.map(({ sql, parameters }) => ({
        sql,
        plan: explain(database, sql, parameters),
      }));
    }
    return plans;
  } finally {
    database.close();
  }
}

/** EXPLAIN QUERY PLAN as an indented tree. */
function explain(database, sql, parameters) {
  const rows = database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(parameters);
  const depth = new Map([[0, -1]]);
  return rows.map((row) => {
    const level = (depth.get(row.parent) ?? -1) + 1;
    depth.set(row.id, level);
    return `${"  ".repeat(level)}${row.detail}`;
  });
}

export function formatPlans(plans) {
  const lines = [];
  for (const [name, statements] of Object.entries(plans)) {
    lines.push(`${name}:`);
    for (const { sql, plan } of statements) {
      lines.push(`  ${sql.replace(/\s+/g, " ").trim()}`);
      for (const step of plan) lines.push(`    ${step}`);
    }
  }
  return lines.join("\n");
}
