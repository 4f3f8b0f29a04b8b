/**
 * The Cognite, LogScale, Formal and SAYMON routers each mounted alone over a memory-store
 * ledger: the options they share (the tenant each request acts in, the limits of a page),
 * tenant isolation, permissions, and store failures that reach the client only as a generic
 * message in the dialect's own body.
 */
import {
  createMemoryStore,
  createSessionLedger,
  type SessionLedger,
  StorageError,
} from "@session-ledger/core";
import express, { type Express, type RequestHandler } from "express";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import {
  type AdminRouterOptions,
  createCogniteRouter,
  createFormalRouter,
  createLogScaleRouter,
  createSaymonRouter,
} from "./adapters/express.js";
import { apiKeyAuthenticator } from "./admin/api-key.js";
import type { Permission, Principal } from "./admin/principal.js";
import { createTestApp, KEYS as OCTANE_KEYS } from "./test-support/octane-app.js";

const TENANT = "acme";
const SECRET = "SQLITE_IOERR at /var/lib/secret.db";
const EVERYTHING: Permission[] = [
  "sessions:read",
  "sessions:terminate",
  "sessions:settings",
  "read-session-log",
];
/** The test's API keys, by who holds them. */
const KEY = {
  acme: "acme-key-0123456789",
  global: "global-key-0123456789",
  reader: "reader-key-0123456789",
};
const KEYS: Record<string, Principal> = {
  [KEY.acme]: { id: "acme-admin", tenants: [TENANT], permissions: EVERYTHING },
  [KEY.global]: { id: "root", tenants: "*", permissions: EVERYTHING },
  [KEY.reader]: { id: "reader", tenants: [TENANT], permissions: ["sessions:read"] },
};

type Mount = (options: AdminRouterOptions) => RequestHandler;

/** One request per dialect, in the tenant of the key unless a tenant is named. */
interface Dialect {
  name: string;
  mount: Mount;
  /** A listing of every session, `limit` of them at most when given. */
  send(app: Express, key: string, tenant?: string, limit?: number): request.Test;
  /** How many sessions a listing's body holds. */
  count(body: unknown): number;
  /** The error body's shape for a status. */
  error(status: number): unknown;
}

const withTenant = (test: request.Test, tenant?: string) =>
  tenant === undefined ? test : test.set("X-Tenant-Id", tenant);

const DIALECTS: Dialect[] = [
  {
    name: "Cognite",
    mount: (options) => createCogniteRouter(options),
    send: (app, key, tenant = TENANT, limit) =>
      request(app)
        .get(`/api/v1/orgs/${tenant}/principals/u1/sessions${limit ? `?limit=${limit}` : ""}`)
        .set("Authorization", `Bearer ${key}`),
    count: (body) => (body as { items: unknown[] }).items.length,
    error: (status) => ({ code: status, message: expect.any(String) }),
  },
  {
    name: "LogScale",
    mount: (options) => createLogScaleRouter(options),
    send: (app, key, tenant, limit) =>
      withTenant(
        request(app)
          .post("/graphql")
          .set("Authorization", `Bearer ${key}`)
          .send({
            query: `{ sessions(onlyActiveSessions: false${limit ? `, limit: ${limit}` : ""}) { results { id } } }`,
          }),
        tenant,
      ),
    count: (body) =>
      (body as { data: { sessions: { results: unknown[] } } }).data.sessions.results.length,
    error: () => ({
      errors: [{ message: expect.any(String), extensions: { code: expect.any(String) } }],
    }),
  },
  {
    name: "Formal",
    mount: (options) => createFormalRouter(options),
    send: (app, key, tenant, limit) =>
      withTenant(
        request(app)
          .post("/core.v1.SessionsService/ListSessionsV2")
          .set("X-API-KEY", key)
          .send(limit ? { limit } : {}),
        tenant,
      ),
    count: (body) => (body as { sessions: unknown[] }).sessions.length,
    error: () => ({ code: expect.any(String), message: expect.any(String) }),
  },
  {
    name: "SAYMON",
    mount: (options) => createSaymonRouter(options),
    send: (app, key, tenant, limit) =>
      withTenant(
        request(app)
          .get(`/node/api/users/session/log${limit ? `?limit=${limit}` : ""}`)
          .auth("admin", key),
        tenant,
      ),
    count: (body) => (body as unknown[]).length,
    error: () => ({ code: expect.any(String), message: expect.any(String) }),
  },
];

