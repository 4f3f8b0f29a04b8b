import { createMemoryStore, createSessionLedger, createTaskRunner } from "@session-ledger/core";
import type { RequestHandler } from "express";
import { describe, expect, it } from "vitest";
import {
  createCogniteRouter,
  createFormalRouter,
  createLogScaleRouter,
  createOctaneRouter,
  createSaymonRouter,
} from "../adapters/express.js";

const store = createMemoryStore();
const ledger = createSessionLedger({ store });
const taskRunner = createTaskRunner({ ledger, store });
const authenticate = () => null;

/** Every router, with the options it needs beyond the base ones. */
const ROUTERS: [
  string,
  (options: Record<string, unknown>) => RequestHandler,
  Record<string, unknown>,
][] = [
  ["createOctaneRouter", (o) => createOctaneRouter(o as never), { taskRunner }],
  ["createCogniteRouter", (o) => createCogniteRouter(o as never), {}],
  ["createLogScaleRouter", (o) => createLogScaleRouter(o as never), {}],
  ["createFormalRouter", (o) => createFormalRouter(o as never), {}],
  ["createSaymonRouter", (o) => createSaymonRouter(o as never), {}],
];

describe.each(ROUTERS)("%s - options checked at construction", (factory, create, own) => {
  it("should be created from complete options", () => {
    expect(create({ ledger, authenticate, ...own })).toBeTypeOf("function");
  });

  it("should only narrow the ledger's limits, never widen them", () => {
    const narrow = createSessionLedger({ store, limits: { maxPageSize: 50, maxNodes: 40 } });
    expect(() =>
      create({ ledger: narrow, authenticate, ...own, limits: { maxPageSize: 51 } }),
    ).toThrow(
      "limits.maxPageSize (51) may only narrow the ledger's limits.maxPageSize (50): raise it in createSessionLedger({ limits }) first",
    );
    expect(() =>
      create({ ledger: narrow, authenticate, ...own, limits: { maxNodes: 41 } }),
    ).toThrow("limits.maxNodes (41) may only narrow");
    expect(
      create({ ledger: narrow, authenticate, ...own, limits: { maxPageSize: 20 } }),
    ).toBeTypeOf("function");
  });

  it("should refuse a positional argument", () => {
    expect(() => create(ledger as never)).toThrow(
      new RegExp(`^${factory}: unknown options .*; it takes ledger, authenticate`),
    );
    expect(() => (create as (o?: unknown) => RequestHandler)()).toThrow(
      `${factory} takes one options object ({ ledger, authenticate, tenant, limits, onError`,
    );
  });

  it("should refuse a missing or unusable ledger", () => {
    for (const given of [undefined, {}, store]) {
      expect(() => create({ ledger: given, authenticate, ...own })).toThrow(
        `${factory}: 'ledger' must be a ledger from createSessionLedger({ store })`,
      );
    }
  });

  it("should refuse a missing authenticate, and tenant or onError that are not functions", () => {
    expect(() => create({ ledger, ...own })).toThrow(
      `${factory}: 'authenticate' must be a function (req) => principal or null, e.g. apiKeyAuthenticator({ keys }), got nothing`,
    );
    expect(() => create({ ledger, authenticate: { keys: {} }, ...own })).toThrow(
      "'authenticate' must be a function",
    );
    expect(() => create({ ledger, authenticate, tenant: "acme", ...own })).toThrow(
      `${factory}: 'tenant' must be a function (req, principal, fromPath) => tenant id, got a string`,
    );
    expect(() => create({ ledger, authenticate, onError: true, ...own })).toThrow(
      `${factory}: 'onError' must be a function`,
    );
  });

  it("should refuse an unknown option name in development", () => {
    expect(() => create({ ledger, authenticate, limit: { maxPageSize: 10 }, ...own })).toThrow(
      `${factory}: unknown option 'limit'; it takes ledger, authenticate, tenant, limits, onError`,
    );
  });
});

describe("createOctaneRouter - its own options", () => {
  it("should refuse to be created without a task runner, saying how to make one", () => {
    for (const given of [undefined, {}, ledger]) {
      expect(() =>
        createOctaneRouter({ ledger, authenticate, taskRunner: given as never }),
      ).toThrow("createOctaneRouter: 'taskRunner' must be a task runner, got ");
    }
    expect(() => createOctaneRouter({ ledger, authenticate } as never)).toThrow(
      "pass createTaskRunner({ ledger, store }) and call its start()",
    );
  });

  it("should refuse a creation range that is not a positive whole number of days, or null", () => {
    for (const days of [0, -1, 1.5, Number.NaN, "30"]) {
      expect(
        () =>
          createOctaneRouter({
            ledger,
            authenticate,
            taskRunner,
            requireCreationRangeDays: days as never,
          }),
        String(days),
      ).toThrow(
        expect.objectContaining({
          target: "requireCreationRangeDays",
          message: expect.stringContaining(
            "requireCreationRangeDays must be a positive whole number of days, or null to turn the rule off",
          ),
        }),
      );
    }
    for (const days of [1, 90, null]) {
      expect(
        createOctaneRouter({ ledger, authenticate, taskRunner, requireCreationRangeDays: days }),
      ).toBeTypeOf("function");
    }
  });

  it("should refuse an empty user entity type", () => {
    expect(() =>
      createOctaneRouter({ ledger, authenticate, taskRunner, userEntityType: "" }),
    ).toThrow("createOctaneRouter: 'userEntityType' must be a non-empty string");
  });
});

describe("createLogScaleRouter and createSaymonRouter - their own options", () => {
  it("should refuse a LogScale path that does not start with a slash", () => {
    expect(() => createLogScaleRouter({ ledger, authenticate, path: "graphql" })).toThrow(
      "createLogScaleRouter: 'path' must be a path starting with '/', got 'graphql'",
    );
  });

  it("should refuse a SAYMON permission that is not a Permission", () => {
    expect(() =>
      createSaymonRouter({ ledger, authenticate, permission: "read-sesion-log" as never }),
    ).toThrow("createSaymonRouter: 'permission' must be one of 'sessions:read'");
  });
});
