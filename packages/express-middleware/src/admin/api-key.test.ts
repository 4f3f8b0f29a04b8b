import type { Request } from "express";
import { describe, expect, it } from "vitest";
import { apiKeyAuthenticator } from "./api-key.js";
import {
  canAccessTenant,
  hasPermission,
  requirePermission,
  requireTenantAccess,
} from "./principal.js";

const admin = { id: "admin", tenants: "*", permissions: ["sessions:read"] } as const;
const auditor = { id: "auditor", tenants: ["1001"], permissions: new Set(["sessions:read"]) };
const authenticate = apiKeyAuthenticator({ keys: { "key-admin": admin, "key-auditor": auditor } });
const req = (headers: Record<string, string>) => ({ headers }) as unknown as Request;

describe("apiKeyAuthenticator", () => {
  it("should accept the key as X-API-KEY, as a bearer token, or as the Basic password", () => {
    expect(authenticate(req({ "x-api-key": "key-admin" }))).toBe(admin);
    expect(authenticate(req({ authorization: "Bearer key-auditor" }))).toBe(auditor);
    const basic = Buffer.from("whoever:key-admin").toString("base64");
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
      { authorization: `Basic ${Buffer.from("key-admin").toString("base64")}` },
      { authorization: `Basic ${Buffer.from("user:").toString("base64")}` },
    ];
    for (const headers of cases) {
      expect(authenticate(req(headers)), JSON.stringify(headers)).toBeNull();
    }
  });

  it("should take keys from a Map and refuse an empty key", () => {
    const fromMap = apiKeyAuthenticator({ keys: new Map([["k", admin]]) });
    expect(fromMap(req({ "x-api-key": "k" }))).toBe(admin);
    expect(() => apiKeyAuthenticator({ keys: { "": admin } })).toThrow(/must not be empty/);
  });
});

describe("permission and tenant checks", () => {
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
