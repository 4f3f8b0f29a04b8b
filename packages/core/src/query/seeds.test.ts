/**
 * Every query example in the Octane seed document (seeds/004) and the seed API summary (§A),
 * kept exactly as written (wrapping quotes included), with the AST each must produce.
 * Examples naming entities sessions lack (`name`, `release`) are adapted to session fields.
 */
import { describe, expect, test } from "vitest";
import { QuerySyntaxError, ValidationError } from "../errors.js";
import type { Filter, FilterValue } from "./ast.js";
import type { FieldName } from "./fields.js";
import { parseFields, parseGroupBy, parseOrderBy } from "./params.js";
import { parseQuery } from "./parser.js";

const time = (iso: string): FilterValue => ({ kind: "time", value: Date.parse(iso) });
const text = (value: string): FilterValue => ({ kind: "text", value });
const eq = (field: FieldName, value: FilterValue): Filter => ({
  kind: "compare",
  field,
  op: "EQ",
  value,
});
const thirtyDays: Filter = {
  kind: "and",
  items: [
    { kind: "compare", field: "creation_time", op: "GT", value: time("2026-01-28T20:59:59.427Z") },
    { kind: "compare", field: "creation_time", op: "LT", value: time("2026-02-26T20:59:59.427Z") },
  ],
};
const createdAfter: Filter = {
  kind: "compare",
  field: "creation_time",
  op: "GT",
  value: time("2026-01-28T20:59:59.427Z"),
};

describe("seed 004: Octane manage sessions", () => {
  test("get all open sessions", () => {
    expect(parseQuery(`"(end_time=null)"`)).toEqual(eq("end_time", { kind: "null" }));
  });

  test("filter sessions by user id", () => {
    const query = `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59Z^;(user={id=220001}))"`;
    expect(parseQuery(query)).toEqual({
      kind: "and",
      items: [
        {
          kind: "compare",
          field: "creation_time",
          op: "GT",
          value: { kind: "time", value: Date.UTC(2026, 0, 28, 20, 59, 59, 427) },
        },
        {
          kind: "compare",
          field: "creation_time",
          op: "LT",
          value: { kind: "time", value: Date.UTC(2026, 1, 26, 20, 59, 59) },
        },
        { kind: "user", filter: eq("user.id", text("220001")) },
      ],
    });
  });

  test("group by license type", () => {
    const query = `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"`;
    expect(parseQuery(query)).toEqual(thirtyDays);
    expect(parseGroupBy("license_edition")).toBe("license_edition");
  });

  test("sort descending by creation time", () => {
    const query = `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"`;
    expect(parseQuery(query)).toEqual(thirtyDays);
    expect(parseOrderBy("-creation_time")).toEqual([{ field: "creation_time", direction: "desc" }]);
    expect(parseFields("creation_time,end_time,user")).toEqual({
      fields: ["creation_time", "end_time", "user"],
      userFields: null,
    });
  });

  test("sort ascending by end time", () => {
    const query = `"(creation_time>^2026-01-28T20:59:59.427Z^;creation_time<^2026-02-26T20:59:59.427Z^)"`;
    expect(parseQuery(query)).toEqual(thirtyDays);
    expect(parseOrderBy("end_time")).toEqual([{ field: "end_time", direction: "asc" }]);
  });

  test("export to XLSX", () => {
    expect(parseQuery(`"(creation_time>^2026-01-28T20:59:59.427Z^)"`)).toEqual(createdAfter);
    const fields =
      "id,user,client_type,session_identifier,client_ip,access_type,creation_time,end_time,license_edition";
    expect(parseFields(fields)?.fields).toEqual(fields.split(","));
  });

  test("export to CSV", () => {
    expect(parseQuery(`"(creation_time>^2026-01-28T20:59:59.427Z^)"`)).toEqual(createdAfter);
  });

  test("filter by user id: the fields list", () => {
    const fields =
      "session_identifier,client_type,user,creation_time,access_type,license_edition,end_time,client_ip,id";
    expect(parseFields(fields)?.fields).toEqual(fields.split(","));
  });

  test("terminate sessions, with the placeholders kept as string values", () => {
    expect(parseQuery(`"(id='<session_ID>';id='<session_ID>';id='<session_ID>')"`)).toEqual({
      kind: "and",
      items: [1, 2, 3].map(() => eq("id", text("<session_ID>"))),
    });
  });

  test("terminate sessions by id", () => {
    expect(parseQuery(`"(id='a';id='b';id='c')"`)).toEqual({
      kind: "and",
      items: [eq("id", text("a")), eq("id", text("b")), eq("id", text("c"))],
    });
  });

  test("poll a background task by id", () => {
    expect(parseQuery(`"id=1001"`)).toEqual(eq("id", text("1001")));
  });

  test("a background task id placeholder left in is a syntax error, not a crash", () => {
    expect(() => parseQuery(`"id=<background_task_ID>"`)).toThrowError(
      new QuerySyntaxError("a value after 'id='", 4),
    );
  });
});

