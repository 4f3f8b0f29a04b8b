import { describe, expect, test } from "vitest";
import { QuerySyntaxError, ValidationError } from "../errors.js";
import type { Filter, FilterValue } from "./ast.js";
import type { FieldName } from "./fields.js";
import { resolveLimits } from "./limits.js";
import { parseQuery } from "./parser.js";

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
const d = eq("client_type", text("d"));

function errorOf(query: string, options = {}): ValidationError {
  try {
    parseQuery(query, options);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected ${query} to fail`);
}

function expectSyntaxError(query: string, expected: string, position: number) {
  const error = errorOf(query);
  expect(error).toBeInstanceOf(QuerySyntaxError);
  expect((error as QuerySyntaxError).expected).toBe(expected);
  expect(error.position).toBe(position);
  expect(error.message).toBe(`query: expected ${expected} at ${position}`);
  expect(error.target).toBe("query");
}

function expectInvalid(query: string, message: string, position: number) {
  const error = errorOf(query);
  expect(error).not.toBeInstanceOf(QuerySyntaxError);
  expect(error.message).toBe(`query: ${message} at ${position}`);
  expect(error.position).toBe(position);
  expect(error.target).toBe("query");
  expect(error.code).toBe("INVALID_QUERY");
}

describe("parseQuery: empty input", () => {
  test.each(["", "   ", `""`, `" "`, ` "" `])("%j means no filter", (query) => {
    expect(parseQuery(query)).toBeNull();
  });
});

describe("parseQuery: logic and precedence", () => {
  test("; binds tighter than ||", () => {
    expect(parseQuery("client_type='a';client_type='b'||client_type='c'")).toEqual({
      kind: "or",
      items: [{ kind: "and", items: [a, b] }, c],
    });
  });

  test("parentheses override precedence", () => {
    expect(parseQuery("client_type='a';(client_type='b'||client_type='c')")).toEqual({
      kind: "and",
      items: [a, { kind: "or", items: [b, c] }],
    });
  });

  test("! binds tighter than ;", () => {
    expect(parseQuery("!client_type='a';client_type='b'")).toEqual({
      kind: "and",
      items: [{ kind: "not", item: a }, b],
    });
  });

  test("! applies to a parenthesised group", () => {
    expect(parseQuery("!(client_type='a';client_type='b')")).toEqual({
      kind: "not",
      item: { kind: "and", items: [a, b] },
    });
  });

  test("double negation is kept", () => {
    expect(parseQuery("!!client_type='a'")).toEqual({
      kind: "not",
      item: { kind: "not", item: a },
    });
  });

  test("nested and/or of one kind are flattened", () => {
    expect(
      parseQuery("client_type='a';(client_type='b';(client_type='c';client_type='d'))"),
    ).toEqual({
      kind: "and",
      items: [a, b, c, d],
    });
    expect(parseQuery("(client_type='a'||client_type='b')||client_type='c'")).toEqual({
      kind: "or",
      items: [a, b, c],
    });
  });

  test("redundant parentheses disappear", () => {
    expect(parseQuery("((client_type='a'));(client_type='b')")).toEqual({
      kind: "and",
      items: [a, b],
    });
    expect(parseQuery("(((client_type='a')))")).toEqual(a);
  });

  test("whitespace is free between tokens", () => {
    expect(parseQuery("  ( client_type = 'a' ;\n\tclient_type EQ 'b' )  ")).toEqual({
      kind: "and",
      items: [a, b],
    });
  });
});

describe("parseQuery: operators", () => {
  test.each([
    ["=", "EQ"],
    ["<", "LT"],
    [">", "GT"],
    ["<=", "LE"],
    [">=", "GE"],
    [" EQ ", "EQ"],
    [" LT ", "LT"],
    [" GT ", "GT"],
    [" LE ", "LE"],
    [" GE ", "GE"],
  ])("%j is %s", (symbol, op) => {
    expect(parseQuery(`client_type${symbol}'a'`)).toEqual({
      kind: "compare",
      field: "client_type",
      op,
      value: text("a"),
    });
  });

  test("<> and NE are sugar for !(… EQ …)", () => {
    expect(parseQuery("client_type<>'a'")).toEqual({ kind: "not", item: a });
    expect(parseQuery("client_type NE 'a'")).toEqual({ kind: "not", item: a });
    expect(parseQuery("user<>{login='x'}")).toEqual({
      kind: "not",
      item: { kind: "user", filter: eq("user.login", text("x")) },
    });
  });

  test("IN takes comma-separated values with optional spaces, nulls and patterns", () => {
    expect(parseQuery("client_type IN 'a' ,null,  'b*'")).toEqual({
      kind: "in",
      field: "client_type",
      values: [text("a"), { kind: "null" }, { kind: "pattern", parts: ["b", ""] }],
    });
  });

  test("IN with a single value stays IN", () => {
    expect(parseQuery("client_type IN 'a'")).toEqual({
      kind: "in",
      field: "client_type",
      values: [text("a")],
    });
  });

  test("BTW on times, with spaces around the dots", () => {
    expect(parseQuery("creation_time BTW ^2026-01-01T00:00:00Z^ … ^2026-01-02T00:00:00Z^")).toEqual(
      {
        kind: "between",
        field: "creation_time",
        low: { kind: "time", value: Date.UTC(2026, 0, 1) },
        high: { kind: "time", value: Date.UTC(2026, 0, 2) },
      },
    );
  });

  test("BTW and comparisons on IP addresses", () => {
    expect(parseQuery("client_ip BTW '10.0.0.0'...'10.0.0.255'")).toMatchObject({
      kind: "between",
    });
    expect(parseQuery("client_ip>='::1'")).toMatchObject({ op: "GE", value: text("::1") });
  });
});

describe("parseQuery: values", () => {
  test("escapes make quotes, carets, backslashes and stars literal", () => {
    expect(parseQuery(String.raw`client_type='it\'s \^ \\ \*'`)).toEqual(
      eq("client_type", text("it's ^ \\ *")),
    );
  });

  test("wildcards become patterns; runs of stars collapse", () => {
    expect(parseQuery("client_type='ab*c'")).toEqual(
      eq("client_type", { kind: "pattern", parts: ["ab", "c"] }),
    );
    expect(parseQuery("client_type='*x*'")).toEqual(
      eq("client_type", { kind: "pattern", parts: ["", "x", ""] }),
    );
    expect(parseQuery("client_type='*'")).toEqual(
      eq("client_type", { kind: "pattern", parts: ["", ""] }),
    );
    expect(parseQuery("client_type='a**b'")).toEqual(parseQuery("client_type='a*b'"));
  });

  test("numbers become text on id and text fields, as written", () => {
    expect(parseQuery("id=007")).toEqual(eq("id", text("007")));
    expect(parseQuery("city=-1.50")).toEqual(eq("city", text("-1.50")));
  });

  test("time fields take ISO 8601 date-times, dates and epoch ms", () => {
    const at = (value: string) => parseQuery(`creation_time=${value}`);
    const expected = Date.UTC(2026, 0, 28, 20, 59, 59, 427);
    expect(at("'2026-01-28T20:59:59.427Z'")).toEqual(
      eq("creation_time", { kind: "time", value: expected }),
    );
    expect(at("^2026-01-28T23:59:59.427+03:00^")).toEqual(at("^2026-01-28T20:59:59.427Z^"));
    expect(at("^2026-01-28T23:59:59.427+03^")).toEqual(at("^2026-01-28T20:59:59.427Z^"));
    expect(at("^2026-01-28T17:59:59.427-0300^")).toEqual(at("^2026-01-28T20:59:59.427Z^"));
    expect(at("^2026-01-28T20:59:59.4279Z^")).toEqual(at("^2026-01-28T20:59:59.427Z^"));
    expect(at("^2026-01-28^")).toEqual(
      eq("creation_time", { kind: "time", value: Date.UTC(2026, 0, 28) }),
    );
    expect(at("^2026-01-28T20:59^")).toEqual(
      eq("creation_time", { kind: "time", value: Date.UTC(2026, 0, 28, 20, 59) }),
    );
    expect(at(String(expected))).toEqual(eq("creation_time", { kind: "time", value: expected }));
    expect(at("^0001-01-01^")).toEqual(
      eq("creation_time", { kind: "time", value: Date.parse("0001-01-01T00:00:00Z") }),
    );
  });

  test("enum values match case-insensitively and are stored canonical", () => {
    expect(parseQuery("status='logged_out'")).toEqual(eq("status", text("LOGGED_OUT")));
    expectInvalid(
      "status='actıve'",
      "'actıve' is not a valid status; expected one of ACTIVE, LOGGED_OUT, REVOKED, EXPIRED",
      7,
    );
    expect(parseQuery("end_reason IN 'idle_timeout',null")).toEqual({
      kind: "in",
      field: "end_reason",
      values: [text("IDLE_TIMEOUT"), { kind: "null" }],
    });
  });

  test("IP values are normalised; IP patterns stay as written", () => {
    expect(parseQuery("client_ip='::FFFF:10.0.0.1'")).toEqual(eq("client_ip", text("10.0.0.1")));
    expect(parseQuery("server_ip='2001:DB8:0:0:0:0:0:1'")).toEqual(
      eq("server_ip", text("2001:db8::1")),
    );
    expect(parseQuery("client_ip='10.0.*'")).toEqual(
      eq("client_ip", { kind: "pattern", parts: ["10.0.", ""] }),
    );
  });

  test("null and {null}", () => {
    expect(parseQuery("end_time=null")).toEqual(eq("end_time", { kind: "null" }));
    expect(parseQuery("user=null")).toEqual(eq("user", { kind: "null" }));
    expect(parseQuery("user EQ {null}")).toEqual(eq("user", { kind: "null" }));
    expect(parseQuery("license_edition={null}")).toEqual(eq("license_edition", { kind: "null" }));
  });

  test("user cross-filters hold nested logic over bare or prefixed sub-fields", () => {
    expect(parseQuery("user={(login='bob'||user.email='*@x.com');!(full_name=null)}")).toEqual({
      kind: "user",
      filter: {
        kind: "and",
        items: [
          {
            kind: "or",
            items: [
              eq("user.login", text("bob")),
              eq("user.email", { kind: "pattern", parts: ["", "@x.com"] }),
            ],
          },
          { kind: "not", item: eq("user.full_name", { kind: "null" }) },
        ],
      },
    });
  });
});

describe("parseQuery: syntax errors", () => {
  test.each([
    ["creation_time>", "a value after 'creation_time>'", 14],
    [`"creation_time>"`, "a value after 'creation_time>'", 15],
    ["id EQ", "a value after 'id EQ'", 5],
    ["id", "an operator after 'id'", 2],
    ["id EQ1001", "an operator after 'id'", 3],
    ["id==1", "a value after 'id='", 3],
    ["client_type=UI", "a value after 'client_type='", 12],
    ["id=1;", "a field, '(' or '!' after ';'", 5],
    ["id=1||", "a field, '(' or '!' after '||'", 6],
    ["!", "a field, '(' or '!' after '!'", 1],
    [";id=1", "a field, '(' or '!'", 0],
    ["()", "a field, '(' or '!' after '('", 1],
    ["id=1)", "';', '||' or the end of the query", 4],
    ["id=1 id=2", "';', '||' or the end of the query", 5],
    ["id=1 | id=2", "';', '||' or the end of the query", 5],
    ["(id=1", "';', '||' or ')'", 5],
    ["((id=1)", "';', '||' or ')'", 7],
    ["user={id=1", "';', '||' or '}'", 10],
    ["user={}", "a field, '(' or '!' after '{'", 6],
    ["id IN 1,", "a value after ','", 8],
    ["id IN", "a value after 'id IN'", 5],
    ["id BTW 1 2", "'...' after 'id BTW 1'", 9],
    ["id BTW 1...", "a value after 'id BTW 1...'", 11],
    ["id='abc", "a closing '", 7],
    ["id=^abc\\^", "a closing ^", 9],
    [`"id=1`, `a closing '"'`, 5],
    [`id=1"`, "';', '||' or the end of the query", 4],
  ])("%j: expected %s at %i", (query, expected, position) => {
    expectSyntaxError(query, expected, position);
  });

  test("a long phrase is cut short in the message", () => {
    expectSyntaxError(`id BTW '${"x".repeat(60)}'`, `'...' after '…${"x".repeat(38)}''`, 69);
  });
});

