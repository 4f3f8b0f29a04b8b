/**
 * The cases every framework adapter must pass over real HTTP, run once per framework: each
 * dialect's good and bad requests (answered as the Express routers answer them), the body
 * rules the handler keeps for itself, a 401, HEAD, a streamed CSV export with back-pressure
 * and a client that leaves, cookies an earlier hook set, and the host's own routes beside the
 * admin ones. Not part of the package's public surface.
 */
import http from "node:http";
import type { Session, SessionLedger, TaskRunner } from "@session-ledger/core";
import { createMemoryStore } from "@session-ledger/core";
import { generateSessions } from "@session-ledger/fixtures";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyAuthenticator } from "../admin/api-key.js";
import { type HeaderSource, headerOf } from "../admin/headers.js";
import type { Principal } from "../admin/principal.js";
import { defaultTenant } from "../admin/tenant.js";
import { ADMIN_KEY, type AdminApp, APP_NOW, APP_SPACE, startAdminApp } from "./admin-app.js";
import { type Answer, DIALECTS, type DialectName, OPEN_SESSIONS } from "./dialects.js";
import { createTestLedger, type TestLedger } from "./ledger.js";

/** The cookies and header the host's earlier hook sets on every response. */
export const HOST_COOKIES = ["host-a=1; path=/", "host-b=2; path=/; httponly"] as const;
export const HOST_HEADER = ["x-host-hook", "ran"] as const;

/** What a framework's app is built from: the admin options with callbacks on its request. */
export interface HostAppOptions {
  ledger: SessionLedger;
  taskRunner: TaskRunner;
  authenticate: (req: HeaderSource) => Principal | null | Promise<Principal | null>;
  tenant: (req: HeaderSource, principal: Principal, fromPath: string | null) => string;
}

/**
 * A framework app listening on 127.0.0.1, built so: an earlier hook or middleware sets
 * {@link HOST_COOKIES} and {@link HOST_HEADER} on every response; the admin routes are
 * mounted through the adapter's convenience factory with `options`; `POST /echo` parses a
 * JSON body with the framework's own parser and answers `{ got: body }`.
 */
export interface HostApp {
  url: string;
  close(): Promise<void>;
}

export interface HostUnderTest {
  /** The framework and its installed version, for the test titles. */
  title: string;
  start(options: HostAppOptions): Promise<HostApp>;
  /** Whether a host callback was handed the framework's own request object. */
  isOwnRequest(raw: unknown): boolean;
}

const SPACE = "/api/shared_spaces/1001";
const FORMAL = "/core.v1.SessionsService";
const EXPORT_CSV = `${SPACE}/sessions/csv_exports?${OPEN_SESSIONS}&fields=id,user,user_agent`;

/** A bad request per dialect, as its clients would send it. */
const BAD: Record<DialectName, (app: Parameters<typeof request>[0]) => request.Test> = {
  Octane: (app) => DIALECTS.Octane.call(app, "get", `${SPACE}/sessions?limit=x`),
  Cognite: (app) =>
    DIALECTS.Cognite.call(app, "get", "/api/v1/orgs/space-1001/principals/220001/sessions?limit=0"),
  LogScale: (app) =>
    DIALECTS.LogScale.call(app, "post", "/graphql")
      .set("Content-Type", "application/json")
      .send('{"query":1}'),
  Formal: (app) =>
    DIALECTS.Formal.call(app, "post", `${FORMAL}/ListSessionsV2`)
      .set("Content-Type", "application/json")
      .send('{"limit":"x"}'),
  SAYMON: (app) => DIALECTS.SAYMON.call(app, "get", "/node/api/users/session/log?limit=-1"),
};

/** The same answer, but for what differs per request by design. */
const comparable = ({ status, headers, body }: Answer) => ({
  status,
  type: headers["content-type"],
  // Octane's error body repeats the request's own correlation id.
  ...(typeof body?.correlation_id === "string" && {
    correlationId: headers["x-correlation-id"] === body.correlation_id,
  }),
  // Cursors are signed with each ledger's own key.
  body: JSON.parse(
    JSON.stringify({ ...body, correlation_id: undefined }).replace(
      /"[\w-]{16,}\.[\w-]{16,}"/g,
      '"<cursor>"',
    ),
  ),
});

