/**
 * No user value ever becomes a Mongo operator or a field name. Values smuggled past the types
 * (`{ "$gt": "" }` as an id), operator names and dotted paths as field names are rejected
 * with a ValidationError before anything reaches the driver — field names, sort keys, group
 * fields and cursors by core's checks (the store receives them checked and frozen, and only
 * translates them), ids and the values of records, patches and tasks by the store's boundary,
 * which binds them as values; hostile strings that are valid values match only themselves,
 * literally.
 */
import {
  checkFilter,
  createSessionLedger,
  type Filter,
  type FilterValue,
  type SessionStore,
  ValidationError,
} from "@session-ledger/core";
import type { SessionRecord } from "@session-ledger/core/store";
import { sessionRecord } from "@session-ledger/core/testing";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMongoStore, type MongoSessionStore } from "../src/index.js";
import { type Backend, backendLabel, openBackend } from "./fixture.js";
import { createMingoDb } from "./mingo-db.js";

const NOW = Date.UTC(2026, 0, 15, 12);
const TENANT = "t1";
const GT_EMPTY = { $gt: "" } as never;
const HOSTILE = [
  "$where",
  "$gt",
  "a.b",
  '{"$gt":""}',
  ".*",
  "^a$",
  "\\",
  "(?i)a",
  "[a-z]+",
  // mongod refuses a regular expression with an embedded NUL: a pattern must spell it `\x00`.
  "a\0b",
];

const session = (
  id: string,
  clientType: string,
  more: Partial<SessionRecord> = {},
): SessionRecord =>
  sessionRecord({
    id,
    tenantId: TENANT,
    user: { id: `u-${id}`, login: clientType, fullName: null, email: null },
    clientType,
    createdAt: NOW - 60_000,
    expiresAt: NOW + 60_000,
    absoluteExpiresAt: NOW + 3_600_000,
    ...more,
  });

const eq = (field: string, value: unknown): Filter =>
  ({ kind: "compare", field, op: "EQ", value }) as Filter;
const text = (value: string): FilterValue => ({ kind: "text", value });

