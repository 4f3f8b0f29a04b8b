import {
  checkFilter,
  createMemoryStore,
  createSessionLedger,
  type FieldName,
  type Filter,
  type FilterValue,
  type SessionLedgerError,
  type SessionStore,
  ValidationError,
} from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore } from "../src/index.js";
import { fileStore, type SqliteFixture, temporaryDirectory } from "./fixture.js";

const T0 = Date.UTC(2026, 2, 1);
const NOW = T0 + 60_000;
const TENANT = "tenant-a";

const HOSTILE = [
  "'; DROP TABLE session_ledger_sessions; --",
  '"; DROP TABLE session_ledger_sessions; --',
  "' OR '1'='1",
  "') OR 1=1 --",
  "%",
  "_",
  "%_%",
  "\\",
  "\\%",
  "a%b",
  "a_b",
  "`id`",
  "*/ SELECT 1 /*",
  "x\u0000y",
  "\u0000",
  "💥'",
  "NULL",
];

function record(id: string, text: string, tenantId = TENANT): SessionRecord {
  return {
    id,
    tenantId,
    sessionIdentifier: `corr-${id}`,
    user: { id: `u-${id}`, login: text, fullName: text, email: null },
    clientType: text,
    accessType: "UI",
    clientIp: "10.0.0.1",
    serverIp: null,
    userAgent: text,
    clientInfo: { browser: text, os: null, device: null },
    city: text,
    country: null,
    licenseEdition: text,
    status: "ACTIVE",
    endReason: null,
    createdAt: T0,
    lastActivityAt: T0,
    expiresAt: T0 + 3_600_000,
    absoluteExpiresAt: T0 + 36_000_000,
    endedAt: null,
    attributes: { [text]: text, "'); DROP TABLE x; --": [text] },
    secretHash: "0".repeat(64),
  };
}

const text = (value: string): FilterValue => ({ kind: "text", value });
const eq = (field: FieldName, value: FilterValue): Filter => ({
  kind: "compare",
  field,
  op: "EQ",
  value,
});

