/**
 * Who may see what of the LogScale endpoint beyond the session fields: the organization's
 * session policy, the schema (introspection), and the names graphql-js suggests in errors.
 */
import express, { type Express } from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogScaleRouter, type LogScaleRouterOptions } from "../adapters/express.js";
import type { Permission, Principal } from "../admin/principal.js";
import { createTestLedger, type TestLedger } from "../test-support/ledger.js";

const principal = (id: string, permissions: Permission[]): Principal => ({
  id,
  tenants: ["1001"],
  permissions,
});
const PRINCIPALS: Record<string, Principal> = {
  reader: principal("reader", ["sessions:read"]),
  settings: principal("settings", ["sessions:settings"]),
  terminator: principal("terminator", ["sessions:terminate"]),
  // A signed-in user: its own sessions only.
  user: { ...principal("user", []), userId: "u1", sessionId: "s1" },
};

let t: TestLedger;
let app: Express;
let closedApp: Express;
beforeAll(() => {
  t = createTestLedger({ now: Date.parse("2026-03-01T12:00:00Z") });
  const mount = (extra: Partial<LogScaleRouterOptions> = {}) =>
    express().use(
      createLogScaleRouter({
        ledger: t.ledger,
        tenant: () => "1001",
        authenticate: (req) => PRINCIPALS[req.get("X-Role") ?? ""] ?? null,
        ...extra,
      }),
    );
  app = mount();
  closedApp = mount({ introspection: false });
});
afterAll(() => t.close());

const graphql = (role: string, query: string, on = app) =>
  request(on).post("/graphql").set("X-Role", role).send({ query });

describe("the organization's session policy", () => {
  const ORGANIZATION = "{ organization { id } }";

  it.each(["reader", "settings"])("is read by a caller with %s", async (role) => {
    const res = await graphql(role, ORGANIZATION);
    expect(res.body).toEqual({ data: { organization: { id: "1001" } } });
  });

  it.each(["terminator", "user"])("is refused to %s", async (role) => {
    const res = await graphql(role, ORGANIZATION);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: "the sessions:read or sessions:settings permission is required",
        extensions: { code: "FORBIDDEN" },
      }),
    ]);
  });
});

describe("introspection and field suggestions", () => {
  const INTROSPECTION = "{ __schema { queryType { name } } }";
  const TYPO = "{ sessions(level: User) { totalResult } }";

  it("are answered to a reader of sessions", async () => {
    const schema = await graphql("reader", INTROSPECTION);
    expect(schema.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    const typo = await graphql("reader", TYPO);
    expect(typo.body.errors[0].message).toMatch(/Did you mean "totalResults"\?/);
  });

  it.each(["user", "terminator", "settings"])("are refused to %s", async (role) => {
    const schema = await graphql(role, INTROSPECTION);
    expect(schema.body.data).toBeUndefined();
    expect(schema.body.errors[0].message).toMatch(/introspection/i);
    expect(JSON.stringify(schema.body)).not.toContain("Query");
    const typo = await graphql(role, TYPO);
    expect(typo.body.errors[0].message).toBe(
      'Cannot query field "totalResult" on type "SessionQueryResultSet".',
    );
    const enumTypo = await graphql(role, "{ sessions(level: Usr) { totalResults } }");
    expect(enumTypo.body.errors[0].message).not.toMatch(/Did you mean/);
    expect(enumTypo.body.errors[0].locations).toEqual([expect.any(Object)]);
  });

  it("are refused to every caller with introspection: false", async () => {
    const schema = await graphql("reader", INTROSPECTION, closedApp);
    expect(schema.body.errors[0].message).toMatch(/introspection/i);
    const typo = await graphql("reader", TYPO, closedApp);
    expect(typo.body.errors[0].message).not.toMatch(/Did you mean/);
    // The rest of the endpoint is unchanged.
    const list = await graphql("reader", "{ sessions { totalResults } }", closedApp);
    expect(list.body).toEqual({ data: { sessions: { totalResults: 0 } } });
  });
});