async function rejected(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

/**
 * A listing as the ledger asks for it: the filter checked by the core first (which is where a
 * hostile filter is refused), then handed to the store.
 */
const list = async (store: SessionStore, filter: Filter | null, sort = [] as never[]) =>
  store.listSessions(TENANT, { filter: checkFilter(filter), sort, now: NOW, limit: 100 });

describe(`operator injection: ${backendLabel}`, () => {
  let backend: Backend;
  let store: MongoSessionStore;
  /** The ledger over the store: what checks sort keys, group fields and cursors. */
  let ledger: ReturnType<typeof createSessionLedger>;

  beforeAll(async () => {
    backend = await openBackend();
    store = createMongoStore({ db: backend.db, collectionPrefix: "injection_" });
    ledger = createSessionLedger({ store, clock: () => NOW });
    await store.ensureIndexes();
    for (const [i, value] of HOSTILE.entries()) await store.insertSession(session(`s${i}`, value));
    await store.insertSession(session("plain", "UI"));
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('{"$gt": ""} as an id should be rejected with a ValidationError', async () => {
    await rejected(store.findSession(TENANT, GT_EMPTY));
    await rejected(store.findSession(GT_EMPTY, "s0"));
    await rejected(store.findSessionByIdentifier(TENANT, GT_EMPTY));
    await rejected(store.updateOpenSession(TENANT, GT_EMPTY, NOW, { lastActivityAt: NOW }));
    await rejected(store.getTask(TENANT, GT_EMPTY));
    await rejected(store.getPolicy(GT_EMPTY));
    const change = { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW } as const;
    await rejected(store.endSessions(TENANT, { ids: ["s0", GT_EMPTY] }, change));
    await rejected(store.endSessions(TENANT, { userId: GT_EMPTY }, change));
    await rejected(store.purgeEnded(NOW, GT_EMPTY));
    expect((await store.findSession(TENANT, "s0"))?.status).toBe("ACTIVE");
  });

  it('{"$gt": ""} as a filter value should be rejected with a ValidationError', async () => {
    await rejected(list(store, eq("client_type", GT_EMPTY)));
    await rejected(list(store, eq("client_type", { kind: "text", value: GT_EMPTY })));
    await rejected(list(store, eq("id", { kind: "pattern", parts: ["a", GT_EMPTY] })));
    await rejected(list(store, eq("creation_time", { kind: "time", value: GT_EMPTY })));
    await rejected(
      store.countSessions(TENANT, checkFilter(eq("client_type", text("ui"))), GT_EMPTY),
    );
  });

  it("$where as a field name should be rejected with a ValidationError", async () => {
    for (const field of ["$where", "$expr", "$or", "__proto__", "constructor"]) {
      await rejected(list(store, eq(field, text("x"))));
      await rejected(ledger.list(TENANT, { sort: [{ field, direction: "asc" }] as never[] }));
      await rejected(ledger.group(TENANT, { field: field as never }));
    }
    await rejected(list(store, { kind: "$where", item: null } as never));
    await rejected(
      list(store, { kind: "compare", field: "id", op: "$where", value: text("x") } as never),
    );
  });

  it("keys containing a dot should be rejected with a ValidationError", async () => {
    for (const field of ["a.b", "user.$gt", "user.id.x", "k.login", "clientInfo.browser"]) {
      const error = await rejected(list(store, eq(field, text("x"))));
      expect(error.message).toContain(field);
      await rejected(ledger.list(TENANT, { sort: [{ field, direction: "asc" }] as never[] }));
    }
  });

  it("keyset positions and sort directions that are not values should be rejected", async () => {
    const sort = [{ field: "client_type", direction: "asc" }] as const;
    const { nextCursor } = await ledger.list(TENANT, { sort, limit: 2 });
    expect(nextCursor).toEqual(expect.any(String));
    // A position with an operator in it: the cursor is signed, so an edited one is refused.
    const [body, tag] = nextCursor!.split(".");
    const decoded = JSON.parse(Buffer.from(body!, "base64url").toString("utf8"));
    decoded[2] = [GT_EMPTY];
    const edited = `${Buffer.from(JSON.stringify(decoded)).toString("base64url")}.${tag}`;
    const error = await rejected(ledger.list(TENANT, { sort, limit: 2, cursor: edited }));
    expect(error.code).toBe("INVALID_CURSOR");
    await rejected(
      ledger.list(TENANT, { sort: [{ field: "id", direction: "$natural" as never }] }),
    );
  });

  it("a record or task carrying operator objects should be rejected and store nothing", async () => {
    await rejected(store.insertSession(session(GT_EMPTY, "UI")));
    await rejected(
      store.insertSession(
        session("x1", "UI", { user: { id: GT_EMPTY, login: "x", fullName: null, email: null } }),
      ),
    );
    await rejected(store.insertSession(session("x2", GT_EMPTY)));
    await rejected(store.insertSession(session("x3", "UI", { createdAt: GT_EMPTY })));
    expect(await store.countSessions(TENANT, null, NOW)).toBe(HOSTILE.length + 1);
    await rejected(
      store.updateTask(
        TENANT,
        "task",
        { updatedAt: NOW, status: GT_EMPTY },
        { statuses: ["QUEUED"] },
      ),
    );
    await rejected(store.updateTask(TENANT, "task", { updatedAt: NOW }, { leaseOwner: GT_EMPTY }));
  });

  it("hostile strings should match only themselves, literally", async () => {
    for (const [i, value] of HOSTILE.entries()) {
      const ids = (await list(store, eq("client_type", text(value)))).map((s) => s.id);
      expect(ids, value).toEqual([`s${i}`]);
      const user: Filter = { kind: "user", filter: eq("user.login", text(value)) };
      expect(
        (await list(store, user)).map((s) => s.id),
        value,
      ).toEqual([`s${i}`]);
    }
    // Regex metacharacters inside a wildcard pattern are literals too.
    const pattern = (parts: string[]) => eq("client_type", { kind: "pattern", parts });
    expect((await list(store, pattern([".", ""]))).map((s) => s.id)).toEqual(["s4"]);
    expect((await list(store, pattern(["", "a$"]))).map((s) => s.id)).toEqual(["s5"]);
    expect((await list(store, pattern(["[", "]+"]))).map((s) => s.id)).toEqual(["s8"]);
    expect((await list(store, pattern(["$", ""]))).map((s) => s.id).sort()).toEqual(["s0", "s1"]);
    expect((await list(store, pattern(["a\0", ""]))).map((s) => s.id)).toEqual(["s9"]);
    expect((await list(store, pattern(["", "\0b"]))).map((s) => s.id)).toEqual(["s9"]);
  });

  it("attributes with operator-like and dotted keys should round-trip as plain data", async () => {
    const attributes = { $where: "sleep(1000)", "a.b": { $gt: "" }, nested: [{ "$set.x": 1 }] };
    await store.insertSession(session("attrs", "UI", { attributes }));
    expect((await store.findSession(TENANT, "attrs"))?.attributes).toEqual(attributes);
  });
});

const OPERATORS = new Set([
  // query
  "$and",
  "$or",
  "$nor",
  "$eq",
  "$ne",
  "$lt",
  "$lte",
  "$gt",
  "$gte",
  "$in",
  "$regex",
  "$expr",
  // aggregation
  "$match",
  "$addFields",
  "$project",
  "$sort",
  "$skip",
  "$limit",
  "$group",
  "$count",
  "$sum",
  "$topN",
  "$ifNull",
  "$cond",
  // update
  "$set",
  // partial index filters
  "$type",
]);

function keysOf(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) keysOf(item, into);
  else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    if (value.constructor !== Object) return into;
    for (const [key, inner] of Object.entries(value)) {
      into.push(key);
      keysOf(inner, into);
    }
  }
  return into;
}

describe("documents sent to the driver (mingo-evaluated in-process collection)", () => {
  it("should use only the compiler's operators and field paths as keys, whatever the values", async () => {
    const sent: Document[] = [];
    const db = createMingoDb({
      observe: (_collection, method, args) => {
        // Inserted documents are data; every other argument is a filter, update, pipeline or
        // options document.
        if (method !== "insertOne") sent.push(...(args as Document[]));
      },
    });
    const store = createMongoStore({ db });
    await store.ensureIndexes();
    for (const [i, value] of HOSTILE.entries()) await store.insertSession(session(`s${i}`, value));
    for (const value of HOSTILE) {
      const filter = checkFilter({
        kind: "or",
        items: [
          eq("client_type", text(value)),
          { kind: "not", item: eq("status", text("ACTIVE")) },
          { kind: "in", field: "end_reason", values: [{ kind: "null" }] },
          { kind: "user", filter: eq("user.login", { kind: "pattern", parts: [value, value] }) },
          { kind: "between", field: "id", low: text(value), high: text(`${value}~`) },
        ],
      })!;
      const sort = [
        { field: "end_time", direction: "desc" },
        { field: "user", direction: "asc" },
      ] as const;
      await store.listSessions(TENANT, {
        filter,
        sort,
        now: NOW,
        limit: 3,
        after: { values: [NOW, value], id: value },
      });
      await store.countSessions(TENANT, filter, NOW);
      await store.groupSessions(TENANT, { filter, field: "user", now: NOW, limit: 3 });
      await store.endSessions(
        TENANT,
        { filter },
        { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW },
      );
      await store.endSessions(
        TENANT,
        { ids: [value] },
        { status: "REVOKED", endReason: "REVOKED", endedAt: NOW, now: NOW },
      );
    }
    const keys = keysOf(sent);
    expect(keys.length).toBeGreaterThan(100);
    for (const key of keys) {
      if (key.startsWith("$")) expect(OPERATORS, key).toContain(key);
      else expect(key, key).toMatch(/^[A-Za-z_]+(\.[A-Za-z]+)*$/);
    }
  });
});
