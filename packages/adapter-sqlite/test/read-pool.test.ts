import type { Worker } from "node:worker_threads";
import { StorageError } from "@session-ledger/core";
import Database from "better-sqlite3";
import { CompiledQuery } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { createReadPool } from "../src/read-pool.js";
import { temporaryDirectory } from "./fixture.js";

const temp = temporaryDirectory();
const file = `${temp.dir}/pool.db`;
const setup = new Database(file);
setup.pragma("journal_mode = WAL");
setup.prepare("CREATE TABLE t (x INTEGER)").run();
setup.prepare("INSERT INTO t VALUES (1), (2), (3)").run();
afterAll(() => {
  setup.close();
  temp.remove();
});

/** A read that keeps SQLite busy for a while: counting up to `n` in a recursive CTE. */
const slowCount = (n: number) =>
  CompiledQuery.raw(
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) AS n FROM c",
    [n],
  );
const sum = CompiledQuery.raw("SELECT sum(x) AS s FROM t");

function pool(size = 1) {
  const workers: Worker[] = [];
  const reader = createReadPool({
    filename: file,
    size,
    busyTimeoutMs: 1000,
    mmapSize: 0,
    onWorker: (worker) => void workers.push(worker),
  });
  return { reader, workers };
}

describe("the read pool", () => {
  it("runs a long read on a worker while the host's event loop keeps turning", async () => {
    const { reader } = pool();
    let turns = 0;
    const ticking = setInterval(() => turns++, 5);
    const [row] = await reader.all<{ n: number }>(slowCount(3_000_000));
    clearInterval(ticking);
    expect(row).toEqual({ n: 3_000_000 });
    // Had the query run on this thread, no timer could have fired before it returned.
    expect(turns).toBeGreaterThanOrEqual(3);
    await reader.close();
  });

  it("sees what the host's connection committed before the read", async () => {
    const { reader } = pool();
    expect(await reader.all(sum)).toEqual([{ s: 6 }]);
    setup.prepare("INSERT INTO t VALUES (10)").run();
    expect(await reader.all(sum)).toEqual([{ s: 16 }]);
    setup.prepare("DELETE FROM t WHERE x = 10").run();
    await reader.close();
  });

  it("fails the call of a worker that dies mid-query with a StorageError and serves the next", async () => {
    const { reader, workers } = pool();
    // terminate() takes effect when the statement returns to JavaScript (SQLite cannot be
    // interrupted from outside), so the query is one of about half a second.
    const running = reader.all(slowCount(3_000_000));
    const queued = reader.all(sum);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(workers).toHaveLength(1);
    await workers[0]!.terminate();
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/read worker stopped/);
    // The call waiting behind it runs on a replacement worker.
    expect(await queued).toEqual([{ s: 6 }]);
    expect(await reader.all(sum)).toEqual([{ s: 6 }]);
    expect(workers).toHaveLength(2);
    await reader.close();
  });

  it("reports a failing statement as the driver's error and keeps the worker", async () => {
    const { reader, workers } = pool();
    const error = await reader
      .all(CompiledQuery.raw("SELECT * FROM missing_table"))
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no such table/);
    expect((error as { code?: string }).code).toBe("SQLITE_ERROR");
    expect(await reader.all(sum)).toEqual([{ s: 6 }]);
    expect(workers).toHaveLength(1);
    await reader.close();
  });

  it("refuses writes: the workers' connections are read-only", async () => {
    const { reader } = pool();
    const error = await reader
      .all(CompiledQuery.raw("DELETE FROM t RETURNING x"))
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("SQLITE_READONLY");
    expect(await reader.all(sum)).toEqual([{ s: 6 }]);
    await reader.close();
  });

  it("runs up to `size` reads at once and queues the rest in order", async () => {
    const { reader, workers } = pool(2);
    const results = await Promise.all([
      reader.all(slowCount(200_000)),
      reader.all(slowCount(200_001)),
      reader.all(slowCount(200_002)),
      reader.all(sum),
    ]);
    expect(results).toEqual([[{ n: 200_000 }], [{ n: 200_001 }], [{ n: 200_002 }], [{ s: 6 }]]);
    expect(workers).toHaveLength(2);
    await reader.close();
  });

  it("on close, ends its workers and fails running, queued and later calls", async () => {
    const { reader, workers } = pool();
    const running = reader.all(slowCount(3_000_000)).catch((e: unknown) => e);
    const queued = reader.all(sum).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exited = new Promise((resolve) => workers[0]!.once("exit", resolve));
    await reader.close();
    await exited;
    for (const error of [await running, await queued]) {
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).message).toMatch(/closed/);
    }
    await expect(reader.all(sum)).rejects.toBeInstanceOf(StorageError);
  });
});