describe.each(DIALECTS)("$name router mounted alone", (dialect) => {
  let ledger: SessionLedger;
  let errors: unknown[];
  const appOver = (over: SessionLedger, options: Partial<AdminRouterOptions> = {}) => {
    const app = express();
    app.use(
      dialect.mount({
        ledger: over,
        authenticate: apiKeyAuthenticator({ keys: KEYS }),
        onError: (error) => errors.push(error),
        ...options,
      }),
    );
    return app;
  };

  beforeEach(async () => {
    errors = [];
    ledger = createSessionLedger({ store: createMemoryStore() });
    for (const tenantId of [TENANT, "other-org"]) {
      await ledger.create({ tenantId, user: { id: "u1", login: "ann" } });
    }
  });

  it("should act in the key's only tenant, or the one named", async () => {
    const app = appOver(ledger);
    const own = await dialect.send(app, KEY.acme);
    expect(own.status).toBe(200);
    expect(dialect.count(own.body)).toBe(1);
    const named = await dialect.send(app, KEY.global, TENANT);
    expect(named.status).toBe(200);
    expect(dialect.count(named.body)).toBe(1);
  });

  it("should act in the tenant the tenant option picks", async () => {
    await ledger.create({ tenantId: "acme-eu", user: { id: "u1", login: "ann" } });
    await ledger.create({ tenantId: "acme-eu", user: { id: "u1", login: "ann" } });
    const seen: (string | null)[] = [];
    const app = appOver(ledger, {
      tenant: (_req, _principal, fromPath) => {
        seen.push(fromPath);
        return "acme-eu";
      },
    });
    const res = await dialect.send(app, KEY.global);
    expect(res.status).toBe(200);
    expect(dialect.count(res.body)).toBe(2);
    // Only Cognite names its tenant in the path (the org); the others leave it to the request.
    expect(seen).toEqual([dialect.name === "Cognite" ? TENANT : null]);
  });

  it("should take its page sizes from the limits option", async () => {
    for (let i = 0; i < 3; i++)
      await ledger.create({ tenantId: TENANT, user: { id: "u1", login: "ann" } });
    const app = appOver(ledger, { limits: { defaultPageSize: 2, maxPageSize: 3 } });
    const unbounded = await dialect.send(app, KEY.acme);
    expect(unbounded.status).toBe(200);
    expect(dialect.count(unbounded.body)).toBe(2);
    expect(dialect.count((await dialect.send(app, KEY.acme, undefined, 3)).body)).toBe(3);
    const over = await dialect.send(app, KEY.acme, undefined, 4);
    expect(JSON.stringify(over.body)).toMatch(/limit.*3/);
    expect(over.status).toBe(dialect.name === "LogScale" ? 200 : 400);
  });

  it("should refuse limits that are not positive integers, or a default over the largest page", () => {
    expect(() => appOver(ledger, { limits: { maxPageSize: 0 } })).toThrow(
      "limits.maxPageSize must be a positive integer",
    );
    expect(() => appOver(ledger, { limits: { maxLength: 2.5 } })).toThrow(
      "limits.maxLength must be a positive integer",
    );
    expect(() => appOver(ledger, { limits: { defaultPageSize: 11, maxPageSize: 10 } })).toThrow(
      "limits.defaultPageSize (11) must not exceed limits.maxPageSize (10)",
    );
  });

  it("should refuse a tenant the key may not act in with 403, in the dialect's body", async () => {
    const res = await dialect.send(appOver(ledger), KEY.acme, "other-org");
    expect(res.status).toBe(403);
    expect(res.body).toEqual(dialect.error(403));
    expect(JSON.stringify(res.body)).toContain("other-org");
  });

  it("should answer a malformed principal with a 500 naming the mistake, never matching tenants by substring", async () => {
    await ledger.create({ tenantId: "1", user: { id: "u1", login: "ann" } });
    // A token's claim handed over as it came: one tenant as a string.
    const fromClaim = { id: "jwt-user", tenants: "1001", permissions: EVERYTHING };
    const app = appOver(ledger, { authenticate: () => fromClaim as unknown as Principal });
    const res = await dialect.send(app, "any-token", "1");
    expect(res.status).toBe(500);
    expect(res.body).toEqual(dialect.error(500));
    expect(JSON.stringify(res.body)).toContain(
      'the principal authenticate returned: tenants is a string, not a list of tenant ids or \\"*\\"',
    );
    expect(errors).toHaveLength(1);
  });

  it("should answer a principal holding an unknown permission with a 500 naming it", async () => {
    const typo = { id: "x", tenants: [TENANT], permissions: ["sessions:terminte"] };
    const app = appOver(ledger, { authenticate: () => typo as unknown as Principal });
    const res = await dialect.send(app, "any-token");
    expect(res.status).toBe(500);
    expect(res.body).toEqual(dialect.error(500));
    expect(JSON.stringify(res.body)).toContain("'sessions:terminte', which is not one of");
  });

  it("should hide a store failure behind a generic message and log it", async () => {
    const failing: SessionLedger = {
      ...ledger,
      list: async () => {
        throw new StorageError(SECRET);
      },
    };
    const res = await dialect.send(appOver(failing), KEY.acme);
    // GraphQL reports a failed field inside a 200; the others answer 503.
    expect(res.status).toBe(dialect.name === "LogScale" ? 200 : 503);
    expect(JSON.stringify(res.body)).not.toContain("SQLITE");
    expect(JSON.stringify(res.body)).not.toContain("secret");
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe(SECRET);
  });
});

