/**
 * Generated hostile requests to every router (the admin app of `test-support`), dialect by
 * dialect: a good request with one part made hostile (a path segment, a query parameter, a
 * header, the JSON body, the GraphQL document, the method), sent byte for byte. Each must get a
 * 4xx in the dialect's own error body that names what is wrong, never a 5xx; the server must
 * answer a good request after each; and at the end no session may have changed, since none was
 * ended on purpose.
 */
import type { Session } from "@session-ledger/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quote } from "./admin/text.js";
import { ADMIN_KEY, type AdminApp, APP_SPACES, startAdminApp } from "./test-support/admin-app.js";
import {
  type Answer,
  DIALECTS,
  type DialectName,
  type RawRequest,
  type RawServer,
  serveRaw,
} from "./test-support/dialects.js";

let t: AdminApp;
let server: RawServer;
beforeAll(async () => {
  t = await startAdminApp(300);
  server = await serveRaw(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/** Every session and task as the store holds them, to compare before and after. */
async function snapshot(): Promise<{ sessions: Session[]; tasks: string[] }> {
  const sessions = (await Promise.all(APP_SPACES.map((space) => t.all(space)))).flat();
  return { sessions, tasks: t.taskIds() };
}

// ---- What a hostile part is made of ------------------------------------------------------

const text = fc.string({ unit: "grapheme", maxLength: 8 });
/** Text as a client would encode it in a URL. */
const encoded = text.map(encodeURIComponent);
/** An escape that is not one: `%` without two hex digits after it. */
const malformed = fc.constantFrom("%", "%A", "%G1", "%E0%A4%A", "%%", "%-1", "%u0041");
/** Percent-encoded bytes that are not UTF-8: overlong, surrogates, stray continuation bytes. */
const notUtf8 = fc.constantFrom(
  "%C0%AE",
  "%ED%A0%80",
  "%FF",
  "%E0%80",
  "%F4%90%80%80",
  "%80",
  "%C3",
);
/** Raw bytes over 0x7F in a request line, which Node hands over as latin1 characters. */
const rawByte = fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code));
/** Control characters no parameter may hold (tab and line breaks are text in a value). */
const control = fc
  .integer({ min: 0, max: 0x20 })
  .filter((code) => code !== 0x09 && code !== 0x0a && code !== 0x0d)
  .map((code) => (code === 0x20 ? "%7F" : `%${code.toString(16).padStart(2, "0").toUpperCase()}`));
const hostileCore = fc.oneof(malformed, notUtf8, control);
/** A URL component holding something hostile somewhere. */
const hostileValue = fc
  .tuple(encoded, hostileCore, encoded)
  // Text starting with a hex digit would complete a broken escape (`%E0%A4%A` + `0…`).
  .filter(([, , after]) => !/^[0-9A-Fa-f]/.test(after))
  .map(([before, core, after]) => before + core + after);
/** In a path segment tab and line breaks are hostile too. */
const hostileSegment = fc.oneof(
  hostileValue,
  fc.tuple(encoded, fc.constantFrom("%09", "%0A", "%0D")).map(([a, b]) => a + b),
);

/** Query-string parameter names no route takes: Mongo-style brackets, cases, prototypes. */
const unknownName = (known: readonly string[]) =>
  fc
    .oneof(
      fc
        .tuple(fc.constantFrom(...known), fc.constantFrom("[$ne]", "[$gt]", "[]", "[0]", ".x", " "))
        .map(([name, suffix]) => name + suffix),
      fc.constantFrom("__proto__", "constructor", "LIMIT", "Query", "callback", "_"),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }),
    )
    .filter((name) => !known.includes(name));

/** A header value a hostile client can send: tab, bytes over 0x7F, anything printable. */
const headerText = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      rawByte,
      fc.constant("\t"),
    ),
    { maxLength: 40 },
  )
  .map((chars) => chars.join(""));