describe("parseQuery: validation errors", () => {
  test("unknown field", () => {
    expectInvalid("foo=1", "unknown field 'foo'", 0);
    expectInvalid("id=1;foo=1", "unknown field 'foo'", 5);
    expectInvalid(`"(id=1;foo=1)"`, "unknown field 'foo'", 7);
  });

  test("user sub-fields only inside user={…}, and only they", () => {
    expectInvalid("user.id=1", "'user.id' is only valid inside a user={…} cross-filter", 0);
    expectInvalid("login='x'", "unknown field 'login'", 0);
    expectInvalid(
      "user={client_type='UI'}",
      "'client_type' is not a user field; inside user={…} use id, login, full_name or email",
      6,
    );
    expectInvalid(
      "user={user={id=1}}",
      "'user' is not a user field; inside user={…} use id, login, full_name or email",
      6,
    );
    expectInvalid("user={nope=1}", "unknown field 'nope'", 6);
  });

  test("operators a field type does not take", () => {
    expectInvalid(
      "client_type BTW 'a'...'b'",
      "'BTW' is not allowed on text field 'client_type' (use EQ, LT, GT, LE, GE, IN)",
      12,
    );
    expectInvalid("status>'ACTIVE'", "'>' is not allowed on enum field 'status' (use EQ, IN)", 6);
    expectInvalid("user IN {id=1}", "'IN' is not allowed on reference field 'user' (use EQ)", 5);
  });

  test("bad dates", () => {
    expectInvalid("creation_time>'2026-13-01'", "'2026-13-01' is not an ISO 8601 date-time", 14);
    expectInvalid("creation_time>'2026-02-30'", "'2026-02-30' is not an ISO 8601 date-time", 14);
    expectInvalid("creation_time>'yesterday'", "'yesterday' is not an ISO 8601 date-time", 14);
    expectInvalid(
      "creation_time>^2026-01-01T24:00Z^",
      "'2026-01-01T24:00Z' is not an ISO 8601 date-time",
      14,
    );
    expectInvalid("creation_time>1.5", "'1.5' is not an integer epoch-ms time", 14);
    expectInvalid(
      "creation_time>99999999999999999",
      "'99999999999999999' is outside the years 0000–9999",
      14,
    );
    expectInvalid(
      "creation_time>'2026*'",
      "wildcards are not allowed on time field 'creation_time'",
      14,
    );
  });

  test("bad enum values list the allowed ones", () => {
    expectInvalid(
      "status='gone'",
      "'gone' is not a valid status; expected one of ACTIVE, LOGGED_OUT, REVOKED, EXPIRED",
      7,
    );
  });

  test("wildcards on id fields", () => {
    expectInvalid("id='a*'", "wildcards are not allowed on id field 'id'", 3);
    expectInvalid("user={id='2*'}", "wildcards are not allowed on id field 'user.id'", 9);
  });

  test("wildcards only with EQ or IN, never as BTW bounds", () => {
    expectInvalid("client_type>'a*'", "wildcards only work with EQ or IN", 12);
    expectInvalid(
      "client_ip BTW '1.2.3.4'...'1.2.3.*'",
      "a BTW bound cannot be a wildcard pattern",
      26,
    );
  });

  test("null only with EQ or IN, never as BTW bounds", () => {
    expectInvalid("end_time<null", "null only works with EQ or IN", 9);
    expectInvalid("id BTW null...1", "a BTW bound cannot be null", 7);
  });

  test("booleans lex and parse but no field takes them", () => {
    expectInvalid("client_type=true", "'client_type' takes no boolean value", 12);
    expectInvalid("user={login IN 'a',false}", "'user.login' takes no boolean value", 19);
  });

  test("invalid IP addresses", () => {
    expectInvalid("client_ip='10.0.0.256'", "'10.0.0.256' is not an IP address", 10);
  });

  test("user takes only a cross-filter or null", () => {
    expectInvalid("user='bob'", "'user' takes a {…} cross-filter or null", 5);
    expectInvalid("client_type={id=1}", "'client_type' takes no {…} cross-filter", 12);
  });
});

