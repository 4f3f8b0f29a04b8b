import type { Request } from "express";
import { describe, expect, it } from "vitest";
import { apiKeyAuthenticator, MIN_API_KEY_LENGTH } from "./api-key.js";
import type { Principal } from "./principal.js";
import {
  canAccessTenant,
  checkPrincipal,
  hasPermission,
  requirePermission,
  requireTenantAccess,
} from "./principal.js";

const admin = { id: "admin", tenants: "*", permissions: ["sessions:read"] } as const;
const auditor: Principal = {
  id: "auditor",
  tenants: ["1001"],
  permissions: new Set(["sessions:read"]),
};
const authenticate = apiKeyAuthenticator({
  keys: { "key-admin-0123456": admin, "key-auditor-01234": auditor },
});
const req = (headers: Record<string, string>) => ({ headers }) as unknown as Request;

describe("apiKeyAuthenticator", () => {
  it("should accept the key as X-API-KEY, as a bearer token, or as the Basic password", () => {
    expect(authenticate(req({ "x-api-key": "key-admin-0123456" }))).toBe(admin);
    expect(authenticate(req({ authorization: "Bearer key-auditor-01234" }))).toBe(auditor);
    const basic = Buffer.from("whoever:key-admin-0123456").toString("base64");
    expect(authenticate(req({ authorization: `Basic ${basic}` }))).toBe(admin);
    expect(authenticate(req({ authorization: `basic ${basic}` }))).toBe(admin);
  });

  it("should return null for no key, an unknown key, and malformed headers", () => {
    const cases: Record<string, string>[] = [
      {},
      { "x-api-key": "key-admi" },
      { "x-api-key": "key-admin-and-more" },
      { authorization: "Bearer" },
      { authorization: "Token key-admin" },
      { authorization: `Basic ${Buffer.from("key-admin-0123456").toString("base64")}` },
      { authorization: `Basic ${Buffer.from("user:").toString("base64")}` },
    ];
    for (const headers of cases) {
      expect(authenticate(req(headers)), JSON.stringify(headers)).toBeNull();
    }
  });

  it("should take keys from a Map", () => {
    const fromMap = apiKeyAuthenticator({ keys: new Map([["a-key-from-a-map-0", admin]]) });
    expect(fromMap(req({ "x-api-key": "a-key-from-a-map-0" }))).toBe(admin);
  });

  it("should refuse at construction a key that is short, blank, padded, or an unset variable's text", () => {
    const good = "a-good-key-0123456789";
    const refused: [string, RegExp][] = [
      ["", /key #2 of 2 is blank/],
      ["   ", /key #2 of 2 is blank/],
      [` ${good}`, /key #2 of 2 starts or ends with white space/],
      [`${good}\n`, /key #2 of 2 starts or ends with white space/],
      [
        "undefined",
        /key #2 of 2 is the text 'undefined': the variable meant to hold it is probably unset/,
      ],
      ["NULL", /key #2 of 2 is the text 'NULL'/],
      ["Undefined", /is the text 'Undefined'/],
      ["x".repeat(MIN_API_KEY_LENGTH - 1), /key #2 of 2 is 15 characters long, shorter than 16/],
    ];
    for (const [key, message] of refused) {
      const keys = new Map([
        [good, admin],
        [key, admin],
      ]);
      expect(() => apiKeyAuthenticator({ keys }), JSON.stringify(key)).toThrow(message);
      expect(() => apiKeyAuthenticator({ keys }), JSON.stringify(key)).toThrow(
        /use a random key of at least 16 characters/,
      );
    }
    // `[process.env.ADMIN_KEY!]` with the variable unset.
    const unset = process.env.SESSION_LEDGER_TEST_UNSET_KEY;
    expect(() => apiKeyAuthenticator({ keys: { [unset!]: admin } })).toThrow(/'undefined'/);
    expect(apiKeyAuthenticator({ keys: { ["y".repeat(MIN_API_KEY_LENGTH)]: admin } })).toBeTypeOf(
      "function",
    );
  });

  it("should never show a refused key in its error", () => {
    const secret = "short-secret";
    expect(() => apiKeyAuthenticator({ keys: { [secret]: admin } })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
  });

  it("should refuse at construction no keys, keys of the wrong kind, and malformed principals", () => {
    const key = "a-good-key-0123456789";
    expect(() => apiKeyAuthenticator({ keys: {} })).toThrow(/'keys' is empty/);
    expect(() => apiKeyAuthenticator({ keys: [] as never })).toThrow(/'keys' must be an object/);
    expect(() => apiKeyAuthenticator("key" as never)).toThrow(/takes one options object/);
    expect(() =>
      apiKeyAuthenticator({ keys: { [key]: { ...admin, tenants: "1001" as never } } }),
    ).toThrow(/key #1 of 1: tenants is a string, not a list of tenant ids or "\*"/);
    expect(() =>
      apiKeyAuthenticator({
        keys: { [key]: { ...admin, permissions: ["sessions:terminte" as never] } },
      }),
    ).toThrow(/permissions holds 'sessions:terminte', which is not one of/);
  });
});

describe("checkPrincipal", () => {
  const source = "the principal authenticate returned";
  it("should accept the documented shapes", () => {
    const shapes: unknown[] = [
      admin,
      auditor,
      { id: "x", tenants: [], permissions: [] },
      { id: "x", tenants: ["a", "b"], permissions: new Set(), userId: null, sessionId: "s" },
    ];
    for (const principal of shapes) expect(checkPrincipal(principal, source)).toBe(principal);
  });

  it("should refuse each malformed field with a MISCONFIGURED error naming it", () => {
    const refused: [unknown, RegExp][] = [
      ["admin", /it is a string, not a principal/],
      [[admin], /it is an array, not a principal/],
      [{ ...admin, id: "" }, /id is a string, not a non-empty string/],
      [{ ...admin, id: 7 }, /id is a number/],
      [{ ...admin, tenants: "1001" }, /tenants is a string, not a list of tenant ids or "\*"/],
      [{ ...admin, tenants: ["1001", 2] }, /tenants is an array, not a list of tenant ids/],
      [{ ...admin, tenants: new Set(["1"]) }, /tenants is a Set/],
      [{ ...admin, tenants: [""] }, /tenants holds an empty id/],
      [{ ...admin, permissions: "sessions:read" }, /permissions is a string, not a list or Set/],
      [{ ...admin, permissions: undefined }, /permissions is nothing/],
      [{ ...admin, permissions: ["sessions:terminte"] }, /'sessions:terminte', which is not one/],
      [{ ...admin, permissions: new Set([1]) }, /permissions is a Set/],
      [{ ...admin, userId: 5 }, /userId is a number/],
      [{ ...admin, sessionId: "" }, /sessionId is a string, not a non-empty string or null/],
    ];
    for (const [principal, message] of refused) {
      expect(() => checkPrincipal(principal, source), JSON.stringify(principal)).toThrow(
        expect.objectContaining({ code: "MISCONFIGURED", message: expect.stringMatching(message) }),
      );
    }
  });
});

describe("permission and tenant checks", () => {
  it("should never match a tenant by substring", () => {
    const claim = { id: "jwt", tenants: "1001", permissions: [] } as unknown as Principal;
    expect(canAccessTenant(claim, "1")).toBe(false);
    expect(canAccessTenant(claim, "1001")).toBe(false);
    const scopes = { ...claim, permissions: "sessions:read sessions:export" } as never;
    expect(hasPermission(scopes, "sessions:read")).toBe(false);
  });

  it("should read permissions from an array or a set, and tenants from a list or '*'", () => {
    expect(hasPermission(admin, "sessions:read")).toBe(true);
    expect(hasPermission(auditor, "sessions:read")).toBe(true);
    expect(hasPermission(auditor, "sessions:terminate")).toBe(false);
    expect(canAccessTenant(admin, "anything")).toBe(true);
    expect(canAccessTenant(auditor, "1001")).toBe(true);
    expect(canAccessTenant(auditor, "1002")).toBe(false);
  });

  it("should throw 403 errors naming what is missing", () => {
    expect(() => requirePermission(auditor, "sessions:terminate", "sessions:settings")).toThrow(
      "this operation needs the 'sessions:terminate' or 'sessions:settings' permission",
    );
    expect(() => requirePermission(auditor, "sessions:export", "sessions:read")).not.toThrow();
    expect(() => requireTenantAccess(auditor, "1002", "shared space")).toThrow(
      expect.objectContaining({ code: "FORBIDDEN", message: "no access to shared space '1002'" }),
    );
  });
});
