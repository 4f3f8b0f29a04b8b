import { checkFilter, checkTimeBuckets } from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore, type SqliteSessionStore } from "../src/index.js";
import { temporaryDirectory } from "./fixture.js";
import {
  type ExecutedStatement,
  expectIndexed as expectIndexedOn,
  type PlannedStatement,
  plansOf as planStatements,
  recordingDatabase,
} from "./recording-database.js";

const T0 = Date.UTC(2026, 0, 1);
const TABLE = "session_ledger_sessions";

function session(i: number): SessionRecord {
  const createdAt = T0 + i * 1000;
  return {
    id: `s${String(i).padStart(6, "0")}`,
    tenantId: `tenant-${i % 20}`,
    sessionIdentifier: `corr-${i}`,
    user: { id: `u${i % 300}`, login: `user${i % 300}`, fullName: null, email: null },
    clientType: i % 3 ? "UI" : "Integration",
    accessType: "UI",
    clientIp: `10.0.${i % 256}.${(i * 7) % 256}`,
    serverIp: null,
    userAgent: null,
    clientInfo: { browser: "Firefox", os: null, device: null },
    city: null,
    country: ["PT", "US", "DE"][i % 3]!,
    licenseEdition: null,
    status: i % 4 ? "ACTIVE" : "REVOKED",
    endReason: i % 4 ? null : "REVOKED",
    createdAt,
    lastActivityAt: createdAt,
    expiresAt: createdAt + 1_800_000,
    absoluteExpiresAt: createdAt + 36_000_000,
    endedAt: i % 4 ? null : createdAt + 60_000,
    attributes: null,
    secretHash: "0".repeat(64),
  };
}