/** An X-Tenant-Id that is not a tenant id: not UTF-8, a tab inside, blank, too long. */
const hostileTenant = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("", "10"),
      fc.constantFrom("\u00c0\u00ae", "\u00ff", "\u00ed\u00a0\u0080"),
      fc.constantFrom("", "01"),
    )
    .map((parts) => parts.join("")),
  fc.constantFrom("10\t01", "a\tb", " ", "\t", "x".repeat(257)),
);

const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
/** A JSON string holding what no field may hold. */
const hostileJsonString = fc
  .tuple(
    fc.string({ maxLength: 6 }).map((value) => JSON.stringify(value).slice(1, -1)),
    fc.oneof(
      fc
        .integer({ min: 0, max: 0x1f })
        .filter((code) => ![9, 10, 13].includes(code))
        .map((code) => `\\u${code.toString(16).padStart(4, "0")}`),
      fc.constantFrom("\\u007f", "\\ud800", "\\udfff", "\\ud83d"),
    ),
  )
  .map(([before, core]) => `"${before}${core}"`);

/** A body that no JSON route can accept, whatever it expects. */
const hostileJsonBody = (field: string): fc.Arbitrary<string | Buffer> =>
  fc.oneof(
    fc.integer({ min: 33, max: 20_000 }).map((depth) => `{"${field}":${deep(depth)}}`),
    hostileJsonString.map((value) => `{"${field}":${value}}`),
    hostileJsonString.map((key) => `{${key}:1}`),
    fc
      .tuple(
        fc.constantFrom(`{"${field}":"`, '{"'),
        fc.constantFrom([0xc0, 0xae], [0xed, 0xa0, 0x80], [0xff], [0x80]),
        fc.constantFrom('"}', '":1}'),
      )
      .map(([start, bytes, end]) =>
        Buffer.from([...Buffer.from(start), ...bytes, ...Buffer.from(end)]),
      ),
    fc.constantFrom("", " ", "{", '{"a":}', "[1,]", "nul", '{"a":1}}', "\u00ff"),
  );

// ---- One hostile request ----------------------------------------------------------------

/** A generated request and what its refusal must say. */
interface Hostile {
  request: RawRequest;
  /** The names of which the error must give one (Octane's parameter, else in the message). */
  names?: readonly string[];
  /** A GraphQL document error: the place in the document says where. */
  located?: boolean;
  /** A method the route does not answer: 405 with `Allow`. */
  method?: boolean;
}

/** A good request of a dialect, as parts a generator can replace. */
interface Template {
  method: string;
  /** Path segments; `:name=value` for a path parameter. */
  path: string[];
  /** The query parameters (encoded), all of which the route knows. */
  params: [string, string][];
  /** Every parameter the route takes. */
  takes: readonly string[];
  body?: string;
  /** The top-level body field a hostile body names, when the route has a body. */
  field?: string;
  headers?: Record<string, string>;
}

