/**
 * The Web-standard handler called directly with `new Request(...)`: no socket, no framework.
 * Every dialect answers through it; what the Web request cannot carry comes in the context.
 */
import { createMemoryStore } from "@session-ledger/core";
import { generateSessions } from "@session-ledger/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeyAuthenticator } from "./admin/api-key.js";
import type { AdminRequest } from "./admin/request.js";
import {
  type AdminHandler,
  type AdminHandlerOptions,
  createAdminHandler,
  createOctaneHandler,
} from "./handler.js";
import { createTestLedger, type TestLedger } from "./test-support/ledger.js";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const KEY = "handler-test-key-0123456789";
const SPACE = "1001";
const ORIGIN = "http://admin.test";

let harness: TestLedger;
let base: AdminHandlerOptions;
let handler: AdminHandler;

beforeAll(async () => {
  harness = createTestLedger({ now: NOW, store: createMemoryStore() });
  for (const record of generateSessions({ count: 200, now: NOW })) {
    await harness.store.insertSession({ ...record, tenantId: SPACE });
  }
  base = {
    ledger: harness.ledger,
    taskRunner: harness.taskRunner,
    authenticate: apiKeyAuthenticator({
      keys: {
        [KEY]: {
          id: "admin",
          tenants: [SPACE],
          permissions: [
            "sessions:read",
            "sessions:terminate",
            "sessions:export",
            "read-session-log",
          ],
        },
      },
    }),
  };
  handler = createAdminHandler(base);
});

