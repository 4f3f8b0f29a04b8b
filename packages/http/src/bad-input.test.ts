/**
 * Bad input over HTTP to every router (the admin app of `test-support`): each class of input an
 * adversarial run found crashing a request, silently accepted or stalling the server gets a
 * 4xx in the dialect's own error body that names the parameter, and the server keeps serving.
 */
import { gzipSync } from "node:zlib";
import type { BackgroundTask } from "@session-ledger/core";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, type AdminApp, startAdminApp } from "./test-support/admin-app.js";
import {
  type Answer,
  DIALECTS,
  type DialectName,
  expectRefusal,
  OPEN_SESSIONS,
  type Refusal,
  sendRaw,
} from "./test-support/dialects.js";
import { NODE_FRAMEWORKS } from "./test-support/frameworks.js";
import { createTestApp } from "./test-support/octane-app.js";

let t: AdminApp;

// The same raw bytes get the same status and error body through every framework's adapter.
describe.each(NODE_FRAMEWORKS)("bad input on %s", (framework) => {
  beforeAll(async () => {
    t = await startAdminApp(300, framework);
  });
  afterAll(() => t.close());

  /** Starts a request with the dialect's credentials. */
  type Call = (method: "get" | "put" | "post" | "delete", path: string) => request.Test;

  interface Case extends Refusal {
    dialect: DialectName;
    name: string;
    send: (call: Call) => PromiseLike<Answer>;
  }

  const cases = (rows: Case[]) =>
    rows.map((row) => ({ ...row, title: `${row.dialect}: ${row.name}` }));

  async function check(row: Case): Promise<void> {
    const dialect = DIALECTS[row.dialect];
    const res = await row.send((method, path) => dialect.call(t.app, method, path));
    await expectRefusal(dialect, t.app, res, row);
  }

  const SPACE = "/api/shared_spaces";
  const COGNITE = "/api/v1/orgs/space-1001/principals/220001/sessions";
  const FORMAL = "/core.v1.SessionsService";
  const SAYMON = "/node/api/users/session/log";
  const CLOSE = { data: [{ is_closed: true }] };
  const ONE_ID = `query=${encodeURIComponent(`"id='x'"`)}`;
  const octaneQuery = (text: string) => `query=${encodeURIComponent(`"(${text})"`)}`;
  /** JSON sent as given, so bytes and escapes reach the server untouched. */
  const json = (test: request.Test, body: string | Buffer) =>
    test
      .set("Content-Type", "application/json")
      .serialize((data) => data)
      .send(body);
  const graphql = (call: Call, body: string | Buffer) => json(call("post", "/graphql"), body);

  describe("a malformed percent-encoding in a path parameter is a 400 naming it", () => {
    const bad = "%E0%A4%A";
    it.each(
      cases([
        ...["sessions", "sessions/groups", "sessions/csv_exports", "background_tasks"].map(
          (route): Case => ({
            dialect: "Octane",
            name: `GET …/${route}`,
            send: (call) => call("get", `${SPACE}/${bad}/${route}?${OPEN_SESSIONS}`),
            status: 400,
            names: "space",
            says: /^space: malformed percent-encoding at 6/,
          }),
        ),
        {
          dialect: "Octane",
          name: "PUT …/sessions",
          send: (call) =>
            json(call("put", `${SPACE}/${bad}/sessions?${ONE_ID}`), JSON.stringify(CLOSE)),
          status: 400,
          names: "space",
        },
        {
          dialect: "Cognite",
          name: ":org",
          send: (call) => call("get", `/api/v1/orgs/${bad}/principals/220001/sessions`),
          status: 400,
          names: "org",
        },
        {
          dialect: "Cognite",
          name: ":principal",
          send: (call) => call("get", `/api/v1/orgs/space-1001/principals/${bad}/sessions`),
          status: 400,
          names: "principal",
        },
        {
          dialect: "Cognite",
          name: ":principal of a revoke",
          send: (call) =>
            json(
              call("post", `/api/v1/orgs/space-1001/principals/${bad}/sessions/revoke`),
              '{"items":[{"id":"x"}]}',
            ),
          status: 400,
          names: "principal",
        },
        // The dialects without path parameters meet the same bytes in their query strings.
        {
          dialect: "SAYMON",
          name: "a query parameter",
          send: (call) => call("get", `${SAYMON}?limit=${bad}`),
          status: 400,
          names: "limit",
          says: /malformed percent-encoding/,
        },
        {
          dialect: "Formal",
          name: "a query parameter's name",
          send: (call) => json(call("post", `${FORMAL}/ListSessionsV2?${bad}=1`), "{}"),
          status: 400,
          names: bad,
          says: /malformed percent-encoding/,
        },
        {
          dialect: "LogScale",
          name: "a query parameter's name",
          send: (call) =>
            graphql(call, '{"query":"{ sessions { totalResults } }"}').query(`${bad}=1`),
          status: 400,
          names: bad,
        },
      ]),
    )("$title", check);
  });

  describe("a deeply nested JSON value is a 400 naming the body, and never overflows the stack", () => {
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    // Within Cognite's 16 KiB body limit.
    const deep8k = `${"[".repeat(8_000)}${"]".repeat(8_000)}`;
    const nested = {
      status: 400,
      names: "body",
      says: /^body: nested deeper than 32 levels at \d+$/,
    };
    it.each(
      cases([
        ...[
          ["ListSessionsV2", "limit"],
          ["GetSession", "sessionId"],
          ["CreateSessionTermination", "connectorId"],
        ].map(
          ([method, field]): Case => ({
            dialect: "Formal",
            name: `${method} (${field})`,
            send: (call) => json(call("post", `${FORMAL}/${method}`), `{"${field}":${deep}}`),
            ...nested,
          }),
        ),
        {
          dialect: "Octane",
          name: "a terminate body",
          send: (call) => json(call("put", `${SPACE}/1001/sessions`), `{"data":${deep}}`),
          ...nested,
        },
        {
          dialect: "Cognite",
          name: "a revoke body",
          send: (call) => json(call("post", `${COGNITE}/revoke`), `{"items":${deep8k}}`),
          ...nested,
        },
        {
          dialect: "LogScale",
          name: "variables",
          send: (call) =>
            graphql(
              call,
              `{"query":"mutation($i: SessionInput!) { updateSessionSettings(input: $i) { id } }","variables":{"i":{"maxInactivityPeriod":${deep},"forceReauthenticationAfter":1}}}`,
            ),
          ...nested,
        },
      ]),
    )("$title", check);

    it("Formal: a message quoting a client value quotes 40 characters of it, escaped", async () => {
      const res = await json(
        DIALECTS.Formal.call(t.app, "post", `${FORMAL}/ListSessionsV2`),
        JSON.stringify({ limit: `${"9".repeat(10_000)}\n` }),
      );
      const said = await expectRefusal(DIALECTS.Formal, t.app, res, {
        status: 400,
        names: "limit",
      });
      expect(said.message).toBe(
        `limit: must be an integer from 1 to 100000, got '${"9".repeat(40)}…'`,
      );
      const shallow = await json(
        DIALECTS.LogScale.call(t.app, "post", "/graphql"),
        JSON.stringify({
          query: "mutation($i: SessionInput!) { updateSessionSettings(input: $i) { id } }",
          variables: { i: { maxInactivityPeriod: [[1]], forceReauthenticationAfter: 1 } },
        }),
      );
      expect(shallow.body.errors[0].message).toContain("Long cannot represent an array");
    });
  });

  describe("a GraphQL document nested thousands deep or thousands of tokens long is refused before parsing", () => {
    const deepSelection = `{${" a {".repeat(8_000)} b ${"}".repeat(8_001)}`;
    const deepList = `{ sessions(searchFilter: ${"[".repeat(10_000)}${"]".repeat(10_000)}) { totalResults } }`;
    const long = `{ ${"a ".repeat(30_000)}}`;
    it.each(
      cases([
        {
          dialect: "LogScale",
          name: "selections 8,000 deep",
          send: (call) => graphql(call, JSON.stringify({ query: deepSelection })),
          status: 400,
          says: /^Syntax Error: Document nests deeper than 32 levels/,
        },
        {
          dialect: "LogScale",
          name: "a list value 10,000 deep",
          send: (call) => graphql(call, JSON.stringify({ query: deepList })),
          status: 400,
          says: /^Syntax Error: Document nests deeper than 32 levels/,
        },
        {
          dialect: "LogScale",
          name: "30,000 tokens",
          send: (call) => graphql(call, JSON.stringify({ query: long })),
          status: 400,
          // graphql-js's own message ("more that").
          says: /^Syntax Error: Document contains more th(an|at) 10000 tokens/,
        },
      ]),
    )("$title", async (row) => {
      await check(row);
      const res = await row.send((method, path) => DIALECTS.LogScale.call(t.app, method, path));
      expect(res.body.errors[0].locations).toEqual([{ line: 1, column: expect.any(Number) }]);
    });

    it("LogScale: with Accept: application/json, as any document that does not parse: 200 with the error", async () => {
      const res = await request(t.app)
        .post("/graphql")
        .set("Authorization", `Bearer ${ADMIN_KEY}`)
        .send({ query: deepSelection });
      expect(res.status).toBe(200);
      expect(res.body.errors[0].message).toMatch(/^Syntax Error: Document nests deeper/);
    });
  });

  describe("a parameter the route does not know, such as limit[$ne], is a 400 naming it", () => {
    const octaneList = (extra: string) => `${SPACE}/1001/sessions?${OPEN_SESSIONS}&${extra}`;
    it.each(
      cases([
        ...[
          "limit[$ne]=1",
          "limit[$gt]=0",
          "fields[$ne]=id",
          "offset[]=5",
          "show_hidden_entities=true",
        ].map(
          (extra): Case => ({
            dialect: "Octane",
            name: `GET …/sessions?${extra}`,
            send: (call) => call("get", octaneList(extra)),
            status: 400,
            names: decodeURIComponent(extra.split("=")[0]!),
            says: /^unknown parameter '.*': it takes fields, query, order_by, limit, offset$/,
          }),
        ),
        {
          dialect: "Octane",
          name: "query[$ne]=x instead of a query",
          send: (call) => call("get", `${SPACE}/1001/sessions?query[$ne]=x`),
          status: 400,
          names: "query[$ne]",
        },
        {
          dialect: "Octane",
          name: "groups",
          send: (call) =>
            call("get", `${SPACE}/1001/sessions/groups?group_by=status&${OPEN_SESSIONS}&fields=id`),
          status: 400,
          names: "fields",
        },
        {
          dialect: "Octane",
          name: "terminate",
          send: (call) =>
            json(
              call("put", `${SPACE}/1001/sessions?${ONE_ID}&limit[$gt]=0`),
              JSON.stringify(CLOSE),
            ),
          status: 400,
          names: "limit[$gt]",
        },
        {
          dialect: "Octane",
          name: "background tasks",
          send: (call) => call("get", `${SPACE}/1001/background_tasks?query=id%3Dx&order_by=id`),
          status: 400,
          names: "order_by",
        },
        {
          dialect: "Cognite",
          name: "cursor[$ne]=x",
          send: (call) => call("get", `${COGNITE}?cursor[$ne]=x`),
          status: 400,
          names: "cursor[$ne]",
          says: /it takes cursor, limit$/,
        },
        {
          dialect: "Cognite",
          name: "a revoke takes none",
          send: (call) =>
            json(call("post", `${COGNITE}/revoke?dryRun=true`), '{"items":[{"id":"x"}]}'),
          status: 400,
          names: "dryRun",
          says: /it takes none$/,
        },
        {
          dialect: "SAYMON",
          name: "from[$gt]=0",
          send: (call) => call("get", `${SAYMON}?from[$gt]=0`),
          status: 400,
          names: "from[$gt]",
        },
        {
          dialect: "Formal",
          name: "limit[$ne]=1",
          send: (call) => json(call("post", `${FORMAL}/ListSessionsV2?limit[$ne]=1`), "{}"),
          status: 400,
          names: "limit[$ne]",
        },
        {
          dialect: "LogScale",
          name: "query[$ne]=x",
          send: (call) =>
            graphql(call, '{"query":"{ sessions { totalResults } }"}').query("query[$ne]=x"),
          status: 400,
          names: "query[$ne]",
        },
      ]),
    )("$title", check);
  });

  describe("NUL and other control characters are a 400 naming the parameter", () => {
    it.each(
      cases([
        ...["%00", "1001%01", "1001%7F"].map(
          (space): Case => ({
            dialect: "Octane",
            name: `space ${space}`,
            send: (call) => call("get", `${SPACE}/${space}/sessions?${OPEN_SESSIONS}`),
            status: 400,
            names: "space",
            says: /^space: control character U\+00(00|01|7F) at \d$/,
          }),
        ),
        {
          dialect: "Octane",
          name: "space of a terminate",
          send: (call) =>
            json(call("put", `${SPACE}/1001%00/sessions?${ONE_ID}`), JSON.stringify(CLOSE)),
          status: 400,
          names: "space",
        },
        {
          dialect: "Octane",
          name: "a query string",
          send: (call) =>
            call(
              "get",
              `${SPACE}/1001/sessions?${octaneQuery("end_time=null;client_type='UI\u0000'")}`,
            ),
          status: 400,
          names: "query",
          says: /^query: control character U\+0000 at 31$/,
        },
        {
          dialect: "Octane",
          name: "a task id",
          send: (call) =>
            call(
              "get",
              `${SPACE}/1001/background_tasks?query=${encodeURIComponent("\"id='abc\u0001'\"")}`,
            ),
          status: 400,
          names: "query",
        },
        {
          dialect: "Octane",
          name: "a task id with a tab",
          send: (call) =>
            call(
              "get",
              `${SPACE}/1001/background_tasks?query=${encodeURIComponent("\"id='abc\t'\"")}`,
            ),
          status: 400,
          names: "query",
          says: /control character U\+0009/,
        },
        ...[
          ["\\u0000", "U+0000"],
          ["\\n", "U+000A"],
          ["\\uFFFE", "U+FFFE"],
          ["\\uFFFF", "U+FFFF"],
        ].map(
          ([escaped, code]): Case => ({
            dialect: "Octane",
            name: `a session id holding ${code} in a terminate body`,
            send: (call) =>
              json(
                call("put", `${SPACE}/1001/sessions`),
                `{"data":[{"id":"abc${escaped}","is_closed":true}]}`,
              ),
            status: 400,
            names: "body",
            says: /^body: data\[0\]\.id: (control character U\+00(00|0A)|noncharacter U\+FFF[EF]) at 3$/,
          }),
        ),
        {
          dialect: "Cognite",
          name: "a principal",
          send: (call) => call("get", "/api/v1/orgs/space-1001/principals/220001%00/sessions"),
          status: 400,
          names: "principal",
        },
        {
          dialect: "Cognite",
          name: "a revoked id",
          send: (call) => json(call("post", `${COGNITE}/revoke`), '{"items":[{"id":"x\\u0001"}]}'),
          status: 400,
          says: /^body: items\[0\]\.id: control character U\+0001 at 1$/,
        },
        {
          dialect: "Formal",
          name: "a query",
          send: (call) =>
            json(call("post", `${FORMAL}/ListSessionsV2`), `{"query":"client_type='UI\\u0000'"}`),
          status: 400,
          says: /^body: query: control character U\+0000 at 15$/,
        },
        {
          dialect: "Formal",
          name: "a session id",
          send: (call) => json(call("post", `${FORMAL}/GetSession`), '{"sessionId":"abc\\t"}'),
          status: 400,
          says: /^sessionId: control character U\+0009 at 3$/,
        },
        {
          dialect: "LogScale",
          name: "an id in the document",
          send: (call) =>
            graphql(
              call,
              JSON.stringify({
                query:
                  'mutation { revokeSession(input: {id: "a\\u0000", revocationType: Session}) }',
              }),
            ),
          status: 400,
          says: /^Syntax Error: control character U\+0000 in a string/,
        },
        {
          dialect: "LogScale",
          name: "an id in the variables",
          send: (call) =>
            graphql(
              call,
              '{"query":"mutation($id: String!) { revokeSession(input: {id: $id, revocationType: Session}) }","variables":{"id":"a\\u0000"}}',
            ),
          status: 400,
          says: /^body: variables\.id: control character U\+0000 at 1$/,
        },
        ...(["LogScale", "Formal", "SAYMON"] as const).map(
          (dialect): Case => ({
            dialect,
            name: "an X-Tenant-Id with a tab",
            send: (call) =>
              (dialect === "SAYMON"
                ? call("get", SAYMON)
                : dialect === "Formal"
                  ? json(call("post", `${FORMAL}/ListSessionsV2`), "{}")
                  : graphql(call, '{"query":"{ sessions { totalResults } }"}')
              ).set("X-Tenant-Id", "10\t01"),
            status: 400,
            names: "X-Tenant-Id",
            says: /X-Tenant-Id: control character U\+0009 at 2/,
          }),
        ),
      ]),
    )("$title", check);
  });

  describe("invalid UTF-8 is a 400, never replaced with U+FFFD", () => {
    // `{"data":[{"id":"<ED A0 80>","is_closed":true}]}`: a UTF-16 surrogate encoded as UTF-8.
    const surrogateBytes = Buffer.concat([
      Buffer.from('{"data":[{"id":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('","is_closed":true}]}'),
    ]);
    it.each(
      cases([
        ...["%ED%A0%80", "%C0%AE", "%FF"].map(
          (bytes): Case => ({
            dialect: "Octane",
            name: `${bytes} in a query`,
            send: (call) =>
              call(
                "get",
                `${SPACE}/1001/sessions?query=%22(end_time%3Dnull%3Bclient_type%3D'${bytes}')%22`,
              ),
            status: 400,
            names: "query",
            says: /^query: not valid UTF-8 once percent-decoded$/,
          }),
        ),
        {
          dialect: "Octane",
          name: "a space",
          send: (call) => call("get", `${SPACE}/%C0%AE/sessions?${OPEN_SESSIONS}`),
          status: 400,
          names: "space",
        },
        {
          dialect: "Octane",
          name: "a terminate body, whose task would hold '\\uFFFD\\uFFFD\\uFFFD'",
          send: (call) => json(call("put", `${SPACE}/1001/sessions`), surrogateBytes),
          status: 400,
          names: "body",
          says: /^body: not valid UTF-8$/,
        },
        {
          dialect: "Octane",
          name: "a lone surrogate in a terminate body",
          send: (call) =>
            json(
              call("put", `${SPACE}/1001/sessions`),
              '{"data":[{"id":"\\ud800","is_closed":true}]}',
            ),
          status: 400,
          names: "body",
          says: /lone surrogate U\+D800/,
        },
        {
          dialect: "Cognite",
          name: "a principal",
          send: (call) => call("get", "/api/v1/orgs/space-1001/principals/%ED%A0%80/sessions"),
          status: 400,
          names: "principal",
        },
        {
          dialect: "Cognite",
          name: "a revoke body",
          send: (call) =>
            json(
              call("post", `${COGNITE}/revoke`),
              Buffer.from([
                ...Buffer.from('{"items":[{"id":"'),
                0xc0,
                0xae,
                ...Buffer.from('"}]}'),
              ]),
            ),
          status: 400,
          says: /^body: not valid UTF-8$/,
        },
        {
          dialect: "Formal",
          name: "a lone surrogate in a query",
          send: (call) =>
            json(call("post", `${FORMAL}/ListSessionsV2`), '{"query":"id=\'\\ud800\'"}'),
          status: 400,
          says: /^body: query: lone surrogate U\+D800 at 4$/,
        },
        {
          dialect: "Formal",
          name: "a body",
          send: (call) =>
            json(
              call("post", `${FORMAL}/GetSession`),
              Buffer.from([...Buffer.from('{"sessionId":"'), 0xff, ...Buffer.from('"}')]),
            ),
          status: 400,
          says: /^body: not valid UTF-8$/,
        },
        {
          dialect: "LogScale",
          name: "a body",
          send: (call) =>
            graphql(
              call,
              Buffer.from([
                ...Buffer.from('{"query":"{ sessions(searchFilter: \\"'),
                0xc0,
                0xae,
                ...Buffer.from('\\") { totalResults } }"}'),
              ]),
            ),
          status: 400,
          says: /^body: not valid UTF-8$/,
        },
        {
          dialect: "SAYMON",
          name: "a query parameter",
          send: (call) => call("get", `${SAYMON}?from=%C0%AE`),
          status: 400,
          names: "from",
          says: /^from: not valid UTF-8/,
        },
        {
          dialect: "Formal",
          name: "an X-Tenant-Id",
          send: () =>
            sendRaw(t.app, {
              method: "POST",
              path: `${FORMAL}/ListSessionsV2`,
              headers: {
                "X-API-KEY": ADMIN_KEY,
                "Content-Type": "application/json",
                "X-Tenant-Id": "\u00c0\u00ae",
              },
              body: "{}",
            }),
          status: 400,
          says: /^X-Tenant-Id: not valid UTF-8$/,
        },
      ]),
    )("$title", check);

    it("Octane: no task is created for a body that is not UTF-8", async () => {
      const before = t.taskIds();
      const res = await json(
        DIALECTS.Octane.call(t.app, "put", `${SPACE}/1001/sessions`),
        surrogateBytes,
      );
      expect(res.status).toBe(400);
      expect(t.taskIds()).toEqual(before);
      // The same body in UTF-8 does create one, so the count above can tell.
      const valid = await json(
        DIALECTS.Octane.call(t.app, "put", `${SPACE}/1001/sessions`),
        JSON.stringify({ data: [{ id: "no-such-session", is_closed: true }] }),
      );
      expect(valid.status).toBe(202);
      expect(t.taskIds()).toEqual([...before, valid.body.data[0].id]);
    });
  });

  // How long the host's event loop stands still while such a body is parsed, validated and its
  // task run is a measurement, not an assertion: `pnpm bench --only-latency terminate` (host
  // latency under admin load, docs/performance.md) PUTs this body in a loop and reports `/me`'s
  // p99 and the event loop's longest delay against SPEC §9's budget.
  describe("a body up to the configured limit is taken whole", () => {
    it("Octane: a 100,000-id terminate body is accepted and its ids submitted once, in order", async () => {
      const submitted: string[][] = [];
      const taskRunner = {
        async submitTermination(tenantId: string, ids: string[]) {
          submitted.push(ids);
          return { id: "task-1", tenantId, status: "QUEUED" } as BackgroundTask;
        },
        getTask: async () => null,
      };
      const octane = await createTestApp({ seed: false, router: { taskRunner } });
      const ids = Array.from({ length: 100_000 }, (_, i) => `s${String(i).padStart(20, "0")}`);
      const body = JSON.stringify({ data: ids.map((id) => ({ id, is_closed: true })) });
      const res = await json(
        request(octane.app)
          .put("/api/shared_spaces/1001/sessions")
          .set("X-API-KEY", "admin-key-0123456789"),
        body,
      );
      await octane.close();
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(submitted).toEqual([ids]);
    });
  });

  describe("another method on a dialect's route is a 405 in its own body, with Allow", () => {
    it.each(
      cases([
        {
          dialect: "Octane",
          name: "DELETE …/sessions",
          send: (call) => call("delete", `${SPACE}/1001/sessions?${OPEN_SESSIONS}`),
          status: 405,
          allow: "GET, HEAD, PUT",
          says: /^DELETE is not allowed here: use GET, HEAD, or PUT$/,
        },
        {
          dialect: "Octane",
          name: "POST …/background_tasks",
          send: (call) => call("post", `${SPACE}/1001/background_tasks`),
          status: 405,
          allow: "GET, HEAD",
        },
        {
          dialect: "Cognite",
          name: "DELETE …/sessions",
          send: (call) => call("delete", COGNITE),
          status: 405,
          allow: "GET, HEAD",
        },
        {
          dialect: "Cognite",
          name: "GET …/revoke",
          send: (call) => call("get", `${COGNITE}/revoke`),
          status: 405,
          allow: "POST",
        },
        {
          dialect: "LogScale",
          name: "PUT /graphql",
          send: (call) => call("put", "/graphql"),
          status: 405,
          allow: "POST",
        },
        {
          dialect: "Formal",
          name: "GET ListSessionsV2",
          send: (call) => call("get", `${FORMAL}/ListSessionsV2`),
          status: 405,
          allow: "POST",
        },
        {
          dialect: "SAYMON",
          name: "DELETE the log",
          send: (call) => call("delete", SAYMON),
          status: 405,
          allow: "GET, HEAD",
        },
      ]),
    )("$title", check);
  });

  describe("a JSON body giving a key twice is a 400 naming the key", () => {
    const twice = (key: string, path = "") => ({
      status: 400,
      names: "body",
      says: new RegExp(`^body: ${path}key '${key}' is given twice at \\d+$`),
    });
    it.each(
      cases([
        {
          dialect: "Octane",
          name: "a terminate body",
          send: (call) =>
            json(
              call("put", `${SPACE}/1001/sessions`),
              '{"data":[{"id":"a","is_closed":true,"id":"b"}]}',
            ),
          ...twice("id", "data\\[0\\]: "),
        },
        {
          dialect: "Cognite",
          name: "a revoke body",
          send: (call) =>
            json(call("post", `${COGNITE}/revoke`), '{"items":[{"id":"a"}],"items":[{"id":"b"}]}'),
          ...twice("items"),
        },
        {
          dialect: "LogScale",
          name: "the query",
          send: (call) =>
            graphql(
              call,
              '{"query":"{ sessions { totalResults } }","query":"mutation { logoutOfSession }"}',
            ),
          ...twice("query"),
        },
        {
          dialect: "LogScale",
          name: "a variable",
          send: (call) =>
            graphql(
              call,
              '{"query":"query($l: Int) { sessions(limit: $l) { totalResults } }","variables":{"l":1,"l":2}}',
            ),
          ...twice("l", "variables: "),
        },
        ...["ListSessionsV2", "GetSession", "CreateSessionTermination"].map(
          (method): Case => ({
            dialect: "Formal",
            name: method,
            send: (call) =>
              json(call("post", `${FORMAL}/${method}`), '{"sessionId":"a","sessionId":"b"}'),
            ...twice("sessionId"),
          }),
        ),
      ]),
    )("$title", check);
    // SAYMON's log takes no body.
  });

  describe("a body with a Content-Encoding other than identity is a 415 naming it", () => {
    const body = JSON.stringify({ limit: 1 });
    const refused = (encoding: string): Refusal => ({
      status: 415,
      names: "Content-Encoding",
      says: new RegExp(`^Content-Encoding '${encoding}' is not supported`),
    });
    const encoded = (test: request.Test, encoding: string, text: string) =>
      json(
        test.set("Content-Encoding", encoding),
        encoding === "gzip" ? gzipSync(text) : Buffer.from(text),
      );
    it.each(
      cases(
        ["gzip", "br", "deflate, identity"].flatMap((encoding): Case[] => [
          {
            dialect: "Octane",
            name: `${encoding}: a terminate body`,
            send: (call) =>
              encoded(call("put", `${SPACE}/1001/sessions`), encoding, JSON.stringify(CLOSE)),
            ...refused(encoding),
          },
          {
            dialect: "Cognite",
            name: `${encoding}: a revoke body`,
            send: (call) =>
              encoded(call("post", `${COGNITE}/revoke`), encoding, '{"items":[{"id":"x"}]}'),
            ...refused(encoding),
          },
          {
            dialect: "LogScale",
            name: `${encoding}: a document`,
            send: (call) =>
              encoded(
                call("post", "/graphql"),
                encoding,
                '{"query":"{ sessions { totalResults } }"}',
              ),
            ...refused(encoding),
          },
          {
            dialect: "Formal",
            name: `${encoding}: ListSessionsV2`,
            send: (call) => encoded(call("post", `${FORMAL}/ListSessionsV2`), encoding, body),
            ...refused(encoding),
          },
        ]),
      ),
    )("$title", check);

    it("identity, in any case, is read as the body it is", async () => {
      for (const encoding of ["identity", "Identity"]) {
        const res = await json(
          DIALECTS.Formal.call(t.app, "post", `${FORMAL}/ListSessionsV2`).set(
            "Content-Encoding",
            encoding,
          ),
          body,
        );
        expect(res.status).toBe(200);
      }
    });
  });

  describe("noncharacters and control characters in ids and logins are a 400 naming the parameter", () => {
    const rows = [
      ["\\uFFFE", "%EF%BF%BE", "noncharacter U+FFFE"],
      ["\\uFFFF", "%EF%BF%BF", "noncharacter U+FFFF"],
      ["\\u007F", "%7F", "control character U+007F"],
      ["\\u001B", "%1B", "control character U+001B"],
    ] as const;
    it.each(
      cases(
        rows.flatMap(([escaped, encoded, named]): Case[] => {
          const says = new RegExp(named.replace("U+", "U\\+"));
          const code = named.split(" ").at(-1)!;
          return [
            {
              dialect: "Octane",
              name: `${code}: a user's login in a query`,
              send: (call) =>
                call(
                  "get",
                  `${SPACE}/1001/sessions?query=${encodeURIComponent("\"(end_time=null;user={name='a")}${encoded}'})"`,
                ),
              status: 400,
              names: "query",
              says,
            },
            {
              dialect: "Cognite",
              name: `${code}: a principal`,
              send: (call) =>
                call("get", `/api/v1/orgs/space-1001/principals/220001${encoded}/sessions`),
              status: 400,
              names: "principal",
              says,
            },
            {
              dialect: "LogScale",
              name: `${code}: a login in searchFilter`,
              send: (call) =>
                graphql(
                  call,
                  `{"query":"query($f: String) { sessions(searchFilter: $f) { totalResults } }","variables":{"f":"steve${escaped}"}}`,
                ),
              status: 400,
              says,
            },
            {
              dialect: "LogScale",
              name: `${code}: a user id to revoke`,
              send: (call) =>
                graphql(
                  call,
                  `{"query":"mutation($id: String!) { revokeSession(input: {id: $id, revocationType: User}) }","variables":{"id":"u${escaped}"}}`,
                ),
              status: 400,
              says,
            },
            {
              dialect: "Formal",
              name: `${code}: a session id`,
              send: (call) =>
                json(call("post", `${FORMAL}/GetSession`), `{"sessionId":"a${escaped}"}`),
              status: 400,
              says,
            },
            {
              dialect: "SAYMON",
              name: `${code}: a query parameter`,
              send: (call) => call("get", `${SAYMON}?from=1${encoded}`),
              status: 400,
              names: "from",
              says,
            },
          ];
        }),
      ),
    )("$title", check);
  });

  describe("every answer of an admin route is Cache-Control: no-store", () => {
    const answers: [DialectName, string, (call: Call) => PromiseLike<Answer>][] = [
      [
        "Octane",
        "a list",
        (call) => call("get", `${SPACE}/1001/sessions?${OPEN_SESSIONS}&limit=1`),
      ],
      [
        "Octane",
        "a CSV export",
        (call) => call("get", `${SPACE}/1001/sessions/csv_exports?${OPEN_SESSIONS}`),
      ],
      [
        "Octane",
        "an XLSX export",
        (call) => call("get", `${SPACE}/1001/sessions/exports/file.xlsx?${OPEN_SESSIONS}`),
      ],
      ["Octane", "a 400", (call) => call("get", `${SPACE}/1001/sessions?limit=x`)],
      ["Octane", "a 405", (call) => call("delete", `${SPACE}/1001/sessions`)],
      ["Cognite", "a list", (call) => call("get", `${COGNITE}?limit=1`)],
      ["Cognite", "a 400", (call) => call("get", `${COGNITE}?limit=0`)],
      [
        "LogScale",
        "a document",
        (call) => graphql(call, '{"query":"{ sessions { totalResults } }"}'),
      ],
      ["LogScale", "a 400", (call) => graphql(call, '{"query":1}')],
      ["Formal", "a list", (call) => json(call("post", `${FORMAL}/ListSessionsV2`), '{"limit":1}')],
      [
        "Formal",
        "a 404",
        (call) => json(call("post", `${FORMAL}/GetSession`), '{"sessionId":"none"}'),
      ],
      ["SAYMON", "the log", (call) => call("get", `${SAYMON}?limit=1`)],
      ["SAYMON", "a 400", (call) => call("get", `${SAYMON}?limit=-1`)],
    ];
    it.each(answers)("%s: %s", async (name, _what, send) => {
      const dialect = DIALECTS[name];
      const res = await send((method, path) => dialect.call(t.app, method, path));
      expect(res.headers["cache-control"]).toBe("no-store");
    });

    it("a 401 in every dialect", async () => {
      for (const path of [`${SPACE}/1001/sessions?${OPEN_SESSIONS}`, COGNITE, SAYMON]) {
        const res = await request(t.app).get(path);
        expect(res.status).toBe(401);
        expect(res.headers["cache-control"]).toBe("no-store");
      }
      for (const path of ["/graphql", `${FORMAL}/ListSessionsV2`]) {
        const res = await request(t.app).post(path).send({});
        expect(res.status).toBe(401);
        expect(res.headers["cache-control"]).toBe("no-store");
      }
    });

    it("a request to none of the routes passes on untouched", async () => {
      const res = await request(t.app).get("/not-an-admin-route");
      expect(res.status).toBe(404);
      expect(res.headers["cache-control"]).toBeUndefined();
    });
  });
});