describe("routers mounted alone: tenant and permission", () => {
  it("should ask a key of several tenants to name one with X-Tenant-Id", async () => {
    const ledger = createSessionLedger({ store: createMemoryStore() });
    for (const dialect of DIALECTS.filter((d) => d.name !== "Cognite")) {
      const app = express().use(
        dialect.mount({
          ledger,
          authenticate: apiKeyAuthenticator({ keys: KEYS }),
          onError: () => {},
        }),
      );
      const res = await dialect.send(app, KEY.global);
      expect(res.status, dialect.name).toBe(400);
      expect(JSON.stringify(res.body), dialect.name).toContain("X-Tenant-Id");
    }
  });

  it("should refuse the SAYMON log without read-session-log, naming the permission", async () => {
    const ledger = createSessionLedger({ store: createMemoryStore() });
    const app = express().use(
      createSaymonRouter({ ledger, authenticate: apiKeyAuthenticator({ keys: KEYS }) }),
    );
    const res = await request(app).get("/node/api/users/session/log").auth("reader", KEY.reader);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      code: "Forbidden",
      message: "this operation needs the 'read-session-log' permission",
    });
  });

  it("should map a Cognite org to its tenant through the tenant resolver", async () => {
    const ledger = createSessionLedger({ store: createMemoryStore() });
    await ledger.create({ tenantId: "T-42", user: { id: "u1", login: "ann" } });
    const app = express().use(
      createCogniteRouter({
        ledger,
        authenticate: apiKeyAuthenticator({
          keys: { [KEY.reader]: { id: "k", tenants: ["T-42"], permissions: ["sessions:read"] } },
        }),
        tenant: (_req, _principal, org) => (org === "tenant-42" ? "T-42" : "unknown"),
      }),
    );
    const res = await request(app)
      .get("/api/v1/orgs/tenant-42/principals/u1/sessions")
      .set("Authorization", `Bearer ${KEY.reader}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });
});

describe("Octane router: the tenant option", () => {
  it("should get the space of the path, and keep that space in the task's Location", async () => {
    const t = await createTestApp({
      router: { tenant: (_req, _principal, space) => (space === "main" ? "1001" : `x-${space}`) },
    });
    try {
      const open = (await t.all("1001")).filter((session) => session.status === "ACTIVE");
      const list = await request(t.app)
        .get(`/api/shared_spaces/main/sessions?query=${encodeURIComponent('"(end_time=null)"')}`)
        .set("X-API-KEY", OCTANE_KEYS.admin);
      expect(list.status).toBe(200);
      expect(list.body.total_count).toBe(open.length);
      const put = await request(t.app)
        .put(
          `/api/shared_spaces/main/sessions?query=${encodeURIComponent(`"id='${open[0]!.id}'"`)}`,
        )
        .set("X-API-KEY", OCTANE_KEYS.admin)
        .send({ data: [{ is_closed: true }] });
      expect(put.status).toBe(202);
      expect(put.headers.location).toMatch(/^\/api\/shared_spaces\/main\/background_tasks\?/);
      const poll = await request(t.app)
        .get(put.headers.location!)
        .set("X-API-KEY", OCTANE_KEYS.admin);
      expect(poll.body.data.map((task: { id: string }) => task.id)).toEqual([put.body.data[0].id]);
    } finally {
      await t.close();
    }
  });
});
