import { describe, expect, it } from "vitest";
import { createCursorCodec } from "../listing/cursor.js";
import { createMemoryStore } from "../memory/memory-store.js";
import type { SortKey } from "../query/ast.js";
import type { ListQuery, SessionStore } from "../storage.js";
import { createSessionLedger } from "./ledger.js";

describe("listForUser", () => {
  it("should list one user's sessions newest first, narrowed by a filter when given", async () => {
    let now = Date.UTC(2026, 2, 1);
    const ledger = createSessionLedger({ store: createMemoryStore(), clock: () => now });
    const mine: string[] = [];
    for (let i = 0; i < 4; i++) {
      now += 1000;
      const user = i % 2 === 0 ? { id: "alice", login: "alice" } : { id: "bob", login: "bob" };
      const { session } = await ledger.create({ tenantId: "t", user });
      if (user.id === "alice") mine.push(session.id);
    }
    await ledger.terminate("t", mine[0]!);
    const page = await ledger.listForUser("t", "alice");
    expect(page.items.map((s) => s.id)).toEqual([...mine].reverse());
    const open = await ledger.listForUser("t", "alice", {
      filter: {
        kind: "compare",
        field: "status",
        op: "EQ",
        value: { kind: "text", value: "ACTIVE" },
      },
    });
    expect(open.items.map((s) => s.id)).toEqual([mine[1]]);
    expect((await ledger.listForUser("t", "carol")).items).toEqual([]);
    await expect(ledger.listForUser("t", "")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});

describe("group by creation time", () => {
  const from = Date.UTC(2026, 4, 1);
  const day = 86_400_000;

  it("should ask for buckets, and hold them against the ledger's limits", async () => {
    const ledger = createSessionLedger({
      store: createMemoryStore(),
      limits: { maxTimeBuckets: 7 },
    });
    await expect(ledger.group("t", { field: "creation_time" } as never)).rejects.toMatchObject({
      target: "group_by",
      message: expect.stringMatching(/buckets/),
    });
    await expect(
      ledger.group("t", {
        field: "creation_time",
        buckets: { interval: "day", from, to: from + 8 * day },
      }),
    ).rejects.toMatchObject({ target: "interval", message: expect.stringMatching(/more than 7/) });
    const result = await ledger.group("t", {
      field: "creation_time",
      buckets: { interval: "day", from, to: from + 7 * day },
    });
    expect(result.buckets.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("should refuse a store's answer that names buckets it was not asked for", async () => {
    const inner = createMemoryStore();
    const store = {
      ...inner,
      groupSessionsByTime: async () => [{ start: from + 1, count: 1 }],
    };
    const ledger = createSessionLedger({ store });
    await expect(
      ledger.group("t", {
        field: "creation_time",
        buckets: { interval: "day", from, to: from + day },
      }),
    ).rejects.toMatchObject({ code: "STORAGE_ERROR" });
  });
});

describe("what a store receives", () => {
  it("should be a frozen copy of the sort and the keyset position, read once", async () => {
    const memory = createMemoryStore();
    const seen: ListQuery[] = [];
    const store: SessionStore = {
      ...memory,
      listSessions(tenantId, query) {
        seen.push(query);
        return memory.listSessions(tenantId, query);
      },
    };
    let now = Date.UTC(2026, 2, 1);
    const ledger = createSessionLedger({ store, clock: () => now });
    for (let i = 0; i < 3; i++) {
      now += 1000;
      await ledger.create({ tenantId: "t", user: { id: `u${i}`, login: `u${i}` } });
    }
    let reads = 0;
    const key = {
      get field() {
        return reads++ === 0 ? "creation_time" : "$where";
      },
      direction: "asc",
    } as unknown as SortKey;
    const sort = [key];
    const first = await ledger.list("t", { sort, limit: 2 });
    expect(reads).toBe(1);
    const [query] = seen;
    expect(query?.sort).toEqual([{ field: "creation_time", direction: "asc" }]);
    expect(Object.isFrozen(query?.sort) && Object.isFrozen(query?.sort[0])).toBe(true);
    // The next page: the position decoded from the cursor reaches the store frozen and typed.
    await ledger.list("t", {
      sort: [{ field: "creation_time", direction: "asc" }],
      limit: 2,
      cursor: first.nextCursor,
    });
    const after = seen[1]?.after;
    expect(after?.values).toEqual([expect.any(Number)]);
    expect(Object.isFrozen(after) && Object.isFrozen(after?.values)).toBe(true);
  });

  it("should refuse a signed cursor whose value has another type than its sort key's", () => {
    const codec = createCursorCodec("a-secret-of-at-least-thirty-two-characters");
    const scope = {
      tenantId: "t",
      filter: null,
      sort: [{ field: "creation_time", direction: "asc" }],
    } as const;
    const text = codec.encode(scope, { values: ["2026-03-01"], id: "s1" });
    expect(() => codec.decode(scope, text)).toThrow(
      expect.objectContaining({ code: "INVALID_CURSOR" }),
    );
    const time = codec.encode(scope, { values: [Date.UTC(2026, 2, 1)], id: "s1" });
    expect(codec.decode(scope, time)).toEqual({ values: [Date.UTC(2026, 2, 1)], id: "s1" });
  });
});
