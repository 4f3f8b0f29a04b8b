/**
 * What a host sees when SQLite's file system or another process fails it: a full disk (the
 * database on a small tmpfs this file mounts), the write lock held by another process past
 * `busy_timeout`, and a process killed with SIGKILL during a sweep and during a purge.
 */
import { execFileSync, fork, spawn } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSessionLedger, type SessionLedger, StorageError } from "@session-ledger/core";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore, type SqliteSessionStore } from "../src/index.js";
import { HOST_LOCK_WAIT_MS } from "../src/sql-runner.js";
import { bundleScript } from "./bundle-script.js";
import { temporaryDirectory } from "./fixture.js";

const here = dirname(fileURLToPath(import.meta.url));
const TENANT = "t";
const user = (id: string) => ({ id, login: id });

/** `StorageError`, whatever else it is: the failure a host must be able to rely on. */
async function storageFailure(work: Promise<unknown>): Promise<StorageError> {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

const integrity = (file: string) => {
  const check = new Database(file, { readonly: true });
  try {
    return check.pragma("integrity_check", { simple: true });
  } finally {
    check.close();
  }
};

/** Mounts a tmpfs of `size` on a fresh directory; null (and why) when mounting is refused. */
function smallDisk(size: string): { dir: string; unmount(): void } | { refused: string } {
  const dir = mkdtempSync(join(tmpdir(), "session-ledger-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { refused: String((error as { stderr?: Buffer }).stderr ?? error).trim() };
  }
  return {
    dir,
    unmount() {
      execFileSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes to `file` until the file system has no room left; returns the bytes written. */
function fillDisk(file: string): number {
  const fd = openSync(file, "w");
  let written = 0;
  try {
    for (const chunk of [1 << 16, 4096, 512]) {
      const bytes = Buffer.alloc(chunk, 1);
      for (;;) {
        try {
          written += writeSync(fd, bytes);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

// Whether this machine lets the test mount a tmpfs, decided when the file is collected; the
// disk itself is mounted by the suite and unmounted after it.
const probe = smallDisk("1m");
if ("refused" in probe) {
  console.warn(
    `sqlite full-disk test SKIPPED: mounting a tmpfs was refused (${probe.refused}); it needs root or CAP_SYS_ADMIN`,
  );
} else {
  probe.unmount();
}

describe.skipIf("refused" in probe)("a full disk (the database on an 8 MB tmpfs)", () => {
  let mounted: { dir: string; unmount(): void };
  let file: string;
  let filler: string;
  let database: Database.Database;
  let store: SqliteSessionStore;
  let ledger: SessionLedger;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const disk = smallDisk("8m");
    if ("refused" in disk) throw new Error(`mounting the tmpfs failed: ${disk.refused}`);
    mounted = disk;
    file = join(mounted.dir, "sessions.db");
    filler = join(mounted.dir, "filler");
    database = new Database(file);
    store = createSqliteStore({ database });
    await store.migrate();
    ledger = createSessionLedger({ store });
    await ledger.setPolicy(TENANT, { touchResolutionMs: 3_600_000 });
    for (let i = 0; i < 200; i++) {
      const { session, token } = await ledger.create({
        tenantId: TENANT,
        user: user(`u${i % 20}`),
      });
      tokens.set(session.id, token);
    }
  });
  afterAll(async () => {
    await store?.close();
    database?.close();
    mounted?.unmount();
  });

  let firstFailure: StorageError;
  let failedCreates = 0;

  it("writes fail with StorageError naming the cause", async () => {
    fillDisk(filler);
    // The write-ahead log may still have room the checkpoints freed: write until it is used up.
    for (let i = 0; i < 20_000 && failedCreates === 0; i++) {
      try {
        const { session, token } = await ledger.create({
          tenantId: TENANT,
          user: user(`v${i % 20}`),
          sessionIdentifier: `full-${i}`,
        });
        tokens.set(session.id, token);
      } catch (error) {
        expect(error).toBeInstanceOf(StorageError);
        firstFailure = error as StorageError;
        failedCreates++;
      }
    }
    expect(failedCreates).toBe(1);
    expect(firstFailure.message).toMatch(/database or disk is full/);
    expect(firstFailure.message).toMatch(/^sqlite store: /);
    // Every kind of write fails the same way while the disk is full.
    for (let i = 0; i < 5; i++) {
      const error = await storageFailure(
        ledger.create({ tenantId: TENANT, user: user("w"), sessionIdentifier: `still-full-${i}` }),
      );
      expect(error.message).toMatch(/database or disk is full/);
    }
  });

  it("reads and validates keep answering, and nothing is half-written", async () => {
    expect(await ledger.count(TENANT, null)).toBe(tokens.size);
    const page = await ledger.list(TENANT, { limit: 50 });
    expect(page.items).toHaveLength(50);
    for (const [id, token] of [...tokens].slice(0, 50)) {
      expect((await ledger.validate(TENANT, token))?.id).toBe(id);
    }
    // A bulk end either ends all of a user's sessions or none of them.
    const before = await ledger.count(TENANT, null);
    const terminated = await ledger.terminateUserSessions(TENANT, "u3").then(
      () => "ended",
      (error: unknown) => (error instanceof StorageError ? "failed" : error),
    );
    const open = await ledger.count(TENANT, {
      kind: "and",
      items: [
        { kind: "compare", field: "status", op: "EQ", value: { kind: "text", value: "ACTIVE" } },
        {
          kind: "user",
          filter: {
            kind: "compare",
            field: "user.id",
            op: "EQ",
            value: { kind: "text", value: "u3" },
          },
        },
      ],
    });
    expect(open).toBe(terminated === "ended" ? 0 : 10);
    expect(await ledger.count(TENANT, null)).toBe(before);
    // No row of a create that failed.
    for (let i = 0; i < 5; i++) {
      expect(await ledger.getByIdentifier(TENANT, `still-full-${i}`)).toBeNull();
    }
    expect(integrity(file)).toBe("ok");
  });

  it("writes succeed again once space is freed", async () => {
    unlinkSync(filler);
    const { session, token } = await ledger.create({
      tenantId: TENANT,
      user: user("after"),
      sessionIdentifier: "after-full",
    });
    tokens.set(session.id, token);
    expect((await ledger.getByIdentifier(TENANT, "after-full"))?.id).toBe(session.id);
    await ledger.terminateUserSessions(TENANT, "u4");
    expect((await ledger.count(TENANT, null)) - tokens.size).toBe(0);
    expect(integrity(file)).toBe("ok");
  });

  it("keeps its checkpoint thread through the full disk, and closes", async () => {
    // Had the thread ended, the host's connection would checkpoint again (1000 pages).
    expect(database.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    await store.close();
  });
});

describe("another process holding the write lock past busy_timeout", () => {
  const BUSY_TIMEOUT_MS = 1000;
  const temp = temporaryDirectory();
  const file = join(temp.dir, "locked.db");
  let database: Database.Database;
  let store: SqliteSessionStore;
  let ledger: SessionLedger;

  beforeAll(async () => {
    database = new Database(file);
    store = createSqliteStore({ database, busyTimeoutMs: BUSY_TIMEOUT_MS });
    await store.migrate();
    ledger = createSessionLedger({ store });
    await ledger.create({ tenantId: TENANT, user: user("before"), sessionIdentifier: "before" });
  });
  afterAll(async () => {
    await store?.close();
    database?.close();
    temp.remove();
  });

  /** A process that takes the write lock (BEGIN IMMEDIATE) and holds it until told. */
  async function lockHolder() {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require(${JSON.stringify(driver)}))(${JSON.stringify(file)});
         db.exec("BEGIN IMMEDIATE");
         process.stdout.write("locked\\n");
         process.stdin.once("data", () => { db.exec("COMMIT"); db.close(); process.exit(0); });`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`the lock holder exited with ${code}`)));
    });
    return {
      release: () =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.stdin.write("go\n");
        }),
    };
  }

  it("a write fails with StorageError while the host thread keeps running, and succeeds once the lock is let go", async () => {
    const holder = await lockHolder();
    let ticks = 0;
    let longestStall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      ticks++;
      longestStall = Math.max(longestStall, performance.now() - last);
      last = performance.now();
    }, 5);
    let error: StorageError;
    const started = performance.now();
    try {
      error = await storageFailure(
        ledger.create({ tenantId: TENANT, user: user("w"), sessionIdentifier: "locked-out" }),
      );
    } finally {
      clearInterval(ticker);
    }
    const waited = performance.now() - started;
    expect(error.message).toMatch(/database is locked/);
    // The call waited out busyTimeoutMs before failing, but never inside one statement: the
    // host's connection waits at most HOST_LOCK_WAIT_MS there, and the store's retries, with
    // the host's thread running between them, make up the rest.
    expect(waited).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS);
    expect(database.pragma("busy_timeout", { simple: true })).toBe(HOST_LOCK_WAIT_MS);
    expect(ticks).toBeGreaterThan(0);
    console.info(
      `locked write: ${ticks} ticks of the host's timer, longest stall ${longestStall.toFixed(0)} ms`,
    );
    // Reads are not blocked by the writer's lock (WAL).
    expect((await ledger.getByIdentifier(TENANT, "before"))?.user.id).toBe("before");
    expect(await ledger.getByIdentifier(TENANT, "locked-out")).toBeNull();
    await holder.release();
    await ledger.create({ tenantId: TENANT, user: user("w"), sessionIdentifier: "locked-out" });
    expect((await ledger.getByIdentifier(TENANT, "locked-out"))?.user.id).toBe("w");
  });
});

describe("a process killed with SIGKILL during a sweep or a purge", () => {
  const temp = temporaryDirectory();
  const base = join(temp.dir, "base.db");
  const NOW = Date.now();
  const LAPSED = 60_000;
  const OPEN = 20_000;
  const ENDED = 60_000;
  const ENDED_BEFORE = NOW - 3_600_000;
  let script: string;

  beforeAll(async () => {
    script = await bundleScript(
      join(here, "maintenance-crash-child.ts"),
      "maintenance-crash-child",
    );
    const database = new Database(base);
    const store = createSqliteStore({ database, readers: 0 });
    await store.migrate();
    // Lapsed open sessions (the sweep's work), open ones, and ones ended hours ago (the purge's).
    database
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO session_ledger_sessions (tenant_id, id, user_id, user_login, client_type,
           access_type, status, end_reason, created_at, last_activity_at, expires_at,
           absolute_expires_at, ended_at, secret_hash)
         SELECT ?, printf('s%06d', i), 'u' || (i % 997), 'u', 'UI', 'UI',
           CASE WHEN i <= ? THEN 'REVOKED' ELSE 'ACTIVE' END,
           CASE WHEN i <= ? THEN 'revoked' END,
           ? - 86400000, ? - 86400000,
           CASE WHEN i <= ? + ? THEN ? - 7200000 + i ELSE ? + 3600000 END,
           ? + 86400000,
           CASE WHEN i <= ? THEN ? - 7200000 END, 'h'
         FROM n`,
      )
      .run(
        ENDED + LAPSED + OPEN,
        TENANT,
        ENDED,
        ENDED,
        NOW,
        NOW,
        ENDED,
        LAPSED,
        NOW,
        NOW,
        NOW,
        ENDED,
        NOW,
      );
    await store.close();
    database.pragma("wal_checkpoint(TRUNCATE)");
    database.close();
  }, 120_000);
  afterAll(() => temp.remove());

  let runs = 0;
  /** A copy of the base file, a child sweeping or purging it, killed when `killWhen` says. */
  async function killedDuring(
    mode: "sweep" | "purge",
    killWhen: (message: { batch?: number; started?: string }, file: string) => boolean,
  ) {
    const file = join(temp.dir, `${mode}-${runs++}.db`);
    copyFileSync(base, file);
    const reported: string[] = [];
    const child = fork(script, [file, mode, String(ENDED_BEFORE)], { stdio: "inherit" });
    const outcome = await new Promise<{ killed: boolean; finished: boolean }>((resolve, reject) => {
      let finished = false;
      child.on("message", (message: { batch?: number; ids?: string[]; done?: string }) => {
        if (message.ids) reported.push(...message.ids);
        if (message.done) finished = true;
        if (killWhen(message, file)) child.kill("SIGKILL");
      });
      child.on("error", reject);
      child.on("exit", (_code, signal) => resolve({ killed: signal === "SIGKILL", finished }));
    });
    expect(outcome.killed, "the child should have been killed").toBe(true);
    expect(outcome.finished, "the child should have been killed before it finished").toBe(false);
    return { file, reported };
  }

  /** The file after the crash: consistent, and its rows counted by state. */
  function inspect(file: string) {
    expect(integrity(file)).toBe("ok");
    const database = new Database(file, { readonly: true });
    try {
      const count = (where: string) =>
        (
          database
            .prepare(`SELECT count(*) AS n FROM session_ledger_sessions WHERE ${where}`)
            .get({ now: NOW }) as { n: number }
        ).n;
      return {
        torn: count("(ended_at IS NULL) <> (status = 'ACTIVE')"),
        lapsedOpen: count("ended_at IS NULL AND expires_at <= @now"),
        open: count("ended_at IS NULL AND expires_at > @now"),
        expired: count("status = 'EXPIRED'"),
        ended: count("ended_at IS NOT NULL"),
      };
    } finally {
      database.close();
    }
  }

  /** The next process's ledger on the file. */
  async function nextProcess(file: string, run: (ledger: SessionLedger) => Promise<void>) {
    const database = new Database(file);
    const store = createSqliteStore({ database });
    const expired: string[] = [];
    const ledger = createSessionLedger({
      store,
      hooks: {
        onEvent(event) {
          if (event.type === "expired") expired.push(event.sessionId);
        },
      },
    });
    try {
      await run(ledger);
    } finally {
      await store.close();
      database.close();
    }
    return expired;
  }

  const sweepKills = {
    "right after its first batch": (message: { batch?: number }) => message.batch === 1,
    "right after its third batch": (message: { batch?: number }) => message.batch === 3,
    "as it starts": (message: { started?: string }) => message.started !== undefined,
  };
  for (const [when, killWhen] of Object.entries(sweepKills)) {
    it(`a sweep killed ${when}: the file is consistent and the next sweep finishes the work`, async () => {
      const { file, reported } = await killedDuring("sweep", killWhen);
      const after = inspect(file);
      expect(after.torn).toBe(0);
      expect(after.lapsedOpen, "the kill should have left lapsed sessions unswept").toBeGreaterThan(
        0,
      );
      expect(after.expired + after.lapsedOpen).toBe(LAPSED);
      expect(after.open).toBe(OPEN);
      // Every id the killed sweep reported is stored as expired.
      expect(reported.length).toBeLessThanOrEqual(after.expired);
      const swept = await nextProcess(file, async (ledger) => {
        await ledger.expireDue();
      });
      expect(swept).toHaveLength(after.lapsedOpen);
      expect(swept.filter((id) => reported.includes(id))).toEqual([]);
      const done = inspect(file);
      expect(done).toMatchObject({ torn: 0, lapsedOpen: 0, expired: LAPSED, open: OPEN });
    });
  }

  it("a purge killed after its first slice: the file is consistent and the next purge finishes the work", async () => {
    const total = ENDED + LAPSED + OPEN;
    const { file } = await killedDuring("purge", (_message, file) => {
      // Kill once a slice has committed: poll the file until it holds fewer rows.
      const reader = new Database(file, { readonly: true });
      try {
        for (;;) {
          const { n } = reader
            .prepare("SELECT count(*) AS n FROM session_ledger_sessions")
            .get() as {
            n: number;
          };
          if (n < total) return true;
        }
      } finally {
        reader.close();
      }
    });
    const after = inspect(file);
    expect(after.torn).toBe(0);
    expect(after.open).toBe(OPEN);
    expect(
      after.ended + after.lapsedOpen,
      "the kill should have left rows to purge",
    ).toBeGreaterThan(0);
    await nextProcess(file, async (ledger) => {
      await ledger.purge({ endedBefore: ENDED_BEFORE });
    });
    const done = inspect(file);
    // Ended and lapsed rows older than the cut-off are gone; open ones are untouched.
    expect(done).toMatchObject({ torn: 0, ended: 0, open: OPEN });
  });
});
