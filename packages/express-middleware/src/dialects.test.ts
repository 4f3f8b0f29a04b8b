/**
 * The Cognite, LogScale, Formal and SAYMON routers each mounted alone over a memory-store
 * ledger: the tenant each request acts in, tenant isolation, permissions, and store failures
 * that reach the client only as a generic message in the dialect's own body.
 */
import {
  createMemoryStore,
  createSessionLedger,
  type SessionLedger,
  StorageError,
} from "@session-ledger/core";
import express, { type Express, type Router } from "express";
import request from "supertest";
import { beforeEach, describe, expect, it } from "vitest";
import { apiKeyAuthenticator } from "./admin/api-key.js";
import type { Authenticate, Principal } from "./admin/principal.js";
import { createCogniteRouter } from "./cognite/router.js";
import { createFormalRouter } from "./formal/router.js";
import { createLogScaleRouter } from "./logscale/router.js";
import { createSaymonRouter } from "./saymon/router.js";

const TENANT = "acme";
const SECRET = "SQLITE_IOERR at /var/lib/secret.db";
const EVERYTHING = ["sessions:read", "sessions:terminate", "sessions:settings", "read-session-log"];
const KEYS: Record<string, Principal> = {
  acme: { id: "acme-admin", tenants: [TENANT], permissions: EVERYTHING },
  global: { id: "root", tenants: "*", permissions: EVERYTHING },
  reader: { id: "reader", tenants: [TENANT], permissions: ["sessions:read"] },
};

type Mount = (options: {
  ledger: SessionLedger;
  authenticate: Authenticate;
  onError: (error: unknown) => void;
}) => Router;

/** One request per dialect, in the tenant of the key unless a tenant is named. */
interface Dialect {
  name: string;
  mount: Mount;
  send(app: Express, key: string, tenant?: string): request.Test;
  /** The error body's shape for a status. */
  error(status: number): unknown;
}

const withTenant = (test: request.Test, tenant?: string) =>
  tenant === undefined ? test : test.set("X-Tenant-Id", tenant);

const DIALECTS: Dialect[] = [
  {
    name: "Cognite",
    mount: (options) => createCogniteRouter(options),
    send: (app, key, tenant = TENANT) =>
      request(app)
        .get(`/api/v1/orgs/${tenant}/principals/u1/sessions`)
        .set("Authorization", `Bearer ${key}`),
    error: (status) => ({ code: status, message: expect.any(String) }),
  },
  {
    name: "LogScale",
    mount: (options) => createLogScaleRouter(options),
    send: (app, key, tenant) =>
      withTenant(
        request(app)
          .post("/graphql")
          .set("Authorization", `Bearer ${key}`)
          .send({ query: "{ sessions(onlyActiveSessions: false) { totalResults } }" }),
        tenant,
      ),
    error: () => ({
      errors: [{ message: expect.any(String), extensions: { code: expect.any(String) } }],
    }),
  },
  {
    name: "Formal",
    mount: (options) => createFormalRouter(options),
    send: (app, key, tenant) =>
      withTenant(
        request(app)
          .post("/core.v1.SessionsService/ListSessionsV2")
          .set("X-API-KEY", key)
          .send({ limit: 10 }),
        tenant,
      ),
    error: () => ({ code: expect.any(String), message: expect.any(String) }),
  },
  {
    name: "SAYMON",
    mount: (options) => createSaymonRouter(options),
    send: (app, key, tenant) =>
      withTenant(request(app).get("/node/api/users/session/log").auth("admin", key), tenant),
    error: () => ({ code: expect.any(String), message: expect.any(String) }),
  },
];

describe.each(DIALECTS)("$name router mounted alone", (dialect) => {
  let ledger: SessionLedger;
  let errors: unknown[];
  const appOver = (over: SessionLedger) => {
    const app = express();
    app.use(
      dialect.mount({
        ledger: over,
        authenticate: apiKeyAuthenticator({ keys: KEYS }),
        onError: (error) => errors.push(error),
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
    const own = await dialect.send(app, "acme");
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).toMatch(/1/);
    expect((await dialect.send(app, "global", TENANT)).status).toBe(200);
  });

  it("should refuse a tenant the key may not act in with 403, in the dialect's body", async () => {
    const res = await dialect.send(appOver(ledger), "acme", "other-org");
    expect(res.status).toBe(403);
    expect(res.body).toEqual(dialect.error(403));
    expect(JSON.stringify(res.body)).toContain("other-org");
  });

  it("should hide a store failure behind a generic message and log it", async () => {
    const failing: SessionLedger = {
      ...ledger,
      list: async () => {
        throw new StorageError(SECRET);
      },
    };
    const res = await dialect.send(appOver(failing), "acme");
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
      const res = await dialect.send(app, "global");
      expect(res.status, dialect.name).toBe(400);
      expect(JSON.stringify(res.body), dialect.name).toContain("X-Tenant-Id");
    }
  });

  it("should refuse the SAYMON log without read-session-log, naming the permission", async () => {
    const ledger = createSessionLedger({ store: createMemoryStore() });
    const app = express().use(
      createSaymonRouter({ ledger, authenticate: apiKeyAuthenticator({ keys: KEYS }) }),
    );
    const res = await request(app).get("/node/api/users/session/log").auth("reader", "reader");
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      code: "Forbidden",
      message: "this operation needs the 'read-session-log' permission",
    });
  });

  it("should map a Cognite org to its tenant through tenantForOrg", async () => {
    const ledger = createSessionLedger({ store: createMemoryStore() });
    await ledger.create({ tenantId: "T-42", user: { id: "u1", login: "ann" } });
    const app = express().use(
      createCogniteRouter({
        ledger,
        authenticate: apiKeyAuthenticator({
          keys: { k: { id: "k", tenants: ["T-42"], permissions: ["sessions:read"] } },
        }),
        tenantForOrg: (org) => (org === "tenant-42" ? "T-42" : org),
      }),
    );
    const res = await request(app)
      .get("/api/v1/orgs/tenant-42/principals/u1/sessions")
      .set("Authorization", "Bearer k");
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });
});