describe("query plans: the main query shapes read through an index", () => {
  const temp = temporaryDirectory();
  let raw: Database.Database;
  let store: SqliteSessionStore;
  let executed: ExecutedStatement[];

  beforeAll(async () => {
    raw = new Database(`${temp.dir}/plans.db`);
    const recording = recordingDatabase(raw);
    executed = recording.executed;
    // Reads on the host's connection, so the recording sees them; a worker runs the same SQL.
    store = createSqliteStore({ database: recording.database, readers: 0 });
    await store.migrate();
    for (let i = 0; i < 4000; i++) await store.insertSession(session(i));
  });
  afterAll(() => {
    raw.close();
    temp.remove();
  });

  /** Runs `work` and returns SQLite's plan for each statement it executed. */
  async function plansOf(work: () => Promise<unknown>): Promise<PlannedStatement[]> {
    const from = executed.length;
    await work();
    return planStatements(raw, executed.slice(from));
  }

  const expectIndexed = (plans: PlannedStatement[], index: string) =>
    expectIndexedOn(plans, TABLE, index);

  const now = T0 + 2_000_000;

  it("list by tenant, newest first, reads the creation index without sorting", async () => {
    const plans = await plansOf(() =>
      store.listSessions("tenant-3", {
        filter: null,
        sort: [{ field: "creation_time", direction: "desc" }],
        now,
        limit: 100,
      }),
    );
    expectIndexed(plans, "session_ledger_sessions_tenant_created");
    expect(plans[0]!.plan.join("\n")).not.toContain("TEMP B-TREE");
  });

  it("the next keyset page of that list seeks into the creation index", async () => {
    const plans = await plansOf(() =>
      store.listSessions("tenant-3", {
        filter: null,
        sort: [{ field: "creation_time", direction: "desc" }],
        now,
        limit: 100,
        after: { values: [T0 + 2_000_000], id: "s002000" },
      }),
    );
    expectIndexed(plans, "session_ledger_sessions_tenant_created");
    expect(plans[0]!.plan.join("\n")).toMatch(/created_at<\?|created_at>\?/);
  });

  it("a creation-time range in the filter uses the creation index", async () => {
    const filter = checkFilter({
      kind: "between",
      field: "creation_time",
      low: { kind: "time", value: T0 },
      high: { kind: "time", value: T0 + 30 * 86_400_000 },
    });
    const plans = await plansOf(() =>
      store.listSessions("tenant-3", {
        filter,
        sort: [{ field: "creation_time", direction: "desc" }],
        now,
        limit: 100,
      }),
    );
    expectIndexed(plans, "session_ledger_sessions_tenant_created");
  });

  it("count of a tenant searches by tenant", async () => {
    const plans = await plansOf(() => store.countSessions("tenant-3", null, now));
    expectIndexed(plans, "(tenant_id=?)");
  });

  it("group by a field searches by tenant", async () => {
    const plans = await plansOf(() =>
      store.groupSessions("tenant-3", { filter: null, field: "country", now, limit: 10 }),
    );
    expectIndexed(plans, "(tenant_id=?)");
  });

  it("counts per creation-time bucket seek the creation range in the creation index", async () => {
    const from = T0;
    const to = T0 + 2 * 3_600_000;
    const buckets = checkTimeBuckets({ interval: "hour", timeZone: "Europe/Berlin", from, to });
    // The range as the ledger adds it to the filter.
    const filter = checkFilter({
      kind: "and",
      items: [
        { kind: "compare", field: "creation_time", op: "GE", value: { kind: "time", value: from } },
        { kind: "compare", field: "creation_time", op: "LT", value: { kind: "time", value: to } },
      ],
    });
    const plans = await plansOf(() =>
      store.groupSessionsByTime("tenant-3", { filter, buckets, now }),
    );
    expectIndexed(plans, "session_ledger_sessions_tenant_created");
    expect(plans[0]!.plan.join("\n")).toMatch(
      /created_at>\?.*created_at<\?|created_at<\?.*created_at>\?/,
    );
  });

  it("a user's sessions (filter, terminate by user, the cap) use the tenant+user index", async () => {
    const byUser = checkFilter({
      kind: "user",
      filter: { kind: "compare", field: "user.id", op: "EQ", value: { kind: "text", value: "u7" } },
    });
    const index = "session_ledger_sessions_tenant_user";
    expectIndexed(
      await plansOf(() =>
        store.listSessions("tenant-7", {
          filter: byUser,
          sort: [{ field: "creation_time", direction: "desc" }],
          now,
          limit: 10,
        }),
      ),
      index,
    );
    expectIndexed(
      await plansOf(() =>
        store.endSessions(
          "tenant-7",
          { userId: "u7" },
          { status: "REVOKED", endReason: "REVOKED", endedAt: now, now },
        ),
      ),
      index,
    );
    const capped = await plansOf(() =>
      store.insertSession(
        { ...session(900_001), tenantId: "tenant-9", user: { ...session(9).user, id: "u9" } },
        { maxOpen: 2, policy: "evict-oldest", now },
      ),
    );
    const reads = capped.filter(({ sql }) => !/^insert/i.test(sql));
    expectIndexed(reads, index);
  });

  it("the sweep walks the open-deadline index", async () => {
    const plans = await plansOf(() => store.expireDue(now, 1000));
    const sweep = plans[0]!;
    expect(sweep.plan.join("\n")).toContain("session_ledger_sessions_open_deadline");
    expect(sweep.plan.filter((line) => line.startsWith(`SCAN ${TABLE}`))).toEqual([]);
  });

  it("the session identifier lookup uses its unique index", async () => {
    const plans = await plansOf(() => store.findSessionByIdentifier("tenant-3", "corr-3"));
    expectIndexed(plans, "session_ledger_sessions_identifier");
  });

  it("lookups and bulk terminations by id use the primary key", async () => {
    expectIndexed(
      await plansOf(() => store.findSession("tenant-3", "s000003")),
      "sqlite_autoindex_session_ledger_sessions_1",
    );
    const plans = await plansOf(() =>
      store.endSessions(
        "tenant-3",
        { ids: ["s000003", "s000023", "missing"] },
        { status: "REVOKED", endReason: "REVOKED", endedAt: now, now },
      ),
    );
    expectIndexed(plans, "sqlite_autoindex_session_ledger_sessions_1");
  });

  it("the validate path (find, touch) searches by primary key", async () => {
    const plans = await plansOf(async () => {
      await store.findSession("tenant-3", "s000007");
      await store.updateOpenSession("tenant-3", "s000007", now, { lastActivityAt: now });
    });
    expect(plans).toHaveLength(2);
    expectIndexed(plans, "sqlite_autoindex_session_ledger_sessions_1");
  });

  it("retention purge reads the ended and open-deadline indexes", async () => {
    const plans = await plansOf(() => store.purgeEnded(T0 + 10_000));
    const plan = plans[0]!.plan.join("\n");
    expect(plan).toContain("session_ledger_sessions_ended");
    expect(plan).toContain("session_ledger_sessions_open_deadline");
  });
});
