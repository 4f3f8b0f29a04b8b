import { describe, expect, test } from "vitest";
import { QuerySyntaxError, ValidationError } from "../errors.js";
import { parseFields, parseGroupBy, parseOrderBy } from "./params.js";

function errorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected an error");
}

function expectError(run: () => unknown, target: string, message: string, position: number) {
  const error = errorOf(run);
  expect(error.message).toBe(`${target}: ${message} at ${position}`);
  expect(error.target).toBe(target);
  expect(error.position).toBe(position);
}

describe("parseOrderBy", () => {
  test("reads keys in order, - meaning descending", () => {
    expect(parseOrderBy("client_ip,-creation_time, -id")).toEqual([
      { field: "client_ip", direction: "asc" },
      { field: "creation_time", direction: "desc" },
      { field: "id", direction: "desc" },
    ]);
  });

  test("resolves aliases", () => {
    expect(parseOrderBy("-start_time,license_type")).toEqual([
      { field: "creation_time", direction: "desc" },
      { field: "license_edition", direction: "asc" },
    ]);
  });

  test("empty text means the default order", () => {
    expect(parseOrderBy("")).toEqual([]);
    expect(parseOrderBy("  ")).toEqual([]);
  });

  test("rejects unknown, unsortable and repeated fields", () => {
    expectError(() => parseOrderBy("id,-nope"), "order_by", "unknown field 'nope'", 4);
    expectError(() => parseOrderBy("user.login"), "order_by", "unknown field 'user.login'", 0);
    expectError(
      () => parseOrderBy("creation_time,-start_time"),
      "order_by",
      "'start_time' is listed twice",
      15,
    );
  });

  test("rejects malformed lists with what was expected", () => {
    const empty = errorOf(() => parseOrderBy("id,,end_time"));
    expect(empty).toBeInstanceOf(QuerySyntaxError);
    expect(empty.message).toBe("order_by: expected a field name at 3");
    expectError(() => parseOrderBy("-"), "order_by", "expected a field name after '-'", 1);
    expectError(() => parseOrderBy("id,"), "order_by", "expected a field name", 3);
    expectError(
      () => parseOrderBy("id desc"),
      "order_by",
      "expected ',' or the end of order_by",
      3,
    );
    expectError(() => parseOrderBy("+id"), "order_by", "expected a field name", 0);
  });
});

describe("parseFields", () => {
  test("reads plain field names, aliases resolved", () => {
    expect(parseFields("id, license_type ,start_time")).toEqual({
      fields: ["id", "license_edition", "creation_time"],
      userFields: null,
    });
  });

  test("reads user sub-fields", () => {
    expect(parseFields("id,user{full_name, email},client_info")).toEqual({
      fields: ["id", "user", "client_info"],
      userFields: ["full_name", "email"],
    });
    expect(parseFields("user { id,login }")).toEqual({
      fields: ["user"],
      userFields: ["id", "login"],
    });
  });

  test("empty text means the default projection", () => {
    expect(parseFields("")).toBeNull();
  });

  test("rejects unknown, repeated and misplaced names", () => {
    expectError(() => parseFields("id,nope"), "fields", "unknown field 'nope'", 3);
    expectError(() => parseFields("user.email"), "fields", "unknown field 'user.email'", 0);
    expectError(() => parseFields("id,id"), "fields", "'id' is listed twice", 3);
    expectError(() => parseFields("user,user{email}"), "fields", "'user' is listed twice", 5);
    expectError(() => parseFields("id{x}"), "fields", "only user takes {…} sub-fields", 2);
    expectError(() => parseFields("user{phone}"), "fields", "unknown user field 'phone'", 5);
    expectError(() => parseFields("user{email,email}"), "fields", "'email' is listed twice", 11);
  });

  test("rejects malformed lists with what was expected", () => {
    expectError(() => parseFields("user{"), "fields", "expected a user field", 5);
    expectError(() => parseFields("user{}"), "fields", "expected a user field", 5);
    expectError(() => parseFields("user{email"), "fields", "expected ',' or '}'", 10);
    expectError(() => parseFields("id;end_time"), "fields", "expected ',' or the end of fields", 2);
  });
});

describe("parseGroupBy", () => {
  test("reads one groupable field, aliases resolved", () => {
    expect(parseGroupBy("license_edition")).toBe("license_edition");
    expect(parseGroupBy(" license_type ")).toBe("license_edition");
    expect(parseGroupBy("user")).toBe("user");
    // Grouped by time buckets, not by value.
    expect(parseGroupBy("start_time")).toBe("creation_time");
  });

  test("rejects empty, unknown, ungroupable and several fields", () => {
    expectError(() => parseGroupBy(""), "group_by", "expected a field name", 0);
    expectError(() => parseGroupBy("nope"), "group_by", "unknown field 'nope'", 0);
    expectError(
      () => parseGroupBy("last_activity_time"),
      "group_by",
      "'last_activity_time' cannot be grouped by",
      0,
    );
    expectError(
      () => parseGroupBy("access_type,client_ip"),
      "group_by",
      "expected the end of group_by (one field only)",
      11,
    );
  });
});

describe("parseFields with Octane's user entity names", () => {
  test("should read user{name} as the login", () => {
    expect(parseFields("id,user{name,email}")?.userFields).toEqual(["login", "email"]);
  });
});