describe("seed-apis §A: Octane query clause", () => {
  test("keyword operator: id EQ 1001", () => {
    expect(parseQuery("id EQ 1001")).toEqual(eq("id", text("1001")));
  });

  test("IN with spaces after commas", () => {
    expect(parseQuery("id IN 1001, 1002, 1003")).toEqual({
      kind: "in",
      field: "id",
      values: [text("1001"), text("1002"), text("1003")],
    });
  });

  test("IN with the [current_user] macro is rejected as unsupported", () => {
    const error = catchError(() => parseQuery("id IN [current_user],1001, 1002, 1003"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).not.toBeInstanceOf(QuerySyntaxError);
    expect(error.message).toBe("query: macros such as '[current_user]' are not supported at 6");
    expect(error.position).toBe(6);
  });

  const range: Filter = { kind: "between", field: "id", low: text("12"), high: text("16") };

  test("BTW with the ellipsis character, as the docs print it", () => {
    expect(parseQuery("id BTW 12…16")).toEqual(range);
  });

  test("BTW with three dots, as the JS SDK writes it", () => {
    expect(parseQuery("id BTW 12...16")).toEqual(range);
  });

  test("BTW with a space before the dots, as the Java SDK writes it", () => {
    expect(parseQuery("id BTW 12 ...16")).toEqual(range);
  });

  test("wildcard in a caret string (JS README `name EQ ^test*^`, on client_type)", () => {
    expect(parseQuery("client_type EQ ^test*^")).toEqual(
      eq("client_type", { kind: "pattern", parts: ["test", ""] }),
    );
  });

  test("cross-filter (`release={id=5002}`, on user)", () => {
    expect(parseQuery("user={id=5002}")).toEqual({
      kind: "user",
      filter: eq("user.id", text("5002")),
    });
  });

  test("the literal release cross-filter names an unknown field", () => {
    expect(() => parseQuery("release={id=5002}")).toThrowError(
      "query: unknown field 'release' at 0",
    );
  });

  test("nested cross-filter with keyword operators (`detected_in_release EQ {…}`, on user)", () => {
    expect(parseQuery("user EQ {id EQ 1006}")).toEqual({
      kind: "user",
      filter: eq("user.id", text("1006")),
    });
  });

  test("cross-filter by login", () => {
    expect(parseQuery("user={login='bob'}")).toEqual({
      kind: "user",
      filter: eq("user.login", text("bob")),
    });
  });

  test("SDK IN form", () => {
    expect(parseQuery("(client_type IN 'a','b')")).toEqual({
      kind: "in",
      field: "client_type",
      values: [text("a"), text("b")],
    });
  });

  test("SDK negation form", () => {
    expect(parseQuery("!(license_edition EQ 'Enterprise')")).toEqual({
      kind: "not",
      item: eq("license_edition", text("Enterprise")),
    });
  });

  test("null reference as the Java SDK writes it", () => {
    expect(parseQuery("user={null}")).toEqual(eq("user", { kind: "null" }));
  });

  test("older page: start_time and license are aliases", () => {
    expect(parseQuery(`"(start_time>^2026-01-28T20:59:59.427Z^;license='Pro')"`)).toEqual({
      kind: "and",
      items: [createdAfter, eq("license_edition", text("Pro"))],
    });
  });

  test("admin example enums as values", () => {
    expect(parseQuery("access_type='USER_API_ACCESS';client_type='CI_CLIENT'")).toEqual({
      kind: "and",
      items: [eq("access_type", text("USER_API_ACCESS")), eq("client_type", text("CI_CLIENT"))],
    });
  });

  test("user sub-field projection (C# SDK BuildFieldsString)", () => {
    expect(parseFields("user{full_name,email}")).toEqual({
      fields: ["user"],
      userFields: ["full_name", "email"],
    });
  });

  test("order_by with several keys", () => {
    expect(parseOrderBy("-creation_time,id")).toEqual([
      { field: "creation_time", direction: "desc" },
      { field: "id", direction: "asc" },
    ]);
  });
});

function catchError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected an error");
}
