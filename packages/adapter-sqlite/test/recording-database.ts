import type Database from "better-sqlite3";

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