describe("injection: every input is bound or rejected, and the table stays intact", () => {
  let fixture: SqliteFixture;
  let reference: SessionStore;
  const seeded = HOSTILE.length + 2;

  beforeAll(async () => {
    fixture = await fileStore();
    reference = createMemoryStore();
    const records = [
      ...HOSTILE.map((value, i) => record(`h${String(i).padStart(2, "0")}`, value)),
      record("plain-1", "plain"),
      record("plain-2", "PLAIN"),
    ];
    for (const r of records) {
      await fixture.store.insertSession(r);
      await reference.insertSession(r);
    }
  });
  afterAll(() => fixture.teardown());

  /** The sessions table still exists and holds exactly the seeded rows. */
  function expectIntact() {
    const { n } = fixture.database
      .prepare("SELECT count(*) AS n FROM session_ledger_sessions")
      .get() as { n: number };
    expect(n).toBe(seeded);
    const tables = fixture.database
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all()
      .map((row) => (row as { name: string }).name);
    expect(tables).toEqual([
      "session_ledger_migrations",
      "session_ledger_policies",
      "session_ledger_sessions",
      "session_ledger_task_outcomes",
      "session_ledger_task_payloads",
      "session_ledger_tasks",
    ]);
  }

  const ids = async (store: SessionStore, filter: Filter) =>
    (
      await store.listSessions(TENANT, {
        filter: checkFilter(filter),
        sort: [],
        now: NOW,
        limit: 1000,
      })
    ).map((r) => r.id);

  it("stores hostile text verbatim and reads it back unchanged", async () => {
    for (const [i, value] of HOSTILE.entries()) {
      const id = `h${String(i).padStart(2, "0")}`;
      expect(await fixture.store.findSession(TENANT, id)).toEqual(record(id, value));
    }
    expectIntact();
  });

  it("binds hostile values in comparisons, IN lists and ranges, matching them literally", async () => {
    for (const value of HOSTILE) {
      const filters: Filter[] = [
        eq("client_type", text(value)),
        eq("id", text(value)),
        { kind: "user", filter: eq("user.login", text(value)) },
        { kind: "compare", field: "license_edition", op: "GE", value: text(value) },
        { kind: "not", item: eq("city", text(value)) },
        { kind: "in", field: "browser", values: [text(value), text("plain"), { kind: "null" }] },
        { kind: "between", field: "id", low: text(value), high: text(`${value}~`) },
      ];
      for (const filter of filters) {
        expect(await ids(fixture.store, filter), JSON.stringify(filter)).toEqual(
          await ids(reference, filter),
        );
      }
      // An IP is compared through its sort key, so text that is no address never gets that far.
      expect(() => checkFilter(eq("client_ip", text(value)))).toThrow(ValidationError);
    }
    expectIntact();
  });

  it("matches %, _ and \\ in wildcard patterns literally", async () => {
    for (const value of HOSTILE.filter((v) => !v.includes("\u0000"))) {
      for (const parts of [
        [value, ""],
        ["", value],
        ["", value, ""],
        [value, value],
      ]) {
        const filter = eq("client_type", { kind: "pattern", parts });
        expect(await ids(fixture.store, filter), JSON.stringify(parts)).toEqual(
          await ids(reference, filter),
        );
      }
    }
    expectIntact();
  });

  it("binds a NUL inside a pattern without error", async () => {
    const filter = eq("client_type", { kind: "pattern", parts: ["x\u0000", ""] });
    await expect(ids(fixture.store, filter)).resolves.toBeInstanceOf(Array);
    expectIntact();
  });

  it("binds hostile tenant ids, session ids and user ids", async () => {
    const change = { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW } as const;
    for (const value of HOSTILE) {
      expect(await fixture.store.findSession(value, "h00")).toBeNull();
      expect(await fixture.store.findSessionByIdentifier(TENANT, value)).toBeNull();
      expect(await fixture.store.countSessions(value, null, NOW)).toBe(0);
      expect(await fixture.store.endSessions(TENANT, { ids: [value] }, change)).toEqual({
        ended: [],
        alreadyEnded: [],
        notFound: [value],
      });
      expect(await fixture.store.endSessions(TENANT, { userId: value }, change)).toMatchObject({
        ended: [],
      });
      expect(await fixture.store.purgeEnded(T0, value)).toBe(0);
    }
    expectIntact();
  });

  const rejects = async (promise: Promise<unknown>, code = "INVALID_ARGUMENT") => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as SessionLedgerError).code).toBe(code);
  };

  const HOSTILE_NAMES = [
    "id; DROP TABLE session_ledger_sessions",
    'client_type" OR 1=1 --',
    "created_at",
    "license_type",
    "rowid",
    "__proto__",
    "constructor",
    "toString",
    "",
    "user.login) OR (1=1",
  ];

  // Malformed queries are refused at the boundary, the ledger, before any SQL exists; the
  // store receives field names checked and frozen, and only translates them.
  it("refuses field names outside the catalog in filters, sorts and groups", async () => {
    const ledger = createSessionLedger({ store: fixture.store, clock: () => NOW });
    for (const name of HOSTILE_NAMES) {
      const field = name as never;
      await rejects(ledger.count(TENANT, eq(field, text("x"))), "INVALID_QUERY");
      await rejects(ledger.list(TENANT, { sort: [{ field, direction: "asc" }] }));
      await rejects(ledger.group(TENANT, { field }));
    }
    // Catalog fields that may not be sorted or grouped by are refused as well.
    await rejects(ledger.list(TENANT, { sort: [{ field: "user.login", direction: "asc" }] }));
    await rejects(ledger.group(TENANT, { field: "id" }));
    expectIntact();
  });

  it("refuses hostile operators, directions, node kinds, values, limits and instants", async () => {
    const ledger = createSessionLedger({ store: fixture.store, clock: () => NOW });
    const hostile = "= 1 OR 1=1 --" as never;
    const count = (filter: unknown) => ledger.count(TENANT, filter as Filter);
    await rejects(
      count({ kind: "compare", field: "id", op: hostile, value: text("x") }),
      "INVALID_QUERY",
    );
    await rejects(count({ kind: hostile }), "INVALID_QUERY");
    await rejects(count(eq("id", { kind: "raw", sql: "1" } as never)), "INVALID_QUERY");
    await rejects(count(eq("id", { kind: "text", value: 1 } as never)), "INVALID_QUERY");
    await rejects(
      ledger.list(TENANT, { sort: [{ field: "id", direction: "asc; DROP TABLE x" as never }] }),
    );
    await rejects(ledger.list(TENANT, { limit: "1; --" as never }));
    await rejects(ledger.list(TENANT, { offset: -1 }));
    await rejects(ledger.purge({ endedBefore: "now" as never }));
    await rejects(ledger.purge({ endedBefore: Number.NaN }));
    expectIntact();
  });

  it("binds hostile keyset positions of the right type and rejects the rest", async () => {
    const sort = [{ field: "client_type" as const, direction: "desc" as const }];
    for (const value of HOSTILE) {
      const page = (store: SessionStore) =>
        store.listSessions(TENANT, {
          filter: null,
          sort,
          now: NOW,
          limit: 100,
          after: { values: [value], id: value },
        });
      expect((await page(fixture.store)).map((r) => r.id)).toEqual(
        (await page(reference)).map((r) => r.id),
      );
    }
    const after = (values: unknown, id: unknown) =>
      fixture.store.listSessions(TENANT, {
        filter: null,
        sort,
        now: NOW,
        limit: 10,
        after: { values, id } as never,
      });
    await rejects(after([1], "x"), "INVALID_CURSOR");
    await rejects(after([null], "x"), "INVALID_CURSOR");
    await rejects(after(["a", "b"], "x"), "INVALID_CURSOR");
    await rejects(after([{ toString: () => "1 OR 1=1" }], "x"), "INVALID_CURSOR");
    await rejects(after(["a"], 42), "INVALID_CURSOR");
    await rejects(after("a", "x"), "INVALID_CURSOR");
    expectIntact();
  });

  it("rejects hostile table prefixes before any SQL is built", () => {
    const temp = temporaryDirectory();
    const database = new Database(`${temp.dir}/prefix.db`);
    try {
      for (const tablePrefix of [
        "x; DROP TABLE y; --",
        'a"b',
        "a b",
        "",
        "1abc",
        "a".repeat(32),
        "sessions--",
        "ß",
      ]) {
        expect(() => createSqliteStore({ database, tablePrefix }), tablePrefix).toThrow(
          ValidationError,
        );
      }
      expect(() => createSqliteStore({ database, tablePrefix: "tenant_ledger_2" })).not.toThrow();
      expect(
        database.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get(),
      ).toEqual({ n: 0 });
    } finally {
      database.close();
      temp.remove();
    }
    expectIntact();
  });
});