const waitFor = async (state: () => boolean, what: string) => {
  for (let i = 0; i < 1000 && !state(); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(state(), what).toBe(true);
};

/** Runs every case against `host`, comparing its answers with the Express admin app's. */
export function hostSuite(host: HostUnderTest): void {
  describe(host.title, () => {
    let reference: AdminApp;
    let harness: TestLedger;
    let app: HostApp;
    const seen: unknown[] = [];

    const options = (ledger: SessionLedger, taskRunner: TaskRunner): HostAppOptions => {
      const keys = apiKeyAuthenticator({
        keys: {
          [ADMIN_KEY]: {
            id: "admin",
            tenants: "*",
            permissions: [
              "sessions:read",
              "sessions:terminate",
              "sessions:export",
              "sessions:settings",
              "read-session-log",
            ],
          },
        },
      });
      return {
        ledger,
        taskRunner,
        authenticate: (req) => {
          seen.push(req);
          return keys(req);
        },
        tenant: (req, principal, fromPath) => {
          seen.push(req);
          if (fromPath?.startsWith("space-")) return fromPath.slice("space-".length);
          return fromPath === null && headerOf(req, "x-tenant-id") === null
            ? APP_SPACE
            : defaultTenant(req, principal, fromPath);
        },
      };
    };

    beforeAll(async () => {
      reference = await startAdminApp(300);
      harness = createTestLedger({ now: APP_NOW, store: createMemoryStore() });
      for (const record of generateSessions({ count: 300, now: APP_NOW })) {
        await harness.store.insertSession(record);
      }
      app = await host.start(options(harness.ledger, harness.taskRunner));
    });
    afterAll(async () => {
      await app?.close();
      await harness?.close();
      await reference?.close();
    });

    describe.each(Object.values(DIALECTS))("$name", (dialect) => {
      it("answers its good request 200 with the body Express answers", async () => {
        seen.length = 0;
        const res = await dialect.good(app.url);
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
        expect(res.headers["cache-control"]).toBe("no-store");
        expect(comparable(res)).toEqual(comparable(await dialect.good(reference.app)));
        expect(seen.length).toBeGreaterThan(0);
        for (const raw of seen) expect(host.isOwnRequest(raw)).toBe(true);
      });

      it("answers a bad request in its own error body, as Express does", async () => {
        const res = await BAD[dialect.name](app.url);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers["cache-control"]).toBe("no-store");
        dialect.error(res);
        expect(comparable(res)).toEqual(comparable(await BAD[dialect.name](reference.app)));
      });
    });

    it("answers 401 without a key, in each dialect", async () => {
      for (const path of [
        `${SPACE}/sessions?${OPEN_SESSIONS}`,
        "/api/v1/orgs/space-1001/principals/220001/sessions",
        "/node/api/users/session/log",
      ]) {
        const res = await request(app.url).get(path);
        expect(res.status, path).toBe(401);
        expect(res.headers["cache-control"]).toBe("no-store");
      }
      for (const path of ["/graphql", `${FORMAL}/ListSessionsV2`]) {
        const res = await request(app.url).post(path).send({});
        expect(res.status, path).toBe(401);
      }
    });

    it("reads admin bodies itself: a malformed JSON body is the dialect's 400, a text body its 415", async () => {
      const call = () => DIALECTS.Formal.call(app.url, "post", `${FORMAL}/ListSessionsV2`);
      const malformed = await call().set("Content-Type", "application/json").send('{"limit":');
      expect(malformed.status).toBe(400);
      DIALECTS.Formal.error(malformed);
      const text = await call().set("Content-Type", "text/plain").send("limit=1");
      expect(text.status).toBe(415);
      DIALECTS.Formal.error(text);
      const octane = await DIALECTS.Octane.call(
        app.url,
        "put",
        `${SPACE}/sessions?${OPEN_SESSIONS}`,
      )
        .set("Content-Type", "application/json")
        .send("{");
      expect(octane.status).toBe(400);
      DIALECTS.Octane.error(octane);
    });

    it("keeps the cookies and headers an earlier hook set on an admin answer", async () => {
      const res = await DIALECTS.Octane.good(app.url);
      expect(res.status).toBe(200);
      expect(res.headers["set-cookie"]).toEqual([...HOST_COOKIES]);
      expect(res.headers[HOST_HEADER[0]]).toBe(HOST_HEADER[1]);
    });

    it("leaves the host's own routes and body parser alone", async () => {
      const echo = await request(app.url)
        .post("/echo")
        .send({ a: [1, "two"] });
      expect(echo.status).toBe(200);
      expect(echo.body).toEqual({ got: { a: [1, "two"] } });
      expect(echo.headers["cache-control"]).toBeUndefined();
      const none = await request(app.url).get("/not-an-admin-route");
      expect(none.status).toBe(404);
      expect(none.headers["cache-control"]).toBeUndefined();
    });

    it("answers HEAD with GET's headers and no body", async () => {
      const head = await request(app.url)
        .head(`${SPACE}/sessions?${OPEN_SESSIONS}&limit=1`)
        .set("X-API-KEY", ADMIN_KEY);
      expect(head.status).toBe(200);
      expect(head.headers["content-type"]).toMatch(/^application\/json/);
      expect(head.text ?? "").toBe("");
      const csv = await request(app.url).head(EXPORT_CSV).set("X-API-KEY", ADMIN_KEY);
      expect(csv.status).toBe(200);
      expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    });

    it("streams a CSV export as fast as the client reads, and stops it when the client leaves", async () => {
      const ROWS = 100_000;
      const state = { pulled: 0, closed: false };
      const exporting: SessionLedger = {
        ...harness.ledger,
        async *export() {
          try {
            for (let i = 0; i < ROWS; i++) {
              state.pulled++;
              yield wideSession(i);
            }
          } finally {
            state.closed = true;
          }
        },
      };
      const streaming = await host.start(options(exporting, harness.taskRunner));
      try {
        const { hostname, port } = new URL(streaming.url);
        const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
          http
            .get({ host: hostname, port, path: EXPORT_CSV, headers: { "X-API-KEY": ADMIN_KEY } })
            .once("response", resolve)
            // Leaving mid-download resets the connection: that is the point, not a failure.
            .on("error", (error: NodeJS.ErrnoException) => {
              if (error.code !== "ECONNRESET") reject(error);
            });
        });
        expect(response.statusCode).toBe(200);
        expect(response.headers["content-type"]).toMatch(/^text\/csv/);
        response.pause();
        // The socket buffers fill, then the server stops pulling rows.
        let before = -1;
        for (let i = 0; i < 50 && state.pulled !== before; i++) {
          before = state.pulled;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(state.pulled, "rows pulled while the client reads nothing").toBe(before);
        expect(before).toBeLessThan(ROWS / 5);
        response.destroy();
        await waitFor(() => state.closed, "the export's source is closed");
        expect(state.pulled).toBeLessThan(ROWS);
      } finally {
        await streaming.close();
      }
    });
  });
}

/** A session whose random text defeats compression, so socket buffers fill within rows. */
function wideSession(i: number): Session {
  const noise = `${i.toString(36)}${"x".repeat(40)}${Math.random().toString(36).repeat(20)}`;
  return {
    id: `s${i.toString(36).padStart(20, "0")}`,
    tenantId: "1001",
    sessionIdentifier: null,
    user: { id: String(220001 + (i % 5000)), login: `user${i}`, fullName: null, email: null },
    clientType: "UI",
    accessType: "UI",
    clientIp: "10.0.0.1",
    serverIp: null,
    userAgent: noise,
    clientInfo: null,
    city: null,
    country: null,
    licenseEdition: null,
    status: "ACTIVE",
    endReason: null,
    createdAt: APP_NOW - i,
    lastActivityAt: APP_NOW - i,
    expiresAt: APP_NOW + 1_000_000,
    absoluteExpiresAt: APP_NOW + 1_000_000,
    endedAt: null,
    attributes: null,
  };
}