describe("parseQuery: limits", () => {
  test("over-long input is rejected before parsing", () => {
    const query = `client_type='${"x".repeat(4096)}'`;
    expectInvalid(query, "longer than the limit of 4096 characters", 4096);
    expect(errorOf("id=12345", { limits: resolveLimits({ maxLength: 5 }) }).message).toBe(
      "query: longer than the limit of 5 characters at 5",
    );
    expect(parseQuery(`client_type='${"x".repeat(4000)}'`)).not.toBeNull();
  });

  test("wildcards up to maxWildcards parse; one more is an error at the pattern that goes over", () => {
    const pattern = (n: number) => `'${"a*".repeat(n)}a'`;
    expect(parseQuery(`client_ip=${pattern(100)}`)).not.toBeNull();
    expectInvalid(
      `client_ip=${pattern(60)}||client_type=${pattern(41)}`,
      "more than 100 wildcards '*' (the bound maxWildcards)",
      10 + pattern(60).length + 2 + "client_type=".length,
    );
    // `**` is one wildcard.
    expect(parseQuery(`client_ip='${"a**".repeat(100)}a'`)).not.toBeNull();
    expect(
      errorOf(`client_ip=${pattern(3)}`, { limits: resolveLimits({ maxWildcards: 2 }) }).message,
    ).toBe("query: more than 2 wildcards '*' (the bound maxWildcards) at 10");
  });

  test("nesting up to the limit parses; one more is an error", () => {
    const nested = (depth: number) => `${"(".repeat(depth)}id=1${")".repeat(depth)}`;
    expect(parseQuery(nested(32))).toEqual(eq("id", text("1")));
    expectInvalid(nested(33), "nesting deeper than the limit of 32", 32);
    expect(errorOf(nested(4), { limits: resolveLimits({ maxDepth: 3 }) }).position).toBe(3);
  });

  test("negations and cross-filters count toward the depth", () => {
    expectInvalid(`${"!".repeat(33)}id=1`, "nesting deeper than the limit of 32", 32);
    expectInvalid(
      `${"(".repeat(32)}user={id=1}${")".repeat(32)}`,
      "nesting deeper than the limit of 32",
      37,
    );
  });

  test("a hostile depth within the length limit is an error, not a stack overflow", () => {
    const query = `${"(".repeat(2040)}id=1${")".repeat(2040)}`;
    expectInvalid(query, "nesting deeper than the limit of 32", 32);
    expectInvalid(`${"!(".repeat(2000)}`, "nesting deeper than the limit of 32", 32);
  });
});
