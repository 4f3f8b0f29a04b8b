/**
 * The admin handler as Next.js App Router route handlers, called as Next calls them: with a
 * Web `Request`, no socket. (`examples/next` builds and serves a real Next.js app over them.)
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createMemoryStore } from "@session-ledger/core";
import { generateSessions } from "@session-ledger/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeyAuthenticator } from "../admin/api-key.js";
import { createTestLedger, type TestLedger } from "../test-support/ledger.js";
import { type NextRouteHandlers, nextAdmin } from "./next.js";

const { version } = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("next/package.json"), "utf8"),
);
const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const KEY = "next-route-key-0123456789";
const BASE = "http://localhost:3000/api/admin";
const OPEN = `query=${encodeURIComponent('"(end_time=null)"')}`;

describe(`Next.js ${version} App Router route handlers`, () => {
  let harness: TestLedger;
  let route: NextRouteHandlers;
  const seen: { raw: unknown; ip: string | null }[] = [];

  beforeAll(async () => {
    harness = createTestLedger({ now: NOW, store: createMemoryStore() });
    for (const record of generateSessions({ count: 200, now: NOW })) {
      await harness.store.insertSession({ ...record, tenantId: "1001" });
    }
    const keys = apiKeyAuthenticator({
      keys: {
        [KEY]: {
          id: "admin",
          tenants: ["1001"],
          permissions: ["sessions:read", "sessions:export", "read-session-log"],
        },
      },
    });
    route = nextAdmin({
      ledger: harness.ledger,
      taskRunner: harness.taskRunner,
      basePath: "/api/admin",
      ip: (request) => request.headers.get("x-test-client-ip"),
      // Cognite's org ids need a letter first: org space-1001 is tenant 1001.
      cognite: {
        tenant: (_request, _principal, fromPath) => String(fromPath).replace(/^space-/, ""),
      },
      authenticate: (request) => {
        seen.push({ raw: request, ip: request.headers.get("x-test-client-ip") });
        return keys(request);
      },
    });
  });

  const get = (path: string) =>
    new Request(`${BASE}${path}`, {
      headers: { "X-API-KEY": KEY, "x-test-client-ip": "203.0.113.7" },
    });
  const post = (path: string, body: unknown) =>
    new Request(`${BASE}${path}`, {
      method: "POST",
      headers: { "X-API-KEY": KEY, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  it("should answer every dialect under the catch-all route's path", async () => {
    const octane = await route.GET(get(`/api/shared_spaces/1001/sessions?${OPEN}&limit=2`));
    expect(octane.status).toBe(200);
    expect(((await octane.json()) as { data: unknown[] }).data).toHaveLength(2);
    expect(octane.headers.get("cache-control")).toBe("no-store");
    const cognite = await route.GET(
      get("/api/v1/orgs/space-1001/principals/220001/sessions?limit=1"),
    );
    expect(cognite.status).toBe(200);
    const logscale = await route.POST(
      post("/graphql", { query: "{ sessions(limit: 1) { totalResults results { id } } }" }),
    );
    expect(logscale.status).toBe(200);
    expect(await logscale.json()).toMatchObject({ data: { sessions: { results: [{}] } } });
    const formal = await route.POST(post("/core.v1.SessionsService/ListSessionsV2", { limit: 1 }));
    expect(formal.status).toBe(200);
    const saymon = await route.GET(get("/node/api/users/session/log?limit=1"));
    expect(saymon.status).toBe(200);
    expect(await saymon.json()).toHaveLength(1);
  });

  it("should stream an export, and answer HEAD without a body", async () => {
    const csv = await route.GET(
      get(`/api/shared_spaces/1001/sessions/csv_exports?${OPEN}&fields=id`),
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect((await csv.text()).split("\r\n").length).toBeGreaterThan(2);
    const head = await route.HEAD(
      new Request(`${BASE}/api/shared_spaces/1001/sessions?${OPEN}`, {
        method: "HEAD",
        headers: { "X-API-KEY": KEY },
      }),
    );
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it("should answer a JSON 404 for a path under the route that is none of the handler's", async () => {
    const missing = await route.GET(get("/nothing-here"));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "no admin route GET /api/admin/nothing-here" });
    const outside = await route.GET(
      new Request("http://localhost:3000/api/shared_spaces/1001/sessions"),
    );
    expect(outside.status).toBe(404);
  });

  it("should hand authenticate the Request, and the handler the IP the host reads", async () => {
    seen.length = 0;
    await route.GET(get(`/api/shared_spaces/1001/sessions?${OPEN}&limit=1`));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.raw).toBeInstanceOf(Request);
    expect(seen[0]!.ip).toBe("203.0.113.7");
    const refused = await route.GET(new Request(`${BASE}/api/shared_spaces/1001/sessions?${OPEN}`));
    expect(refused.status).toBe(401);
  });

  it("should answer another method with the dialect's own 405 and Allow", async () => {
    const patch = await route.PATCH(
      new Request(`${BASE}/api/shared_spaces/1001/sessions`, {
        method: "PATCH",
        headers: { "X-API-KEY": KEY },
      }),
    );
    expect(patch.status).toBe(405);
    expect(patch.headers.get("allow")).toBe("GET, HEAD, PUT");
    expect(await patch.json()).toMatchObject({ error_code: "platform.method_not_allowed" });
  });

  it("should refuse an ip option that is not a function", () => {
    expect(() =>
      nextAdmin({
        ledger: harness.ledger,
        taskRunner: harness.taskRunner,
        authenticate: () => null,
        ip: "127.0.0.1" as never,
      }),
    ).toThrow("toNext: 'ip' must be a function");
  });
});
