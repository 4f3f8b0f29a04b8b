import { describe, expect, test } from "vitest";
import type { Filter, FilterValue } from "./ast.js";
import type { FieldName } from "./fields.js";
import { parseQuery } from "./parser.js";
import { printFilter } from "./printer.js";

const text = (value: string): FilterValue => ({ kind: "text", value });
const eq = (field: FieldName, value: FilterValue): Filter => ({
  kind: "compare",
  field,
  op: "EQ",
  value,
});
const a = eq("client_type", text("a"));
const b = eq("client_type", text("b"));
const c = eq("client_type", text("c"));

describe("printFilter", () => {
  test("writes comparisons with symbol operators and times as ISO with milliseconds", () => {
    const filter: Filter = {
      kind: "and",
      items: [
        {
          kind: "compare",
          field: "creation_time",
          op: "GT",
          value: { kind: "time", value: Date.UTC(2026, 0, 28, 20, 59, 59, 427) },
        },
        { kind: "user", filter: eq("user.id", text("220001")) },
      ],
    };
    expect(printFilter(filter)).toBe("creation_time>^2026-01-28T20:59:59.427Z^;user={id='220001'}");
  });

  test.each([
    ["LT", "<"],
    ["GT", ">"],
    ["LE", "<="],
    ["GE", ">="],
  ] as const)("%s is written %s", (op, symbol) => {
    expect(printFilter({ kind: "compare", field: "city", op, value: text("x") })).toBe(
      `city${symbol}'x'`,
    );
  });

  test("writes IN and BTW with keywords", () => {
    expect(
      printFilter({ kind: "in", field: "client_ip", values: [text("1.2.3.4"), { kind: "null" }] }),
    ).toBe("client_ip IN '1.2.3.4',null");
    expect(printFilter({ kind: "between", field: "id", low: text("12"), high: text("16") })).toBe(
      "id BTW '12'...'16'",
    );
  });

  test("escapes backslashes, quotes, carets and stars; patterns keep bare stars", () => {
    expect(printFilter(eq("city", text("it's ^ \\ *")))).toBe(String.raw`city='it\'s \^ \\ \*'`);
    expect(printFilter(eq("city", { kind: "pattern", parts: ["", "a*b", ""] }))).toBe(
      String.raw`city='*a\*b*'`,
    );
  });

  test("writes a null user as {null}, other nulls bare", () => {
    expect(printFilter(eq("user", { kind: "null" }))).toBe("user={null}");
    expect(printFilter(eq("end_time", { kind: "null" }))).toBe("end_time=null");
  });

  test("parenthesises only where precedence needs it", () => {
    expect(printFilter({ kind: "or", items: [{ kind: "and", items: [a, b] }, c] })).toBe(
      "client_type='a';client_type='b'||client_type='c'",
    );
    expect(printFilter({ kind: "and", items: [a, { kind: "or", items: [b, c] }] })).toBe(
      "client_type='a';(client_type='b'||client_type='c')",
    );
    expect(printFilter({ kind: "not", item: a })).toBe("!(client_type='a')");
    expect(printFilter({ kind: "not", item: { kind: "or", items: [a, b] } })).toBe(
      "!(client_type='a'||client_type='b')",
    );
  });

  test("writes user sub-fields bare inside the braces", () => {
    const filter: Filter = {
      kind: "user",
      filter: {
        kind: "or",
        items: [eq("user.login", text("bob")), eq("user.email", { kind: "null" })],
      },
    };
    expect(printFilter(filter)).toBe("user={login='bob'||email=null}");
  });

  test.each([
    `"(end_time=null)"`,
    `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59Z^;(user={id=220001}))"`,
    "id BTW 12…16",
    "client_type EQ ^test*^",
    "!(license_edition EQ 'Enterprise')",
    "user<>{login='a\\'b'||(email='*@x';full_name>'m')}",
    "status IN 'active','revoked';(end_reason=null||client_ip='::ffff:1.2.3.4')",
  ])("round-trips %s", (query) => {
    const filter = parseQuery(query);
    expect(filter).not.toBeNull();
    expect(parseQuery(printFilter(filter!))).toEqual(filter);
  });
});