const get = (path: string, headers: Record<string, string> = { "X-API-KEY": KEY }) =>
  new Request(`${ORIGIN}${path}`, { headers });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { "X-API-KEY": KEY, "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
const OPEN = `query=${encodeURIComponent('"(end_time=null)"')}`;

describe("createAdminHandler called with a bare Request", () => {
  it("should answer each dialect's request, and null for a path that is none of them", async () => {
    const octane = await handler(get(`/api/shared_spaces/${SPACE}/sessions?${OPEN}&limit=2`));
    expect(octane?.status).toBe(200);
    expect(octane?.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const page = (await octane!.json()) as { total_count: number; data: unknown[] };
    expect(page.data).toHaveLength(2);
    expect(page.total_count).toBeGreaterThan(2);

    const formal = await handler(post("/core.v1.SessionsService/ListSessionsV2", { limit: 3 }));
    expect(formal?.status).toBe(200);
    expect(((await formal!.json()) as { sessions: unknown[] }).sessions).toHaveLength(3);

    const saymon = await handler(get("/node/api/users/session/log?limit=1"));
    expect(saymon?.status).toBe(200);
    expect(await saymon!.json()).toHaveLength(1);

    const logscale = await handler(
      post("/graphql", { query: "{ sessions(limit: 1) { totalResults results { id } } }" }),
    );
    expect(logscale?.status).toBe(200);
    expect(await logscale!.json()).toMatchObject({ data: { sessions: { results: [{}] } } });

    expect(await handler(get("/me"))).toBeNull();
    expect(await handler(get("/api/shared_spaces"))).toBeNull();
  });

  it("should send no-store and a correlation id on every answer, errors included", async () => {
    const ok = await handler(get(`/api/shared_spaces/${SPACE}/sessions?${OPEN}`));
    const refused = await handler(get(`/api/shared_spaces/${SPACE}/sessions`, {}));
    for (const answer of [ok!, refused!]) {
      expect(answer.headers.get("cache-control")).toBe("no-store");
      expect(answer.headers.get("x-correlation-id")).toMatch(/^[a-z0-9]{25}$/);
    }
    expect(refused!.status).toBe(401);
    expect(refused!.headers.get("www-authenticate")).toBe('Bearer realm="session-ledger"');
  });

  it("should answer HEAD with GET's status and headers and no body", async () => {
    const head = await handler(
      new Request(`${ORIGIN}/api/shared_spaces/${SPACE}/sessions/csv_exports?${OPEN}`, {
        method: "HEAD",
        headers: { "X-API-KEY": KEY },
      }),
    );
    expect(head?.status).toBe(200);
    expect(head?.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(head?.body).toBeNull();
  });

  it("should stream a CSV export as the body of its Response", async () => {
    const answer = await handler(
      get(`/api/shared_spaces/${SPACE}/sessions/csv_exports?${OPEN}&fields=id`),
    );
    expect(answer?.status).toBe(200);
    expect(answer?.headers.get("content-disposition")).toBe('attachment; filename="sessions.csv"');
    const bytes = new Uint8Array(await answer!.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trim().split("\r\n");
    const listed = await handler(get(`/api/shared_spaces/${SPACE}/sessions?${OPEN}&limit=1`));
    const { total_count } = (await listed!.json()) as { total_count: number };
    expect(lines[0]).toBe("id");
    expect(total_count).toBeGreaterThan(1);
    expect(lines.length - 1).toBe(total_count);
  });

  it("should use the raw target of the context over the URL WHATWG normalised", async () => {
    // `/a/../api/…` is folded by URL parsing; the strict check sees what was sent.
    const request = get(`/api/shared_spaces/${SPACE}/sessions?${OPEN}`);
    const answer = await handler(request, {
      target: `/api/shared_spaces/${SPACE}/sessions?${OPEN}&limit=%zz`,
    });
    expect(answer?.status).toBe(400);
    expect(await answer!.text()).toContain("malformed percent-encoding");
  });

  it("should read a body a framework already parsed from the context", async () => {
    const request = new Request(`${ORIGIN}/core.v1.SessionsService/ListSessionsV2`, {
      method: "POST",
      headers: { "X-API-KEY": KEY, "Content-Type": "application/json" },
    });
    const answer = await handler(request, { body: { limit: 1 } });
    expect(answer?.status).toBe(200);
    expect(((await answer!.json()) as { sessions: unknown[] }).sessions).toHaveLength(1);
  });

  it("should refuse a body over the limit with 413, and one that is not JSON with 415", async () => {
    const large = await handler(
      post("/core.v1.SessionsService/ListSessionsV2", { pad: "x".repeat(70_000) }),
    );
    expect(large?.status).toBe(413);
    const text = await handler(
      new Request(`${ORIGIN}/core.v1.SessionsService/ListSessionsV2`, {
        method: "POST",
        headers: { "X-API-KEY": KEY, "Content-Type": "text/plain" },
        body: "{}",
      }),
    );
    expect(text?.status).toBe(415);
  });

  it("should hand authenticate the framework's request, the client IP and the signal", async () => {
    const seen: AdminRequest[] = [];
    const watching = createAdminHandler({
      ...base,
      dialects: ["saymon"],
      authenticate: (req) => {
        seen.push(req);
        return base.authenticate(req);
      },
    });
    const raw = { user: "from-the-framework" };
    const signal = new AbortController().signal;
    await watching(get("/node/api/users/session/log"), { ip: "203.0.113.9", raw, signal });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.raw).toBe(raw);
    expect(seen[0]!.ip).toBe("203.0.113.9");
    expect(seen[0]!.signal).toBe(signal);
  });
});

describe("mounting", () => {
  it("should serve only the dialects named, and claim only their paths", async () => {
    const octaneOnly = createAdminHandler({ ...base, dialects: ["octane"] });
    expect(octaneOnly.claims(`/api/shared_spaces/${SPACE}/sessions`)).toBe(true);
    expect(octaneOnly.claims("/graphql")).toBe(false);
    expect(await octaneOnly(post("/graphql", { query: "{ __typename }" }))).toBeNull();
  });

  it("should serve under basePath and point a Location back through it", async () => {
    const mounted = createOctaneHandler({ ...base, basePath: "/admin" });
    expect(mounted.claims(`/admin/api/shared_spaces/${SPACE}/sessions`)).toBe(true);
    expect(mounted.claims(`/api/shared_spaces/${SPACE}/sessions`)).toBe(false);
    expect(mounted.claims(`/administrator/api/shared_spaces/${SPACE}/sessions`)).toBe(false);
    const [victim] = (await harness.ledger.list(SPACE, { limit: 1 })).items;
    const put = await mounted(
      new Request(`${ORIGIN}/admin/api/shared_spaces/${SPACE}/sessions`, {
        method: "PUT",
        headers: { "X-API-KEY": KEY, "Content-Type": "application/json" },
        body: JSON.stringify({ data: [{ id: victim!.id, is_closed: true }] }),
      }),
    );
    expect(put?.status).toBe(202);
    expect(put?.headers.get("location")).toMatch(
      new RegExp(`^/admin/api/shared_spaces/${SPACE}/background_tasks\\?`),
    );
  });

  it("should refuse options it cannot serve, naming them", () => {
    expect(() => createAdminHandler({ ...base, dialects: ["octane", "soap" as never] })).toThrow(
      /createAdminHandler: 'dialects' must be a non-empty list of/,
    );
    expect(() => createAdminHandler({ ...base, dialects: [] })).toThrow(/non-empty list/);
    expect(() => createAdminHandler({ ...base, basePath: "admin/" })).toThrow(
      /'basePath' must be a path that starts with '\/'/,
    );
    expect(() =>
      createAdminHandler({ ...base, dialects: ["cognite"], logscale: { path: "/gql" } }),
    ).toThrow("'logscale' options were given, but 'dialects' leaves logscale out");
    const { taskRunner: _, ...withoutRunner } = base;
    expect(() => createAdminHandler(withoutRunner as AdminHandlerOptions)).toThrow(
      /createAdminHandler: 'taskRunner' must be a task runner/,
    );
    expect(() => createAdminHandler({ ...base, dialects: ["cognite"] })).not.toThrow();
  });
});
