import {
  NotFoundError,
  QuerySyntaxError,
  SessionLedgerError,
  StorageError,
  ValidationError,
} from "@session-ledger/core";
import { describe, expect, it } from "vitest";
import { AdminError, describeError, HTTP_STATUS } from "./errors.js";

describe("the one error table", () => {
  it("should root HTTP-layer errors at core's SessionLedgerError", () => {
    const error = new AdminError("FORBIDDEN", "no access to tenant 'x'");
    expect(error).toBeInstanceOf(SessionLedgerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("FORBIDDEN");
  });

  it("should give core and HTTP-only codes their status from one table", () => {
    expect(describeError(new ValidationError("limit: no", { target: "limit" }))).toEqual({
      status: 400,
      code: "INVALID_ARGUMENT",
      message: "limit: no",
      target: "limit",
      syntax: false,
      expose: true,
    });
    expect(describeError(new QuerySyntaxError("a value", 3))).toMatchObject({
      status: 400,
      code: "QUERY_SYNTAX",
      target: "query",
      position: 3,
      syntax: true,
    });
    expect(describeError(new NotFoundError("gone"))).toMatchObject({ status: 404 });
    expect(
      describeError(new AdminError("METHOD_NOT_ALLOWED", "no", { allow: ["GET", "HEAD"] })),
    ).toMatchObject({ status: 405, code: "METHOD_NOT_ALLOWED", allow: ["GET", "HEAD"] });
    expect(
      describeError(new AdminError("PAYLOAD_TOO_LARGE", "too big", { target: "body" })),
    ).toMatchObject({ status: 413, target: "body" });
    for (const [code, status] of Object.entries(HTTP_STATUS)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
    }
  });

  it("should tell a client nothing of a server fault", () => {
    expect(describeError(new StorageError("SQLITE_BUSY at /var/db"))).toEqual({
      status: 503,
      code: "STORAGE_ERROR",
      message: "the session store is unavailable; try again later",
      syntax: false,
      expose: false,
    });
    for (const thrown of [
      new TypeError("x is undefined"),
      "a string",
      new SessionLedgerError<string>("HOST_DEFINED", "a code the table does not know"),
    ]) {
      expect(describeError(thrown)).toEqual({
        status: 500,
        code: "INTERNAL",
        message: "an unexpected error occurred",
        syntax: false,
        expose: false,
      });
    }
  });
});
