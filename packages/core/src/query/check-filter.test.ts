import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import type { Filter } from "./ast.js";
import { checkFilter } from "./check-filter.js";
import { allOf } from "./combine.js";
import { parseQuery } from "./parser.js";

const bad: [string, unknown][] = [
  [
    "unknown field",
    { kind: "compare", field: "$where", op: "EQ", value: { kind: "text", value: "1" } },
  ],
  [
    "alias instead of the canonical name",
    { kind: "compare", field: "start_time", op: "EQ", value: { kind: "time", value: 1 } },
  ],
  [
    "text on a time field",
    { kind: "compare", field: "creation_time", op: "GT", value: { kind: "text", value: "x" } },
  ],
  [
    "time on a text field",
    { kind: "compare", field: "client_type", op: "EQ", value: { kind: "time", value: 1 } },
  ],
  [
    "an operator object as a value",
    { kind: "compare", field: "id", op: "EQ", value: { kind: "text", value: { $gt: "" } } },
  ],
  [
    "an unknown operator",
    { kind: "compare", field: "id", op: "NE", value: { kind: "text", value: "a" } },
  ],
  [
    "null with LT",
    { kind: "compare", field: "license_edition", op: "LT", value: { kind: "null" } },
  ],
  [
    "a wildcard on an id",
    { kind: "compare", field: "id", op: "EQ", value: { kind: "pattern", parts: ["a", ""] } },
  ],
  [
    "an unknown enum value",
    { kind: "compare", field: "status", op: "EQ", value: { kind: "text", value: "active" } },
  ],
  [
    "an IP that is not normalised",
    {
      kind: "compare",
      field: "client_ip",
      op: "EQ",
      value: { kind: "text", value: "::ffff:10.0.0.1" },
    },
  ],
  [
    "BTW on text",
    {
      kind: "between",
      field: "client_type",
      low: { kind: "text", value: "a" },
      high: { kind: "text", value: "b" },
    },
  ],
  ["an empty IN", { kind: "in", field: "id", values: [] }],
  ["an empty AND", { kind: "and", items: [] }],
  [
    "a user field outside a user filter",
    { kind: "compare", field: "user.login", op: "EQ", value: { kind: "text", value: "a" } },
  ],
  [
    "a session field inside a user filter",
    {
      kind: "user",
      filter: { kind: "compare", field: "id", op: "EQ", value: { kind: "text", value: "a" } },
    },
  ],
  ["an unknown node", { kind: "xor", items: [] }],
  [
    "a deep tree",
    Array.from({ length: 40 }).reduce<unknown>((item) => ({ kind: "not", item }), {
      kind: "compare",
      field: "id",
      op: "EQ",
      value: { kind: "text", value: "a" },
    }),
  ],
];

describe("checkFilter", () => {
  for (const [what, filter] of bad) {
    it(`should reject ${what}`, () => {
      expect(() => checkFilter(filter as Filter)).toThrow(ValidationError);
    });
  }

  it("should hold a built filter's wildcards, over all its patterns, against maxWildcards", () => {
    const pattern = (n: number) => ({ kind: "pattern", parts: Array(n + 1).fill("a") }) as const;
    const within: Filter = { kind: "compare", field: "client_ip", op: "EQ", value: pattern(100) };
    expect(checkFilter(within)).toEqual(within);
    const over: Filter = {
      kind: "or",
      items: [within, { kind: "in", field: "client_type", values: [pattern(1)] }],
    };
    expect(() => checkFilter(over, undefined, "filter")).toThrow(
      "filter: more than 100 wildcards '*' (the bound maxWildcards)",
    );
    // A filter the parser checked keeps its count: combined, the bound still holds.
    const parsed = parseQuery(`client_ip='${"a*".repeat(60)}'`)!;
    expect(() => checkFilter(allOf([parsed, parsed]))).toThrow("(the bound maxWildcards)");
  });

  it("should accept what the parser produces", () => {
    for (const text of [
      `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59Z^;(user={id=220001}))"`,
      `!(license_edition EQ 'Enterprise')||client_ip IN '::ffff:10.0.0.1','10.*'`,
      `status IN 'active','expired';end_time=null;user=null`,
      `client_ip BTW '10.0.0.1'...'10.0.0.9';user={login='a*' || full_name=null}`,
    ]) {
      const filter = parseQuery(text);
      expect(checkFilter(filter)).toBe(filter);
    }
  });

  it("should check a copy: frozen, holding only the AST's own keys, apart from the host's object", () => {
    const hand = {
      kind: "compare",
      field: "client_type",
      op: "EQ",
      value: { kind: "text", value: "UI", $where: "1" },
      extra: true,
    } as unknown as Filter;
    const checked = checkFilter(hand);
    expect(checked).not.toBe(hand);
    expect(checked).toEqual({
      kind: "compare",
      field: "client_type",
      op: "EQ",
      value: { kind: "text", value: "UI" },
    });
    expect(Object.isFrozen(checked)).toBe(true);
    expect(Object.isFrozen((checked as { value: object }).value)).toBe(true);
    // Checked once: handing the checked filter back is not a second walk, and it is the same.
    expect(checkFilter(checked)).toBe(checked);
  });

  it("should freeze what the parser produces and what allOf combines", () => {
    const parsed = parseQuery("client_type IN 'UI','CI' ; user={login='a*b'}");
    const frozenThroughout = (node: unknown): boolean =>
      node === null ||
      typeof node !== "object" ||
      (Object.isFrozen(node) && Object.values(node).every(frozenThroughout));
    expect(parsed !== null && frozenThroughout(parsed)).toBe(true);
    const conditions = [parsed!, parseQuery("client_type='UI'")!];
    const combined = allOf(conditions);
    conditions.pop();
    expect(frozenThroughout(combined)).toBe(true);
    expect((combined as unknown as { items: unknown[] }).items).toHaveLength(2);
  });
});