const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString("base64")}`;
const AUTH: Record<DialectName, Record<string, string>> = {
  Octane: { "X-API-KEY": ADMIN_KEY },
  Cognite: { Authorization: `Bearer ${ADMIN_KEY}` },
  LogScale: { Authorization: `Bearer ${ADMIN_KEY}`, Accept: "application/graphql-response+json" },
  Formal: { "X-API-KEY": ADMIN_KEY },
  SAYMON: { Authorization: BASIC },
};
const JSON_TYPE = { "Content-Type": "application/json" };
const OPEN = encodeURIComponent('"(end_time=null)"');
const SPACE = ":space=1001";

const TEMPLATES: Record<DialectName, Template[]> = {
  Octane: [
    {
      method: "GET",
      path: ["api", "shared_spaces", SPACE, "sessions"],
      params: [
        ["fields", "id,user"],
        ["query", OPEN],
        ["limit", "2"],
      ],
      takes: ["fields", "query", "order_by", "limit", "offset"],
    },
    {
      method: "GET",
      path: ["api", "shared_spaces", SPACE, "sessions", "groups"],
      params: [
        ["group_by", "status"],
        ["query", OPEN],
      ],
      takes: ["group_by", "query", "limit", "offset"],
    },
    {
      method: "GET",
      path: ["api", "shared_spaces", SPACE, "sessions", "csv_exports"],
      params: [
        ["fields", "id"],
        ["query", OPEN],
      ],
      takes: ["fields", "query", "order_by", "limit", "offset", "timezone"],
    },
    {
      method: "PUT",
      path: ["api", "shared_spaces", SPACE, "sessions"],
      params: [["query", encodeURIComponent(`"id='no-such-session'"`)]],
      takes: ["query"],
      body: '{"data":[{"is_closed":true}]}',
      field: "data",
      headers: JSON_TYPE,
    },
    {
      method: "GET",
      path: ["api", "shared_spaces", SPACE, "background_tasks"],
      params: [["query", "id%3Dno-such-task"]],
      takes: ["fields", "query"],
    },
  ],
  Cognite: [
    {
      method: "GET",
      path: ["api", "v1", "orgs", ":org=space-1001", "principals", ":principal=220001", "sessions"],
      params: [["limit", "2"]],
      takes: ["cursor", "limit"],
    },
    {
      method: "POST",
      path: [
        "api",
        "v1",
        "orgs",
        ":org=space-1001",
        "principals",
        ":principal=220001",
        "sessions",
        "revoke",
      ],
      params: [],
      takes: [],
      body: '{"items":[{"id":"no-such-session"}]}',
      field: "items",
      headers: JSON_TYPE,
    },
  ],
  LogScale: [
    {
      method: "POST",
      path: ["graphql"],
      params: [],
      takes: [],
      body: JSON.stringify({ query: "{ sessions(limit: 2) { totalResults } }" }),
      field: "query",
      headers: JSON_TYPE,
    },
  ],
  Formal: [
    {
      method: "POST",
      path: ["core.v1.SessionsService", "ListSessionsV2"],
      params: [],
      takes: [],
      body: '{"limit":2}',
      field: "limit",
      headers: JSON_TYPE,
    },
    {
      method: "POST",
      path: ["core.v1.SessionsService", "GetSession"],
      params: [],
      takes: [],
      body: '{"sessionId":"no-such-session"}',
      field: "sessionId",
      headers: JSON_TYPE,
    },
    {
      method: "POST",
      path: ["core.v1.SessionsService", "CreateSessionTermination"],
      params: [],
      takes: [],
      body: '{"sessionId":"no-such-session","connectorId":"c"}',
      field: "sessionId",
      headers: JSON_TYPE,
    },
  ],
  SAYMON: [
    {
      method: "GET",
      path: ["node", "api", "users", "session", "log"],
      params: [
        ["from", "0"],
        ["to", "1800000000000"],
        ["limit", "2"],
        ["skip", "0"],
      ],
      takes: ["from", "to", "limit", "skip"],
    },
  ],
};

/** The request a template describes, with parts replaced. */
function build(
  dialect: DialectName,
  template: Template,
  change: {
    segment?: [index: number, raw: string];
    params?: [string, string][];
    body?: string | Buffer;
    headers?: Record<string, string>;
    method?: string;
  } = {},
): RawRequest {
  const segments = template.path.map((part, index) => {
    if (change.segment?.[0] === index) return change.segment[1];
    return part.startsWith(":") ? part.slice(part.indexOf("=") + 1) : part;
  });
  const params = change.params ?? template.params;
  const query = params.map(([name, value]) => `${name}=${value}`).join("&");
  return {
    method: change.method ?? template.method,
    path: `/${segments.join("/")}${query ? `?${query}` : ""}`,
    headers: { ...AUTH[dialect], ...template.headers, ...change.headers },
    body: "body" in change ? change.body : template.body,
  };
}

const pathParams = (template: Template) =>
  template.path.flatMap((part, index) =>
    part.startsWith(":") ? [[index, part.slice(1, part.indexOf("="))] as const] : [],
  );

/** Every way of making one part of a template's request hostile. */
function hostileRequests(dialect: DialectName, template: Template): fc.Arbitrary<Hostile>[] {
  const ways: fc.Arbitrary<Hostile>[] = [];
  const { params, takes } = template;
  // A path parameter.
  for (const [index, name] of pathParams(template)) {
    ways.push(
      hostileSegment.map((raw) => ({
        request: build(dialect, template, { segment: [index, raw] }),
        names: [name],
      })),
    );
  }
  // A parameter the route does not take.
  ways.push(
    fc
      .tuple(unknownName(takes.length > 0 ? takes : ["query"]), encoded, fc.nat())
      .map(([name, value, at]) => {
        const added = [...params];
        added.splice(at % (added.length + 1), 0, [encodeURIComponent(name), value]);
        return { request: build(dialect, template, { params: added }), names: [name] };
      }),
  );
  if (params.length > 0) {
    // A parameter's value holding what no parameter may hold.
    ways.push(
      fc.tuple(fc.nat(), hostileValue).map(([at, value]) => {
        const [name] = params[at % params.length]!;
        const changed = params.map(([n, v]): [string, string] => [n, n === name ? value : v]);
        return { request: build(dialect, template, { params: changed }), names: [name] };
      }),
    );
    // A parameter given twice.
    ways.push(
      fc.tuple(fc.nat(), encoded).map(([at, value]) => {
        const [name] = params[at % params.length]!;
        return {
          request: build(dialect, template, { params: [...params, [name, value]] }),
          names: [name],
        };
      }),
    );
    // A malformed or non-UTF-8 parameter name.
    ways.push(
      fc.tuple(encoded, fc.oneof(malformed, notUtf8)).map(([name, core]) => ({
        request: build(dialect, template, { params: [...params, [name + core, "1"]] }),
        names: [(name + core).slice(0, 40)],
      })),
    );
  }
  if (template.body !== undefined) {
    const field = template.field!;
    ways.push(
      hostileJsonBody(field).map((body) => ({
        request: build(dialect, template, { body }),
        names: ["body", field, "query", "Missing query"],
      })),
    );
    ways.push(
      fc
        .constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/jsonp",
          "application/json; charset=latin1",
          "json",
        )
        .map((type) => ({
          request: build(dialect, template, { headers: { "Content-Type": type } }),
          names: ["Content-Type"],
        })),
    );
  }
  // Another method.
  const others = ["DELETE", "PATCH", "PUT", "POST", "GET"].filter(
    (method) =>
      !TEMPLATES[dialect].some(
        (t) => t.path.join("/") === template.path.join("/") && t.method === method,
      ),
  );
  ways.push(
    fc.constantFrom(...others).map((method) => ({
      request: build(dialect, template, { method, body: undefined }),
      method: true,
    })),
  );
  return ways;
}

/** Hostile headers and documents of the dialects that have them. */
function extraHostileRequests(dialect: DialectName): fc.Arbitrary<Hostile>[] {
  const [template] = TEMPLATES[dialect];
  const ways: fc.Arbitrary<Hostile>[] = [];
  if (dialect === "LogScale" || dialect === "Formal" || dialect === "SAYMON") {
    ways.push(
      hostileTenant.map((tenant) => ({
        request: build(dialect, template!, { headers: { "X-Tenant-Id": tenant } }),
        names: ["X-Tenant-Id"],
      })),
    );
  }
  for (const template of TEMPLATES[dialect]) {
    if (template.body === undefined) continue;
    const [key] = Object.keys(JSON.parse(template.body) as object);
    if (key !== undefined) {
      // The key again, before the body's own: the parser must not keep either silently.
      ways.push(
        fc.jsonValue({ maxDepth: 2 }).map((value) => ({
          request: build(dialect, template, {
            body: template.body!.replace("{", `{${JSON.stringify(key)}:${JSON.stringify(value)},`),
          }),
          names: [key],
        })),
      );
    }
    ways.push(
      fc
        .constantFrom("gzip", "x-gzip", "deflate", "br", "compress", "zstd", "gzip, identity")
        .map((encoding) => ({
          request: build(dialect, template, { headers: { "Content-Encoding": encoding } }),
          names: ["Content-Encoding"],
        })),
    );
  }
  if (dialect === "LogScale") {
    const document = fc.oneof(
      fc
        .integer({ min: 33, max: 10_000 })
        .map((depth) => `{${" a {".repeat(depth)} b ${"}".repeat(depth + 1)}`),
      fc
        .integer({ min: 33, max: 10_000 })
        .map((depth) => `{ sessions(searchFilter: ${deep(depth)}) { totalResults } }`),
      fc.integer({ min: 10_001, max: 30_000 }).map((tokens) => `{ ${"a ".repeat(tokens)}}`),
      fc.constantFrom(
        '{ sessions(searchFilter: "\\u0000") { totalResults } }',
        "{ sessions(",
        "}",
        "{ sessions { totalResults } } garbage {",
      ),
    );
    ways.push(
      document.map((query) => ({
        request: build(dialect, template!, { body: JSON.stringify({ query }) }),
        located: true,
      })),
    );
  }
  return ways;
}

/** The error body names one of `names`, in the dialect's way. */
function namesOne(dialect: DialectName, answer: Answer, names: readonly string[]): boolean {
  const said = DIALECTS[dialect].error(answer);
  return names.some(
    (name) =>
      said.parameter === name.slice(0, 40) ||
      said.message.includes(name) ||
      said.message.includes(quote(name).slice(0, -1)),
  );
}

/** Generated requests per dialect. */
const FUZZ_RUNS = 250;

const CORRELATION = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

describe.each(Object.keys(TEMPLATES) as DialectName[])(
  "%s under generated hostile requests",
  (dialect) => {
    // The run ends when its cases are done; the timeout only stops a hung server, and fails.
    it("should refuse each with a 4xx naming what is wrong, keep serving, and change no session", {
      timeout: 300_000,
    }, async () => {
      const before = await snapshot();
      const hostile = fc.oneof(
        ...TEMPLATES[dialect].flatMap((template) => hostileRequests(dialect, template)),
        ...extraHostileRequests(dialect),
      );
      await fc.assert(
        fc.asyncProperty(
          hostile,
          fc.option(headerText, { nil: undefined }),
          async (generated, correlation) => {
            const request = { ...generated.request };
            // Noise: a hostile correlation id is replaced, never echoed.
            if (correlation !== undefined)
              request.headers = { ...request.headers, "X-Correlation-ID": correlation };
            const answer = await server.send(request);
            const shown = `${request.method} ${request.path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
            expect(answer.status, shown).toBeGreaterThanOrEqual(400);
            expect(answer.status, shown).toBeLessThan(500);
            expect(answer.headers["x-correlation-id"], shown).toMatch(CORRELATION);
            if (generated.method) {
              expect(answer.status, shown).toBe(405);
              expect(answer.headers.allow, shown).toMatch(/^(GET, HEAD|POST|GET, HEAD, PUT)$/);
              DIALECTS[dialect].error(answer);
            } else if (generated.located) {
              expect(DIALECTS[dialect].error(answer).located, shown).toBe(true);
            } else {
              expect(
                namesOne(dialect, answer, generated.names ?? []),
                `${shown}\nnames one of ${generated.names}`,
              ).toBe(true);
            }
            const good = await DIALECTS[dialect].good(t.app);
            expect(good.status, "the server still answers a good request").toBe(200);
          },
        ),
        // A fixed number of cases: a time limit would let a loaded machine pass after a few.
        { numRuns: FUZZ_RUNS },
      );
      expect(await snapshot()).toEqual(before);
    });
  },
);
