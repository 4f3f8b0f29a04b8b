/**
 * The store's main query shapes, as it runs them on a seeded table of 200,000 sessions with
 * planner statistics, read the sessions table only through the index chosen for them: an index
 * regression fails here. `SHOW_PLANS=1` prints the plans.
 */
import { checkFilter, checkTimeBuckets } from "@session-ledger/core";
import type { ListQuery } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresSessionStore } from "../src/index.js";
import { freshSchema, newPool } from "./fixture.js";
import {
  type ExecutedStatement,
  expectIndexed as expectIndexedOn,
  expectNoSort,
  type PlannedStatement,
  plansOf as planStatements,
  recordingPool,
} from "./recording-pool.js";
import { seedSessions } from "./seed.js";

const NOW = Date.UTC(2026, 2, 1, 12);
const TABLE = "session_ledger_sessions";
const index = (name: string) => `session_ledger_${name}`;

describe("query plans: the main query shapes read through an index", () => {
  const schema = freshSchema("plans");
  let admin: pg.Pool;
  let store: PostgresSessionStore;
  let executed: ExecutedStatement[];

  beforeAll(async () => {
    admin = newPool();
    const recording = recordingPool(newPool());
    executed = recording.executed;
    store = createPostgresStore({ pool: recording.pool, schema });
    await store.migrate();
    await seedSessions(admin, `"${schema}".${TABLE}`, NOW);
  }, 120_000);

  afterAll(async () => {
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  /** Runs `work` and returns PostgreSQL's plan for each statement it executed. */
  async function plansOf(work: () => Promise<unknown>): Promise<PlannedStatement[]> {
    const from = executed.length;
    await work();
    return planStatements(admin, executed.slice(from));
  }
  const expectIndexed = (plans: PlannedStatement[], name: string) =>
    expectIndexedOn(plans, TABLE, index(name));

  /** A page of a tenant's sessions newest first (the default order). */
  const newestFirst = (tenantId: string, page: Partial<ListQuery> = {}) =>
    store.listSessions(tenantId, {
      filter: null,
      sort: [{ field: "creation_time", direction: "desc" }],
      now: NOW,
      limit: 100,
      ...page,
    });
  const createdSince = (ms: number) =>
    checkFilter({
      kind: "compare",
      field: "creation_time",
      op: "GT",
      value: { kind: "time", value: NOW - ms },
    });

  it("list by tenant, newest first, reads the creation index without sorting", async () => {
    const plans = await plansOf(() => newestFirst("1003"));
    expectIndexed(plans, "sessions_tenant_created");
    expectNoSort(plans[0]!);
  });

  it("the next keyset page of that list seeks into the creation index", async () => {
    const plans = await plansOf(() =>
      newestFirst("1003", { after: { values: [NOW - 86_400_000], id: "s0003323" } }),
    );
    expectIndexed(plans, "sessions_tenant_created");
    expectNoSort(plans[0]!);
    const scan = plans[0]!.nodes.find((node) => node["Index Name"] !== undefined);
    expect(scan?.["Index Cond"], plans[0]!.text).toMatch(/created_at <=/);
  });

  it("a creation-time range in the filter uses the creation index", async () => {
    const filter = checkFilter({
      kind: "between",
      field: "creation_time",
      low: { kind: "time", value: NOW - 7 * 86_400_000 },
      high: { kind: "time", value: NOW },
    });
    const plans = await plansOf(() => newestFirst("1003", { filter }));
    expectIndexed(plans, "sessions_tenant_created");
    expectNoSort(plans[0]!);
  });

  it("count of a tenant's creation range reads the creation index", async () => {
    expectIndexed(
      await plansOf(() => store.countSessions("1003", createdSince(30 * 86_400_000), NOW)),
      "sessions_tenant_created",
    );
  });

  /** Any index whose first column is the tenant (the primary key is one). */
  const byTenant = /^session_ledger_sessions_(tenant_|pkey)/;

  it("count of a whole tenant reads an index by tenant", async () => {
    const plans = await plansOf(() => store.countSessions("1003", null, NOW));
    expectIndexedOn(plans, TABLE, byTenant);
    const scan = plans[0]!.nodes.find((node) => node["Index Name"] !== undefined);
    expect(scan?.["Index Cond"], plans[0]!.text).toMatch(/tenant_id =/);
  });

  it("group by a field reads the tenant's rows through an index", async () => {
    const filter = createdSince(30 * 86_400_000);
    expectIndexed(
      await plansOf(() =>
        store.groupSessions("1003", { filter, field: "country", now: NOW, limit: 10 }),
      ),
      "sessions_tenant_created",
    );
    const byUser = await plansOf(() =>
      store.groupSessions("1003", { filter: null, field: "user", now: NOW, limit: 10 }),
    );
    expectIndexedOn(byUser, TABLE, byTenant);
  });

  it("counts per creation-time bucket read the tenant's creation range through its index", async () => {
    const from = NOW - 30 * 86_400_000;
    const buckets = checkTimeBuckets({
      interval: "hour",
      timeZone: "Europe/Berlin",
      from,
      to: NOW,
    });
    expectIndexed(
      await plansOf(() =>
        store.groupSessionsByTime("1003", {
          filter: createdSince(30 * 86_400_000),
          buckets,
          now: NOW,
        }),
      ),
      "sessions_tenant_created",
    );
  });

  // u27 is an ordinary user of tenant 1007 (100 sessions); for its busy user u7 the planner
  // rightly reads the tenant's 500 open sessions instead of u7's 5,000.
  it("a user's sessions (filter, terminate by user, the cap) use the tenant+user index", async () => {
    const byUser = checkFilter({
      kind: "user",
      filter: {
        kind: "compare",
        field: "user.id",
        op: "EQ",
        value: { kind: "text", value: "u27" },
      },
    });
    expectIndexed(
      await plansOf(() => newestFirst("1007", { filter: byUser, limit: 10 })),
      "sessions_tenant_user",
    );
    expectIndexed(
      await plansOf(() =>
        store.endSessions(
          "1007",
          { userId: "u27" },
          { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW },
        ),
      ),
      "sessions_tenant_user",
    );
    const capped = await plansOf(() =>
      store.insertSession(
        sessionRecord({
          id: "capped-1",
          tenantId: "1009",
          user: { id: "u9", login: "user9", fullName: null, email: null },
          createdAt: NOW,
          lastActivityAt: NOW,
          expiresAt: NOW + 1_800_000,
          absoluteExpiresAt: NOW + 36_000_000,
        }),
        { maxOpen: 2, policy: "evict-oldest", now: NOW },
      ),
    );
    expectIndexed(
      capped.filter(({ sql }) => !/^insert/i.test(sql)),
      "sessions_tenant_user",
    );
  });

  it("the sweep walks the open-deadline index, oldest deadline first", async () => {
    const plans = await plansOf(() => store.expireDue(NOW, 1000));
    expect(plans).toHaveLength(1);
    const names = plans[0]!.nodes.map((node) => node["Index Name"]);
    expect(names, plans[0]!.text).toContain(index("sessions_open_deadline"));
    expect(plans[0]!.nodes.map((node) => node["Node Type"])).toContain("LockRows");
    for (const node of plans[0]!.nodes) expect(node["Node Type"]).not.toBe("Seq Scan");
  });

  it("the session identifier lookup uses its unique index", async () => {
    expectIndexed(
      await plansOf(() => store.findSessionByIdentifier("1003", "corr-3")),
      "sessions_identifier",
    );
  });

  it("lookups, the touch and ends by id use the primary key", async () => {
    const plans = await plansOf(async () => {
      await store.findSession("1003", "s0000003");
      await store.updateOpenSession("1003", "s0000003", NOW, { lastActivityAt: NOW });
      await store.endSessions(
        "1003",
        { ids: ["s0000003", "s0000023", "missing"] },
        { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW },
      );
    });
    expect(plans.length).toBeGreaterThanOrEqual(3);
    expectIndexed(plans, "sessions_pkey");
  });

  it("retention purge reads the ended and open-deadline indexes", async () => {
    const plans = await plansOf(() => store.purgeEnded(NOW - 59 * 86_400_000));
    const names = plans[0]!.nodes.map((node) => node["Index Name"]);
    expect(names, plans[0]!.text).toContain(index("sessions_ended"));
    expect(names, plans[0]!.text).toContain(index("sessions_open_deadline"));
  });

  it("an export is one cursor over the creation index, in order", async () => {
    const plans = await plansOf(async () => {
      let rows = 0;
      for await (const _ of store.streamSessions("1003", {
        filter: null,
        sort: [{ field: "creation_time", direction: "desc" }],
        now: NOW,
      })) {
        if (++rows >= 1200) break;
      }
    });
    expect(plans).toHaveLength(1);
    expectIndexed(plans, "sessions_tenant_created");
    expectNoSort(plans[0]!);
  });
});
